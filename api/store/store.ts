/**
 * The `Store`: everything virker keeps, behind one interface with two adapters: DuckDB in Node
 * (`duckdb.ts`) and a Durable Object per trial on Workers. Routes and services see only this file.
 *
 * Shape of the contract, chosen so that both adapters can honour it:
 * - **Append-only.** Nothing is updated or deleted. A correction, a withdrawal, a randomized-in-error
 *   flag, an amendment or a status change is a new row that refers to what it changes.
 * - **Every write carries its audit entries** and is one atomic call: the data rows and the audit
 *   entries commit together or not at all. The store links the drafts onto the chain (seq, prevHash,
 *   hash), so the chain head lives with the data that it covers.
 * - **One writer per trial.** All writes of a trial go to one serialized writer (the Node process's
 *   single write connection; the trial's Durable Object). Batches are small (see `limits`).
 * - **Reads of participants are scoped** by a required `ReadScope`; a municipality reads its site only.
 * - **Plain JSON in and out**, async everywhere, no Node types: the same values cross a Durable Object
 *   boundary unchanged.
 * - **No CPR ever enters.** Participants are known by a pseudonym (64 hex digits) and a public id;
 *   free text (baseline values, reasons, names, targets) that contains a CPR-shaped run of digits is
 *   refused with `StoreError("personal_data")`.
 */
import { assertAuditDraft, assertChainName, REGISTRY_CHAIN, type AuditDraft, type AuditEntry, type ChainHead } from "../audit.ts";

export { REGISTRY_CHAIN };
export type { AuditDraft, AuditEntry, ChainHead };

export type Role = "agency" | "municipality" | "researcher";
export const ROLES: readonly Role[] = ["agency", "municipality", "researcher"];

export type TrialStatus = "registered" | "open" | "closed";
export const TRIAL_STATUSES: readonly TrialStatus[] = ["registered", "open", "closed"];

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** One frozen version of a trial's protocol. Version 1 is the registered one; later ones are amendments. */
export interface ProtocolVersion {
  version: number;
  /** Canonical SHA-256 of the protocol, 64 lowercase hex digits. */
  protocolHash: string;
  /** The protocol as canonical JSON text, exactly as frozen. */
  protocolJson: string;
  /** Why the amendment was made; null for version 1. */
  reason: string | null;
  at: string;
}

export interface TrialStatusChange {
  status: TrialStatus;
  reason: string | null;
  at: string;
}

export interface NewTrial {
  id: string;
  /** 256-bit seed, 64 lowercase hex digits. Secret until revealed in the evidence package. */
  seed: string;
  /** SHA-256 of the seed's bytes, 64 lowercase hex digits, published at registration. */
  seedCommitment: string;
  protocolHash: string;
  protocolJson: string;
  at: string;
}

export interface TrialRecord {
  id: string;
  seed: string;
  seedCommitment: string;
  createdAt: string;
  /** The last status change's status; `registered` before any. */
  status: TrialStatus;
  statusHistory: TrialStatusChange[];
  /** All protocol versions, oldest first; the last one is current. */
  versions: ProtocolVersion[];
}

/** One allocation. Never changes once written. */
export interface EnrollmentRecord {
  /** Position in the trial's allocation order, a non-negative safe integer, unique per trial. */
  sequence: number;
  /** HMAC of the CPR (`pseudonym.ts`), unique per trial. */
  pseudonym: string;
  /** Per-trial public participant id, unique per trial. */
  publicId: string;
  site: string;
  arm: string;
  stratum: string | null;
  /** The protocol version in force when this person was allocated. */
  protocolVersion: number;
  /** Baseline covariates as entered at enrollment (what the allocation saw). */
  baseline: JsonObject;
  enrolledAt: string;
}

/** A correction of baseline values: the corrected fields only. The allocation is never changed. */
export interface BaselineCorrection {
  publicId: string;
  baseline: JsonObject;
  reason: string;
  at: string;
}

/** The participant stays in the intention-to-treat data; outcomes observed after `effective` are refused by the service. */
export interface Withdrawal {
  publicId: string;
  /** The day the withdrawal takes effect, `YYYY-MM-DD`. */
  effective: string;
  reason: string;
  at: string;
}

/** The participant should not have been randomized (e.g. was ineligible). Recorded, never deleted. */
export interface ErrorFlag {
  publicId: string;
  reason: string;
  at: string;
}

