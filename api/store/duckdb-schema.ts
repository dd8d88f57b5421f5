/**
 * The DuckDB store's tables, the schema version check and the check against the head sidecar
 * (`duckdb-heads.ts`) that makes a damaged write-ahead log fail loudly on open (Node only).
 */
import { blobValue, type DuckDBBlobValue, type DuckDBConnection } from "@duckdb/node-api";
import { shownValue, type ChainHead } from "../audit.ts";
import type { HeadLedger } from "./duckdb-heads.ts";
import { blobToHex, num, str } from "./duckdb-rows.ts";
import { StoreError } from "./store.ts";

const SCHEMA_VERSION = "1";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (name VARCHAR PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS trials (
  trial_id VARCHAR PRIMARY KEY, seed BLOB NOT NULL, seed_commitment BLOB NOT NULL, created_at VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS protocol_versions (
  trial_id VARCHAR NOT NULL, version INTEGER NOT NULL, protocol_hash BLOB NOT NULL, protocol_json VARCHAR NOT NULL,
  reason VARCHAR, at_utc VARCHAR NOT NULL, PRIMARY KEY (trial_id, version));
CREATE TABLE IF NOT EXISTS protocol_sources (
  trial_id VARCHAR NOT NULL, version INTEGER NOT NULL, source VARCHAR NOT NULL, PRIMARY KEY (trial_id, version));
CREATE TABLE IF NOT EXISTS trial_status (
  trial_id VARCHAR NOT NULL, n INTEGER NOT NULL, status VARCHAR NOT NULL, reason VARCHAR, at_utc VARCHAR NOT NULL,
  PRIMARY KEY (trial_id, n));
CREATE TABLE IF NOT EXISTS enrollments (
  trial_id VARCHAR NOT NULL, sequence BIGINT NOT NULL, pseudonym BLOB NOT NULL, public_id VARCHAR NOT NULL,
  site VARCHAR NOT NULL, arm VARCHAR NOT NULL, stratum VARCHAR, protocol_version INTEGER NOT NULL,
  baseline VARCHAR NOT NULL, enrolled_at VARCHAR NOT NULL,
  UNIQUE (trial_id, pseudonym), UNIQUE (trial_id, sequence), UNIQUE (trial_id, public_id));
CREATE TABLE IF NOT EXISTS baseline_corrections (
  trial_id VARCHAR NOT NULL, entry BIGINT NOT NULL, ord INTEGER NOT NULL, public_id VARCHAR NOT NULL,
  baseline VARCHAR NOT NULL, reason VARCHAR NOT NULL, at_utc VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS withdrawals (
  trial_id VARCHAR NOT NULL, entry BIGINT NOT NULL, ord INTEGER NOT NULL, public_id VARCHAR NOT NULL,
  effective VARCHAR NOT NULL, reason VARCHAR NOT NULL, at_utc VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS error_flags (
  trial_id VARCHAR NOT NULL, entry BIGINT NOT NULL, ord INTEGER NOT NULL, public_id VARCHAR NOT NULL,
  reason VARCHAR NOT NULL, at_utc VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS outcomes (
  trial_id VARCHAR NOT NULL, entry BIGINT NOT NULL, ord INTEGER NOT NULL, public_id VARCHAR NOT NULL,
  outcome VARCHAR NOT NULL, time_point VARCHAR, value VARCHAR NOT NULL, observed_at VARCHAR NOT NULL,
  source VARCHAR NOT NULL, recorded_at VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
  token_id VARCHAR PRIMARY KEY, token_hash BLOB NOT NULL UNIQUE, role VARCHAR NOT NULL, site VARCHAR,
  name VARCHAR NOT NULL, created_at VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS token_revocations (token_id VARCHAR PRIMARY KEY, reason VARCHAR NOT NULL, at_utc VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS audit (
  chain VARCHAR NOT NULL, seq BIGINT NOT NULL, at_utc VARCHAR NOT NULL, token_id VARCHAR, role VARCHAR NOT NULL,
  action VARCHAR NOT NULL, target VARCHAR NOT NULL, reason VARCHAR, prev_hash BLOB NOT NULL, hash BLOB NOT NULL,
  PRIMARY KEY (chain, seq));
`;

/** Creates missing tables and refuses a database made with another schema version. */
export async function migrate(conn: DuckDBConnection, path: string): Promise<void> {
  for (const statement of SCHEMA.split(";").map((s) => s.trim()).filter(Boolean)) await conn.run(statement);
  const version = await conn.runAndReadAll("SELECT value FROM meta WHERE name = 'schema_version'");
  if (version.currentRowCount === 0) {
    await conn.run("INSERT INTO meta VALUES ('schema_version', $1)", [blobValue(SCHEMA_VERSION)]);
  } else if (Buffer.from((version.getRows()[0][0] as DuckDBBlobValue).bytes).toString() !== SCHEMA_VERSION) {
    throw new StoreError("invalid", `database ${path} has another schema version; expected ${SCHEMA_VERSION}`);
  }
}

/**
 * Every chain head recorded in the sidecar must be in the database with the same hash, or the open
 * fails with `StoreError("corrupt")`; then the sidecar is rewritten from the database's heads.
 */
export async function checkLedger(ledger: HeadLedger, conn: DuckDBConnection, path: string, warn: (m: string) => void): Promise<void> {
  const recorded = ledger.read();
  const actual = new Map<string, ChainHead>();
  const rows = await conn.runAndReadAll(
    "SELECT chain, max(seq) FROM audit GROUP BY chain",
  );
  for (const [chain, seq] of rows.getRows()) actual.set(str(chain), { seq: num(seq), hash: "" });
  for (const [chain, head] of recorded) {
    const found = await conn.runAndReadAll("SELECT hash FROM audit WHERE chain = $1 AND seq = $2", [chain, BigInt(head.seq)]);
    const hash = found.currentRowCount === 0 ? null : blobToHex(found.getRows()[0][0]);
    if (hash !== head.hash) {
      const have = actual.get(chain)?.seq ?? 0;
      throw new StoreError(
        "corrupt",
        `database ${path} is missing committed data: audit chain ${shownValue(chain)} was committed up to seq ${head.seq}, ` +
          `but the database ${hash === null ? `ends at seq ${have}` : "holds another entry there"}; the write-ahead log is damaged or the file is an older copy ` +
          `(databasen mangler bekræftede data; WAL-filen er beskadiget eller filen er en ældre kopi)`,
      );
    }
  }
  if (recorded.size === 0 && actual.size > 0) {
    warn(`ADVARSEL/WARNING: ${ledger.path} is missing; cannot check ${path} for lost commits this time. A new one is started.`);
  }
  const heads = new Map<string, ChainHead>();
  for (const chain of actual.keys()) {
    const last = await conn.runAndReadAll("SELECT seq, hash FROM audit WHERE chain = $1 ORDER BY seq DESC LIMIT 1", [chain]);
    const [seq, hash] = last.getRows()[0];
    heads.set(chain, { seq: num(seq), hash: blobToHex(hash) });
  }
  ledger.reset(heads);
}
