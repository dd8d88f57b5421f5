/**
 * Validation shared by the `Store` adapters, so that every adapter refuses the same things with the
 * same messages: field formats, duplicates inside one batch, and CPR-shaped text anywhere a person
 * could type something. What needs the stored data (duplicates against earlier batches, unknown
 * participants) is each adapter's part.
 */
import { assertAuditDraft, assertChainName, isIsoUtcMillis, REGISTRY_CHAIN, shownValue, type AuditDraft } from "../audit.ts";
import {
  holdsCpr,
  ROLES,
  StoreError,
  TRIAL_STATUSES,
  type BaselineCorrection,
  type EnrollmentRecord,
  type ErrorFlag,
  type NewToken,
  type NewTrial,
  type OutcomeValue,
  type Page,
  type ReadScope,
  type StoreLimits,
  type TrialBatch,
  type TrialStatusChange,
  type Withdrawal,
} from "./store.ts";

const HEX64 = /^[0-9a-f]{64}$/;
const IDENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

const invalid = (message: string) => new StoreError("invalid", message);

function text(value: unknown, field: string, max = 2000): string {
  if (typeof value !== "string" || value.length === 0 || value.length > max) {
    throw invalid(`invalid ${field}; not a string of 1-${max} characters`);
  }
  if (holdsCpr(value)) {
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
  if (holdsCpr(value)) throw new StoreError("personal_data", `refused ${field}; it contains a CPR-shaped number`);
  return value;
}

export function assertHex64(value: unknown, field: string): string {
  if (typeof value !== "string" || !HEX64.test(value)) throw invalid(`invalid ${field}; not 64 lowercase hex digits`);
  return value;
}

function time(value: unknown, field: string): string {
  if (!isIsoUtcMillis(value)) {
    throw invalid(`invalid ${field}; not an ISO UTC time with milliseconds: ${shownValue(value)}`);
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
  if (holdsCpr(out)) {
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
    if (holdsCpr(chain)) throw new StoreError("personal_data", "refused audit chain name; it contains a CPR-shaped number");
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
  // Sites, arms and strata repeat across a batch: check each distinct value once.
  const checked = new Map<string, string>();
  const once = (value: unknown, field: string, check: (v: unknown, f: string) => string): string => {
    if (typeof value === "string") {
      const key = `${field}\u0000${value}`;
      const hit = checked.get(key);
      if (hit !== undefined) return hit;
      const ok = check(value, field);
      checked.set(key, ok);
      return ok;
    }
    return check(value, field);
  };
  const stratumText = (v: unknown, f: string) => text(v, f, 256);
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
      site: once(e.site, "enrollment site", assertIdent),
      arm: once(e.arm, "enrollment arm", assertIdent),
      stratum: e.stratum === null ? null : once(e.stratum, "enrollment stratum", stratumText),
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
  if (t.protocolSource !== undefined) text(t.protocolSource, "protocol source", 1_000_000);
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
  if (scope?.kind !== "all" && scope?.kind !== "site") throw invalid("invalid read scope; not {kind: all} or {kind: site, site}");
  if (scope.kind === "site") assertIdent(scope.site, "scope site");
  if (scope.participant !== undefined) publicIdOf(scope.participant, "scope participant");
  return scope;
}
