/**
 * Derives a trial's register outcomes from an imported extract, in SQL over `register_weeks`.
 *
 * Time is counted in ISO weeks relative to the enrollment week w0 (the ISO week holding the
 * enrollment date): "week k after enrollment" is week w0 + k, and week 0 is the enrollment week.
 *
 * A participant-week is observed when it lies inside the person's span in the extract, before the
 * week of withdrawal (the withdrawal week itself is not used), before the first week coded
 * emigrated or dead at or after w0, and its code is neither unknown nor a gap under `gap: missing`.
 * A value that needs an unobserved week is null, with a reason:
 *
 *   not_in_extract  the participant has no rows in the extract
 *   before_extract  the week lies before the person's first observed week (entered the extract late)
 *   after_extract   the week lies after the last week of the extract
 *   withdrawn       at or after the withdrawal week
 *   emigrated, dead at or after that week
 *   missing_week    a gap under `gap: missing`
 *   unknown_code    a code the code book does not know
 *   no_programme_end  retention for a participant without a programme end date
 *
 * The derivations (version 1 each):
 *
 *   self_supporting_at_week {week: k}      1 when week w0+k is self-supporting, else 0
 *   weeks_self_supporting {from: a, to: b} self-supporting weeks in w0+a .. w0+b (inclusive);
 *                                          null unless every week of the window is observed
 *   weeks_on_benefit {from, to, benefit_types?}  weeks on a public benefit (of the given types) in
 *                                          the window; null unless every week is observed
 *   time_to_self_support {min_weeks: m, from?: f = 0, horizon?: h}
 *        time-to-event. Event: the first run of at least m consecutive self-supporting weeks that
 *        starts at week s >= w0+f; value = s - w0 (weeks from the enrollment week to the start of
 *        the spell), event = 1. Otherwise censored (event = 0) at c = E - m - w0, where E is the
 *        first unobserved week at or after w0+f (end of data, emigration, death, withdrawal, an
 *        unknown code or missing week) or w0+h+m under a horizon: a spell starting later than c
 *        could not have been seen whole, so T > c is what the data say. When c < f the person was
 *        followed for fewer than m weeks and the value is null (reason = the censoring cause).
 *        Spells that began before w0+f count from w0+f.
 *   retention {weeks_after: 13}            1 when week e+13 is self-supporting, where e is the ISO
 *                                          week of the programme end date, else 0
 *   retention {weeks_after, programme_weeks: p}
 *                                          the same with e = w0+p, the planned end, for everyone
 *                                          in every arm (recorded end dates are not used): the
 *                                          intention-to-treat form, since the control arm has no
 *                                          programme to end
 *   education_started {from: a, to: b}     1 when some week t in w0+a .. w0+b is coded education and
 *                                          week t-1 is not (an unobserved t-1 counts as not); 0 when
 *                                          the whole window is observed without such a week; null
 *                                          otherwise
 *
 * Values are stored in `register_outcomes` with provenance (extract hash, code book hash,
 * derivation, its version and parameters, time of import). Deriving an outcome again replaces its
 * rows with the same rows, so repeating an import and a derivation changes nothing.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { z } from "zod";
import { canonicalJson } from "./codebook.ts";
import { weekIndexOfDate } from "./iso-week.ts";
import { AGG, BASE, INF, PART, plan, type Plan } from "./derive-plans.ts";
import { CATEGORY_ID as C, ensureRegisterSchema } from "./schema.ts";

const week = z.number().int().min(-520).max(5200);
const window = z
  .object({ from: week, to: week })
  .strict()
  .refine((w) => w.from <= w.to, { message: "from must not be after to", path: ["to"] });

/** Parameters of each derivation, for the protocol language to reuse. */
export const derivationSchemas = {
  self_supporting_at_week: z.object({ week }).strict(),
  weeks_self_supporting: window,
  weeks_on_benefit: z
    .object({ from: week, to: week, benefit_types: z.array(z.string().min(1)).min(1).optional() })
    .strict()
    .refine((w) => w.from <= w.to, { message: "from must not be after to", path: ["to"] }),
  time_to_self_support: z
    .object({ min_weeks: z.number().int().min(1).max(520), from: week.default(0), horizon: z.number().int().min(0).max(5200).optional() })
    .strict(),
  retention: z.object({ weeks_after: z.number().int().min(0).max(520).default(13), programme_weeks: week.optional() }).strict(),
  education_started: window,
} as const;

