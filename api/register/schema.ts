/**
 * Tables for imported register extracts and the outcomes derived from them. They live beside the
 * store's tables in the same DuckDB database, all prefixed `register_`.
 *
 * register_imports   one row per (trial, extract file hash, code book hash): the import's identity,
 *                    its time and its report. Importing the same extract again finds this row and
 *                    changes nothing.
 * register_persons   the participants found in an import: a small integer per person (so the
 *                    week table does not repeat a 64-character pseudonym ten million times) and the
 *                    span of weeks in which the person is observed.
 * register_codes     the codes of an import: the code book's codes, ranked by priority, then the
 *                    unknown codes found in the extract; `code_id` is the rank.
 * register_weeks     one row per participant-week inside the observed span, after conflicts are
 *                    resolved and gaps filled by the code book's `gap` rule. `category` is one of
 *                    {@link CATEGORY_ID}; `code_id` points into register_codes (null for a filled
 *                    gap). Small integers only: ten million rows are written in seconds.
 * register_outcomes  derived outcome values with provenance.
 *
 * No table holds a CPR number.
 */
import type { DuckDBConnection } from "@duckdb/node-api";

/** Category numbers as stored in `register_weeks.category`. */
export const CATEGORY_ID = {
  benefit: 0,
  self_supporting: 1,
  education: 2,
  other_absence: 3,
  emigrated: 4,
  dead: 5,
  /** A gap under `gap: missing`: the week is not observed. */
  missing: 8,
  /** A code the code book does not know: reported, kept, and treated as not observed. */
  unknown: 9,
} as const;

export const REGISTER_SCHEMA = `
CREATE SEQUENCE IF NOT EXISTS register_import_seq START 1;
CREATE TABLE IF NOT EXISTS register_imports (
  import_no INTEGER PRIMARY KEY, trial_id VARCHAR NOT NULL, extract_sha256 VARCHAR NOT NULL,
  codebook_sha256 VARCHAR NOT NULL, codebook_json VARCHAR NOT NULL, imported_at VARCHAR NOT NULL,
  first_week INTEGER NOT NULL, last_week INTEGER NOT NULL, report_json VARCHAR NOT NULL,
  UNIQUE (trial_id, extract_sha256, codebook_sha256));
CREATE TABLE IF NOT EXISTS register_persons (
  import_no INTEGER NOT NULL, person INTEGER NOT NULL, pseudonym VARCHAR NOT NULL,
  first_week INTEGER NOT NULL, last_week INTEGER NOT NULL, PRIMARY KEY (import_no, person));
CREATE TABLE IF NOT EXISTS register_codes (
  import_no INTEGER NOT NULL, code_id USMALLINT NOT NULL, code VARCHAR NOT NULL, category UTINYINT NOT NULL,
  benefit_type VARCHAR, priority INTEGER, known BOOLEAN NOT NULL, PRIMARY KEY (import_no, code_id));
CREATE TABLE IF NOT EXISTS register_weeks (
  import_no INTEGER NOT NULL, person INTEGER NOT NULL, week INTEGER NOT NULL,
  category UTINYINT NOT NULL, code_id USMALLINT);
CREATE TABLE IF NOT EXISTS register_outcomes (
  trial_id VARCHAR NOT NULL, outcome VARCHAR NOT NULL, pseudonym VARCHAR NOT NULL,
  value DOUBLE, event TINYINT, reason VARCHAR,
  derivation VARCHAR NOT NULL, derivation_version INTEGER NOT NULL, params_json VARCHAR NOT NULL,
  extract_sha256 VARCHAR NOT NULL, codebook_sha256 VARCHAR NOT NULL, imported_at VARCHAR NOT NULL);
`;

/** Creates the register tables when missing. */
export async function ensureRegisterSchema(connection: DuckDBConnection): Promise<void> {
  await connection.run(REGISTER_SCHEMA);
}

export function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

export function sqlIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
