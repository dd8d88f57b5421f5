import { describe, expect, it } from "vitest";
import { ksStatistic, ksUniformP } from "./ks.ts";

describe("exact Kolmogorov–Smirnov test (reference: R 4 ks.test(x, 'punif', exact = TRUE))", () => {
  // x_i = ((i − 0.5)/n)^b: D and p from R, printed with sprintf("%.12g").
  const cases: [number, number, number, number][] = [
    [1000, 1.05, 0.018447108166, 0.879119290794],
    [1000, 1.08, 0.028805384557, 0.370835942332],
    [1000, 1.12, 0.042168969791, 0.0554619221799],
    [50, 1.3, 0.106224511964, 0.588053002624],
    [50, 1.6, 0.18129804058, 0.0655348976061],
  ];
  for (const [n, b, d, p] of cases) {
    it(`n = ${n}, b = ${b}: D = ${d}, p = ${p}`, () => {
      const x = Array.from({ length: n }, (_, i) => ((i + 0.5) / n) ** b);
      expect(ksStatistic(x)).toBeCloseTo(d, 10);
      expect(ksUniformP(x)).toBeCloseTo(p, 8);
    });
  }
});
