import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { verifyChain } from "../../api/audit.ts";
import { openDuckDbStore } from "../../api/store/duckdb.ts";
import type { Store } from "../../api/store/store.ts";
import {
  authenticate,
  createToken,
  generateToken,
  generateTokenId,
  hashToken,
  parseBearer,
  revokeToken,
  type RandomBytes,
} from "../../api/tokens.ts";

/** A pinned byte source: a counter, so every draw differs and tests are repeatable. */
function counterBytes(start = 0): RandomBytes {
  let n = start;
  return (len) => Uint8Array.from({ length: len }, () => n++ & 0xff);
}

const system = { tokenId: null, role: "system" as const };
const AT = "2027-03-01T09:00:00.000Z";

describe("generateToken", () => {
  it("is vkr_ + base64url of 32 random bytes, and its hash is SHA-256 of the text", () => {
    const { token, hash } = generateToken(counterBytes());
    const expectedBody = Buffer.from(Uint8Array.from({ length: 32 }, (_, i) => i)).toString("base64url");
    expect(token).toBe(`vkr_${expectedBody}`);
    expect(hash).toBe(createHash("sha256").update(token).digest("hex"));
    expect(hashToken(token)).toBe(hash);
  });

  it("draws 256 fresh bits each time from Web Crypto by default", () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => generateToken().token));
    expect(tokens.size).toBe(1000);
    for (const t of tokens) expect(t).toMatch(/^vkr_[A-Za-z0-9_-]{43}$/);
  });

  it("refuses a random source that returns the wrong length", () => {
    expect(() => generateToken(() => new Uint8Array(16))).toThrow(/expected 32/);
  });
});

describe("generateTokenId", () => {
  it("is grouped base32 of 80 bits and can never look like a CPR number", () => {
    const id = generateTokenId(counterBytes());
    expect(id).toMatch(/^tok-[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$/);
    // All-zero bytes give only digits: the grouping still breaks the run.
    const zeros = generateTokenId(() => new Uint8Array(10));
    expect(zeros).toBe("tok-0000-0000-0000-0000");
    expect(zeros).not.toMatch(/\d{6}-?\d{4}/);
  });
});

describe("parseBearer", () => {
  const { token } = generateToken(counterBytes(7));
  it.each([
    [`Bearer ${token}`, token],
    [`bearer ${token}`, token],
    [`Bearer   ${token} `, token],
    [undefined, null],
    [null, null],
    ["", null],
    [token, null],
    [`Basic ${token}`, null],
    [`Bearer ${token.slice(0, -1)}`, null],
    [`Bearer ${token}x`, null],
    [`Bearer ${token} extra`, null],
    ["Bearer vkr_" + "!".repeat(43), null],
  ])("%j -> %j", (header, expected) => {
    expect(parseBearer(header)).toBe(expected);
  });
});

describe("createToken / authenticate / revokeToken", () => {
  let store: Store;
  beforeEach(async () => {
    store = await openDuckDbStore({ path: ":memory:" });
  });
  afterEach(async () => {
    await store.close();
  });

  it("stores only the hash: the token text is nowhere in the record or the audit log", async () => {
    const { token, record } = await createToken(store, { role: "municipality", site: "odense", name: "Jobcenter Odense", at: AT, actor: system });
    expect(record).toMatchObject({ role: "municipality", site: "odense", name: "Jobcenter Odense", revokedAt: null });
    expect(record.hash).toBe(hashToken(token));
    const everything = JSON.stringify([await store.listTokens(), await store.readAudit("registry")]);
    expect(everything).not.toContain(token);
    expect(everything).not.toContain(token.slice(4, 24));
  });

  it("authenticates a valid token and nothing else", async () => {
    const a = await createToken(store, { role: "agency", name: "STAR", at: AT, actor: system });
    const r = await createToken(store, { role: "researcher", name: "VIVE", at: AT, actor: { tokenId: a.record.id, role: "agency" } });
    expect(await authenticate(store, a.token)).toEqual({ tokenId: a.record.id, role: "agency", site: null, name: "STAR" });
    expect(await authenticate(store, r.token)).toMatchObject({ role: "researcher" });
    expect(await authenticate(store, null)).toBeNull();
    expect(await authenticate(store, generateToken().token)).toBeNull();
    expect(await authenticate(store, "not a token")).toBeNull();
    const audit = await store.readAudit("registry");
    expect(audit[1]).toMatchObject({ tokenId: a.record.id, role: "agency", action: "token.create", target: `token:${r.record.id}` });
  });

  it("a malformed token costs no store lookup", async () => {
    let lookups = 0;
    const counting = { ...store, findTokenByHash: async () => { lookups += 1; return null; } } as unknown as Store;
    await authenticate(counting, "vkr_short");
    await authenticate(counting, "x".repeat(10_000));
    expect(lookups).toBe(0);
    await authenticate(counting, generateToken().token);
    expect(lookups).toBe(1);
  });

  it("a revoked token no longer authenticates; the revocation is audited with its reason", async () => {
    const { token, record } = await createToken(store, { role: "researcher", name: "VIVE", at: AT, actor: system });
    await revokeToken(store, record.id, { reason: "project ended", at: "2027-06-01T00:00:00.000Z", actor: system });
    expect(await authenticate(store, token)).toBeNull();
    const audit = await store.readAudit("registry");
    expect(audit.map((e) => [e.action, e.reason])).toEqual([["token.create", null], ["token.revoke", "project ended"]]);
    expect(verifyChain(audit).ok).toBe(true);
    await expect(revokeToken(store, record.id, { reason: "again", at: AT, actor: system })).rejects.toMatchObject({ code: "conflict" });
  });

  it("refuses a municipality without a site and other roles with one, storing nothing", async () => {
    await expect(createToken(store, { role: "municipality", name: "x", at: AT, actor: system })).rejects.toThrow(TypeError);
    await expect(createToken(store, { role: "researcher", site: "odense", name: "x", at: AT, actor: system })).rejects.toThrow(TypeError);
    expect(await store.listTokens()).toEqual([]);
    expect(await store.readAudit("registry")).toEqual([]);
  });
});
