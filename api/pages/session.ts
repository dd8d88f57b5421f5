/**
 * Sessions of the staff pages: the bearer token a person pasted at sign-in, kept in a cookie.
 *
 * The cookie is HttpOnly (no script reads it), SameSite=Strict (no other site's page sends it),
 * Secure when the page is served over https, and scoped to `/app`, so the API never sees it: the API
 * takes bearer tokens only. The token is authenticated on every request exactly as the API does it
 * (`authenticate`: hash lookup, revocation honoured), so a revoked token ends its sessions at once.
 *
 * Every form that changes something carries a CSRF token bound to the session: HMAC-SHA256 keyed
 * by the session's token. It needs no server state, and nobody without the token can compute it.
 */
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { Store } from "../store/store.ts";
import { authenticate, type Principal } from "../tokens.ts";

export const SESSION_COOKIE = "virker_session";
export const CSRF_FIELD = "_csrf";
const COOKIE_PATH = "/app";

/** The CSRF token for a session: 64 hex digits derived from the session's bearer token. */
export function csrfTokenFor(sessionToken: string): string {
  return bytesToHex(hmac(sha256, utf8ToBytes(sessionToken), utf8ToBytes("virker page form v1")));
}

/** Compares two strings in time that depends on their length only. */
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** Whether a submitted form's CSRF field belongs to this session. */
export function csrfValid(sessionToken: string, submitted: unknown): boolean {
  return typeof submitted === "string" && sameText(submitted, csrfTokenFor(sessionToken));
}

/** Served over https, directly or behind a proxy that ends TLS (which says so in X-Forwarded-Proto). */
const secure = (c: Context) => new URL(c.req.url).protocol === "https:" || c.req.header("x-forwarded-proto")?.split(",")[0].trim() === "https";

export function startSession(c: Context, token: string): void {
  setCookie(c, SESSION_COOKIE, token, { path: COOKIE_PATH, httpOnly: true, sameSite: "Strict", secure: secure(c) });
}

export function endSession(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: COOKIE_PATH, httpOnly: true, sameSite: "Strict", secure: secure(c) });
}

/** A signed-in person: who they are, the token that acts for them, and their forms' CSRF token. */
export interface Session {
  principal: Principal;
  token: string;
  csrf: string;
}

/** The session behind the request's cookie, or null (no cookie, unknown or revoked token). */
export async function sessionOf(c: Context, store: Store): Promise<Session | null> {
  const token = getCookie(c, SESSION_COOKIE);
  if (token === undefined) return null;
  const principal = await authenticate(store, token);
  if (principal === null) return null;
  return { principal, token, csrf: csrfTokenFor(token) };
}
