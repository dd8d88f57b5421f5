/**
 * Progression measurements (the protocol's `progression` instrument):
 *
 *   POST /v1/trials/{trial}/progression   one measurement or a batch, by the participant's own
 *                                         municipality; all or nothing, 422 naming each refused row
 *   GET  /v1/trials/{trial}/progression?participant=<id>
 *                                         one participant's measurements in force (corrections
 *                                         applied), as the analysis reads them; audited as a
 *                                         person-level read
 *
 * A measurement is one conversation: its day, who scored it (the caseworker, the citizen, or both
 * together) and a score per factor, each an integer on the factor's scale. A factor may be left
 * out (the instrument's total is then missing for that measurement, as `progressionTotal`
 * defines it), but at least one must be scored; unknown factors are refused. There is no free
 * text. A day before enrollment, after the participant's withdrawal, or after today is refused.
 * A correction is a new measurement naming the one it replaces (`corrects`) with a reason; a
 * measurement is corrected at most once (correct the correction to change it again), and nothing
 * is deleted. Storage: `api/progression/measurements.ts`.
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { assignToPlannedWeeks } from "../../analysis/progression/windows.ts";
import { progressionTotal } from "../../analysis/progression/panel.ts";
import type { Protocol } from "../../protocols/index.ts";
import type { Progression } from "../../protocols/progression-schema.ts";
import { actorOf, requireRole, type AppEnv, type Deps } from "../context.ts";
import { ApiError, type ErrorIssue } from "../errors.ts";
import {
  currentMeasurements,
  daysFromEnrollment,
  MEASUREMENT_ID_RE,
  PROGRESSION_OUTCOME,
  SCORED_BY,
  storedMeasurements,
  withdrawalDays,
  type ProgressionValue,
  type StoredMeasurement,
} from "../progression/measurements.ts";
import { PUBLIC_ID_RE } from "../pseudonym.ts";
import type { EnrollmentRecord, OutcomeValue } from "../store/store.ts";
import { appendBatch, auditParticipantRead, participantInScope, participantTarget, participantScopeOf, scopeOf, trialWithProtocol } from "./participant-access.ts";
import { ErrorResponses, json, TrialParam, WriteErrorResponses } from "./shared.ts";

/** Most measurements in one request (each is written with its audit entry). */
export const MAX_PROGRESSION_MEASUREMENTS = 2_000;

const Day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "forventede en dato ÅÅÅÅ-MM-DD / expected a date YYYY-MM-DD")
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), "ikke en gyldig dato / not a valid date");

const MeasurementRow = z
  .strictObject({
    participant_id: z.string().min(1).max(40).openapi({ example: "p-abcd-efgh-jkmn-pqrs" }),
    date: Day.openapi({ description: "The day of the conversation (YYYY-MM-DD)" }),
    scored_by: z.enum(SCORED_BY).openapi({ description: "Who scored: the caseworker, the citizen, or both together" }),
    scores: z
      .record(z.string().max(64), z.number().nullable())
      .openapi({ description: "Factor id → an integer on the factor's scale; null or absent = not scored. At least one factor.", example: { health: 3, motivation: 4 } }),
    corrects: z.string().max(40).optional().openapi({ description: "The id of the measurement this one replaces (a correction); needs a reason" }),
    reason: z.string().trim().min(3).max(2000).optional().openapi({ description: "Why the correction (only with `corrects`). No CPR numbers." }),
  })
  .openapi("ProgressionMeasurementRequest");
const Batch = z.strictObject({ measurements: z.array(MeasurementRow).min(1).max(MAX_PROGRESSION_MEASUREMENTS) });
/**
 * One measurement, or `{measurements: [...]}`. One measurement is read as a batch of one before it
 * is checked, so that every problem has the same path (`measurements.<i>.<field>`) either way.
 */
const ProgressionBody = z.preprocess((body) => (body !== null && typeof body === "object" && !Array.isArray(body) && !("measurements" in body) ? { measurements: [body] } : body), Batch);
/** What the route description shows: either form. The body is checked by `ProgressionBody`. */
const ProgressionRequest = z.looseObject({}).openapi("ProgressionRequest", {
  description: "One measurement, or `{measurements: [...]}` (at most 2,000); problems are named `measurements.<i>.<field>` either way",
  anyOf: [
    { $ref: "#/components/schemas/ProgressionMeasurementRequest" },
    {
      type: "object",
      required: ["measurements"],
      properties: { measurements: { type: "array", minItems: 1, maxItems: MAX_PROGRESSION_MEASUREMENTS, items: { $ref: "#/components/schemas/ProgressionMeasurementRequest" } } },
      additionalProperties: false,
    },
  ],
});
const Recorded = z
  .object({ recorded: z.number().int(), ids: z.array(z.string()).openapi({ description: "The new measurements' ids, in request order" }), at: z.string() })
  .openapi("ProgressionRecorded");