export interface OutcomeValue {
  publicId: string;
  /** The protocol's outcome name. */
  outcome: string;
  /** The protocol's time point (e.g. `week-52`), or null for outcomes without one. */
  timePoint: string | null;
  value: JsonValue;
  /** When the value was observed: `YYYY-MM-DD` or an ISO time. */
  observedAt: string;
  source: "site" | "register";
  recordedAt: string;
}

/**
 * One atomic write to a trial: any mix of rows plus at least one audit draft. Rows that refer to a
 * participant (`publicId`) must refer to one enrolled in this trial, earlier or in this same batch.
 */
export interface TrialBatch {
  enrollments?: EnrollmentRecord[];
  baselineCorrections?: BaselineCorrection[];
  withdrawals?: Withdrawal[];
  errorFlags?: ErrorFlag[];
  outcomes?: OutcomeValue[];
  audit: AuditDraft[];
}

export interface TokenRecord {
  id: string;
  /** SHA-256 of the bearer token, 64 lowercase hex digits. The token itself is never stored. */
  hash: string;
  role: Role;
  /** The one site of a municipality token; null for other roles. */
  site: string | null;
  name: string;
  createdAt: string;
  revokedAt: string | null;
  revokeReason: string | null;
}

export type NewToken = Omit<TokenRecord, "revokedAt" | "revokeReason">;

/** Which participants a read may see. Required on every participant read so that no route forgets it. */
export type ReadScope = { kind: "all" } | { kind: "site"; site: string };
export const ALL_SITES: ReadScope = Object.freeze({ kind: "all" });
export const siteScope = (site: string): ReadScope => ({ kind: "site", site });

export interface Page {
  /** Only rows with a sequence (enrollments) or seq (audit) greater than this. */
  after?: number;
  limit?: number;
}

export interface StoreLimits {
  /** Most rows (of all kinds, audit included) one `append` accepts. Callers split larger uploads. */
  maxBatchRows: number;
}

export interface Store {
  readonly limits: StoreLimits;

  // Trials: the first audit entry of a trial's chain is written with the trial.
  createTrial(trial: NewTrial, audit: AuditDraft[]): Promise<AuditEntry[]>;
  /** Adds the next protocol version; returns its number. Earlier allocations keep their version. */
  amendTrial(
    trialId: string,
    amendment: { protocolHash: string; protocolJson: string; reason: string; at: string },
    audit: AuditDraft[],
  ): Promise<{ version: number; audit: AuditEntry[] }>;
  setTrialStatus(trialId: string, change: TrialStatusChange, audit: AuditDraft[]): Promise<AuditEntry[]>;
  getTrial(trialId: string): Promise<TrialRecord | null>;
  listTrialIds(): Promise<string[]>;

  /**
   * THE write: appends a batch of rows of one trial with their audit entries, atomically. A batch
   * that breaks any rule (duplicate pseudonym, sequence or public id, unknown participant, CPR-shaped
   * text) fails as a whole; nothing of it is written.
   * @throws {StoreError} `not_found` (trial), `duplicate`, `invalid`, `personal_data`, `too_large`.
   */
  append(trialId: string, batch: TrialBatch): Promise<AuditEntry[]>;

  findEnrollment(
    trialId: string,
    by: { pseudonym: string } | { publicId: string },
    scope: ReadScope,
  ): Promise<EnrollmentRecord | null>;
  /** Enrollments in sequence order. */
  listEnrollments(trialId: string, scope: ReadScope, page?: Page): Promise<EnrollmentRecord[]>;
  countEnrollments(trialId: string, scope: ReadScope): Promise<number>;
  /**
   * Everything needed to rebuild a trial's allocator state after a restart: every enrollment in
   * sequence order, with the baseline as entered (corrections never change an allocation).
   */
  loadAllocationHistory(trialId: string): Promise<EnrollmentRecord[]>;
  listBaselineCorrections(trialId: string, scope: ReadScope): Promise<BaselineCorrection[]>;
  listWithdrawals(trialId: string, scope: ReadScope): Promise<Withdrawal[]>;
  listErrorFlags(trialId: string, scope: ReadScope): Promise<ErrorFlag[]>;
  listOutcomes(trialId: string, scope: ReadScope): Promise<OutcomeValue[]>;

  // Tokens live in the registry chain.
  putToken(token: NewToken, audit: AuditDraft[]): Promise<AuditEntry[]>;
  findTokenByHash(hash: string): Promise<TokenRecord | null>;
  getToken(id: string): Promise<TokenRecord | null>;
  listTokens(): Promise<TokenRecord[]>;
  /** @throws {StoreError} `not_found`, or `conflict` if already revoked. */
  revokeToken(id: string, revocation: { reason: string; at: string }, audit: AuditDraft[]): Promise<AuditEntry[]>;

