import { describe, expect, it } from "vitest";
import { benjaminiHochberg, holm } from "../../analysis/multiplicity.ts";

// R 4.2: p <- c(0.01, 0.04, 0.03, 0.005, 0.2, 0.04); p.adjust(p, "holm"); p.adjust(p, "BH")
const p = [0.01, 0.04, 0.03, 0.005, 0.2, 0.04];
const rHolm = [0.05, 0.12, 0.12, 0.03, 0.2, 0.12];
const rBh = [0.03, 0.048, 0.048, 0.03, 0.2, 0.048];

describe("p.adjust", () => {
  it("holm as R", () => holm(p).forEach((v, i) => expect(v).toBeCloseTo(rHolm[i], 12)));
  it("BH as R", () => benjaminiHochberg(p).forEach((v, i) => expect(v).toBeCloseTo(rBh[i], 12)));
  it("capped at 1, empty family, bad p named", () => {
    expect(holm([0.6, 0.7])).toEqual([1, 1]);
    expect(benjaminiHochberg([])).toEqual([]);
    expect(() => holm([0.1, NaN])).toThrow(/p-value 1/);
  });
});
