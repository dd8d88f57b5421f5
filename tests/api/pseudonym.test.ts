import { createHmac } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import { loadPseudonymKey, PSEUDONYM_KEY_ENV } from "../../api/keys-node.ts";
import {
  isPseudonym,
  keyFingerprint,
  participantIds,
  pseudonymize,
  pseudonymKey,
  PseudonymKeyError,
  PUBLIC_ID_RE,
  publicParticipantId,
} from "../../api/pseudonym.ts";

const KEY_HEX = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const key = pseudonymKey(KEY_HEX);

describe("pseudonymize", () => {
  it("is HMAC-SHA-256 of the normalized CPR, checked against node:crypto", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{10}$/), (cpr) => {
        const expected = createHmac("sha256", Buffer.from(KEY_HEX, "hex")).update(cpr, "utf8").digest("hex");
        expect(pseudonymize(key, cpr)).toBe(expected);
      }),
      { seed: 7, numRuns: 200 },
    );
  });

  it("gives 64 lowercase hex digits, the same for the same person", () => {
    const a = pseudonymize(key, "0101010001");
    expect(isPseudonym(a)).toBe(true);
    expect(pseudonymize(key, "0101010001")).toBe(a);
    expect(pseudonymize(key, "0101010002")).not.toBe(a);
  });

  it("differs between keys", () => {
    const other = pseudonymKey("ff".repeat(32));
    expect(pseudonymize(other, "0101010001")).not.toBe(pseudonymize(key, "0101010001"));
  });

  it("refuses anything but ten digits, without echoing the input", () => {
    for (const bad of ["010101-0001", "010101000", "01010100011", "abcdefghij"]) {
      expect(() => pseudonymize(key, bad)).toThrow(TypeError);
      try {
        pseudonymize(key, bad);
      } catch (e) {
        expect((e as Error).message).not.toContain(bad);
        expect((e as Error).message).not.toMatch(/\d{6}/);
      }
    }
  });
});

describe("pseudonymKey", () => {
  it("accepts hex and base64 of 32 bytes and gives the same key", () => {
    const b64 = Buffer.from(KEY_HEX, "hex").toString("base64");
    const b64url = Buffer.from(KEY_HEX, "hex").toString("base64url");
    for (const text of [b64, b64url, ` ${KEY_HEX}\n`]) {
      expect(pseudonymize(pseudonymKey(text), "0101010001")).toBe(pseudonymize(key, "0101010001"));
    }
  });

  it("refuses short or malformed keys without echoing them", () => {
    for (const bad of ["00".repeat(31), "c2hvcnQ=", "not a key!", ""]) {
      expect(() => pseudonymKey(bad)).toThrow(PseudonymKeyError);
      try {
        pseudonymKey(bad);
      } catch (e) {
        if (bad.length > 3) expect((e as Error).message).not.toContain(bad);
      }
    }
    expect(() => pseudonymKey(new Uint8Array(16))).toThrow(/at least 32 bytes/);
  });
});