  /** Appends audit entries alone (reads of person-level data, logins...). */
  appendAudit(chain: string, drafts: AuditDraft[]): Promise<AuditEntry[]>;
  readAudit(chain: string, page?: Page): Promise<AuditEntry[]>;
  auditHead(chain: string): Promise<ChainHead | null>;

  /**
   * Records the pseudonym key's fingerprint on first use and refuses a different one afterwards: a
   * new key would make every returning person look new.
   * @throws {StoreError} `key_mismatch`.
   */
  bindKeyFingerprint(fingerprint: string): Promise<void>;

  close(): Promise<void>;
}

export type StoreErrorCode =
  | "not_found"
  | "duplicate"
  | "invalid"
  | "conflict"
  | "personal_data"
  | "too_large"
  | "key_mismatch"
  | "corrupt"
  | "closed";

/** A refused or failed store operation. Messages name the field and rule, never a participant's data. */
export class StoreError extends Error {
  readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StoreError";
    this.code = code;
  }
}

// ---------------------------------------------------------------------------------------------
// Validation shared by the adapters, so both refuse the same things with the same messages.

/** A CPR-shaped run of digits anywhere in a text: `DDMMYY-SSSS` or ten digits. */
export const CPR_SHAPED = /\d{6}-?\d{4}/;
const HEX64 = /^[0-9a-f]{64}$/;
const IDENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

const invalid = (message: string) => new StoreError("invalid", message);

function text(value: unknown, field: string, max = 2000): string {
  if (typeof value !== "string" || value.length === 0 || value.length > max) {
    throw invalid(`invalid ${field}; not a string of 1-${max} characters`);
  }
  if (CPR_SHAPED.test(value)) {
    throw new StoreError("personal_data", `refused ${field}; it contains a CPR-shaped number (indeholder et CPR-lignende nummer)`);
  }
  return value;
}

function optionalText(value: unknown, field: string, max = 2000): string | null {
  return value === null ? null : text(value, field, max);
}

export function assertIdent(value: unknown, field: string): string {
  if (typeof value !== "string" || !IDENT.test(value)) {
    throw invalid(`invalid ${field}; not 1-64 of [A-Za-z0-9._-] starting with a letter or digit`);
  }
  if (CPR_SHAPED.test(value)) throw new StoreError("personal_data", `refused ${field}; it contains a CPR-shaped number`);
  return value;
}

export function assertHex64(value: unknown, field: string): string {
  if (typeof value !== "string" || !HEX64.test(value)) throw invalid(`invalid ${field}; not 64 lowercase hex digits`);
  return value;
}

function time(value: unknown, field: string): string {
  if (typeof value !== "string" || !ISO_UTC.test(value) || Number.isNaN(Date.parse(value))) {
    throw invalid(`invalid ${field}; not an ISO UTC time with milliseconds: ${JSON.stringify(String(value).slice(0, 40))}`);
  }
  return value;
}

function day(value: unknown, field: string): string {
  if (typeof value !== "string" || !DAY.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw invalid(`invalid ${field}; not a YYYY-MM-DD date`);
  }
  return value;
}

function dayOrTime(value: unknown, field: string): string {
  if (typeof value === "string" && DAY.test(value)) return day(value, field);
  return time(value, field);
}

/** JSON text of an object whose text has no CPR-shaped run of digits. */
export function jsonObjectText(value: unknown, field: string, max = 64_000): string {
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw invalid(`invalid ${field}; not a JSON object`);
  return jsonText(value, field, max);
}

export function jsonText(value: unknown, field: string, max = 64_000): string {
  let out: string | undefined;
  try {
    out = JSON.stringify(value);
  } catch {
    out = undefined;
  }
  if (out === undefined) throw invalid(`invalid ${field}; not JSON-serializable`);
  if (out.length > max) throw invalid(`invalid ${field}; JSON text longer than ${max} characters`);
  if (CPR_SHAPED.test(out)) {
    throw new StoreError("personal_data", `refused ${field}; it contains a CPR-shaped number (indeholder et CPR-lignende nummer)`);
  }
  return out;
}

function publicIdOf(value: unknown, field: string): string {
  return text(value, field, 64);
}

