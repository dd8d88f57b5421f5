/**
 * The audit log: one hash chain per trial (and one, `registry`, for tokens and other
 * deployment-wide acts). Every write and every read of person-level data appends an entry.
 *
 * An entry's hash is SHA-256 over a canonical serialization, the JSON text of the array
 *
 *     ["virker.audit.v1", chain, seq, at, tokenId, role, action, target, reason, prevHash]
 *
 * (`JSON.stringify`, UTF-8; `seq` a number, `tokenId` and `reason` `null` when absent), written as 64
 * lowercase hex digits. `prevHash` is the previous entry's hash, or 64 zeros for `seq` 1. Anyone
 * holding the entries can re-derive every hash with any JSON library and SHA-256, so a changed,
 * inserted or removed entry shows up at the first entry after which the recomputation disagrees.
 * A chain cut off at the end is only detected against a head (`seq`, `hash`) kept elsewhere, e.g.
 * published or held by another party: see `verifyChain(..., { head })`.
 *
 * Runtime-neutral (@noble/hashes).
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";

export const AUDIT_ROLES = ["agency", "municipality", "researcher", "public", "system"] as const;
export type AuditRole = (typeof AUDIT_ROLES)[number];

/** The chain for acts that belong to no single trial (tokens, deployment settings). */
export const REGISTRY_CHAIN = "registry";

/** `prevHash` of the first entry of every chain. */
export const GENESIS_HASH = "0".repeat(64);

/** What the caller says about an act; the store adds chain, seq and hashes when it appends. */
export interface AuditDraft {
  /** UTC time, `YYYY-MM-DDTHH:MM:SS.sssZ` (what `Date.prototype.toISOString` gives). */
  at: string;
  /** Id of the token that acted, `null` for the public or the system itself. */
  tokenId: string | null;
  role: AuditRole;
  /** A dotted verb, e.g. `enrollment.create`, `enrollment.read`, `token.revoke`. */
  action: string;
  /** What was acted on, e.g. `trial:ips-2027/participant:p-7k3m-x9qa-2hfd-8wne`. Never a CPR. */
  target: string;
  /** Why, where the act requires a reason (amendments, withdrawals, corrections, reads by researchers). */
  reason: string | null;
}

export interface AuditEntry extends AuditDraft {
  chain: string;
  /** 1, 2, 3, ... within the chain. */
  seq: number;
  prevHash: string;
  hash: string;
}

export interface ChainHead {
  seq: number;
  hash: string;
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * True for `YYYY-MM-DDTHH:MM:SS.sssZ` with month 1-12, a day that exists in the month (29 February
 * is let through in every year), hours < 24 and minutes, seconds < 60. Cheaper than `Date.parse`,
 * which matters when a bulk upload brings a hundred thousand timestamps.
 */
export function isIsoUtcMillis(v: unknown): v is string {
  if (typeof v !== "string" || !ISO_UTC.test(v)) return false;
  const month = twoDigits(v, 5);
  const day = twoDigits(v, 8);
  return month >= 1 && month <= 12 && day >= 1 && day <= DAYS_IN_MONTH[month - 1] && twoDigits(v, 11) < 24 && twoDigits(v, 14) < 60 && twoDigits(v, 17) < 60;
}
const twoDigits = (v: string, i: number) => (v.charCodeAt(i) - 48) * 10 + (v.charCodeAt(i + 1) - 48);
const ACTION = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/;
const HEX64 = /^[0-9a-f]{64}$/;
const CHAIN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * A value as shown inside an error message: JSON, at most 40 characters, with any CPR-shaped run of
 * digits masked, so that a CPR typed into the wrong field is never echoed back or logged.
 */
export function shownValue(value: unknown): string {
  const text = typeof value === "string" ? value.slice(0, 40) : String(value).slice(0, 40);
  return JSON.stringify(text.replace(/\d{6}-?\d{4}/g, "<CPR-lignende/CPR-shaped>"));
}

/** A draft that does not satisfy the documented field formats. Messages name the field and the rule. */
export class AuditFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AuditFormatError";
  }
}

/**
 * Checks a draft's fields.
 * @throws {AuditFormatError} naming the first field that is wrong; the value is not echoed for free-text fields.
 */
export function assertAuditDraft(d: AuditDraft): void {
  if (!isIsoUtcMillis(d.at)) {
    throw new AuditFormatError(`invalid audit at; not an ISO UTC time with milliseconds: ${shownValue(d.at)}`);
  }
  if (d.tokenId !== null && (typeof d.tokenId !== "string" || d.tokenId.length === 0 || d.tokenId.length > 64)) {
    throw new AuditFormatError("invalid audit tokenId; not null or a string of 1-64 characters");
  }
  if (!(AUDIT_ROLES as readonly string[]).includes(d.role)) {
    throw new AuditFormatError(`invalid audit role; not one of ${AUDIT_ROLES.join(", ")}: ${shownValue(d.role)}`);
  }
  if (typeof d.action !== "string" || d.action.length > 64 || !ACTION.test(d.action)) {
    throw new AuditFormatError(`invalid audit action; not a dotted lower-case verb: ${shownValue(d.action)}`);
  }
  if (typeof d.target !== "string" || d.target.length === 0 || d.target.length > 256) {
    throw new AuditFormatError("invalid audit target; not a string of 1-256 characters");
  }
  if (d.reason !== null && (typeof d.reason !== "string" || d.reason.length > 2000)) {
    throw new AuditFormatError("invalid audit reason; not null or a string of at most 2000 characters");
  }
}

