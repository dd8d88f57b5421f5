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
import { createHash } from "node:crypto";
import type { DuckDBConnection } from "@duckdb/node-api";
import { canonicalJson, codeRows, type Codebook } from "./codebook.ts";
import {
  csvSource,
  detectShape,
  fileSha256,
  readingFile,
  RegisterImportError,
  weekOrNullSql,
  yearWeekSql,
  type ColumnOptions,
  type ImportIssue,
  type Shape,
} from "./extract-file.ts";
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

const MAX_ISSUES = 20;
const T = { map: "reg_tmp_map", part: "reg_tmp_part", rec: "reg_tmp_rec", codes: "reg_tmp_codes", res: "reg_tmp_res", persons: "reg_tmp_persons", wide: "reg_tmp_wide" };

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

async function loadParticipants(connection: DuckDBConnection, participants: readonly string[]): Promise<void> {
  await connection.run(`CREATE OR REPLACE TEMP TABLE ${T.part} (pseudonym VARCHAR, person INTEGER)`);
  const appender = await connection.createAppender(T.part, "main", "temp");
  const seen = new Set<string>();
  for (const p of participants) {
    if (!/^[0-9a-f]{64}$/.test(p)) throw new TypeError("participants must be pseudonyms: 64 lowercase hex digits (deltagere angives med pseudonym)");
    if (seen.has(p)) continue;
    seen.add(p);
    appender.appendVarchar(p);
    appender.appendInteger(seen.size);
    appender.endRow();
  }
  appender.closeSync();
}

/**
 * SQL for the pseudonym of a raw person key (null when malformed), and its parameters. For a CPR:
 * HMAC-SHA-256(key, ten digits) = SHA-256(k ^ opad || SHA-256(k ^ ipad || cpr)) (RFC 2104).
 */
function pseudonymSql(raw: string, key: PersonKey): { sql: string; params: string[] } {
  if (key.kind === "cpr") {
    const { ipad, opad } = hmacPads(key.key);
    const cpr = `CASE WHEN regexp_full_match(trim(${raw}), '[0-9]{6}-?[0-9]{4}') THEN replace(trim(${raw}), '-', '') END`;
    return { sql: `sha256(unhex($2) || unhex(sha256(unhex($1) || encode(${cpr}))))`, params: [ipad, opad] };
  }
  return { sql: `CASE WHEN regexp_full_match(lower(trim(${raw})), '[0-9a-f]{64}') THEN lower(trim(${raw})) END`, params: [] };
}

/** Long layout: distinct person keys of the file → pseudonym (null when malformed) → participant number (null when not in the trial). */
async function buildPersonMap(connection: DuckDBConnection, src: string, raw: string, key: PersonKey): Promise<void> {
  const pseudonym = pseudonymSql("raw", key);
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE ${T.map} AS
     WITH h AS (SELECT raw, ${pseudonym.sql} AS pseudonym FROM (SELECT DISTINCT ${raw} AS raw FROM ${src}))
     SELECT h.raw, h.pseudonym, p.person FROM h LEFT JOIN ${T.part} p USING (pseudonym)`,
    pseudonym.params,
  );
}

/** HMAC-SHA-256 inner and outer pads (RFC 2104) as hex; keys longer than the block are hashed first. */
function hmacPads(key: Uint8Array): { ipad: string; opad: string } {
  const block = new Uint8Array(64);
  block.set(key.length > 64 ? createHash("sha256").update(key).digest() : key);
  const hex = (xor: number) => Buffer.from(block.map((b) => b ^ xor)).toString("hex");
  return { ipad: hex(0x36), opad: hex(0x5c) };
}

/** Person number (null: not in the trial), whether the key is malformed, week index (null: malformed), code (null: missing). */
async function buildRecords(connection: DuckDBConnection, src: string, shape: Shape, rawPerson: (from: string) => string, key: PersonKey): Promise<void> {
  if (shape.layout === "long") {
    await buildPersonMap(connection, src, rawPerson(""), key);
    const { y, w } = yearWeekSql(shape, "s.");
    await connection.run(`CREATE OR REPLACE TEMP TABLE ${T.rec} AS
      WITH s AS (SELECT ${rawPerson("")} AS __raw, ${y} AS __y, ${w} AS __w, NULLIF(trim(CAST(${sqlIdent(shape.code)} AS VARCHAR)), '') AS code FROM ${src} s)
      SELECT m.person, m.pseudonym IS NULL AS bad_person, ${weekOrNullSql("__y", "__w")}::INTEGER AS week, s.code
      FROM s LEFT JOIN ${T.map} m ON m.raw IS NOT DISTINCT FROM s.__raw`);
    return;
  }
  // Week columns are renamed to their week index, so the unpivoted name casts to the week.
  const cells = shape.weeks.map((c) => `NULLIF(trim(CAST(${sqlIdent(c.column)} AS VARCHAR)), '') AS ${sqlIdent(String(c.week))}`).join(", ");
  const on = shape.weeks.map((c) => sqlIdent(String(c.week))).join(", ");
  // One row per person, so the pseudonym is computed per row in the same pass that reads the
  // file, and the participant join is per person, not per cell.
  const pseudonym = pseudonymSql(rawPerson(""), key);
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE ${T.wide} AS
     SELECT p.person, w.pseudonym IS NULL AS bad_person, w.pseudonym, w.* EXCLUDE (pseudonym)
     FROM (SELECT ${pseudonym.sql} AS pseudonym, ${cells} FROM ${src}) w LEFT JOIN ${T.part} p USING (pseudonym)`,
    pseudonym.params,
  );
  await connection.run(`CREATE OR REPLACE TEMP TABLE ${T.map} AS SELECT DISTINCT NULL::VARCHAR AS raw, pseudonym, person FROM ${T.wide}`);
  await connection.run(`CREATE OR REPLACE TEMP TABLE ${T.rec} AS
    SELECT u.person, u.bad_person, u.__col::INTEGER AS week, u.code
    FROM (UNPIVOT (SELECT * EXCLUDE (pseudonym) FROM ${T.wide}) ON ${on} INTO NAME __col VALUE code) u`);
}