function sequenceOf(value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw invalid("invalid enrollment sequence; not a non-negative safe integer");
  }
  return value;
}

function positiveInt(value: unknown, field: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) throw invalid(`invalid ${field}; not a positive integer`);
  return value;
}

export function validateAudit(drafts: readonly AuditDraft[], chain: string): void {
  try {
    assertChainName(chain);
    if (!Array.isArray(drafts) || drafts.length === 0) throw invalid("invalid audit; every write needs at least one audit entry");
    for (const d of drafts) {
      assertAuditDraft(d);
      text(d.target, "audit target", 256);
      optionalText(d.reason, "audit reason");
    }
  } catch (e) {
    if (e instanceof StoreError) throw e;
    throw invalid((e as Error).message);
  }
}

/** Total rows a batch writes, audit included. */
export function batchRows(batch: TrialBatch): number {
  return (
    (batch.enrollments?.length ?? 0) +
    (batch.baselineCorrections?.length ?? 0) +
    (batch.withdrawals?.length ?? 0) +
    (batch.errorFlags?.length ?? 0) +
    (batch.outcomes?.length ?? 0) +
    batch.audit.length
  );
}

export interface NormalizedBatch {
  enrollments: Array<EnrollmentRecord & { baselineJson: string }>;
  baselineCorrections: Array<BaselineCorrection & { baselineJson: string }>;
  withdrawals: Withdrawal[];
  errorFlags: ErrorFlag[];
  outcomes: Array<OutcomeValue & { valueJson: string }>;
  audit: AuditDraft[];
  /** Public ids referred to by non-enrollment rows and not enrolled in this same batch. */
  referencedPublicIds: string[];
}

/**
 * Checks a trial batch field by field and within itself (no duplicate pseudonym, sequence or public
 * id inside the batch). What needs the stored data (duplicates against earlier batches, unknown
 * participants) is the adapter's part.
 * @throws {StoreError} `invalid`, `duplicate`, `personal_data` or `too_large`.
 */
export function validateBatch(trialId: string, batch: TrialBatch, limits: StoreLimits): NormalizedBatch {
  assertIdent(trialId, "trial id");
  if (batch === null || typeof batch !== "object") throw invalid("invalid batch; not an object");
  for (const key of ["enrollments", "baselineCorrections", "withdrawals", "errorFlags", "outcomes"] as const) {
    if (batch[key] !== undefined && !Array.isArray(batch[key])) throw invalid(`invalid batch ${key}; not an array`);
  }
  validateAudit(batch.audit, trialId);
  const rows = batchRows(batch);
  if (rows > limits.maxBatchRows) {
    throw new StoreError("too_large", `batch too large; ${rows} rows, at most ${limits.maxBatchRows} per call`);
  }
  const pseudonyms = new Set<string>();
  const sequences = new Set<number>();
  const publicIds = new Set<string>();
  const enrollments = (batch.enrollments ?? []).map((e) => {
    const pseudonym = assertHex64(e.pseudonym, "enrollment pseudonym");
    const sequence = sequenceOf(e.sequence);
    const publicId = publicIdOf(e.publicId, "enrollment publicId");
    if (pseudonyms.has(pseudonym)) throw new StoreError("duplicate", "duplicate enrollment in batch; the same pseudonym twice");
    if (sequences.has(sequence)) throw new StoreError("duplicate", `duplicate enrollment in batch; sequence ${sequence} twice`);
    if (publicIds.has(publicId)) throw new StoreError("duplicate", "duplicate enrollment in batch; the same public id twice");
    pseudonyms.add(pseudonym);
    sequences.add(sequence);
    publicIds.add(publicId);
    return {
      sequence,
      pseudonym,
      publicId,
      site: assertIdent(e.site, "enrollment site"),
      arm: assertIdent(e.arm, "enrollment arm"),
      stratum: e.stratum === null ? null : text(e.stratum, "enrollment stratum", 256),
      protocolVersion: positiveInt(e.protocolVersion, "enrollment protocolVersion"),
      baseline: e.baseline,
      baselineJson: jsonObjectText(e.baseline, "enrollment baseline"),
      enrolledAt: time(e.enrolledAt, "enrollment enrolledAt"),
    };
  });
  const referenced = new Set<string>();
  const ref = (publicId: unknown, field: string) => {
    const id = publicIdOf(publicId, field);
    if (!publicIds.has(id)) referenced.add(id);
    return id;
  };
  const baselineCorrections = (batch.baselineCorrections ?? []).map((c) => ({
    publicId: ref(c.publicId, "correction publicId"),
    baseline: c.baseline,
    baselineJson: jsonObjectText(c.baseline, "correction baseline"),
    reason: text(c.reason, "correction reason"),
    at: time(c.at, "correction at"),
  }));
  const withdrawals = (batch.withdrawals ?? []).map((w) => ({
    publicId: ref(w.publicId, "withdrawal publicId"),
    effective: day(w.effective, "withdrawal effective"),
    reason: text(w.reason, "withdrawal reason"),
    at: time(w.at, "withdrawal at"),
  }));
  const errorFlags = (batch.errorFlags ?? []).map((f) => ({
    publicId: ref(f.publicId, "error flag publicId"),
    reason: text(f.reason, "error flag reason"),
    at: time(f.at, "error flag at"),
  }));
  const outcomes = (batch.outcomes ?? []).map((o) => {
    if (o.source !== "site" && o.source !== "register") throw invalid("invalid outcome source; not site or register");
    return {
      publicId: ref(o.publicId, "outcome publicId"),
      outcome: assertIdent(o.outcome, "outcome name"),
      timePoint: o.timePoint === null ? null : assertIdent(o.timePoint, "outcome timePoint"),
      value: o.value,
      valueJson: jsonText(o.value, "outcome value", 4000),
      observedAt: dayOrTime(o.observedAt, "outcome observedAt"),
      source: o.source,
      recordedAt: time(o.recordedAt, "outcome recordedAt"),
    };
  });
  return {
    enrollments,
    baselineCorrections,
    withdrawals,
    errorFlags,
    outcomes,
    audit: batch.audit,
    referencedPublicIds: [...referenced],
  };
}