export type DerivationName = keyof typeof derivationSchemas;
export const DERIVATION_NAMES = Object.keys(derivationSchemas) as DerivationName[];
export const DERIVATION_VERSION: Record<DerivationName, number> = {
  self_supporting_at_week: 1,
  weeks_self_supporting: 1,
  weeks_on_benefit: 1,
  time_to_self_support: 1,
  retention: 1,
  education_started: 1,
};

/** One outcome to derive: the protocol's outcome name, the derivation and its parameters. */
export interface OutcomeSpec {
  name: string;
  derivation: DerivationName;
  params?: Record<string, unknown>;
}

export interface RegisterParticipant {
  /** 64 lowercase hex digits. */
  pseudonym: string;
  /** YYYY-MM-DD. */
  enrolledOn: string;
  withdrawnOn?: string | null;
  programmeEndOn?: string | null;
}

export interface DeriveOptions {
  trial: string;
  /** The import to derive from; default the trial's latest. */
  importNo?: number;
  participants: readonly RegisterParticipant[];
  outcomes: readonly OutcomeSpec[];
  onProgress?: (event: { outcome: string; done: number; total: number }) => void;
}

export interface DerivedOutcomeSummary {
  name: string;
  derivation: DerivationName;
  version: number;
  params: Record<string, unknown>;
  participants: number;
  /** Participants with a value. */
  withValue: number;
  /** For time_to_self_support: participants with event = 1. */
  events?: number;
  /** Participants without a value, by reason; for time-to-event, censored participants by cause. */
  reasons: Record<string, number>;
}

export interface DeriveReport {
  trial: string;
  importNo: number;
  extractSha256: string;
  codebookSha256: string;
  importedAt: string;
  outcomes: DerivedOutcomeSummary[];
}

export class DeriveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeriveError";
  }
}

