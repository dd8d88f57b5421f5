/**
 * Rows in and out of the DuckDB store's tables (Node only): value conversions, DuckDB's refusals
 * turned into `StoreError`s that echo no stored value, and the Appender writes inside a transaction
 * (kept open on the write connection for the hot tables, per write for the small ones).
 */
import { createHash } from "node:crypto";
import type { DuckDBAppender, DuckDBBlobValue, DuckDBValue } from "@duckdb/node-api";
import type { AuditEntry, Sha256Hex } from "../audit.ts";
import { StoreError, type EnrollmentRecord } from "./store.ts";

export type ColumnKind = "varchar" | "bigint" | "integer" | "blob";
export type Cell = string | number | Uint8Array | null;

export const COLUMNS: Record<string, ColumnKind[]> = {
  baseline_corrections: ["varchar", "bigint", "integer", "varchar", "varchar", "varchar", "varchar"],
  withdrawals: ["varchar", "bigint", "integer", "varchar", "varchar", "varchar", "varchar"],
  error_flags: ["varchar", "bigint", "integer", "varchar", "varchar", "varchar"],
  outcomes: ["varchar", "bigint", "integer", "varchar", "varchar", "varchar", "varchar", "varchar", "varchar", "varchar"],
};

export const nodeSha256Hex: Sha256Hex = (text) => createHash("sha256").update(text, "utf8").digest("hex");

export const hexToBlob = (hex: string): Uint8Array => Buffer.from(hex, "hex");
export const blobToHex = (v: DuckDBValue): string => Buffer.from((v as DuckDBBlobValue).bytes).toString("hex");
export const str = (v: DuckDBValue): string => v as string;
export const strOrNull = (v: DuckDBValue): string | null => (v === null ? null : (v as string));
export const num = (v: DuckDBValue): number => Number(v as number | bigint);

const CONSTRAINTS: Array<[RegExp, string]> = [
  [/pseudonym:/, "duplicate enrollment; this person is already enrolled in the trial (personen er allerede tilmeldt)"],
  [/sequence:/, "duplicate enrollment; this sequence number is already taken in the trial (løbenummeret er optaget)"],
  [/public_id:/, "duplicate enrollment; this public participant id is already taken in the trial"],
  [/chain: .*seq:/, "duplicate audit entry; the chain already has this seq (another writer?)"],
  [/token_hash:/, "duplicate token; a token with this hash exists"],
  [/token_id:/, "duplicate token id"],
  [/trial_id: [^,]*"/, "duplicate trial id"],
  [/version:/, "duplicate protocol version"],
];

/** Long digit runs (checksums, byte offsets) replaced, so that no error message looks like it holds a CPR. */
export const scrubDigits = (message: string): string => message.replace(/\d{6,}/g, "#");

/** DuckDB errors may quote key values; refusals are rephrased so that no stored value is echoed. */
export function translate(e: unknown): unknown {
  if (e instanceof StoreError) return e;
  const message = e instanceof Error ? e.message : String(e);
  if (/Duplicate key|violates (unique|primary key) constraint/i.test(message)) {
    const hit = CONSTRAINTS.find(([re]) => re.test(message));
    return new StoreError("duplicate", hit?.[1] ?? "duplicate key; a unique constraint was violated");
  }
  return e;
}

export function appendCells(appender: DuckDBAppender, kinds: ColumnKind[], rows: Cell[][]): void {
  for (const row of rows) {
    for (let i = 0; i < kinds.length; i++) {
      const v = row[i];
      if (v === null) appender.appendNull();
      else if (kinds[i] === "varchar") appender.appendVarchar(v as string);
      else if (kinds[i] === "bigint") appender.appendBigInt(BigInt(v as number));
      else if (kinds[i] === "integer") appender.appendInteger(v as number);
      else appender.appendBlob(v as Uint8Array);
    }
    appender.endRow();
  }
}

/** The enrollment rows straight into an Appender: the hot path, without intermediate arrays. */
export function appendEnrollments(a: DuckDBAppender, trialId: string, rows: ReadonlyArray<EnrollmentRecord & { baselineJson: string }>): void {
  if (rows.length === 0) return;
  for (const e of rows) {
    a.appendVarchar(trialId);
    a.appendBigInt(BigInt(e.sequence));
    a.appendBlob(Buffer.from(e.pseudonym, "hex"));
    a.appendVarchar(e.publicId);
    a.appendVarchar(e.site);
    a.appendVarchar(e.arm);
    if (e.stratum === null) a.appendNull();
    else a.appendVarchar(e.stratum);
    a.appendInteger(e.protocolVersion);
    a.appendVarchar(e.baselineJson);
    a.appendVarchar(e.enrolledAt);
    a.endRow();
  }
  a.flushSync();
}

export function appendAuditRows(a: DuckDBAppender, entries: readonly AuditEntry[]): void {
  if (entries.length === 0) return;
  for (const e of entries) {
    a.appendVarchar(e.chain);
    a.appendBigInt(BigInt(e.seq));
    a.appendVarchar(e.at);
    if (e.tokenId === null) a.appendNull();
    else a.appendVarchar(e.tokenId);
    a.appendVarchar(e.role);
    a.appendVarchar(e.action);
    a.appendVarchar(e.target);
    if (e.reason === null) a.appendNull();
    else a.appendVarchar(e.reason);
    a.appendBlob(Buffer.from(e.prevHash, "hex"));
    a.appendBlob(Buffer.from(e.hash, "hex"));
    a.endRow();
  }
  a.flushSync();
}