export function validateNewTrial(t: NewTrial): NewTrial {
  assertIdent(t.id, "trial id");
  if (t.id === REGISTRY_CHAIN) throw invalid(`invalid trial id; ${REGISTRY_CHAIN} is reserved`);
  assertHex64(t.seed, "trial seed");
  assertHex64(t.seedCommitment, "trial seedCommitment");
  assertHex64(t.protocolHash, "trial protocolHash");
  jsonText(JSON.parse(protocolJsonCheck(t.protocolJson)), "protocol", 1_000_000);
  time(t.at, "trial at");
  return t;
}

function protocolJsonCheck(json: unknown): string {
  if (typeof json !== "string") throw invalid("invalid protocolJson; not a string");
  try {
    JSON.parse(json);
  } catch {
    throw invalid("invalid protocolJson; not JSON text");
  }
  return json;
}

export function validateAmendment(a: { protocolHash: string; protocolJson: string; reason: string; at: string }): void {
  assertHex64(a.protocolHash, "amendment protocolHash");
  jsonText(JSON.parse(protocolJsonCheck(a.protocolJson)), "protocol", 1_000_000);
  text(a.reason, "amendment reason");
  time(a.at, "amendment at");
}

export function validateStatusChange(c: TrialStatusChange): void {
  if (!TRIAL_STATUSES.includes(c.status)) throw invalid(`invalid trial status; not one of ${TRIAL_STATUSES.join(", ")}`);
  optionalText(c.reason, "status reason");
  time(c.at, "status at");
}

export function validateNewToken(t: NewToken): void {
  assertIdent(t.id, "token id");
  assertHex64(t.hash, "token hash");
  if (!ROLES.includes(t.role)) throw invalid(`invalid token role; not one of ${ROLES.join(", ")}`);
  if (t.role === "municipality") assertIdent(t.site, "token site");
  else if (t.site !== null) throw invalid("invalid token site; only a municipality token has a site");
  text(t.name, "token name", 200);
  time(t.createdAt, "token createdAt");
}

export function validateRevocation(r: { reason: string; at: string }): void {
  text(r.reason, "revocation reason");
  time(r.at, "revocation at");
}

export function validatePage(page: Page | undefined): { after: number; limit: number } {
  const after = page?.after ?? -1;
  const limit = page?.limit ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isSafeInteger(after) || !Number.isSafeInteger(limit) || limit < 0) throw invalid("invalid page; after and limit must be integers");
  return { after, limit };
}

export function validateScope(scope: ReadScope): ReadScope {
  if (scope?.kind === "all") return scope;
  if (scope?.kind === "site") {
    assertIdent(scope.site, "scope site");
    return scope;
  }
  throw invalid("invalid read scope; not {kind: all} or {kind: site, site}");
}
