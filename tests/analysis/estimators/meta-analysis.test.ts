import { describe, expect, it } from "vitest";
import { type MetaMethod, metaAnalysis } from "../../../analysis/estimators/meta-analysis.ts";
import { close, readCsv, readJson, root } from "./reference-data.ts";

const cases: [string, string][] = [
  ["REML", "REML"],
  ["DL", "DL"],
  ["FE", "FE"],
  ["REML_knha", "REML"],
  ["DL_knha", "DL"],
];

function check(fit: ReturnType<typeof metaAnalysis>, want: any) {
  const pairs: [string, number, number][] = [
    ["estimate", fit.pooled.estimate, want.estimate],
    ["se", fit.pooled.std_error, want.se],
    ["ci_lower", fit.pooled.ci_lower, want.ci_lower],
    ["ci_upper", fit.pooled.ci_upper, want.ci_upper],
    ["tau2", fit.tau2, want.tau2],
    ["I2", fit.I2, want.I2],
    ["H2", fit.H2, want.H2],
    ["Q", fit.Q, want.Q],
  ];
  // metafor gives no prediction interval for the fixed-effect model (it would equal the CI).
  if (typeof want.pi_lower === "number") {
    pairs.push(["pi_lower", fit.prediction_lower, want.pi_lower], ["pi_upper", fit.prediction_upper, want.pi_upper]);
  } else {
    pairs.push(["pi_lower", fit.prediction_lower, want.ci_lower], ["pi_upper", fit.prediction_upper, want.ci_upper]);
  }
  if (typeof want.se_tau2 === "number") pairs.push(["se_tau2", fit.se_tau2 as number, want.se_tau2]);
  for (const [name, a, e] of pairs) expect(close(a, e), `${name}: ${a} vs ${e}`).toBe(true);
  expect(Math.abs(fit.pooled.p_value - want.p_value)).toBeLessThan(1e-6);
  expect(Math.abs(fit.Q_p_value - want.Q_p_value)).toBeLessThan(1e-6);
  if (want.weights) fit.weights.forEach((w, i) => expect(close(w, want.weights[i])).toBe(true));
}

describe("meta-analysis against metafor::rma on dat.bcg (log risk ratios)", () => {
  const d = readCsv(`${root}tests/reference/meta-bcg/data.csv`);
  const expected = readJson(`${root}tests/reference/meta-bcg/expected.json`);
  for (const [name, method] of cases) {
    it(name, () => {
      const fit = metaAnalysis(d.yi as number[], d.vi as number[], { method: method as MetaMethod, test: name.endsWith("knha") ? "knha" : "z" });
      check(fit, expected[name]);
      if (name.endsWith("knha")) expect(fit.pooled.df).toBe(12);
    });
  }
});

describe("meta-analysis of per-site differences in means against metafor::rma", () => {
  const person = readCsv(`${root}tests/reference/meta-multisite/data.csv`);
  const expected = readJson(`${root}tests/reference/meta-multisite/expected.json`);
  // The per-site difference in means with its Neyman SE, computed here from the person-level data.
  const sites = [...new Set(person.site as string[])];
  const yi: number[] = [];
  const vi: number[] = [];
  for (const s of sites) {
    const arms = [0, 1].map((t) => (person.y as number[]).filter((_, i) => person.site[i] === s && person.t[i] === t));
    const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
    const variance = (a: number[]) => a.reduce((x, y) => x + (y - mean(a)) ** 2, 0) / (a.length - 1);
    yi.push(mean(arms[1]) - mean(arms[0]));
    vi.push(variance(arms[1]) / arms[1].length + variance(arms[0]) / arms[0].length);
  }
  it("site estimates equal estimatr's difference_in_means", () => {
    yi.forEach((y, i) => expect(close(y, expected.site_estimates[i], 1e-9)).toBe(true));
    vi.forEach((v, i) => expect(close(Math.sqrt(v), expected.site_se[i], 1e-9)).toBe(true));
  });
  for (const [name, method] of cases) {
    it(name, () => {
      const fit = metaAnalysis(yi, vi, { method: method as MetaMethod, test: name.endsWith("knha") ? "knha" : "z", labels: sites });
      check(fit, expected[name]);
    });
  }
});

describe("meta-analysis by hand and bad data", () => {
  it("two equal-variance estimates: the FE pooled mean is their average", () => {
    const fit = metaAnalysis([1, 3], [1, 1], { method: "FE" });
    expect(fit.pooled.estimate).toBe(2);
    expect(fit.pooled.std_error).toBeCloseTo(Math.SQRT1_2, 15);
    expect(fit.Q).toBe(2);
    // DL: (Q − 1) / (Σw − Σw²/Σw) = 1 / (2 − 1) = 1
    expect(metaAnalysis([1, 3], [1, 1], { method: "DL" }).tau2).toBeCloseTo(1, 15);
  });
  it("names the problem", () => {
    expect(() => metaAnalysis([1], [1])).toThrow(/at least two/);
    expect(() => metaAnalysis([1, NaN], [1, 1], { labels: ["a", "b"] })).toThrow(/estimate b is not a finite number/);
    expect(() => metaAnalysis([1, 2], [1, 0])).toThrow(/sampling variance 0/);
  });
});
