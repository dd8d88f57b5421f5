/**
 * Bearer tokens: who may do what.
 *
 * A token is `vkr_` followed by 256 random bits in base64url (43 characters). It is shown once, at
 * creation; the store keeps only its SHA-256, so a copy of the database lets nobody act as anyone.
 * Each token has a role (agency, municipality with exactly one site, researcher) and a name, and can
 * be revoked (recorded, never deleted). No token means the public.
 *
 * Runtime-neutral: Web Crypto's `getRandomValues` (Node 20+, Workers) and @noble/hashes.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import type { AuditDraft, AuditRole } from "./audit.ts";
import type { Role, Store, TokenRecord } from "./store/store.ts";

export const TOKEN_PREFIX = "vkr_";
const TOKEN_RE = /^vkr_[A-Za-z0-9_-]{43}$/;

/** Returns `n` random bytes. Passed in so that tests can pin it; defaults to Web Crypto. */
export type RandomBytes = (n: number) => Uint8Array;
export const cryptoRandomBytes: RandomBytes = (n) => crypto.getRandomValues(new Uint8Array(n));

/** The caller acting, as the audit log records it. */
export interface Actor {
  tokenId: string | null;
  role: AuditRole;
}

/** The identity behind a valid, unrevoked token. */
export interface Principal {
  tokenId: string;
  role: Role;
  /** The municipality's site; null for other roles. */
  site: string | null;
  name: string;
}

function base64url(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const BASE32 = "0123456789abcdefghjkmnpqrstvwxyz";

/** SHA-256 of the token's UTF-8 text, 64 lowercase hex digits: what the store keeps. */
export function hashToken(token: string): string {
  return bytesToHex(sha256(utf8ToBytes(token)));
}

/** A new token and its hash. */
export function generateToken(random: RandomBytes = cryptoRandomBytes): { token: string; hash: string } {
  const bytes = random(32);
  if (bytes.length !== 32) throw new Error(`random source returned ${bytes.length} bytes; expected 32`);
  const token = TOKEN_PREFIX + base64url(bytes);
  return { token, hash: hashToken(token) };
}

/**
 * A token id, `tok-` + 16 base32 characters (80 bits) in groups of four, e.g. `tok-7k3m-x9qa-2hfd-8wne`:
 * public, names the token in the audit log. The grouping keeps it from ever looking like a CPR number.
 */
export function generateTokenId(random: RandomBytes = cryptoRandomBytes): string {
  const bytes = random(10);
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const b of bytes) {
    buffer = ((buffer << 8) | b) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return `tok-${out.slice(0, 4)}-${out.slice(4, 8)}-${out.slice(8, 12)}-${out.slice(12, 16)}`;
}

/**
 * The token in an `Authorization` header value, or null when there is none or it is not
 * `Bearer vkr_...` with the right length (so a malformed token costs no store lookup).
 */
export function parseBearer(header: string | null | undefined): string | null {
  if (typeof header !== "string") return null;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  if (m === null || !TOKEN_RE.test(m[1])) return null;
  return m[1];
}

export interface CreateTokenInput {
  role: Role;
  /** Required for a municipality token, forbidden for the others. */
  site?: string | null;
  name: string;
  at: string;
  actor: Actor;
  random?: RandomBytes;
}

/**
 * Creates a token and records it (hash only) with a `token.create` audit entry in the registry chain.
 * @returns the token text, to be shown once, and the stored record.
 * @throws {TypeError} when a municipality token has no site or another role has one.
 * @throws {StoreError} from the store (e.g. `invalid` name).
 */
export async function createToken(store: Store, input: CreateTokenInput): Promise<{ token: string; record: TokenRecord }> {
  const site = input.site ?? null;
  if (input.role === "municipality" && site === null) throw new TypeError("a municipality token needs a site (en kommune-token skal have et sted)");
  if (input.role !== "municipality" && site !== null) throw new TypeError(`a ${input.role} token has no site (kun kommune-tokens har et sted)`);
  const random = input.random ?? cryptoRandomBytes;
  const { token, hash } = generateToken(random);
  const id = generateTokenId(random);
  const record: TokenRecord = {
    id, hash, role: input.role, site, name: input.name, createdAt: input.at, revokedAt: null, revokeReason: null,
  };
  const audit: AuditDraft = {
    at: input.at,
    tokenId: input.actor.tokenId,
    role: input.actor.role,
    action: "token.create",
    target: `token:${id}`,
    reason: null,
  };
  await store.putToken({ id, hash, role: record.role, site, name: record.name, createdAt: record.createdAt }, [audit]);
  return { token, record };
}

/**
 * The principal behind a bearer token, or null for an unknown, malformed or revoked token.
 * Looks up by hash: the token itself is never compared or stored.
 */
export async function authenticate(store: Store, token: string | null): Promise<Principal | null> {
  if (token === null || !TOKEN_RE.test(token)) return null;
  const record = await store.findTokenByHash(hashToken(token));
  if (record === null || record.revokedAt !== null) return null;
  return { tokenId: record.id, role: record.role, site: record.site, name: record.name };
}

/**
 * Revokes a token (a new row; the token stays listed) with a `token.revoke` audit entry.
 * @throws {StoreError} `not_found` or `conflict` (already revoked).
 */
export async function revokeToken(
  store: Store,
  id: string,
  input: { reason: string; at: string; actor: Actor },
): Promise<void> {
  await store.revokeToken(id, { reason: input.reason, at: input.at }, [
    { at: input.at, tokenId: input.actor.tokenId, role: input.actor.role, action: "token.revoke", target: `token:${id}`, reason: input.reason },
  ]);
}
