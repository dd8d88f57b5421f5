import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { formatPath, formatProblem, loadProtocol } from "../../protocols/index.ts";

const ipsText = readFileSync("protocols/ips-severe-mental-illness.yaml", "utf8");

/** 1-based line and column of the first occurrence of `needle` in `text` (computed independently). */
function positionOf(text: string, needle: string, from = 0): { line: number; col: number } {
  const at = text.indexOf(needle, from);
  if (at < 0) throw new Error(`not found: ${needle}`);
  const before = text.slice(0, at).split("\n");
  return { line: before.length, col: before[before.length - 1]!.length + 1 };
}

describe("loading", () => {
  it("formats paths like arms[2].ratio", () => {
    expect(formatPath(["arms", 2, "ratio"])).toBe("arms[2].ratio");
    expect(formatPath(["analysis", "outcomes", "re78", "estimators", 0])).toBe("analysis.outcomes.re78.estimators[0]");
    expect(formatPath(["label", "a b"])).toBe('label["a b"]');
    expect(formatPath([])).toBe("");
  });

  it("reports every problem at once, each at its line and column", () => {
    // Three independent problems in different parts of a shipped protocol.
    const broken = ipsText
      .replace("dkk_per_participant: 55000", "dkk_per_participant: -55000")
      .replace("  block_sizes: [3, 6] ", "  block_sizes: [3, 4] ")
      .replace("  primary_outcome: work_or_education_78w", "  primary_outcome: work_or_education_79w");
    const result = loadProtocol(broken, "ips.yaml");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const lines = result.problems.map(formatProblem);
    const cost = positionOf(broken, "-55000");
    const block = positionOf(broken, "4]", broken.indexOf("block_sizes"));
    const primary = positionOf(broken, "work_or_education_79w");
    expect(lines.some((l) => l.startsWith(`ips.yaml:${cost.line}:${cost.col} arms[1].cost.dkk_per_participant: `) && l.includes("/ Too small"))).toBe(true);
    expect(lines.some((l) => l.startsWith(`ips.yaml:${block.line}:${block.col} design.block_sizes[1]: `))).toBe(true);
    expect(lines.some((l) => l.startsWith(`ips.yaml:${primary.line}:${primary.col} analysis.primary_outcome: `))).toBe(true);
    expect(lines).toHaveLength(3);
    expect(new Set(lines).size).toBe(lines.length);
    // Problems come in file order.
    const offsets = result.problems.map((p) => p.line * 10000 + p.col);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
  });

  it("points at an unknown key itself (a typo must not pass)", () => {
    const text = "id: x\nversion: 1\nsponser: STAR\n";
    const result = loadProtocol(text, "t.yaml");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const lines = result.problems.map(formatProblem);
    expect(lines).toContain('t.yaml:3:1 sponser: ukendt nøgle: "sponser" / unknown key: "sponser"');
    // And the missing required keys are reported too, at the document (line 1).
    expect(lines.some((l) => l.startsWith("t.yaml:1:1 sponsor: "))).toBe(true);
    expect(lines.some((l) => l.startsWith("t.yaml:1:1 arms: "))).toBe(true);
  });

  it("names wrong types and bad enum values with Danish and English text", () => {
    const broken = ipsText.replace("    type: binary\n    time: { week: 78 }          # 18 months", "    type: binary_outcome\n    time: { week: 78 }          # 18 months");
    const result = loadProtocol(broken, "ips.yaml");
    if (result.ok) throw new Error("expected problems");
    const p = result.problems.find((x) => x.path === "outcomes[0].type")!;
    expect(p).toBeDefined();
    expect(p.message).toMatch(/Ugyldigt valg.*\/ Invalid option: expected one of "binary"\|"continuous"\|"count"\|"time_to_event"/);
    expect({ line: p.line, col: p.col }).toEqual(positionOf(broken, "binary_outcome"));
  });

  it("explains a comma in unquoted flow text", () => {
    const broken = ipsText.replace("label: { da: Diagnosegruppe, en: Diagnosis group }", "label: { da: Diagnose, gruppe, en: Diagnosis group }");
    const result = loadProtocol(broken, "ips.yaml");
    if (result.ok) throw new Error("expected problems");
    expect(result.problems.map((p) => p.message).join("\n")).toContain("must be quoted");
  });

  it("reports YAML syntax errors with positions, never throwing", () => {
    const result = loadProtocol("id: x\narms: [1, 2\nversion: 1\n", "bad.yaml");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.length).toBeGreaterThan(0);
    for (const line of result.problems.map(formatProblem)) expect(line).toMatch(/^bad\.yaml:\d+:\d+: YAML-fejl \/ YAML error: /);
  });

  it("reports duplicate keys as YAML errors", () => {
    const result = loadProtocol("id: x\nid: y\n", "dup.yaml");
    if (result.ok) throw new Error("expected problems");
    expect(formatProblem(result.problems[0]!)).toMatch(/^dup\.yaml:2:1: YAML/);
  });

  it("turns a non-mapping document into problems, not exceptions", () => {
    for (const text of ["", "- 1\n- 2\n", "just text", "null"]) {
      const result = loadProtocol(text, "x.yaml");
      expect(result.ok).toBe(false);
    }
  });

  it("applies defaults in the typed protocol", () => {
    const result = loadProtocol(readFileSync("protocols/mentor-youth.yaml", "utf8"), "m.yaml");
    if (!result.ok) throw new Error(result.problems.map(formatProblem).join("\n"));
    expect(result.protocol.arms[0]!.control).toBe(false);
    expect(result.protocol.covariates.find((c) => c.id === "gender")!.required).toBe(true);
    const retention = result.protocol.outcomes.find((o) => o.id === "retention_13w")!;
    expect(retention.source).toEqual({ type: "register", derivation: "retention", params: { weeks_after: 13, programme_weeks: 52 } });
  });
});

describe("validateProtocolData", () => {
  it("validates a protocol held in memory and gives the same hash as the file", async () => {
    const { validateProtocolData } = await import("../../protocols/index.ts");
    const { parse } = await import("yaml");
    const text = readFileSync("protocols/brobygning.yaml", "utf8");
    const fromFile = loadProtocol(text);
    const fromData = validateProtocolData(parse(text));
    expect(fromData.ok && fromFile.ok && fromData.hash === fromFile.hash).toBe(true);
    const bad = parse(text);
    bad.design.unit = "caseworker";
    bad.arms[0].ratio = -1;
    const result = validateProtocolData(bad);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((i) => i.path).sort()).toEqual(["arms[0].ratio", "design.unit"]);
  });
});
