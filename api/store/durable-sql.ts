/**
 * What the two Durable Object classes of the Workers store share: the answer envelope that carries
 * a `StoreError` across an RPC boundary, hex <-> BLOB conversion, SQLite constraint errors turned
 * into `StoreError("duplicate")`, and the audit-chain append on one object's SQLite.
 *
 * Workers RPC passes thrown errors on as plain `Error`s (name and message only), so a refusal's
 * `code` would be lost. Every RPC method therefore answers `{ ok: true, value }` or
 * `{ ok: false, code, message }`, and the adapter (`durable.ts`) turns the latter back into a
 * `StoreError`. Anything else thrown is a bug and travels as an ordinary error.
 */
import { linkAudit, type AuditDraft, type AuditEntry, type AuditRole, type ChainHead } from "../audit.ts";
import { StoreError, type StoreErrorCode } from "./store.ts";

export type Envelope<T> = { ok: true; value: T } | { ok: false; code: StoreErrorCode; message: string };

/** Runs `fn`, answering its value or its `StoreError` as an envelope; SQLite's UNIQUE failures become `duplicate`. */
export function answer<T>(fn: () => T): Envelope<T> {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    const error = translateSqlError(e);
    if (error instanceof StoreError) return { ok: false, code: error.code, message: error.message };
    throw error;
  }
}

/** The value of an envelope, or its refusal thrown again as a `StoreError`. */
export function unwrap<T>(envelope: Envelope<T>): T {
  if (envelope.ok) return envelope.value;
  throw new StoreError(envelope.code, envelope.message);
}

const CONSTRAINTS: Array<[RegExp, string]> = [
  [/enrollments\.pseudonym/, "duplicate enrollment; this person is already enrolled in the trial (personen er allerede tilmeldt)"],
  [/enrollments\.sequence/, "duplicate enrollment; this sequence number is already taken in the trial (løbenummeret er optaget)"],
  [/enrollments\.public_id/, "duplicate enrollment; this public participant id is already taken in the trial"],
  [/audit\.seq/, "duplicate audit entry; the chain already has this seq"],
  [/tokens\.token_hash/, "duplicate token; a token with this hash exists"],
  [/tokens\.token_id/, "duplicate token id"],
];

/** SQLite refusals rephrased without the values they quote. */
export function translateSqlError(e: unknown): unknown {
  if (e instanceof StoreError) return e;
  const message = e instanceof Error ? e.message : String(e);
  if (/UNIQUE constraint failed|PRIMARY KEY/i.test(message)) {
    const hit = CONSTRAINTS.find(([re]) => re.test(message));
    return new StoreError("duplicate", hit?.[1] ?? "duplicate key; a unique constraint was violated");
  }
  return e;
}

/**
 * Hashes, pseudonyms and seeds are stored as BLOBs: hex text puts long digit runs into the storage
 * that look like CPR numbers to any scanner (the same choice as the DuckDB adapter).
 */
export function hexToBlob(hex: string): ArrayBuffer {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out.buffer;
}

export function blobToHex(value: unknown): string {
  const bytes = new Uint8Array(value as ArrayBuffer);
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/** The `SqlStorage` surface used here (the Workers type, restated so these files need no globals). */
export interface Sql {
  exec(query: string, ...bindings: unknown[]): {
    toArray(): Record<string, unknown>[];
    raw(): IterableIterator<unknown[]>;
  };
}

export function tableExists(sql: Sql, table: string): boolean {
  return sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", table).toArray().length > 0;
}

export function execAll(sql: Sql, statements: readonly string[]): void {
  for (const s of statements) sql.exec(s);
}

export const AUDIT_TABLE = `CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY, at_utc TEXT NOT NULL, token_id TEXT, role TEXT NOT NULL, action TEXT NOT NULL,
  target TEXT NOT NULL, reason TEXT, prev_hash BLOB NOT NULL, hash BLOB NOT NULL)`;

export function auditHeadOf(sql: Sql): ChainHead | null {
  const [row] = [...sql.exec("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").raw()];
  return row === undefined ? null : { seq: row[0] as number, hash: blobToHex(row[1]) };
}

/** Links drafts onto this object's chain and inserts them (inside the caller's transaction). */
export function appendChain(sql: Sql, chain: string, drafts: readonly AuditDraft[]): AuditEntry[] {
  const entries = linkAudit(chain, auditHeadOf(sql), drafts);
  for (const e of entries) {
    sql.exec(
      "INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      e.seq, e.at, e.tokenId, e.role, e.action, e.target, e.reason, hexToBlob(e.prevHash), hexToBlob(e.hash),
    );
  }
  return entries;
}

export function readChain(sql: Sql, chain: string, after: number, limit: number): AuditEntry[] {
  const rows = sql.exec(
    "SELECT seq, at_utc, token_id, role, action, target, reason, prev_hash, hash FROM audit WHERE seq > ? ORDER BY seq LIMIT ?",
    after,
    limit,
  ).raw();
  const out: AuditEntry[] = [];
  for (const [seq, at, tokenId, role, action, target, reason, prevHash, hash] of rows) {
    out.push({
      chain,
      seq: seq as number,
      at: at as string,
      tokenId: tokenId as string | null,
      role: role as AuditRole,
      action: action as string,
      target: target as string,
      reason: reason as string | null,
      prevHash: blobToHex(prevHash),
      hash: blobToHex(hash),
    });
  }
  return out;
}
