/**
 * Imports a register extract (weekly status per person, DREAM-style) into the register tables.
 *
 * DuckDB reads the file itself (CSV or Parquet), in one of two layouts:
 *   long   person, week, code          one row per person-week; the week is ISO text (`2024-W07`,
 *          person, year, week, code    `2024W07`, `202407`) or two integer columns
 *   wide   person, y_2024_07, ...      one row per person, one column per week (DREAM-like);
 *                                      unpivoted in DuckDB; an empty cell is a week without a code
 *
 * The person key is a CPR number, turned into the trial's pseudonym on the way in
 * (HMAC-SHA-256 under the trial's key, computed in DuckDB: over the distinct keys of a long file,
 * per row of a wide one; the same value `api/pseudonym.ts` gives), or an existing pseudonym. CPR
 * numbers are never written to a table that outlives the import and never appear in a message:
 * CPR-shaped text in any import error is masked.
 *
 * What the import does with imperfect input:
 * - rows for people not in the trial are counted and reported, and not kept;
 * - codes the code book does not know are kept as `unknown` (treated as not observed by the
 *   derivations) and reported with their counts;
 * - several codes for one person-week are resolved by the code book's priority and counted;
 * - malformed person keys, weeks or codes stop the import with errors naming the row and column;
 * - week 53 exists where the ISO calendar has it and nowhere else;
 * - gaps inside a person's observed span are filled by the code book's `gap` rule;
 * - a person is observed from their first record (long layout) or from the first week of the
 *   extract (wide layout, where a row means the person is in the register), to the last week of
 *   the extract; see `observedFrom` and `coverage`.
 *
 * The import's identity is (trial, SHA-256 of the file, code book hash): importing the same extract
 * again returns the stored report and changes nothing.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { canonicalJson, type Codebook } from "./codebook.ts";
import { csvSource, detectShape, fileSha256, readingFile, RegisterImportError, type ColumnOptions } from "./extract-file.ts";
import { buildRecords, loadCodes, loadParticipants, T, validate, withProgress } from "./import-steps.ts";
import { parseWeekLabel, weekLabel } from "./iso-week.ts";
import { CATEGORY_ID, ensureRegisterSchema, sqlIdent, sqlString } from "./schema.ts";

export { COLUMN_NAMES, csvHeader, fileSha256, redactCpr, RegisterImportError, type ColumnOptions, type ImportIssue } from "./extract-file.ts";

export type PersonKey =
  /** The file holds CPR numbers; `key` is the trial's pseudonym key (32+ bytes). */
  | { kind: "cpr"; key: Uint8Array }
  /** The file holds pseudonyms already (64 hex digits). */
  | { kind: "pseudonym" };

export interface ImportProgress {
  phase: "hash" | "read" | "resolve" | "store";
  /** Fraction of the phase done, in [0, 1]. */
  fraction: number;
}

export interface RegisterImportOptions {
  trial: string;
  file: string;
  codebook: Codebook;
  /** Pseudonyms (64 lowercase hex digits) of the trial's participants. */
  participants: readonly string[];
  personKey: PersonKey;
  /** Detected from the column names when left out. */
  layout?: "long" | "wide";
  /** By the file extension when left out (`.parquet` → parquet, otherwise CSV with a header row). */
  format?: "csv" | "parquet";
  /** Column names, when they differ from the usual ones (see `COLUMN_NAMES`). */
  columns?: ColumnOptions;
  /** Where each person's observation begins; default `first-record` for long, `extract-start` for wide. */
  observedFrom?: "first-record" | "extract-start";
  /**
   * The weeks the extract covers (ISO, e.g. `2024-W48`), when they reach beyond its first or last
   * record: a long extract that lists only benefit weeks says nothing about its last weeks otherwise.
   */
  coverage?: { first?: string; last?: string };
  onProgress?: (event: ImportProgress) => void;
  /** Clock for `imported_at`; default the system clock. */
  now?: () => Date;
}

