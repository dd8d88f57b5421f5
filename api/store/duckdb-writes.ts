/**
 * The DuckDB store's row writes (Node only), each run on the write connection inside the
 * transaction `duckdb.ts` opens for it: the SQL and the checks that need the stored rows. The hot
 * tables (enrollments, audit) go through long-lived Appenders in `duckdb.ts`; everything here is a
 * few rows per call.
 */
import { blobValue, listValue, type DuckDBConnection } from "@duckdb/node-api";
import { shownValue } from "../audit.ts";
import { blobToHex, hexToBlob, num, str, type Cell } from "./duckdb-rows.ts";
import { StoreError, type NewToken, type NewTrial, type TrialStatusChange } from "./store.ts";
import type { NormalizedBatch } from "./validate.ts";

/** Adds rows to a small table through a per-call Appender (see `duckdb.ts`). */
export type AppendRows = (table: "baseline_corrections" | "withdrawals" | "error_flags" | "outcomes", rows: Cell[][]) => Promise<void>;

/** @throws {StoreError} `duplicate` when the trial id is taken. */
export async function insertTrial(conn: DuckDBConnection, trial: NewTrial): Promise<void> {
  const exists = await conn.runAndReadAll("SELECT 1 FROM trials WHERE trial_id = $1", [trial.id]);
  if (exists.currentRowCount > 0) throw new StoreError("duplicate", `trial ${shownValue(trial.id)} already exists`);
  await conn.run("INSERT INTO trials VALUES ($1, $2, $3, $4)", [trial.id, blobValue(hexToBlob(trial.seed)), blobValue(hexToBlob(trial.seedCommitment)), trial.at]);
  await conn.run("INSERT INTO protocol_versions VALUES ($1, 1, $2, $3, NULL, $4)", [trial.id, blobValue(hexToBlob(trial.protocolHash)), trial.protocolJson, trial.at]);
  if (trial.protocolSource !== undefined) await conn.run("INSERT INTO protocol_sources VALUES ($1, 1, $2)", [trial.id, trial.protocolSource]);
}

/** Adds the next protocol version of a trial; returns its number. */
export async function insertAmendment(
  conn: DuckDBConnection,
  trialId: string,
  amendment: { protocolHash: string; protocolJson: string; reason: string; at: string },
): Promise<number> {
  const r = await conn.runAndReadAll("SELECT max(version) FROM protocol_versions WHERE trial_id = $1", [trialId]);
  const version = num(r.getRows()[0][0]) + 1;
  await conn.run("INSERT INTO protocol_versions VALUES ($1, $2, $3, $4, $5, $6)", [
    trialId, version, blobValue(hexToBlob(amendment.protocolHash)), amendment.protocolJson, amendment.reason, amendment.at,
  ]);
  return version;
}

export async function insertStatus(conn: DuckDBConnection, trialId: string, change: TrialStatusChange): Promise<void> {
  const r = await conn.runAndReadAll("SELECT count(*) FROM trial_status WHERE trial_id = $1", [trialId]);
  await conn.run("INSERT INTO trial_status VALUES ($1, $2, $3, $4, $5)", [trialId, num(r.getRows()[0][0]) + 1, change.status, change.reason, change.at]);
}

export async function insertToken(conn: DuckDBConnection, token: NewToken): Promise<void> {
  await conn.run("INSERT INTO tokens VALUES ($1, $2, $3, $4, $5, $6)", [
    token.id, blobValue(hexToBlob(token.hash)), token.role, token.site, token.name, token.createdAt,
  ]);
}

/** @throws {StoreError} `not_found` for an unknown token, `conflict` for one already revoked. */
export async function insertRevocation(conn: DuckDBConnection, id: string, revocation: { reason: string; at: string }): Promise<void> {
  const r = await conn.runAndReadAll("SELECT r.token_id FROM tokens t LEFT JOIN token_revocations r ON r.token_id = t.token_id WHERE t.token_id = $1", [id]);
  if (r.currentRowCount === 0) throw new StoreError("not_found", `unknown token ${shownValue(id)}`);
  if (r.getRows()[0][0] !== null) throw new StoreError("conflict", `token ${shownValue(id)} is already revoked`);
  await conn.run("INSERT INTO token_revocations VALUES ($1, $2, $3)", [id, revocation.reason, revocation.at]);
}

/**
 * Records the pseudonym key's fingerprint on first use, and afterwards refuses another key.
 * @throws {StoreError} `key_mismatch`.
 */
export async function bindFingerprint(conn: DuckDBConnection, fingerprint: string): Promise<void> {
  const r = await conn.runAndReadAll("SELECT value FROM meta WHERE name = 'key_fingerprint'");
  if (r.currentRowCount === 0) {
    await conn.run("INSERT INTO meta VALUES ('key_fingerprint', $1)", [blobValue(hexToBlob(fingerprint))]);
  } else if (blobToHex(r.getRows()[0][0]) !== fingerprint) {
    throw new StoreError(
      "key_mismatch",
      "the pseudonym key differs from the one this database was made with; repeat enrollments would not be recognized " +
        "(pseudonymnøglen er ikke den, databasen blev oprettet med)",
    );
  }
}

/** @throws {StoreError} `not_found` naming the first public id the trial has not enrolled. */
export async function assertEnrolled(conn: DuckDBConnection, trialId: string, publicIds: readonly string[]): Promise<void> {
  if (publicIds.length === 0) return;
  const r = await conn.runAndReadAll(
    // A hash join, not list_contains per row: register imports refer to many thousands of people.
    "SELECT e.public_id FROM enrollments e JOIN (SELECT unnest($2::VARCHAR[]) AS id) r ON e.public_id = r.id WHERE e.trial_id = $1",
    [trialId, listValue([...publicIds])],
  );
  const found = new Set(r.getRows().map(([id]) => str(id)));
  const missing = publicIds.find((id) => !found.has(id));
  if (missing !== undefined) throw new StoreError("not_found", `unknown participant ${shownValue(missing)} in trial ${shownValue(trialId)}`);
}

/** A batch's rows about enrolled participants, each tagged with the batch's first audit entry. */
export async function appendParticipantRows(append: AppendRows, trialId: string, entry: number, b: NormalizedBatch): Promise<void> {
  await append("baseline_corrections", b.baselineCorrections.map((c, i) => [trialId, entry, i, c.publicId, c.baselineJson, c.reason, c.at]));
  await append("withdrawals", b.withdrawals.map((w, i) => [trialId, entry, i, w.publicId, w.effective, w.reason, w.at]));
  await append("error_flags", b.errorFlags.map((f, i) => [trialId, entry, i, f.publicId, f.reason, f.at]));
  await append(
    "outcomes",
    b.outcomes.map((o, i) => [trialId, entry, i, o.publicId, o.outcome, o.timePoint, o.valueJson, o.observedAt, o.source, o.recordedAt]),
  );
}