/**
 * Checks every record; returns the distinct codes with their counts when all is well.
 * Codes are checked against the code book's pattern in JavaScript, as the code book itself is, on
 * the distinct codes only.
 * @throws {RegisterImportError} naming up to {@link MAX_ISSUES} rows and columns.
 */
async function validate(
  connection: DuckDBConnection,
  src: string,
  shape: Shape,
  book: Codebook,
  key: PersonKey,
  rawPerson: string,
): Promise<{ code: string; records: number }[]> {
  const codeRe = new RegExp(book.code_pattern);
  const codeCounts = (await connection.runAndReadAll(`SELECT code, count(*)::BIGINT FROM ${T.rec} GROUP BY code ORDER BY code`)).getRows();
  const seen = codeCounts.map((r) => ({ code: r[0] === null ? null : String(r[0]), records: Number(r[1]) }));
  const badCodes = seen.filter((c) => c.code === null || !codeRe.test(c.code));
  const counts = (
    await connection.runAndReadAll(`SELECT count(*) FILTER (WHERE bad_person)::BIGINT, count(*) FILTER (WHERE week IS NULL)::BIGINT FROM ${T.rec}`)
  ).getRows()[0].map(Number);
  counts.push(badCodes.reduce((n, c) => n + c.records, 0));
  // Persons in the wide layout whose row has only empty cells have no records; check the map too.
  const badMapped = Number((await connection.runAndReadAll(`SELECT count(*)::BIGINT FROM ${T.map} WHERE pseudonym IS NULL`)).getRows()[0][0]);
  if (counts.every((c) => c === 0) && badMapped === 0) return seen as { code: string; records: number }[];

  const badList = badCodes.filter((c) => c.code !== null).map((c) => sqlString(c.code!));
  const isBadCode = (code: string) => `(${code} IS NULL${badList.length ? ` OR ${code} IN (${badList.join(", ")})` : ""})`;

  const keyRe = key.kind === "cpr" ? "'[0-9]{6}-?[0-9]{4}'" : "'[0-9a-fA-F]{64}'";
  const keyMessage = key.kind === "cpr" ? "not a CPR number (DDMMYY-SSSS or DDMMYYSSSS) (ikke et CPR-nummer)" : "not a pseudonym (64 hex digits) (ikke et pseudonym)";
  const personBad = `(${rawPerson} IS NULL OR NOT regexp_full_match(trim(${rawPerson}), ${keyRe}))`;
  const issues: ImportIssue[] = [];
  if (shape.layout === "long") {
    const { y, w } = yearWeekSql(shape, "");
    const weekCol = shape.year === undefined ? shape.week : `${shape.year}/${shape.week}`;
    const weekText =
      shape.year === undefined
        ? `CAST(${sqlIdent(shape.week)} AS VARCHAR)`
        : `CAST(${sqlIdent(shape.year)} AS VARCHAR) || '/' || CAST(${sqlIdent(shape.week)} AS VARCHAR)`;
    const code = `NULLIF(trim(CAST(${sqlIdent(shape.code)} AS VARCHAR)), '')`;
    const rows = await connection.runAndReadAll(`SELECT * FROM (
        SELECT row_number() OVER () AS __row, ${personBad} AS pb, ${weekOrNullSql(y, w)} IS NULL AS wb,
          ${isBadCode(code)} AS cb, ${weekText} AS wt, ${code} AS ct
        FROM ${src}) WHERE pb OR wb OR cb ORDER BY __row LIMIT ${MAX_ISSUES}`);
    for (const r of rows.getRows()) {
      const row = Number(r[0]);
      if (r[1] === true) issues.push({ row, column: shape.person, message: keyMessage });
      if (r[2] === true) issues.push({ row, column: weekCol, message: `${JSON.stringify(r[4])} is not an ISO year-week such as 2024-W07 (ikke en gyldig ISO-uge)` });
      if (r[3] === true) {
        issues.push({
          row,
          column: shape.code,
          message: r[5] === null ? "missing code (manglende kode)" : `code ${JSON.stringify(r[5])} does not match ${book.code_pattern} (ugyldig kode)`,
        });
      }
    }
  } else {
    const cells = shape.weeks.map((c) => `NULLIF(trim(CAST(${sqlIdent(c.column)} AS VARCHAR)), '') AS ${sqlIdent(c.column)}`).join(", ");
    const personRows = await connection.runAndReadAll(`SELECT __row FROM (
        SELECT row_number() OVER () AS __row, ${personBad} AS pb FROM ${src}) WHERE pb ORDER BY __row LIMIT ${MAX_ISSUES}`);
    for (const r of personRows.getRows()) issues.push({ row: Number(r[0]), column: shape.person, message: keyMessage });
    const on = shape.weeks.map((c) => sqlIdent(c.column)).join(", ");
    const codeRowsBad = await connection.runAndReadAll(`SELECT __row, __col, code FROM (
        UNPIVOT (SELECT row_number() OVER () AS __row, ${cells} FROM ${src}) ON ${on} INTO NAME __col VALUE code)
        WHERE ${isBadCode("code")} ORDER BY __row, __col LIMIT ${MAX_ISSUES}`);
    for (const r of codeRowsBad.getRows()) {
      issues.push({ row: Number(r[0]), column: String(r[1]), message: `code ${JSON.stringify(r[2])} does not match ${book.code_pattern} (ugyldig kode)` });
    }
    issues.sort((a, b) => (a.row ?? 0) - (b.row ?? 0));
  }
  const total = counts[0] + counts[1] + counts[2];
  throw new RegisterImportError(
    `malformed extract, ${Math.max(total, issues.length)} bad value(s) (ugyldigt udtræk)`,
    issues.slice(0, MAX_ISSUES),
  );
}

