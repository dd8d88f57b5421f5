/**
 * The DuckDB store's reads (Node only): each a query on a connection it is given and the mapping of
 * its rows, so that `duckdb.ts` keeps only what needs the store's state (connections, locks, caches,
 * the writer). Scoped reads of participant data take a `ReadScope` and filter by site in SQL.
 */
import { blobValue, type DuckDBConnection, type DuckDBValue } from "@duckdb/node-api";
import type { AuditEntry, AuditRole, ChainHead } from "../audit.ts";
import { blobToHex, hexToBlob, num, str, strOrNull } from "./duckdb-rows.ts";
import type {
  BaselineCorrection,
  EnrollmentRecord,
  ErrorFlag,
  OutcomeValue,
  Page,
  ReadScope,
  Role,
  TokenRecord,
  TrialRecord,
  TrialStatus,
  Withdrawal,
} from "./store.ts";
import { assertHex64, validatePage, validateScope } from "./validate.ts";

// ----------------------------------------------------------------------------- trials

/** A trial with its protocol versions and status history, or null. */
export async function queryTrial(conn: DuckDBConnection, trialId: string): Promise<TrialRecord | null> {
  const t = await conn.runAndReadAll("SELECT seed, seed_commitment, created_at FROM trials WHERE trial_id = $1", [trialId]);
  if (t.currentRowCount === 0) return null;
  const [seed, commitment, createdAt] = t.getRows()[0];
  const versions = (
    await conn.runAndReadAll(
      "SELECT v.version, v.protocol_hash, v.protocol_json, v.reason, v.at_utc, s.source FROM protocol_versions v " +
        "LEFT JOIN protocol_sources s ON s.trial_id = v.trial_id AND s.version = v.version WHERE v.trial_id = $1 ORDER BY v.version",
      [trialId],
    )
  )
    .getRows()
    .map(([version, hash, json, reason, at, source]) => ({
      version: num(version), protocolHash: blobToHex(hash), protocolJson: str(json), reason: strOrNull(reason), at: str(at), source: strOrNull(source),
    }));
  const statusHistory = (await conn.runAndReadAll("SELECT status, reason, at_utc FROM trial_status WHERE trial_id = $1 ORDER BY n", [trialId]))
    .getRows()
    .map(([status, reason, at]) => ({ status: str(status) as TrialStatus, reason: strOrNull(reason), at: str(at) }));
  return {
    id: trialId,
    seed: blobToHex(seed),
    seedCommitment: blobToHex(commitment),
    createdAt: str(createdAt),
    status: statusHistory.at(-1)?.status ?? "registered",
    statusHistory,
    versions,
  };
}

export async function queryTrialIds(conn: DuckDBConnection): Promise<string[]> {
  return (await conn.runAndReadAll("SELECT trial_id FROM trials ORDER BY created_at, trial_id")).getRows().map(([id]) => str(id));
}

// ----------------------------------------------------------------------------- participants

const ENROLLMENT_COLUMNS = "sequence, pseudonym, public_id, site, arm, stratum, protocol_version, baseline, enrolled_at";

function enrollmentOf(row: DuckDBValue[]): EnrollmentRecord {
  const [sequence, pseudonym, publicId, site, arm, stratum, version, baseline, at] = row;
  return {
    sequence: num(sequence),
    pseudonym: blobToHex(pseudonym),
    publicId: str(publicId),
    site: str(site),
    arm: str(arm),
    stratum: strOrNull(stratum),
    protocolVersion: num(version),
    baseline: JSON.parse(str(baseline)),
    enrolledAt: str(at),
  };
}

/**
 * `AND site = $n` for a site scope and `AND public_id = $m` for one participant (columns of the
 * enrollments table, behind `prefix`); the parameter list gets their values appended.
 */
function scoped(scope: ReadScope, params: DuckDBValue[], prefix = ""): string {
  const s = validateScope(scope);
  let sql = "";
  if (s.kind === "site") {
    params.push(s.site);
    sql += ` AND ${prefix}site = $${params.length}`;
  }
  if (s.participant !== undefined) {
    params.push(s.participant);
    sql += ` AND ${prefix}public_id = $${params.length}`;
  }
  return sql;
}

