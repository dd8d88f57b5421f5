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
import { REGISTRY_CHAIN, type AuditDraft, type AuditEntry, type ChainHead } from "../audit.ts";

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
  /**
   * The protocol file as registered (version 1; its hash is `protocolHash`), so that an evidence
   * package can carry it whatever becomes of the file; null for amendments and for trials registered
   * before the store kept it.
   */
  source: string | null;
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
  /** The registered protocol file's text, whose hash is `protocolHash` (kept with version 1). */
  protocolSource?: string;
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
export type ReadScope = ({ kind: "all" } | { kind: "site"; site: string }) & {
  /** Only this participant's rows (a public id), within the scope: one person's page reads one person's rows. */
  participant?: string;
};
export const ALL_SITES: ReadScope = Object.freeze({ kind: "all" });
export const siteScope = (site: string): ReadScope => ({ kind: "site", site });
/** The scope narrowed to one participant (still within its site, if it has one). */
export const participantScope = (scope: ReadScope, publicId: string): ReadScope => ({ ...scope, participant: publicId });

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
   * text) fails as a whole; nothing of it is written. The store checks data, not policy: whether the
   * trial is open, the site within its window or the person eligible is the service's decision.
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

/** A CPR-shaped run of digits anywhere in a text: `DDMMYY-SSSS` or ten digits. */
export const CPR_SHAPED = /\d{6}-?\d{4}/;

/** Hashes and random identifiers: 32 or more hex digits in a row (a SHA-256, a package id). */
const HEX_TOKEN = /[0-9a-f]{32,}/gi;

/**
 * Whether a text holds a CPR-shaped number anywhere, outside hex tokens of 32 or more digits
 * (hashes and random ids, where ten decimal digits in a row occur by chance about one time in ten).
 */
export function holdsCpr(text: string): boolean {
  return CPR_SHAPED.test(HEX_TOKEN.test(text) ? text.replace(HEX_TOKEN, "#") : text);
}
