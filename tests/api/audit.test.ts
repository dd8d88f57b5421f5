import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  isIsoUtcMillis,
  AuditFormatError,
  GENESIS_HASH,
  linkAudit,
  verifyChain,
  type AuditDraft,
  type AuditEntry,
} from "../../api/audit.ts";

const draft = (i: number, over: Partial<AuditDraft> = {}): AuditDraft => ({
  at: new Date(Date.UTC(2027, 0, 1, 8, 0, 0, i)).toISOString(),
  tokenId: i % 3 === 0 ? null : `tok_${i % 5}`,
  role: i % 3 === 0 ? "public" : "municipality",
  action: i % 2 === 0 ? "enrollment.create" : "enrollment.read",
  target: `trial:t1/participant:p-${i}`,
  reason: i % 4 === 0 ? `årsag ${i} / reason "${i}"` : null,
  ...over,
});

const chainOf = (n: number) => linkAudit("t1", null, Array.from({ length: n }, (_, i) => draft(i)));

describe("linkAudit", () => {
  it("hashes the documented canonical JSON array with SHA-256 (checked with node:crypto)", () => {
    const [e] = linkAudit("t1", null, [draft(4)]);
    const text = JSON.stringify([
      "virker.audit.v1", "t1", 1, e.at, e.tokenId, e.role, e.action, e.target, e.reason, GENESIS_HASH,
    ]);
    expect(e.hash).toBe(createHash("sha256").update(text, "utf8").digest("hex"));
    expect(e.seq).toBe(1);
    expect(e.prevHash).toBe(GENESIS_HASH);
  });

  it("continues a chain after a head", () => {
    const first = chainOf(3);
    const last = first[2];
    const more = linkAudit("t1", { seq: last.seq, hash: last.hash }, [draft(3), draft(4)]);
    expect(more.map((e) => e.seq)).toEqual([4, 5]);
    expect(more[0].prevHash).toBe(last.hash);
    expect(verifyChain([...first, ...more]).ok).toBe(true);
    // The same drafts linked in one go give the same chain.
    expect(linkAudit("t1", null, [0, 1, 2, 3, 4].map((i) => draft(i)))).toEqual([...first, ...more]);
  });

  it.each([
    ["at", { at: "2027-01-01 08:00:00" }],
    ["at", { at: "2027-13-01T08:00:00.000Z" }],
    ["role", { role: "admin" as never }],
    ["action", { action: "Enrollment Create" }],
    ["target", { target: "" }],
    ["reason", { reason: "x".repeat(2001) }],
    ["tokenId", { tokenId: "" }],
  ])("refuses a malformed %s", (field, over) => {
    expect(() => linkAudit("t1", null, [draft(1, over)])).toThrow(AuditFormatError);
    expect(() => linkAudit("t1", null, [draft(1, over)])).toThrow(new RegExp(field));
  });

  it("refuses a malformed chain name", () => {
    expect(() => linkAudit("../x", null, [draft(1)])).toThrow(AuditFormatError);
  });
});

describe("isIsoUtcMillis", () => {
  it.each([
    ["2027-01-31T23:59:59.999Z", true],
    ["2027-02-29T00:00:00.000Z", true], // leap day let through in every year (documented)
    ["2027-02-30T00:00:00.000Z", false],
    ["2027-04-31T00:00:00.000Z", false],
    ["2027-00-10T00:00:00.000Z", false],
    ["2027-01-01T24:00:00.000Z", false],
    ["2027-01-01T00:60:00.000Z", false],
    ["2027-01-01T00:00:60.000Z", false],
    ["2027-01-01T00:00:00Z", false],
    ["2027-01-01T00:00:00.000+01:00", false],
    [new Date(Date.UTC(2027, 5, 1)).toISOString(), true],
  ])("%s -> %s", (value, ok) => {
    expect(isIsoUtcMillis(value)).toBe(ok);
  });
});

describe("verifyChain", () => {
  it("accepts an intact chain and returns its head", () => {
    const entries = chainOf(50);
    const v = verifyChain(entries);
    expect(v).toEqual({ ok: true, count: 50, head: { seq: 50, hash: entries[49].hash } });
    expect(verifyChain([])).toEqual({ ok: true, count: 0, head: null });
  });

  it("verifies a slice given the head before it", () => {
    const entries = chainOf(20);
    const after = { seq: entries[9].seq, hash: entries[9].hash };
    expect(verifyChain(entries.slice(10), { after }).ok).toBe(true);
    expect(verifyChain(entries.slice(10)).ok).toBe(false);
  });

  it("names the tampered entry for a change to any field", () => {
    const fields: Array<[keyof AuditEntry, unknown]> = [
      ["at", "2030-01-01T00:00:00.000Z"], ["tokenId", "tok_x"], ["role", "agency"], ["action", "enrollment.delete"],
      ["target", "trial:t1/participant:p-other"], ["reason", "changed"],
    ];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 29 }), fc.integer({ min: 0, max: fields.length - 1 }), (k, f) => {
        const entries = chainOf(30).map((e) => ({ ...e }));
        const [field, value] = fields[f];
        (entries[k] as unknown as Record<string, unknown>)[field] = value;
        const v = verifyChain(entries);
        expect(v.ok).toBe(false);
        if (!v.ok) {
          expect(v.firstBroken.index).toBe(k);
          expect(v.firstBroken.seq).toBe(k + 1);
          expect(v.firstBroken.problem).toBe("hash");
        }
      }),
      { seed: 3, numRuns: 100 },
    );
  });

  it("a tampered entry whose hash was recomputed breaks the link to the next one", () => {
    const entries = chainOf(10).map((e) => ({ ...e }));
    const forged = linkAudit("t1", { seq: 4, hash: entries[3].hash }, [draft(4, { action: "enrollment.delete" })])[0];
    entries[4] = forged;
    const v = verifyChain(entries);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.firstBroken).toMatchObject({ index: 5, seq: 6, problem: "prev_hash" });
  });

  it("detects a removed, a duplicated and a reordered entry", () => {
    const entries = chainOf(10);
    const removed = [...entries.slice(0, 3), ...entries.slice(4)];
    const duplicated = [...entries.slice(0, 5), entries[4], ...entries.slice(5)];
    const reordered = [...entries.slice(0, 2), entries[3], entries[2], ...entries.slice(4)];
    for (const [list, index] of [[removed, 3], [duplicated, 5], [reordered, 2]] as const) {
      const v = verifyChain(list);
      expect(v.ok).toBe(false);
      if (!v.ok) {
        expect(v.firstBroken.index).toBe(index);
        expect(v.firstBroken.problem).toBe("sequence");
      }
    }
  });

  it("detects a cut-off tail only against a known head", () => {
    const entries = chainOf(10);
    const head = { seq: 10, hash: entries[9].hash };
    expect(verifyChain(entries.slice(0, 8)).ok).toBe(true);
    const v = verifyChain(entries.slice(0, 8), { head });
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.firstBroken.problem).toBe("head");
    expect(verifyChain(entries, { head }).ok).toBe(true);
  });

  it("detects an entry from another chain", () => {
    const a = chainOf(3);
    const b = linkAudit("t2", { seq: 3, hash: a[2].hash }, [draft(3)]);
    const v = verifyChain([...a, ...b]);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.firstBroken).toMatchObject({ index: 3, problem: "chain" });
  });
});