export interface RegisterImportReport {
  importNo: number;
  trial: string;
  extractSha256: string;
  codebookSha256: string;
  importedAt: string;
  /** True when this extract was imported before; nothing was changed. */
  alreadyImported: boolean;
  layout: "long" | "wide";
  format: "csv" | "parquet";
  firstWeek: string;
  lastWeek: string;
  /** Records read: rows in the long layout, non-empty cells in the wide layout. */
  records: number;
  persons: { inExtract: number; inTrial: number; notInTrial: number };
  recordsNotInTrial: number;
  participants: { total: number; inExtract: number; notInExtract: number };
  /** Participant-weeks stored, gaps included. */
  personWeeks: number;
  gapWeeks: number;
  unknownCodes: { code: string; records: number }[];
  /** Person-weeks with two or more different codes, resolved by priority. */
  conflicts: { personWeeks: number; records: number };
  /** Person-weeks with the same code more than once. */
  duplicates: { personWeeks: number; records: number };
  ignoredColumns: string[];
  /** Codes found in the extract whose mapping is marked illustrative in the code book. */
  illustrativeCodesUsed: string[];
}


/**
 * Imports an extract for one trial. See the module comment for the rules.
 * @throws {RegisterImportError} for malformed input, naming the row and column.
 */
export async function importRegister(connection: DuckDBConnection, options: RegisterImportOptions): Promise<RegisterImportReport> {
  const progress = options.onProgress ?? (() => {});
  await ensureRegisterSchema(connection);
  const book = options.codebook;
  const extractSha256 = await fileSha256(options.file, (fraction) => progress({ phase: "hash", fraction }));

  const existing = await connection.runAndReadAll(
    "SELECT report_json FROM register_imports WHERE trial_id = $1 AND extract_sha256 = $2 AND codebook_sha256 = $3",
    [options.trial, extractSha256, book.sha256],
  );
  if (existing.currentRowCount > 0) {
    const report = JSON.parse(String(existing.getRows()[0][0])) as RegisterImportReport;
    return { ...report, alreadyImported: true };
  }

  const format = options.format ?? (options.file.toLowerCase().endsWith(".parquet") ? "parquet" : "csv");
  // The delimiter is taken from the header line, so that a ragged row is an error naming its line
  // rather than a reason for DuckDB's sniffer to guess another dialect.
  const src =
    format === "parquet"
      ? `read_parquet(${sqlString(options.file)})`
      : await csvSource(options.file);
  const described = await readingFile(() => connection.runAndReadAll(`DESCRIBE SELECT * FROM ${src}`));
  const names = described.getRows().map((r) => String(r[0]));
  const shape = detectShape(names, options);
  // A CPR column stored as a number (Parquet) has lost its leading zero; put it back.
  const personType = String(described.getRows()[names.indexOf(shape.person)][1]);
  const numericCpr = options.personKey.kind === "cpr" && /INT/.test(personType);
  const personKey = (from: string) =>
    numericCpr ? `lpad(CAST(${from}${sqlIdent(shape.person)} AS VARCHAR), 10, '0')` : `CAST(${from}${sqlIdent(shape.person)} AS VARCHAR)`;
  const observedFrom = options.observedFrom ?? (shape.layout === "wide" ? "extract-start" : "first-record");

  try {
    await loadParticipants(connection, options.participants);
    progress({ phase: "read", fraction: 0 });
    await withProgress(connection, (f) => progress({ phase: "read", fraction: f }), () =>
      readingFile(() => buildRecords(connection, src, shape, personKey, options.personKey)),
    );
    progress({ phase: "read", fraction: 1 });
    const seen = await readingFile(() => validate(connection, src, shape, book, options.personKey, personKey("")));

    progress({ phase: "resolve", fraction: 0 });
    const unknownCodes = seen.filter((s) => !(s.code in book.codes));
    const illustrativeCodesUsed = seen.filter((s) => book.codes[s.code]?.illustrative === true).map((s) => s.code);
    await loadCodes(connection, book, unknownCodes.map((u) => u.code));

    const cov = (await connection.runAndReadAll(`SELECT min(week), max(week), count(*)::BIGINT FROM ${T.rec}`)).getRows()[0];
    let first = cov[0] === null ? null : Number(cov[0]);
    let last = cov[1] === null ? null : Number(cov[1]);
    if (shape.layout === "wide") {
      first = Math.min(...shape.weeks.map((w) => w.week));
      last = Math.max(...shape.weeks.map((w) => w.week));
    }
    if (first === null || last === null) throw new RegisterImportError("the extract holds no records (udtrækket er tomt)", []);
    for (const end of ["first", "last"] as const) {
      const text = options.coverage?.[end];
      if (text === undefined) continue;
      const declared = parseWeekLabel(text);
      const outside = declared === null ? false : end === "first" ? declared > first : declared < last;
      if (declared === null || outside) {
        throw new RegisterImportError(`the declared coverage does not fit the extract (den angivne dækning passer ikke)`, [
          { column: `coverage.${end}`, message: declared === null ? `${JSON.stringify(text)} is not an ISO week` : `${text} leaves out records from ${weekLabel(end === "first" ? first : last)}` },
        ]);
      }
      if (end === "first") first = declared;
      else last = declared;
    }
    const records = Number(cov[2]);

    // A wide extract with one row per person cannot hold two codes for one person-week, and its
    // unpivoted grid is already dense: both the grouping and the gap filling can be skipped.
    const directWide =
      shape.layout === "wide" &&
      observedFrom === "extract-start" &&
      first === Math.min(...shape.weeks.map((w) => w.week)) &&
      last === Math.max(...shape.weeks.map((w) => w.week)) &&
      (await connection.runAndReadAll(`SELECT count(person) = count(DISTINCT person) FROM ${T.wide}`)).getRows()[0][0] === true;
    await connection.run(
      directWide
        ? `CREATE OR REPLACE TEMP TABLE ${T.res} AS
           SELECT r.person, r.week, c.rank, c.rank AS max_rank, 1 AS n FROM ${T.rec} r JOIN ${T.codes} c USING (code) WHERE r.person IS NOT NULL`
        : `CREATE OR REPLACE TEMP TABLE ${T.res} AS
           SELECT r.person, r.week, min(c.rank) AS rank, max(c.rank) AS max_rank, count(*)::INTEGER AS n
           FROM ${T.rec} r JOIN ${T.codes} c USING (code) WHERE r.person IS NOT NULL GROUP BY r.person, r.week`,
    );
    const personStart = observedFrom === "extract-start" ? `${first}` : "min(r.week)";
    const personsFrom =
      observedFrom === "extract-start"
        ? `(SELECT DISTINCT m.person, m.pseudonym FROM ${T.map} m WHERE m.person IS NOT NULL) p LEFT JOIN ${T.res} r USING (person)`
        : `${T.res} r JOIN ${T.map} p USING (person)`;
    await connection.run(`CREATE OR REPLACE TEMP TABLE ${T.persons} AS
      SELECT p.person, any_value(p.pseudonym) AS pseudonym, ${personStart} AS first_week, ${last} AS last_week
      FROM ${personsFrom} GROUP BY p.person`);

    const stats = (
      await connection.runAndReadAll(`SELECT
        (SELECT count(DISTINCT pseudonym) FROM ${T.map})::BIGINT,
        (SELECT count(DISTINCT person) FROM ${T.map} WHERE person IS NOT NULL)::BIGINT,
        (SELECT count(*) FROM ${T.rec} WHERE person IS NULL)::BIGINT,
        (SELECT count(*) FROM ${T.persons})::BIGINT,
        (SELECT coalesce(sum(last_week - first_week + 1), 0) FROM ${T.persons})::BIGINT,
        (SELECT count(*) FROM ${T.res})::BIGINT,
        (SELECT count(*) FILTER (WHERE rank <> max_rank) FROM ${T.res})::BIGINT,
        (SELECT coalesce(sum(n) FILTER (WHERE rank <> max_rank), 0) FROM ${T.res})::BIGINT,
        (SELECT count(*) FILTER (WHERE rank = max_rank AND n > 1) FROM ${T.res})::BIGINT,
        (SELECT coalesce(sum(n) FILTER (WHERE rank = max_rank AND n > 1), 0) FROM ${T.res})::BIGINT`)
    ).getRows()[0].map(Number);
    const [inExtract, inTrial, recordsNotInTrial, personsKept, spanWeeks, resolvedWeeks, conflictWeeks, conflictRecords, dupWeeks, dupRecords] = stats;
    progress({ phase: "resolve", fraction: 1 });

    const importedAt = (options.now ?? (() => new Date()))().toISOString();
    const importNo = Number((await connection.runAndReadAll("SELECT nextval('register_import_seq')")).getRows()[0][0]);
    const report: RegisterImportReport = {
      importNo,
      trial: options.trial,
      extractSha256,
      codebookSha256: book.sha256,
      importedAt,
      alreadyImported: false,
      layout: shape.layout,
      format,
      firstWeek: weekLabel(first),
      lastWeek: weekLabel(last),
      records,
      persons: { inExtract, inTrial, notInTrial: inExtract - inTrial },
      recordsNotInTrial,
      participants: { total: new Set(options.participants).size, inExtract: personsKept, notInExtract: new Set(options.participants).size - personsKept },
      personWeeks: spanWeeks,
      gapWeeks: spanWeeks - resolvedWeeks,
      unknownCodes,
      conflicts: { personWeeks: conflictWeeks, records: conflictRecords },
      duplicates: { personWeeks: dupWeeks, records: dupRecords },
      ignoredColumns: shape.ignored,
      illustrativeCodesUsed,
    };

    progress({ phase: "store", fraction: 0 });
    const gapCategory = book.gap === "self_supporting" ? CATEGORY_ID.self_supporting : CATEGORY_ID.missing;
    await connection.run("BEGIN TRANSACTION");
    try {
      await connection.run(
        `INSERT INTO register_imports VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [importNo, options.trial, extractSha256, book.sha256, canonicalJson(stripHash(book)), importedAt, first, last, JSON.stringify(report)],
      );
      await connection.run(`INSERT INTO register_persons SELECT ${importNo}, person, pseudonym, first_week, last_week FROM ${T.persons}`);
      const on = shape.layout === "wide" ? shape.weeks.map((c) => sqlIdent(String(c.week))).join(", ") : "";
      await connection.run(
        `INSERT INTO register_codes SELECT ${importNo}, rank, code, category, benefit_type, priority, category <> ${CATEGORY_ID.unknown} FROM ${T.codes}`,
      );
      const weeksSql = directWide
        ? `SELECT ${importNo}, u.person, u.__col::INTEGER, coalesce(k.category, ${gapCategory}), k.rank
           FROM (SELECT * EXCLUDE (bad_person, pseudonym) FROM ${T.wide} WHERE person IS NOT NULL) UNPIVOT INCLUDE NULLS (code FOR __col IN (${on})) u
           LEFT JOIN ${T.codes} k ON k.code = u.code`
        : spanWeeks === resolvedWeeks
          ? `SELECT ${importNo}, r.person, r.week, c.category, c.rank
             FROM ${T.res} r JOIN ${T.codes} c USING (rank)`
          : `SELECT ${importNo}, g.person, g.week, coalesce(c.category, ${gapCategory}), c.rank
             FROM (SELECT person, unnest(generate_series(first_week, last_week)) AS week FROM ${T.persons}) g
             LEFT JOIN ${T.res} r ON r.person = g.person AND r.week = g.week
             LEFT JOIN ${T.codes} c ON c.rank = r.rank`;
      await withProgress(connection, (f) => progress({ phase: "store", fraction: f }), () => connection.run(`INSERT INTO register_weeks ${weeksSql}`));
      await connection.run("COMMIT");
    } catch (err) {
      await connection.run("ROLLBACK");
      throw err;
    }
    progress({ phase: "store", fraction: 1 });
    return report;
  } finally {
    for (const table of Object.values(T)) await connection.run(`DROP TABLE IF EXISTS temp.${table}`);
  }
}

function stripHash(book: Codebook): Omit<Codebook, "sha256"> {
  const { sha256: _omit, ...rest } = book;
  return rest;
}