export async function queryEnrollment(
  conn: DuckDBConnection,
  trialId: string,
  by: { pseudonym: string } | { publicId: string },
  scope: ReadScope,
): Promise<EnrollmentRecord | null> {
  const params: DuckDBValue[] = [trialId];
  let where: string;
  if ("pseudonym" in by) {
    params.push(blobValue(hexToBlob(assertHex64(by.pseudonym, "pseudonym"))));
    where = "pseudonym = $2";
  } else {
    params.push(by.publicId);
    where = "public_id = $2";
  }
  const r = await conn.runAndReadAll(`SELECT ${ENROLLMENT_COLUMNS} FROM enrollments WHERE trial_id = $1 AND ${where}${scoped(scope, params)}`, params);
  return r.currentRowCount === 0 ? null : enrollmentOf(r.getRows()[0]);
}

export async function queryEnrollments(conn: DuckDBConnection, trialId: string, scope: ReadScope, page?: Page): Promise<EnrollmentRecord[]> {
  const { after, limit } = validatePage(page);
  const params: DuckDBValue[] = [trialId, BigInt(after)];
  const where = scoped(scope, params);
  params.push(BigInt(Math.min(limit, Number.MAX_SAFE_INTEGER)));
  const r = await conn.runAndReadAll(
    `SELECT ${ENROLLMENT_COLUMNS} FROM enrollments WHERE trial_id = $1 AND sequence > $2${where} ORDER BY sequence LIMIT $${params.length}`,
    params,
  );
  return r.getRows().map(enrollmentOf);
}

export async function countEnrollments(conn: DuckDBConnection, trialId: string, scope: ReadScope): Promise<number> {
  const params: DuckDBValue[] = [trialId];
  const where = scoped(scope, params);
  return num((await conn.runAndReadAll(`SELECT count(*) FROM enrollments WHERE trial_id = $1${where}`, params)).getRows()[0][0]);
}

/** Rows of a participant-linked table, scoped through the participant's enrollment site. */
async function queryLinked(conn: DuckDBConnection, table: string, columns: string, trialId: string, scope: ReadScope): Promise<DuckDBValue[][]> {
  const params: DuckDBValue[] = [trialId];
  const where = scoped(scope, params, "e.");
  const cols = columns.split(",").map((c) => `t.${c.trim()}`).join(", ");
  const r = await conn.runAndReadAll(
    `SELECT ${cols} FROM ${table} t JOIN enrollments e ON e.trial_id = t.trial_id AND e.public_id = t.public_id WHERE t.trial_id = $1${where} ORDER BY t.entry, t.ord`,
    params,
  );
  return r.getRows();
}

export async function queryBaselineCorrections(conn: DuckDBConnection, trialId: string, scope: ReadScope): Promise<BaselineCorrection[]> {
  const rows = await queryLinked(conn, "baseline_corrections", "public_id, baseline, reason, at_utc", trialId, scope);
  return rows.map(([publicId, baseline, reason, at]) => ({ publicId: str(publicId), baseline: JSON.parse(str(baseline)), reason: str(reason), at: str(at) }));
}

export async function queryWithdrawals(conn: DuckDBConnection, trialId: string, scope: ReadScope): Promise<Withdrawal[]> {
  const rows = await queryLinked(conn, "withdrawals", "public_id, effective, reason, at_utc", trialId, scope);
  return rows.map(([publicId, effective, reason, at]) => ({ publicId: str(publicId), effective: str(effective), reason: str(reason), at: str(at) }));
}

export async function queryErrorFlags(conn: DuckDBConnection, trialId: string, scope: ReadScope): Promise<ErrorFlag[]> {
  const rows = await queryLinked(conn, "error_flags", "public_id, reason, at_utc", trialId, scope);
  return rows.map(([publicId, reason, at]) => ({ publicId: str(publicId), reason: str(reason), at: str(at) }));
}

