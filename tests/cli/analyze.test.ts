/**
 * `virker analyze` on the reference trials reproduces R's numbers (../shared/reference/expected.json,
 * made by make_expected.R with estimatr and survival): estimates, standard errors, CIs and df to a
 * relative 1e-6, p-values to an absolute 1e-6, randomization inference within Monte Carlo error.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../api/cli/main.ts";
import { EvidenceSchema, type Evidence, type ResultRow } from "../../analysis/evidence/schema.ts";

const expected = JSON.parse(readFileSync("../shared/reference/expected.json", "utf8"));
const dir = mkdtempSync(join(tmpdir(), "virker-analyze-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function analyze(protocol: string, data: string, out: string): Promise<Evidence> {
  let err = "";
  const code = await main(["analyze", "--protocol", protocol, "--data", data, "--out", out], { out: () => {}, err: (t) => void (err += t) });
  expect(err.replace(/^warning:.*\n/gm, "")).toBe("");
  expect(code).toBe(0);
  return EvidenceSchema.parse(JSON.parse(readFileSync(join(out, "evidence.json"), "utf8")));
}

function close(actual: number | null, reference: number, relative = 1e-6) {
  expect(actual).not.toBeNull();
  expect(Math.abs(actual! - reference)).toBeLessThanOrEqual(relative * Math.max(1, Math.abs(reference)));
}

function matches(row: ResultRow | undefined, ref: { estimate: number; std_error: number; p_value: number; ci_lower: number; ci_upper: number; df: number }) {
  expect(row).toBeDefined();
  close(row!.estimate, ref.estimate);
  close(row!.std_error, ref.std_error);
  close(row!.ci_lower, ref.ci_lower);
  close(row!.ci_upper, ref.ci_upper);
  close(row!.df, ref.df);
  expect(Math.abs(row!.p_value - ref.p_value)).toBeLessThanOrEqual(1e-6);
}

describe("virker analyze on the NSW job-training trial", () => {
  let ev: Evidence;
  beforeAll(async () => {
    ev = await analyze("protocols/examples/nsw-lalonde.yaml", "../shared/reference/lalonde_nsw.csv", join(dir, "nsw"));
  });
  const find = (outcome: string, estimator: string, subgroup: { variable: string; level: string } | null = null) =>
    ev.results.find((r) => r.outcome === outcome && r.estimator === estimator && JSON.stringify(r.subgroup) === JSON.stringify(subgroup));

  it("reproduces the difference in means, Lin's adjusted estimate and the risk difference", () => {
    matches(find("re78", "difference_in_means"), expected.re78_difference_in_means);
    matches(find("re78", "lm_lin"), expected.re78_lin_adjusted);
    matches(find("employed78", "risk_difference"), expected.employed78_risk_difference);
    expect(find("re78", "difference_in_means")!.n).toBe(445);
  });

  it("reproduces every subgroup effect and interaction p-value, with Holm and BH", () => {
    const levels: Record<string, [string, string]> = { nodegr: ["0", "1"], black: ["0", "1"], u75: ["0", "1"], young: [">=25", "<25"] };
    for (const [variable, [level0, level1]] of Object.entries(levels)) {
      const ref = expected[`re78_by_${variable}`];
      matches(find("re78", "difference_in_means", { variable, level: level0 }), ref.level_0);
      matches(find("re78", "difference_in_means", { variable, level: level1 }), ref.level_1);
      const h = ev.heterogeneity.find((x) => x.outcome === "re78" && x.variable === variable)!;
      expect(Math.abs(h.interaction_p_value - ref.interaction_p_value)).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(h.p_holm - expected.re78_interaction_p_holm[variable])).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(h.p_bh - expected.re78_interaction_p_bh[variable])).toBeLessThanOrEqual(1e-6);
    }
  });

  it("re-randomizes by the trial's design (185 of 445) for a randomization p within Monte Carlo error", () => {
    const ri = ev.randomization_inference.find((r) => r.outcome === "re78")!;
    expect(ri.draws).toBe(10_000);
    expect(ri.design).toMatch(/complete randomization.*185 \/ 260 of 445/);
    close(ri.observed, expected.re78_difference_in_means.estimate);
    // R: 0.0046 from 100,000 draws; the Monte Carlo SE of 10,000 draws is about 0.0007.
    expect(Math.abs(ri.p_value - expected.re78_randomization_inference_two_sided_p)).toBeLessThan(0.0025);
  });

  it("records the protocol hash and the data's SHA-256", () => {
    expect(ev.protocol.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(ev.data.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("virker analyze on the veteran survival trial", () => {
  let ev: Evidence;
  beforeAll(async () => {
    ev = await analyze("protocols/examples/veteran.yaml", "../shared/reference/veteran.csv", join(dir, "veteran"));
  });

  it("reproduces the Kaplan–Meier medians with their log-type CIs and survival at 30, 90, 180, 365 days", () => {
    const s = ev.survival[0];
    for (const armId of ["standard", "test"]) {
      const arm = s.arms.find((a) => a.arm === armId)!;
      close(arm.median, expected.veteran_km_median[armId]);
      close(arm.median_ci_lower, expected.veteran_km_median_ci_log[armId][0]);
      close(arm.median_ci_upper, expected.veteran_km_median_ci_log[armId][1]);
      expect(arm.at.map((a) => a.time)).toEqual(expected.veteran_km_survival_at.times);
      arm.at.forEach((a, k) => close(a.surv, expected.veteran_km_survival_at[armId][k]));
    }
    const standard = s.arms.find((a) => a.arm === "standard")!;
    standard.at.forEach((a, k) => {
      close(a.lower, expected.veteran_km_survival_at.standard_lower_log[k]);
      close(a.upper, expected.veteran_km_survival_at.standard_upper_log[k]);
    });
  });

  it("reproduces the log-rank test, the restricted means to 365 days and the Cox hazard ratio (Efron)", () => {
    const s = ev.survival[0];
    close(s.logrank.chisq, expected.veteran_logrank.chisq);
    expect(Math.abs(s.logrank.p_value - expected.veteran_logrank.p_value)).toBeLessThanOrEqual(1e-6);
    for (const armId of ["standard", "test"]) {
      const rmst = s.arms.find((a) => a.arm === armId)!.rmst!;
      close(rmst.estimate, expected.veteran_rmst_365[armId]);
      close(rmst.std_error, expected.veteran_rmst_365[`${armId}_se`]);
    }
    const cox = ev.results.find((r) => r.estimator === "cox_hazard_ratio")!;
    close(cox.estimate, expected.veteran_cox_hr_test_vs_standard.hr);
    close(cox.std_error, expected.veteran_cox_hr_test_vs_standard.se_log_hr);
    const rmstDiff = ev.results.find((r) => r.estimator === "rmst_difference")!;
    close(rmstDiff.estimate, expected.veteran_rmst_365.test - expected.veteran_rmst_365.standard);
  });
});
