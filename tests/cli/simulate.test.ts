/**
 * `virker simulate` writes a simulated trial (participants, register extract, enrollment
 * attempts, truth), byte-identical for the same seed, that `virker analyze` reads as it is.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../api/cli/main.ts";

const dir = mkdtempSync(join(tmpdir(), "virker-simulate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(args, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

const FILES = ["participants.csv", "register.csv", "enrollments.json", "truth.json"];

describe("virker simulate", () => {
  it("writes the four files, the same bytes for the same seed and others for another seed", async () => {
    const args = (out: string, seed: string) => ["simulate", "--protocol", "protocols/mentor-youth.yaml", "--n", "150", "--seed", seed, "--out", join(dir, out)];
    const a = await run(args("a", "9"));
    expect(a.err).toBe("");
    expect(a.code).toBe(0);
    expect(a.out).toContain("150 deltagere / participants");
    expect(a.out).toContain("falske");
    expect((await run(args("b", "9"))).code).toBe(0);
    expect((await run(args("c", "10"))).code).toBe(0);
    for (const f of FILES) {
      expect(readFileSync(join(dir, "b", f), "utf8"), f).toBe(readFileSync(join(dir, "a", f), "utf8"));
      expect(readFileSync(join(dir, "c", f), "utf8"), f).not.toBe(readFileSync(join(dir, "a", f), "utf8"));
    }
    const participants = readFileSync(join(dir, "a", "participants.csv"), "utf8").trim().split("\n");
    expect(participants).toHaveLength(151);
    expect(participants[0].split(",")).toEqual(expect.arrayContaining(["arm", "site", "education_started_52w", "weeks_on_benefit_104", "age_band"]));
    const register = readFileSync(join(dir, "a", "register.csv"), "utf8").trim().split("\n");
    expect(register[0]).toBe("person,week,code");
    expect(register[1]).toMatch(/^\d{6}-\d{4},\d{4}-W\d{2},\d{3}$/);
    const truth = JSON.parse(readFileSync(join(dir, "a", "truth.json"), "utf8"));
    expect(truth.protocol).toBe("mentor-youth");
    expect(truth.participants).toBe(150);
    expect(truth.allocation_seed).toMatch(/^[0-9a-f]{64}$/);
    expect(truth.effects.find((e: { outcome: string }) => e.outcome === "education_started_52w").expected).toBeCloseTo(0.04, 10);
    const attempts = JSON.parse(readFileSync(join(dir, "a", "enrollments.json"), "utf8"));
    expect(attempts.filter((x: { expect: string }) => x.expect === "enrolled")).toHaveLength(150);
    expect(attempts.some((x: { expect: string }) => x.expect === "ineligible")).toBe(true);
    expect(attempts.some((x: { expect: string }) => x.expect === "repeat")).toBe(true);
  });

  it("writes a participant file that virker analyze runs the plan on", async () => {
    const out = join(dir, "ips");
    expect((await run(["simulate", "--protocol", "protocols/ips-severe-mental-illness.yaml", "--n", "240", "--seed", "4", "--out", out])).code).toBe(0);
    const analysed = await run(["analyze", "--protocol", "protocols/ips-severe-mental-illness.yaml", "--data", join(out, "participants.csv"), "--out", out, "--draws", "0"]);
    expect(analysed.code).toBe(0);
    const evidence = JSON.parse(readFileSync(join(out, "evidence.json"), "utf8"));
    const truth = JSON.parse(readFileSync(join(out, "truth.json"), "utf8"));
    for (const contrast of ["ips vs usual", "ips_e vs usual"]) {
      const row = evidence.results.find((r: { outcome: string; contrast: string; estimator: string; subgroup: unknown }) => r.outcome === "work_or_education_78w" && r.contrast === contrast && r.estimator === "risk_difference" && r.subgroup === null);
      const t = truth.effects.find((e: { outcome: string; contrast: string }) => e.outcome === "work_or_education_78w" && e.contrast === contrast);
      expect(Math.abs(row.estimate - t.effect)).toBeLessThan(4 * row.std_error);
    }
  });

  it("refuses bad arguments with the usage and names the bad value", async () => {
    const r = await run(["simulate", "--protocol", "protocols/mentor-youth.yaml", "--n", "ten", "--seed", "1", "--out", join(dir, "x")]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("usage: virker simulate");
    expect(r.err).toContain('--n: forventede et heltal ≥ 2 / expected an integer ≥ 2, got "ten"');
    const s = await run(["simulate", "--protocol", "protocols/examples/nsw-lalonde.yaml", "--n", "10", "--seed", "1", "--out", join(dir, "y")]);
    expect(s.code).toBe(1);
    expect(s.err).toContain("no simulation scenario for protocol");
  });
});
