/**
 * The steps of a register import (import.ts), each one or a few SQL statements on the import's
 * connection: the trial's participants, the person key → pseudonym map (HMAC in DuckDB), the
 * records in long form, the validation of keys, weeks and codes, and the code book's codes.
 * The temporary tables are named in `T` and dropped by the import when it ends.
 */
import { createHash } from "node:crypto";
import type { DuckDBConnection } from "@duckdb/node-api";
import { codeRows, type Codebook } from "./codebook.ts";
import { RegisterImportError, weekOrNullSql, yearWeekSql, type ImportIssue, type Shape } from "./extract-file.ts";
import type { PersonKey } from "./import.ts";
import { CATEGORY_ID, sqlIdent, sqlString } from "./schema.ts";

export const MAX_ISSUES = 20;
export const T = { map: "reg_tmp_map", part: "reg_tmp_part", rec: "reg_tmp_rec", codes: "reg_tmp_codes", res: "reg_tmp_res", persons: "reg_tmp_persons", wide: "reg_tmp_wide" };

export async function loadParticipants(connection: DuckDBConnection, participants: readonly string[]): Promise<void> {
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
export async function buildRecords(connection: DuckDBConnection, src: string, shape: Shape, rawPerson: (from: string) => string, key: PersonKey): Promise<void> {
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
export async function validate(
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

export async function loadCodes(connection: DuckDBConnection, book: Codebook, unknown: string[]): Promise<void> {
  const known = codeRows(book);
  const rows = [
    ...known.map((c, i) => `(${sqlString(c.code)}, ${i + 1}, ${CATEGORY_ID[c.category]}, ${c.benefitType === null ? "NULL" : sqlString(c.benefitType)}, ${c.priority})`),
    ...[...unknown].sort().map((code, i) => `(${sqlString(code)}, ${known.length + i + 1}, ${CATEGORY_ID.unknown}, NULL, NULL)`),
  ];
  await connection.run(`CREATE OR REPLACE TEMP TABLE ${T.codes} (code VARCHAR, rank INTEGER, category UTINYINT, benefit_type VARCHAR, priority INTEGER)`);
  await connection.run(`INSERT INTO ${T.codes} VALUES ${rows.join(", ")}`);
}

/** Runs a query while polling DuckDB's progress for it. */
export async function withProgress<R>(connection: DuckDBConnection, report: (fraction: number) => void, run: () => Promise<R>): Promise<R> {
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