export async function queryOutcomes(conn: DuckDBConnection, trialId: string, scope: ReadScope): Promise<OutcomeValue[]> {
  const rows = await queryLinked(conn, "outcomes", "public_id, outcome, time_point, value, observed_at, source, recorded_at", trialId, scope);
  return rows.map(([publicId, outcome, timePoint, value, observedAt, source, recordedAt]) => ({
    publicId: str(publicId),
    outcome: str(outcome),
    timePoint: strOrNull(timePoint),
    value: JSON.parse(str(value)),
    observedAt: str(observedAt),
    source: str(source) as OutcomeValue["source"],
    recordedAt: str(recordedAt),
  }));
}

// ----------------------------------------------------------------------------- tokens

const TOKEN_SELECT =
  "SELECT t.token_id, t.token_hash, t.role, t.site, t.name, t.created_at, r.at_utc, r.reason FROM tokens t LEFT JOIN token_revocations r ON r.token_id = t.token_id";

function tokenOf(row: DuckDBValue[]): TokenRecord {
  const [id, hash, role, site, name, createdAt, revokedAt, revokeReason] = row;
  return {
    id: str(id),
    hash: blobToHex(hash),
    role: str(role) as Role,
    site: strOrNull(site),
    name: str(name),
    createdAt: str(createdAt),
    revokedAt: strOrNull(revokedAt),
    revokeReason: strOrNull(revokeReason),
  };
}

/** A token by its hash (64 lowercase hex digits) or by its id; null if there is none. */
export async function queryToken(conn: DuckDBConnection, by: { hash: string } | { id: string }): Promise<TokenRecord | null> {
  const r =
    "hash" in by
      ? await conn.runAndReadAll(`${TOKEN_SELECT} WHERE t.token_hash = $1`, [blobValue(hexToBlob(by.hash))])
      : await conn.runAndReadAll(`${TOKEN_SELECT} WHERE t.token_id = $1`, [by.id]);
  return r.currentRowCount === 0 ? null : tokenOf(r.getRows()[0]);
}

export async function queryTokens(conn: DuckDBConnection): Promise<TokenRecord[]> {
  return (await conn.runAndReadAll(`${TOKEN_SELECT} ORDER BY t.created_at, t.token_id`)).getRows().map(tokenOf);
}

// ----------------------------------------------------------------------------- audit

export async function queryAudit(conn: DuckDBConnection, chain: string, page?: Page): Promise<AuditEntry[]> {
  const { after, limit } = validatePage(page);
  const r = await conn.runAndReadAll(
    "SELECT chain, seq, at_utc, token_id, role, action, target, reason, prev_hash, hash FROM audit " +
      // A chain's seqs run 1, 2, 3... without gaps, so the page is also the seq range
      // (after, max(after, 0) + limit]: the bound lets DuckDB skip row groups by their seq statistics
      // instead of reading the whole chain.
      "WHERE chain = $1 AND seq > $2 AND seq <= $4 ORDER BY seq LIMIT $3",
    [chain, BigInt(after), BigInt(limit), BigInt(Math.max(after, 0)) + BigInt(limit)],
  );
  return r.getRows().map(([c, seq, at, tokenId, role, action, target, reason, prevHash, hash]) => ({
    chain: str(c),
    seq: num(seq),
    at: str(at),
    tokenId: strOrNull(tokenId),
    role: str(role) as AuditRole,
    action: str(action),
    target: str(target),
    reason: strOrNull(reason),
    prevHash: blobToHex(prevHash),
    hash: blobToHex(hash),
  }));
}

/** The last entry's seq and hash of a chain, or null for an empty chain. */
export async function queryAuditHead(conn: DuckDBConnection, chain: string): Promise<ChainHead | null> {
  const r = await conn.runAndReadAll("SELECT seq, hash FROM audit WHERE chain = $1 ORDER BY seq DESC LIMIT 1", [chain]);
  return r.currentRowCount === 0 ? null : { seq: num(r.getRows()[0][0]), hash: blobToHex(r.getRows()[0][1]) };
}