const MeasurementView = z
  .object({
    id: z.string(),
    date: z.string(),
    day: z.number().int().openapi({ description: "Days from the enrollment day" }),
    planned_week: z.number().int().nullable().openapi({ description: "The planned week this measurement is used for, or null (outside every window, or a nearer one is used)" }),
    scored_by: z.enum(SCORED_BY),
    scores: z.record(z.string(), z.number()),
    total: z.number().nullable().openapi({ description: "The instrument's total (oriented: higher = closer to work); null unless every factor in it was scored" }),
    corrects: z.string().nullable(),
    reason: z.string().nullable(),
    recorded_at: z.string(),
  })
  .openapi("ProgressionMeasurement");
const ParticipantProgression = z
  .object({
    participant_id: z.string(),
    instrument: z.object({ id: z.string(), version: z.number().int(), illustrative: z.boolean() }),
    withdrawn_on: z.string().nullable(),
    measurements: z.array(MeasurementView),
  })
  .openapi("ParticipantProgression");
const ParticipantQuery = z.object({ participant: z.string().min(1).max(40).openapi({ param: { name: "participant", in: "query" }, example: "p-abcd-efgh-jkmn-pqrs" }) });

type Row = z.infer<typeof MeasurementRow>;

/** The trial's instrument; 422 if the protocol has none. */
export function progressionOf(protocol: Protocol): Progression {
  if (!protocol.progression) {
    throw new ApiError(422, "unprocessable", "forsøgets protokol har intet progressionsværktøj / the trial's protocol has no progression instrument");
  }
  return protocol.progression;
}

const LETTERS = "abcdefghijklmnopqrstuvwxyz";
/** A new measurement id from the app's random source (`pm-` and 16 letters). */
function newMeasurementId(deps: Deps): string {
  const bytes = deps.random(16);
  let id = "pm-";
  for (const b of bytes) id += LETTERS[b % LETTERS.length];
  return id;
}

/** Checks one row's scores against the instrument; the issues name the row and the factor. */
function scoreIssues(progression: Progression, row: Row, i: number): { issues: ErrorIssue[]; scores: Record<string, number> } {
  const issues: ErrorIssue[] = [];
  const scores: Record<string, number> = {};
  const at = (f: string) => `measurements.${i}.scores.${f}`;
  for (const [id, value] of Object.entries(row.scores)) {
    const factor = progression.instrument.factors.find((f) => f.id === id);
    if (!factor) {
      const known = progression.instrument.factors.map((f) => f.id).join(", ");
      issues.push({ path: at(id), message: `række ${i + 1}: ukendt faktor ${id}; kendte: ${known} / row ${i + 1}: unknown factor ${id}; known: ${known}`, code: "unknown_factor" });
      continue;
    }
    if (value === null) continue;
    const { min, max } = factor.scale;
    if (!Number.isInteger(value) || value < min || value > max) {
      issues.push({
        path: at(id),
        message: `række ${i + 1}: ${id} skal være et helt tal fra ${min} til ${max}: ${value} / row ${i + 1}: ${id} must be an integer from ${min} to ${max}: ${value}`,
        code: "invalid_score",
      });
      continue;
    }
    scores[id] = value;
  }
  if (issues.length === 0 && Object.keys(scores).length === 0) {
    issues.push({ path: `measurements.${i}.scores`, message: `række ${i + 1}: mindst én faktor skal scores / row ${i + 1}: score at least one factor`, code: "no_scores" });
  }
  return { issues, scores };
}

/** A measurement as the GET answers it. */
function view(progression: Progression, m: StoredMeasurement, enrolledAt: string, plannedWeek: number | null) {
  const total = progressionTotal(progression.instrument, m.scores);
  return {
    id: m.id,
    date: m.date,
    day: daysFromEnrollment(enrolledAt, m.date),
    planned_week: plannedWeek,
    scored_by: m.scoredBy,
    scores: m.scores,
    total: Number.isFinite(total) ? total : null,
    corrects: m.corrects,
    reason: m.reason,
    recorded_at: m.recordedAt,
  };
}

export type ProgressionView = z.infer<typeof ParticipantProgression>;