async function loadCodes(connection: DuckDBConnection, book: Codebook, unknown: string[]): Promise<void> {
  const known = codeRows(book);
  const rows = [
    ...known.map((c, i) => `(${sqlString(c.code)}, ${i + 1}, ${CATEGORY_ID[c.category]}, ${c.benefitType === null ? "NULL" : sqlString(c.benefitType)}, ${c.priority})`),
    ...[...unknown].sort().map((code, i) => `(${sqlString(code)}, ${known.length + i + 1}, ${CATEGORY_ID.unknown}, NULL, NULL)`),
  ];
  await connection.run(`CREATE OR REPLACE TEMP TABLE ${T.codes} (code VARCHAR, rank INTEGER, category UTINYINT, benefit_type VARCHAR, priority INTEGER)`);
  await connection.run(`INSERT INTO ${T.codes} VALUES ${rows.join(", ")}`);
}

/** Runs a query while polling DuckDB's progress for it. */
async function withProgress<R>(connection: DuckDBConnection, report: (fraction: number) => void, run: () => Promise<R>): Promise<R> {
  const timer = setInterval(() => {
    const p = connection.progress;
    if (p.percentage >= 0) report(Math.min(1, p.percentage / 100));
  }, 250);
  try {
    return await run();
  } finally {
    clearInterval(timer);
  }
}
