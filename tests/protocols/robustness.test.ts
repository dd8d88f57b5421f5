import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { crossFieldIssues, loadProtocol } from "../../protocols/index.ts";

const ips = parse(readFileSync("protocols/ips-severe-mental-illness.yaml", "utf8"));

/** Every path to a node (object, array or leaf), the root excluded. */
function paths(x: unknown, path: (string | number)[] = []): (string | number)[][] {
  const here = path.length > 0 ? [path] : [];
  if (Array.isArray(x)) return [...here, ...x.flatMap((v, i) => paths(v, [...path, i]))];
  if (x && typeof x === "object") return [...here, ...Object.entries(x).flatMap(([k, v]) => paths(v, [...path, k]))];
  return here;
}

describe("robustness", () => {
  it("any mangled document gives problems with positions, never an exception", () => {
    const all = paths(ips);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.boolean(), fc.jsonValue({ maxDepth: 2 })), { minLength: 1, maxLength: 4 }), (edits) => {
        const doc = structuredClone(ips);
        for (const [pick, remove, value] of edits) {
          const path = all[pick % all.length]!;
          let node: any = doc;
          for (const seg of path.slice(0, -1)) {
            if (node === null || typeof node !== "object") return;
            node = node[seg];
          }
          if (node === null || typeof node !== "object") continue;
          const key = path[path.length - 1]!;
          if (remove && !Array.isArray(node)) delete node[key];
          else node[key] = value;
        }
        const result = loadProtocol(stringify(doc), "f.yaml");
        if (!result.ok) {
          expect(result.problems.length).toBeGreaterThan(0);
          for (const p of result.problems) {
            expect(p.line).toBeGreaterThanOrEqual(1);
            expect(p.col).toBeGreaterThanOrEqual(1);
            expect(p.message).toContain(" / ");
          }
        }
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it("cross-field rules accept any value without throwing", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        expect(() => crossFieldIssues(value)).not.toThrow();
        expect(() => crossFieldIssues({ ...ips, design: value, arms: value })).not.toThrow();
      }),
      { seed: 7, numRuns: 300 },
    );
  });

  it("protocols/ stays runtime-neutral: no node: imports", () => {
    for (const file of readdirSync("protocols").filter((f) => f.endsWith(".ts")))
      expect(readFileSync(`protocols/${file}`, "utf8"), file).not.toMatch(/from\s+["']node:/);
  });
});