/**
 * One participant's measurements in force, oldest first, each with the planned week the analysis
 * uses it for. Measurements dated after a withdrawal are left out, as the analysis leaves them out.
 */
export function participantProgression(progression: Progression, participant: EnrollmentRecord, rows: readonly OutcomeValue[], withdrawnOn: string | null): ProgressionView {
  const mine = rows.filter((r) => r.publicId === participant.publicId);
  const current = currentMeasurements(storedMeasurements(mine))
    .filter((m) => withdrawnOn === null || m.date <= withdrawnOn)
    .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  const days = current.map((m) => daysFromEnrollment(participant.enrolledAt, m.date));
  // `week` is −1 for a row outside every window and for one superseded by a nearer measurement.
  const { week } = assignToPlannedWeeks(
    current.map(() => participant.publicId),
    days,
    progression.schedule,
  );
  return {
    participant_id: participant.publicId,
    instrument: { id: progression.instrument.id, version: progression.instrument.version, illustrative: progression.instrument.illustrative },
    withdrawn_on: withdrawnOn,
    measurements: current.map((m, i) => view(progression, m, participant.enrolledAt, week[i]! >= 0 ? progression.schedule[week[i]!]!.week : null)),
  };
}

export function progressionRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.register("ProgressionMeasurementRequest", MeasurementRow);
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/trials/{trial}/progression",
      tags: ["progression"],
      summary: "Record progression measurements for your own site's participants (municipality); one or a batch, all or nothing, 422 naming each refused row",
      request: { params: TrialParam, body: { required: true, ...json(ProgressionRequest) } },
      responses: { 201: { description: "All measurements recorded", ...json(Recorded) }, ...WriteErrorResponses },
    }),
    async (c) => {
      const principal = requireRole(c.var.principal, "municipality");
      const deps = c.var.deps;
      const trialId = c.req.valid("param").trial;
      const parsed = ProgressionBody.safeParse(c.req.valid("json"));
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => ({ path: i.path.map(String).join(".") || "(body)", message: i.message, code: i.code }));
        throw new ApiError(400, "bad_request", "forespørgslen er ugyldig / the request is invalid", issues);
      }
      const rows: Row[] = parsed.data.measurements;
      const { protocol } = await trialWithProtocol(deps, trialId);
      const progression = progressionOf(protocol);
      const scope = scopeOf(principal);
      const wanted = [...new Set(rows.map((r) => r.participant_id))];
      const enrolled = (await Promise.all(wanted.map((id) => (PUBLIC_ID_RE.test(id) ? deps.store.findEnrollment(trialId, { publicId: id }, scope) : null)))).filter((e) => e !== null);
      const byId = new Map<string, EnrollmentRecord>(enrolled.map((e) => [e.publicId, e]));
      const withdrawnOn = withdrawalDays(await deps.store.listWithdrawals(trialId, scope));
      const needCorrections = rows.some((r) => r.corrects !== undefined);
      const earlier = needCorrections ? storedMeasurements(await deps.store.listOutcomes(trialId, scope)) : [];
      const earlierById = new Map(earlier.map((m) => [m.id, m]));
      const correctedBefore = new Map(earlier.flatMap((m) => (m.corrects === null ? [] : [[m.corrects, m.id] as const])));
      const correctedHere = new Map<string, number>();

      const at = deps.clock().toISOString();
      const today = at.slice(0, 10);
      const issues: ErrorIssue[] = [];
      const out: OutcomeValue[] = [];
      const ids: string[] = [];
      rows.forEach((r, i) => {
        const row = `række ${i + 1}`;
        const en = `row ${i + 1}`;
        const participant = byId.get(r.participant_id);
        if (!participant) {
          issues.push({ path: `measurements.${i}.participant_id`, message: `${row}: ukendt deltager på dit sted / ${en}: no such participant at your site`, code: "unknown_participant" });
          return;
        }
        const before = issues.length;
        const { issues: scoreProblems, scores } = scoreIssues(progression, r, i);
        issues.push(...scoreProblems);
        if (r.date < participant.enrolledAt.slice(0, 10)) {
          issues.push({ path: `measurements.${i}.date`, message: `${row}: før indskrivningen ${participant.enrolledAt.slice(0, 10)} / ${en}: before enrollment on ${participant.enrolledAt.slice(0, 10)}`, code: "before_enrollment" });
        } else if (withdrawnOn.has(participant.publicId) && r.date > withdrawnOn.get(participant.publicId)!) {
          const w = withdrawnOn.get(participant.publicId)!;
          issues.push({ path: `measurements.${i}.date`, message: `${row}: efter udtrædelsen ${w} / ${en}: after the withdrawal on ${w}`, code: "after_withdrawal" });
        } else if (r.date > today) {
          issues.push({ path: `measurements.${i}.date`, message: `${row}: en dato efter i dag / ${en}: a date after today`, code: "future_date" });
        }
        if (r.corrects === undefined && r.reason !== undefined) {
          issues.push({ path: `measurements.${i}.reason`, message: `${row}: en årsag hører kun til en rettelse / ${en}: a reason belongs to a correction only`, code: "reason_without_correction" });
        }
        if (r.corrects !== undefined) {
          const target = MEASUREMENT_ID_RE.test(r.corrects) ? earlierById.get(r.corrects) : undefined;
          if (!target || target.publicId !== participant.publicId) {
            issues.push({ path: `measurements.${i}.corrects`, message: `${row}: ingen måling ${r.corrects} for deltageren / ${en}: no measurement ${r.corrects} of the participant`, code: "unknown_measurement" });
          } else if (correctedBefore.has(r.corrects)) {
            const by = correctedBefore.get(r.corrects)!;
            issues.push({ path: `measurements.${i}.corrects`, message: `${row}: målingen er allerede rettet af ${by}; ret den / ${en}: already corrected by ${by}; correct that one`, code: "already_corrected" });
          } else if (correctedHere.has(r.corrects)) {
            issues.push({ path: `measurements.${i}.corrects`, message: `${row}: rækken ${correctedHere.get(r.corrects)! + 1} retter samme måling / ${en}: row ${correctedHere.get(r.corrects)! + 1} corrects the same measurement`, code: "already_corrected" });
          } else correctedHere.set(r.corrects, i);
          if (r.reason === undefined) issues.push({ path: `measurements.${i}.reason`, message: `${row}: en rettelse skal have en årsag / ${en}: a correction needs a reason`, code: "reason_required" });
        }
        if (issues.length > before) return;
        const id = newMeasurementId(deps);
        const value: ProgressionValue = { scores, scored_by: r.scored_by, ...(r.corrects !== undefined ? { corrects: r.corrects, reason: r.reason! } : {}) };
        ids.push(id);
        out.push({ publicId: participant.publicId, outcome: PROGRESSION_OUTCOME, timePoint: id, value: value as unknown as OutcomeValue["value"], observedAt: r.date, source: "site", recordedAt: at });
      });
      if (issues.length > 0) {
        const n = new Set(issues.map((x) => x.path.split(".")[1])).size;
        throw new ApiError(422, "unprocessable", `${n} måling(er) afvist; intet gemt / ${n} measurement(s) refused; nothing recorded`, issues);
      }
      await appendBatch(deps, trialId, {
        outcomes: out,
        audit: out.map((o) => ({
          at,
          ...actorOf(principal),
          action: (o.value as unknown as ProgressionValue).corrects === undefined ? "progression.record" : "progression.correct",
          target: `${participantTarget(trialId, o.publicId)}/progression:${o.timePoint}`,
          reason: (o.value as unknown as ProgressionValue).reason ?? null,
        })),
      });
      return c.json({ recorded: out.length, ids, at }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/trials/{trial}/progression",
      tags: ["progression"],
      summary: "One participant's progression measurements, corrections applied, as the analysis reads them (own municipality; agency, researcher); audited",
      request: { params: TrialParam, query: ParticipantQuery },
      responses: { 200: { description: "The measurements in force, oldest first", ...json(ParticipantProgression) }, ...ErrorResponses, 422: WriteErrorResponses[422] },
    }),
    async (c) => {
      const principal = requireRole(c.var.principal, "municipality", "agency", "researcher");
      const deps = c.var.deps;
      const trialId = c.req.valid("param").trial;
      const { participant: publicId } = c.req.valid("query");
      const { protocol } = await trialWithProtocol(deps, trialId);
      const progression = progressionOf(protocol);
      const participant = await participantInScope(deps, trialId, principal, publicId);
      const scope = participantScopeOf(principal, participant.publicId);
      const [rows, withdrawals] = await Promise.all([deps.store.listOutcomes(trialId, scope), deps.store.listWithdrawals(trialId, scope)]);
      await auditParticipantRead(deps, principal, trialId, participant.publicId, "progression.read");
      const answer = participantProgression(progression, participant, rows, withdrawalDays(withdrawals).get(participant.publicId) ?? null);
      return c.json(answer, 200);
    },
  );
}