/** Validates an outcome's parameters; errors name the outcome and the parameter. */
export function parseDerivationParams(spec: OutcomeSpec): Record<string, unknown> {
  const schema = derivationSchemas[spec.derivation] as z.ZodType | undefined;
  if (schema === undefined) {
    throw new DeriveError(`outcome ${JSON.stringify(spec.name)}: unknown derivation ${JSON.stringify(spec.derivation)}; expected one of ${DERIVATION_NAMES.join(", ")}`);
  }
  const result = schema.safeParse(spec.params ?? {});
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join(".") || "(params)"}: ${i.message}`).join("; ");
    throw new DeriveError(`outcome ${JSON.stringify(spec.name)} (${spec.derivation}): ${issues} (ugyldige parametre)`);
  }
  return result.data as Record<string, unknown>;
}


/**
 * Derives the given outcomes for the trial's participants and stores them.
 * @throws {DeriveError} for unknown derivations, bad parameters or a trial without imports.
 */
export async function deriveOutcomes(connection: DuckDBConnection, options: DeriveOptions): Promise<DeriveReport> {
  await ensureRegisterSchema(connection);
  const specs = options.outcomes.map((spec) => ({ spec, params: parseDerivationParams(spec) }));
  const names = new Set<string>();
  for (const { spec } of specs) {
    if (names.has(spec.name)) throw new DeriveError(`outcome ${JSON.stringify(spec.name)} is listed twice`);
    names.add(spec.name);
  }
  const imp = await findImport(connection, options.trial, options.importNo);
  try {
    await loadParticipants(connection, options.participants);
    await connection.run(`CREATE OR REPLACE TEMP TABLE ${BASE} AS
      WITH q AS (SELECT rp.person, p.w0 FROM ${PART} p JOIN register_persons rp ON rp.import_no = ${imp.importNo} AND rp.pseudonym = p.pseudonym),
      x AS (SELECT w.person, min(w.week) AS exit_week, arg_min(w.category, w.week) AS exit_cat
            FROM register_weeks w JOIN q USING (person)
            WHERE w.import_no = ${imp.importNo} AND w.category IN (${C.emigrated}, ${C.dead}) AND w.week >= q.w0 GROUP BY w.person)
      SELECT p.pseudonym, p.w0, p.wd, p.we, rp.person, rp.first_week, rp.last_week, x.exit_week, x.exit_cat,
        least(rp.last_week + 1, coalesce(p.wd, ${INF}), coalesce(x.exit_week, ${INF})) AS end_obs
      FROM ${PART} p LEFT JOIN register_persons rp ON rp.import_no = ${imp.importNo} AND rp.pseudonym = p.pseudonym
      LEFT JOIN x ON x.person = rp.person`);

    // Every outcome is a per-person aggregate over the weeks, relative to that person's dates: one
    // pass over the week table computes all of them, then each outcome is a select over one row
    // per participant.
    const plans: Plan[] = [];
    for (const [i, { spec, params }] of specs.entries()) plans.push(await plan(connection, spec.derivation, params, imp, `o${i}_`));
    const aggregates = plans.flatMap((p) => p.aggregates);
    await connection.run(`CREATE OR REPLACE TEMP TABLE ${AGG} AS
      SELECT b.person${aggregates.length ? `, ${aggregates.join(", ")}` : ""}
      FROM register_weeks w JOIN ${BASE} b USING (person) WHERE w.import_no = ${imp.importNo} GROUP BY b.person`);

    const summaries: DerivedOutcomeSummary[] = [];
    await connection.run("BEGIN TRANSACTION");
    try {
      for (const [i, { spec, params }] of specs.entries()) {
        options.onProgress?.({ outcome: spec.name, done: i, total: specs.length });
        const select = `SELECT ${plans[i].select} FROM ${BASE} b LEFT JOIN ${AGG} a ON a.person = b.person`;
        const version = DERIVATION_VERSION[spec.derivation];
        await connection.run("DELETE FROM register_outcomes WHERE trial_id = $1 AND outcome = $2", [options.trial, spec.name]);
        await connection.run(
          `INSERT INTO register_outcomes
           SELECT $1, $2, pseudonym, value, event, reason, $3, $4, $5, $6, $7, $8 FROM (${select})`,
          [options.trial, spec.name, spec.derivation, version, canonicalJson(params), imp.extractSha256, imp.codebookSha256, imp.importedAt],
        );
        const rows = (
          await connection.runAndReadAll(
            `SELECT reason, count(*)::BIGINT, count(value)::BIGINT, count(*) FILTER (WHERE event = 1)::BIGINT
             FROM register_outcomes WHERE trial_id = $1 AND outcome = $2 GROUP BY reason ORDER BY reason NULLS FIRST`,
            [options.trial, spec.name],
          )
        ).getRows();
        const summary: DerivedOutcomeSummary = { name: spec.name, derivation: spec.derivation, version, params, participants: 0, withValue: 0, reasons: {} };
        let events = 0;
        for (const r of rows) {
          summary.participants += Number(r[1]);
          summary.withValue += Number(r[2]);
          events += Number(r[3]);
          if (r[0] !== null) summary.reasons[String(r[0])] = Number(r[1]);
        }
        if (spec.derivation === "time_to_self_support") summary.events = events;
        summaries.push(summary);
      }
      await connection.run("COMMIT");
    } catch (err) {
      await connection.run("ROLLBACK");
      throw err;
    }
    options.onProgress?.({ outcome: "", done: specs.length, total: specs.length });
    const { firstWeek: _f, lastWeek: _l, ...provenance } = imp;
    return { trial: options.trial, ...provenance, outcomes: summaries };
  } finally {
    await connection.run(`DROP TABLE IF EXISTS temp.${BASE}`);
    await connection.run(`DROP TABLE IF EXISTS temp.${AGG}`);
    await connection.run(`DROP TABLE IF EXISTS temp.${PART}`);
  }
}

export interface RegisterOutcomeRow {
  pseudonym: string;
  value: number | null;
  event: number | null;
  reason: string | null;
}

/** The stored values of one derived outcome, ordered by pseudonym. */
export async function readRegisterOutcome(connection: DuckDBConnection, trial: string, outcome: string): Promise<RegisterOutcomeRow[]> {
  await ensureRegisterSchema(connection);
  const reader = await connection.runAndReadAll(
    "SELECT pseudonym, value, event, reason FROM register_outcomes WHERE trial_id = $1 AND outcome = $2 ORDER BY pseudonym",
    [trial, outcome],
  );
  return reader.getRows().map((r) => ({
    pseudonym: String(r[0]),
    value: r[1] === null ? null : Number(r[1]),
    event: r[2] === null ? null : Number(r[2]),
    reason: r[3] === null ? null : String(r[3]),
  }));
}

export interface ImportRef {
  importNo: number;
  extractSha256: string;
  codebookSha256: string;
  importedAt: string;
  firstWeek: number;
  lastWeek: number;
}

async function findImport(connection: DuckDBConnection, trial: string, importNo: number | undefined): Promise<ImportRef> {
  const reader = await connection.runAndReadAll(
    `SELECT import_no, extract_sha256, codebook_sha256, imported_at, first_week, last_week FROM register_imports
     WHERE trial_id = $1 ${importNo === undefined ? "" : `AND import_no = ${Math.trunc(importNo)}`} ORDER BY import_no DESC LIMIT 1`,
    [trial],
  );
  if (reader.currentRowCount === 0) {
    throw new DeriveError(`no register import ${importNo === undefined ? "" : `${importNo} `}for trial ${JSON.stringify(trial)} (intet registerudtræk)`);
  }
  const r = reader.getRows()[0];
  return { importNo: Number(r[0]), extractSha256: String(r[1]), codebookSha256: String(r[2]), importedAt: String(r[3]), firstWeek: Number(r[4]), lastWeek: Number(r[5]) };
}

async function loadParticipants(connection: DuckDBConnection, participants: readonly RegisterParticipant[]): Promise<void> {
  await connection.run(`CREATE OR REPLACE TEMP TABLE ${PART} (pseudonym VARCHAR, w0 INTEGER, wd INTEGER, we INTEGER)`);
  const appender = await connection.createAppender(PART, "main", "temp");
  const seen = new Set<string>();
  for (const p of participants) {
    if (!/^[0-9a-f]{64}$/.test(p.pseudonym)) throw new DeriveError("participants must be pseudonyms: 64 lowercase hex digits (deltagere angives med pseudonym)");
    if (seen.has(p.pseudonym)) throw new DeriveError("a participant is listed twice (en deltager er angivet to gange)");
    seen.add(p.pseudonym);
    const week = (field: "enrolledOn" | "withdrawnOn" | "programmeEndOn", value: string) => {
      try {
        return weekIndexOfDate(value);
      } catch {
        throw new DeriveError(`participant ${p.pseudonym.slice(0, 8)}…: ${field} is not a date (YYYY-MM-DD): ${JSON.stringify(value)} (ugyldig dato)`);
      }
    };
    appender.appendVarchar(p.pseudonym);
    appender.appendInteger(week("enrolledOn", p.enrolledOn));
    if (p.withdrawnOn) appender.appendInteger(week("withdrawnOn", p.withdrawnOn));
    else appender.appendNull();
    if (p.programmeEndOn) appender.appendInteger(week("programmeEndOn", p.programmeEndOn));
    else appender.appendNull();
    appender.endRow();
  }
  appender.closeSync();
}
