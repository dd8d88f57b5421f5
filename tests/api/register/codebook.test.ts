import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CodebookError, codeRows, loadCodebook, parseCodebook } from "../../../api/register/codebook.ts";

const SMALL = `
name: test
version: 1
codes:
  "B1": { category: benefit, benefit_type: unemployment, priority: 50 }
  "S": { category: self_supporting, priority: 0 }
`;

describe("register code book", () => {
  it("loads the shipped default code book and marks its mappings illustrative", () => {
    const book = loadCodebook(readFileSync("api/register/default-codebook.yaml", "utf8"), "default-codebook.yaml");
    expect(book.name).toBe("dream-default");
    expect(book.gap).toBe("self_supporting");
    expect(book.codes["999"].category).toBe("dead");
    expect(book.codes["111"].benefit_type).toBe("unemployment_insurance");
    expect(Object.values(book.codes).every((c) => c.illustrative)).toBe(true);
    // DREAM's own rule: unemployment outranks social assistance, sickness benefit outranks activation.
    expect(book.codes["111"].priority).toBeGreaterThan(book.codes["130"].priority);
    expect(book.codes["890"].priority).toBeGreaterThan(book.codes["521"].priority);
    expect(book.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("fills defaults and keeps numeric-looking codes as strings", () => {
    const book = loadCodebook(`name: n\nversion: 2\ncodes:\n  "007": { category: education, priority: 3 }\n`);
    expect(Object.keys(book.codes)).toEqual(["007"]);
    expect(book.version).toBe("2");
    expect(book.gap).toBe("self_supporting");
    expect(book.codes["007"].illustrative).toBe(false);
  });

  it("has a hash that ignores formatting and code order but not content", () => {
    const a = loadCodebook(SMALL);
    const b = loadCodebook(`codes:\n  S: {priority: 0, category: self_supporting}\n  B1:\n    category: benefit\n    priority: 50\n    benefit_type: unemployment\nversion: 1\nname: test\n`);
    expect(b.sha256).toBe(a.sha256);
    const c = loadCodebook(SMALL.replace("priority: 50", "priority: 51"));
    expect(c.sha256).not.toBe(a.sha256);
  });

  it("names the path and line of a bad entry", () => {
    const text = `name: t\nversion: 1\ncodes:\n  "A": { category: benefit, priority: 1 }\n  "B": { category: holiday, priority: 2 }\n`;
    try {
      loadCodebook(text, "bad.yaml");
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(CodebookError);
      const issues = (err as CodebookError).issues;
      expect(issues.find((i) => i.path === "codes.A.benefit_type")?.message).toMatch(/benefit_type/);
      expect(issues.find((i) => i.path === "codes.B.category")?.line).toBe(5);
      expect((err as Error).message).toMatch(/bad\.yaml/);
    }
  });

  it("refuses codes that break its own code pattern, unknown keys and an empty code list", () => {
    expect(() => parseCodebook({ name: "t", version: 1, code_pattern: "^[0-9]{3}$", codes: { "12": { category: "dead", priority: 1 } } })).toThrow(/codes\.12/);
    expect(() => parseCodebook({ name: "t", version: 1, codes: { A: { category: "dead", priority: 1, colour: "red" } } })).toThrow(CodebookError);
    expect(() => parseCodebook({ name: "t", version: 1, codes: {} })).toThrow(/at least one code/);
    expect(() => loadCodebook("name: t\nname: u\n")).toThrow(CodebookError);
  });

  it("orders codes by priority, ties by code", () => {
    const book = parseCodebook({
      name: "t",
      version: 1,
      codes: { B: { category: "education", priority: 5 }, A: { category: "education", priority: 5 }, C: { category: "dead", priority: 9 } },
    });
    expect(codeRows(book).map((r) => r.code)).toEqual(["C", "A", "B"]);
  });
});

describe("code book files", () => {
  it("loads the default code book from its path and names a file in errors", async () => {
    const { DEFAULT_CODEBOOK_PATH, loadCodebookFile } = await import("../../../api/register/index.ts");
    const book = await loadCodebookFile(DEFAULT_CODEBOOK_PATH);
    expect(book.name).toBe("dream-default");
    await expect(loadCodebookFile("api/register/iso-week.ts")).rejects.toThrow(/iso-week\.ts/);
  });
});