/** @throws {AuditFormatError} when the chain name is not 1-128 of `[A-Za-z0-9._-]` starting with a letter or digit. */
export function assertChainName(chain: string): void {
  if (typeof chain !== "string" || !CHAIN.test(chain)) {
    throw new AuditFormatError(`invalid audit chain name: ${shownValue(chain)}`);
  }
}

/** The canonical text that an entry's hash covers (see the module comment). */
export function canonicalAuditText(e: Omit<AuditEntry, "hash">): string {
  return JSON.stringify([
    "virker.audit.v1", e.chain, e.seq, e.at, e.tokenId, e.role, e.action, e.target, e.reason, e.prevHash,
  ]);
}

/** SHA-256 of a UTF-8 text as 64 lowercase hex digits. */
export type Sha256Hex = (text: string) => string;

/** The runtime-neutral SHA-256 (@noble/hashes). Node adapters may pass `node:crypto`'s, which is several times faster. */
export const nobleSha256Hex: Sha256Hex = (text) => bytesToHex(sha256(utf8ToBytes(text)));

/** SHA-256 of the canonical text, 64 lowercase hex digits. */
export function auditHash(e: Omit<AuditEntry, "hash">, sha256Hex: Sha256Hex = nobleSha256Hex): string {
  return sha256Hex(canonicalAuditText(e));
}

/**
 * Links drafts onto a chain after `head` (or from the start when `head` is null).
 * @throws {AuditFormatError} when a draft or the chain name is malformed.
 */
export function linkAudit(
  chain: string,
  head: ChainHead | null,
  drafts: readonly AuditDraft[],
  sha256Hex: Sha256Hex = nobleSha256Hex,
): AuditEntry[] {
  assertChainName(chain);
  let seq = head?.seq ?? 0;
  let prevHash = head?.hash ?? GENESIS_HASH;
  const out: AuditEntry[] = [];
  for (const d of drafts) {
    assertAuditDraft(d);
    seq += 1;
    const base = {
      chain, seq, at: d.at, tokenId: d.tokenId, role: d.role, action: d.action, target: d.target, reason: d.reason, prevHash,
    };
    const hash = auditHash(base, sha256Hex);
    out.push({ ...base, hash });
    prevHash = hash;
  }
  return out;
}

export type AuditProblem = "chain" | "sequence" | "prev_hash" | "hash" | "head";

export type AuditVerification =
  | { ok: true; count: number; head: ChainHead | null }
  | {
      ok: false;
      count: number;
      /** The first entry that does not verify (for a `head` problem: the last entry, or null if none). */
      firstBroken: { index: number; seq: number | null; problem: AuditProblem; message: string };
    };

/**
 * Verifies a chain (or a consecutive slice of one) in order.
 *
 * @param entries the entries, in seq order.
 * @param options.after the head just before the first entry, when verifying a slice that does not start at seq 1.
 * @param options.head a head known from elsewhere that the last entry must equal: detects a cut-off tail.
 * @param options.sha256Hex the SHA-256 to use (default @noble/hashes).
 * @returns `ok: true` with the head, or `ok: false` naming the first broken entry and what is wrong with it.
 */
export function verifyChain(
  entries: readonly AuditEntry[],
  options: { after?: ChainHead; head?: ChainHead; sha256Hex?: Sha256Hex } = {},
): AuditVerification {
  const sha256Hex = options.sha256Hex ?? nobleSha256Hex;
  let expectedSeq = (options.after?.seq ?? 0) + 1;
  let prevHash = options.after?.hash ?? GENESIS_HASH;
  const chain = entries[0]?.chain;
  const fail = (index: number, problem: AuditProblem, message: string): AuditVerification => ({
    ok: false,
    count: entries.length,
    firstBroken: { index, seq: entries[index]?.seq ?? null, problem, message },
  });
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    if (e.chain !== chain) return fail(i, "chain", `entry ${i} belongs to chain ${JSON.stringify(e.chain)}, not ${JSON.stringify(chain)}`);
    if (e.seq !== expectedSeq) return fail(i, "sequence", `entry ${i} has seq ${e.seq}; expected ${expectedSeq}`);
    if (e.prevHash !== prevHash) return fail(i, "prev_hash", `entry seq ${e.seq}: prevHash does not equal the previous entry's hash`);
    if (!HEX64.test(e.hash) || auditHash(e, sha256Hex) !== e.hash) return fail(i, "hash", `entry seq ${e.seq}: hash does not match its contents`);
    prevHash = e.hash;
    expectedSeq += 1;
  }
  const last = entries.length > 0 ? entries[entries.length - 1] : null;
  const head = last === null ? (options.after ?? null) : { seq: last.seq, hash: last.hash };
  if (options.head !== undefined && (head === null || head.seq !== options.head.seq || head.hash !== options.head.hash)) {
    return fail(
      entries.length - 1,
      "head",
      `chain ends at seq ${head?.seq ?? 0}, but the known head is seq ${options.head.seq} with another hash or position`,
    );
  }
  return { ok: true, count: entries.length, head };
}