describe("publicParticipantId", () => {
  const p = pseudonymize(key, "0101010001");

  it("follows the documented formula, derived here with node:crypto (ids already issued must never change)", () => {
    const kPub = createHmac("sha256", Buffer.from(KEY_HEX, "hex")).update("virker/public-id/v1").digest();
    const mac = createHmac("sha256", kPub).update(Buffer.concat([Buffer.from("ips-2027"), Buffer.from([0]), Buffer.from(p, "hex")])).digest();
    let bits = "";
    for (const b of mac.subarray(0, 10)) bits += b.toString(2).padStart(8, "0");
    const chars = bits.match(/.{5}/g)!.map((g) => "0123456789abcdefghjkmnpqrstvwxyz"[parseInt(g, 2)]).join("");
    const expected = `p-${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8, 12)}-${chars.slice(12, 16)}`;
    expect(publicParticipantId(key, "ips-2027", p)).toBe(expected);
    // The id issued for this person before the node:crypto fast path existed (noble only).
    expect(expected).toBe("p-a0gj-nged-5tr7-7vtg");
  });

  it("is stable for one trial and differs between trials", () => {
    expect(publicParticipantId(key, "trial-a", p)).toBe(publicParticipantId(key, "trial-a", p));
    expect(publicParticipantId(key, "trial-a", p)).not.toBe(publicParticipantId(key, "trial-b", p));
  });

  it("has the documented shape, never looks like a CPR and does not contain the pseudonym", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{10}$/), fc.string({ minLength: 1, maxLength: 20 }), (cpr, trial) => {
        const ps = pseudonymize(key, cpr);
        const id = publicParticipantId(key, trial, ps);
        expect(id).toMatch(PUBLIC_ID_RE);
        expect(id).not.toMatch(/\d{6}-?\d{4}/);
        const body = id.slice(2).replace(/-/g, "");
        expect(ps).not.toContain(body);
        expect(body).not.toContain(ps.slice(0, 8));
      }),
      { seed: 11, numRuns: 300 },
    );
  });

  it("participantIds gives the pseudonym and public id that pseudonymize and publicParticipantId give", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{10}$/), fc.string({ minLength: 1, maxLength: 20 }), (cpr, trial) => {
        const ps = pseudonymize(key, cpr);
        expect(participantIds(key, trial, cpr)).toEqual({ pseudonym: ps, publicId: publicParticipantId(key, trial, ps) });
      }),
      { seed: 12, numRuns: 300 },
    );
    expect(participantIds(key, "ips-2027", "0101010001").publicId).toBe("p-a0gj-nged-5tr7-7vtg");
    expect(() => participantIds(key, "t", "010101-0001")).toThrow(TypeError);
  });

  it("is keyed: another key gives another id for the same pseudonym", () => {
    const other = pseudonymKey("ab".repeat(32));
    expect(publicParticipantId(other, "t", p)).not.toBe(publicParticipantId(key, "t", p));
  });

  it("does not collide over 20,000 people in one trial", () => {
    const ids = new Set<string>();
    for (let i = 0; i < 20_000; i++) ids.add(publicParticipantId(key, "t", pseudonymize(key, String(1_000_000_000 + i))));
    expect(ids.size).toBe(20_000);
  });
});

describe("keyFingerprint", () => {
  it("identifies the key without being the pseudonym of anything", () => {
    expect(keyFingerprint(key)).toBe(keyFingerprint(pseudonymKey(KEY_HEX)));
    expect(keyFingerprint(key)).not.toBe(keyFingerprint(pseudonymKey("11".repeat(32))));
    expect(keyFingerprint(key)).not.toContain(KEY_HEX);
  });
});

describe("loadPseudonymKey (Node)", () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), "virker-key-"));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("prefers the environment variable", () => {
    const keyFile = join(tempDir(), "k");
    const loaded = loadPseudonymKey({ env: { [PSEUDONYM_KEY_ENV]: KEY_HEX }, keyFile, warn: () => expect.unreachable() });
    expect(loaded.source).toBe("env");
    expect(existsSync(keyFile)).toBe(false);
    expect(pseudonymize(loaded.key, "0101010001")).toBe(pseudonymize(key, "0101010001"));
  });

  it("creates a key file once, with a bilingual warning and mode 0600, then reuses it", () => {
    const keyFile = join(tempDir(), "sub", "pseudonym.key");
    const warnings: string[] = [];
    const first = loadPseudonymKey({ env: {}, keyFile, warn: (m) => warnings.push(m) });
    expect(first.source).toBe("created");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/ADVARSEL/);
    expect(warnings[0]).toMatch(/WARNING/);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(keyFile, "utf8").trim()).toMatch(/^[0-9a-f]{64}$/);
    const second = loadPseudonymKey({ env: {}, keyFile, warn: (m) => warnings.push(m) });
    expect(second.source).toBe("file");
    expect(warnings).toHaveLength(1);
    expect(keyFingerprint(second.key)).toBe(keyFingerprint(first.key));
  });

  it("refuses a key file that is too short", () => {
    const keyFile = join(tempDir(), "k");
    writeFileSync(keyFile, "abcd\n");
    expect(() => loadPseudonymKey({ env: {}, keyFile })).toThrow(PseudonymKeyError);
  });
});
