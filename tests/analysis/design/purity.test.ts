import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const dir = join(import.meta.dirname, "../../../analysis/design");

describe("analysis/design runs in Node, Workers and browsers", () => {
  it("imports at run time only its own modules and @noble/hashes (no node:, no protocol loader; pure-rand is a test-only reference)", () => {
    const files = readdirSync(dir).filter((f) => f.endsWith(".ts"));
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) {
      const text = readFileSync(join(dir, f), "utf8");
      for (const m of text.matchAll(/^import\s+(type\s+)?[^;]*?from\s+"([^"]+)"/gms)) {
        if (m[1]) continue;
        expect(m[2], `${f} imports ${m[2]}`).toMatch(/^(\.\/|@noble\/hashes\/)/);
      }
      expect(text, f).not.toMatch(/from\s+"node:/);
    }
  });
});
