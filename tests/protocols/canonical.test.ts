import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { canonicalJson, loadProtocol, protocolHash } from "../../protocols/index.ts";

const files = [
  "protocols/ips-severe-mental-illness.yaml",
  "protocols/mentor-youth.yaml",
  "protocols/brobygning.yaml",
  "protocols/volunteer-mentors.yaml",
  "protocols/examples/nsw-lalonde.yaml",
  "protocols/examples/veteran.yaml",
];

function hashOf(text: string): string {
  const r = loadProtocol(text, "x.yaml");
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join("\n"));
  return r.hash;
}

/** Rebuilds every object with its keys in a permuted order (the permutation drawn from `rand`). */
function shuffleKeys(x: unknown, rand: () => number): unknown {
  if (Array.isArray(x)) return x.map((v) => shuffleKeys(v, rand));
  if (x && typeof x === "object") {
    const entries = Object.entries(x);
    for (let i = entries.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [entries[i], entries[j]] = [entries[j]!, entries[i]!];
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, shuffleKeys(v, rand)]));
  }
  return x;
}

/** A small seeded generator (mulberry32) for the key permutations. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every path to a leaf value. */
function leaves(x: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(x)) return x.flatMap((v, i) => leaves(v, [...path, i]));
  if (x && typeof x === "object") return Object.entries(x).flatMap(([k, v]) => leaves(v, [...path, k]));
  return [path];
}

function edited(doc: unknown, path: (string | number)[], kind: number): unknown {
  const copy = structuredClone(doc) as any;
  let node = copy;
  for (const seg of path.slice(0, -1)) node = node[seg];
  const key = path[path.length - 1]!;
  const v = node[key];
  if (typeof v === "number") node[key] = kind % 2 === 0 ? v + 1 : v === 0 ? 0.5 : -v;
  else if (typeof v === "string") node[key] = kind % 2 === 0 ? `${v}x` : v.slice(0, -1) + (v.endsWith("a") ? "b" : "a");
  else if (typeof v === "boolean") node[key] = !v;
  else node[key] = "changed";
  return copy;
}

describe("canonical form and hash", () => {
  it("canonical JSON: sorted keys at every level, arrays in order, no whitespace", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: "x" } })).toBe('{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}');
    expect(canonicalJson({ "æ": "ø", a: 1.5, B: -0 })).toBe('{"B":0,"a":1.5,"æ":"ø"}');
    expect(() => canonicalJson({ a: Number.NaN })).toThrow();
  });

  it("the hash is SHA-256 of the canonical JSON's UTF-8 bytes (checked with node:crypto)", () => {
    const doc = { title: { da: "Ålborg", en: "Aalborg" }, n: 3 };
    const expected = createHash("sha256").update('{"n":3,"title":{"da":"Ålborg","en":"Aalborg"}}', "utf8").digest("hex");
    expect(protocolHash(doc)).toBe(expected);
  });

  it.each(files)("%s: unchanged by key order, layout, flow style, quoting and comments", (file) => {
    const text = readFileSync(file, "utf8");
    const original = hashOf(text);
    const doc = parse(text);
    for (let seed = 1; seed <= 5; seed++) {
      const shuffled = shuffleKeys(doc, mulberry32(seed));
      expect(hashOf(stringify(shuffled, { indent: 4 }))).toBe(original);
      expect(hashOf(`# a comment\n${stringify(shuffled, { collectionStyle: "flow" })}`)).toBe(original);
    }
    // JSON is YAML: the document written as indented JSON hashes the same.
    expect(hashOf(JSON.stringify(doc, null, 2))).toBe(original);
    // Quoting styles of the same scalars.
    expect(hashOf(stringify(doc, { defaultStringType: "QUOTE_DOUBLE", defaultKeyType: "PLAIN" }))).toBe(original);
  });

  it("changes when any value changes (property over random leaves of every shipped protocol)", () => {
    const docs = files.map((f) => parse(readFileSync(f, "utf8")));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: docs.length - 1 }), fc.nat(), fc.nat(), fc.integer({ min: 1, max: 1000 }), (d, leafPick, kind, seed) => {
        const doc = docs[d];
        const paths = leaves(doc);
        const path = paths[leafPick % paths.length]!;
        const changed = edited(doc, path, kind);
        const before = protocolHash(doc);
        expect(protocolHash(changed)).not.toBe(before);
        // ... and the changed document still hashes the same under key reordering.
        expect(protocolHash(shuffleKeys(changed, mulberry32(seed)))).toBe(protocolHash(changed));
      }),
      { seed: 20261123, numRuns: 300 },
    );
  });

  it("changes when array order changes (arm order is meaningful)", () => {
    const doc = parse(readFileSync(files[0]!, "utf8"));
    const swapped = { ...doc, arms: [doc.arms[1], doc.arms[0], doc.arms[2]] };
    expect(protocolHash(swapped)).not.toBe(protocolHash(doc));
  });

  it("defaults are not applied: writing a default out changes the hash (documented)", () => {
    const text = readFileSync("protocols/examples/veteran.yaml", "utf8");
    const doc = parse(text);
    doc.arms[1].control = false;
    expect(hashOf(stringify(doc))).not.toBe(hashOf(text));
  });
});
