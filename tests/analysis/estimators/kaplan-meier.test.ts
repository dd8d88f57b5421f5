import { describe, expect, it } from "vitest";
import { AnalysisError } from "../../../analysis/estimate.ts";
import { kaplanMeier, sortNonNegative, survivalArms, survivalAt } from "../../../analysis/estimators/kaplan-meier.ts";
import { close, readCsv, readJson, root } from "./reference-data.ts";

const v = readCsv(`${root}../shared/reference/veteran.csv`);
const expected = readJson(`${root}../shared/reference/expected.json`);
const time = v.time as number[];
const status = v.status as number[];
const arm = v.arm as string[];

function expectClose(actual: number | null, want: number, tol = 1e-6) {
  expect(actual).not.toBeNull();
  expect(close(actual as number, want, tol), `${actual} vs ${want}`).toBe(true);
}

describe("Kaplan–Meier against survival::survfit on the veteran trial", () => {
  const fit = kaplanMeier(time, status, arm);
  const byArm = Object.fromEntries(fit.arms.map((a) => [a.arm, a]));

  it("orders arms as R's factor levels", () => {
    expect(fit.arms.map((a) => a.arm)).toEqual(["standard", "test"]);
  });

  it("medians, including the averaged 52.5 of the test arm, and their log CIs", () => {
    for (const a of ["standard", "test"]) {
      expectClose(byArm[a].median, expected.veteran_km_median[a]);
      expectClose(byArm[a].median_lower, expected.veteran_km_median_ci_log[a][0]);
      expectClose(byArm[a].median_upper, expected.veteran_km_median_ci_log[a][1]);
    }
  });

  it("survival and log CI at 30, 90, 180, 365 days as summary(fit, times =)", () => {
    const times = expected.veteran_km_survival_at.times;
    const st = survivalAt(byArm.standard, times);
    const te = survivalAt(byArm.test, times);
    times.forEach((_: number, i: number) => {
      expectClose(st.surv[i], expected.veteran_km_survival_at.standard[i]);
      expectClose(te.surv[i], expected.veteran_km_survival_at.test[i]);
      expectClose(st.lower[i], expected.veteran_km_survival_at.standard_lower_log[i]);
      expectClose(st.upper[i], expected.veteran_km_survival_at.standard_upper_log[i]);
    });
  });

  it("last row: S = 0, SE and CI undefined as R (NaN)", () => {
    const t = byArm.test;
    const last = t.time.length - 1;
    expect(t.surv[last]).toBe(0);
    expect(t.std_err_log[last]).toBe(Infinity);
    expect(Number.isNaN(t.lower[last])).toBe(true);
  });
});

describe("Kaplan–Meier by hand", () => {
  it("product-limit, Greenwood and counts on a tiny data set", () => {
    // times 1, 2, 2+, 3, 4+ : S = 4/5, 4/5·3/4 = 0.6, then 0.6·1/2 = 0.3 at 3.
    const fit = kaplanMeier([1, 2, 2, 3, 4], [1, 1, 0, 1, 0]);
    const a = fit.arms[0];
    expect(Array.from(a.time)).toEqual([1, 2, 3, 4]);
    expect(Array.from(a.n_risk)).toEqual([5, 4, 2, 1]);
    expect(Array.from(a.n_event)).toEqual([1, 1, 1, 0]);
    expect(Array.from(a.n_censor)).toEqual([0, 1, 0, 1]);
    expect(a.surv[2]).toBeCloseTo(0.3, 14);
    const gw = 1 / (5 * 4) + 1 / (4 * 3) + 1 / (2 * 1);
    expect(a.std_err[2]).toBeCloseTo(0.3 * Math.sqrt(gw), 14);
    expect(a.lower[2]).toBeCloseTo(Math.exp(Math.log(0.3) - 1.959963984540054 * Math.sqrt(gw)), 12);
    expect(a.upper[2]).toBe(Math.min(1, Math.exp(Math.log(0.3) + 1.959963984540054 * Math.sqrt(gw))));
    expect(a.median).toBe(3);
  });

  it("survivalAt before the first time, between rows and past the end", () => {
    const a = kaplanMeier([1, 2, 2, 3, 4], [1, 1, 0, 1, 0]).arms[0];
    const s = survivalAt(a, [0.5, 2.5, 5]);
    expect(s.time).toEqual([0.5, 2.5]);
    expect(s.surv[0]).toBe(1);
    expect(s.n_risk).toEqual([5, 2]);
    expect(s.n_event).toEqual([0, 2]);
    expect(s.n_censor).toEqual([0, 1]);
    expect(survivalAt(a, [5], { extend: true }).n_risk).toEqual([0]);
  });

  it("median not reached is null", () => {
    expect(kaplanMeier([1, 2, 3], [1, 0, 0]).arms[0].median).toBeNull();
  });
});

describe("bad data", () => {
  it("names the problem", () => {
    expect(() => kaplanMeier([1, -2], [1, 1])).toThrow(/row 2: time must be finite and ≥ 0/);
    expect(() => kaplanMeier([1, NaN], [1, 1])).toThrow(/row 2: time is not a number/);
    expect(() => kaplanMeier([1, 2], [1, 2])).toThrow(/event must be 1 or 0/);
    expect(() => kaplanMeier([1, 2], [1])).toThrow(AnalysisError);
    expect(() => kaplanMeier([1, 2], [1, 1], ["a", "b"], { levels: ["a", "b", "c"] })).toThrow(/arm "c" has no one/);
    expect(() => kaplanMeier([], [])).toThrow(/no observations/);
  });
});

describe("the radix sort behind the curves", () => {
  it("sorts non-negative doubles as the built-in numeric sort, ties and zeros included", () => {
    let state = 12345;
    const next = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (const n of [600, 5000]) {
      const a = new Float64Array(n);
      for (let i = 0; i < n; i++) a[i] = i % 7 === 0 ? 0 : i % 5 === 0 ? Math.floor(next() * 10) : -Math.log(next()) * 1e3;
      const want = a.slice().sort();
      sortNonNegative(a);
      expect(Array.from(a)).toEqual(Array.from(want));
    }
  });

  it("numeric arm codes in a typed array give numeric levels in ascending order", () => {
    const fit = kaplanMeier(new Float64Array([3, 1, 2, 5]), new Float64Array([1, 1, 0, 1]), new Float64Array([1, 0, 1, 0]));
    expect(fit.arms.map((a) => a.arm)).toEqual([0, 1]);
    expect(Array.from(fit.arms[0].time)).toEqual([1, 5]);
  });
});

describe("survival data from typed columns (the monomorphic row loop and its hand-over)", () => {
  const n = 1000;
  const time = Float64Array.from({ length: n }, (_, i) => (i * 37) % 101);
  const event = Float64Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 0 : 1));
  it("an arm label first seen mid-column, and non-integer labels, are coded as with plain arrays", () => {
    const group = Float64Array.from({ length: n }, (_, i) => (i < 700 ? i % 2 : i % 3 === 0 ? 5 : 2.5));
    const typed = survivalArms(time, event, group);
    const plain = survivalArms(Array.from(time), Array.from(event), Array.from(group));
    expect(typed.levels).toEqual([0, 1, 2.5, 5]);
    expect(plain.levels).toEqual(typed.levels);
    for (let c = 0; c < 4; c++) {
      expect(Array.from(typed.eventTimes[c])).toEqual(Array.from(plain.eventTimes[c]));
      expect(Array.from(typed.censorTimes[c])).toEqual(Array.from(plain.censorTimes[c]));
    }
  });
  it("a bad event or time after many good rows is named by its row", () => {
    const group = Float64Array.from({ length: n }, (_, i) => i % 2);
    const e = event.slice();
    e[900] = 2;
    expect(() => survivalArms(time, e, group)).toThrow(/row 901: event must be 1 or 0, got 2/);
    const t = time.slice();
    t[950] = -1;
    expect(() => survivalArms(t, event, group)).toThrow(/row 951: time must be finite and ≥ 0, got -1/);
  });
  it("more than 127 arms (slots beyond one byte) keep every person in their arm", () => {
    const group = Float64Array.from({ length: n }, (_, i) => i % 200);
    const d = survivalArms(time, event, group);
    expect(d.levels.length).toBe(200);
    for (const arm of [0, 127, 128, 199]) {
      const c = d.levels.indexOf(arm);
      let events = 0, censored = 0;
      for (let i = arm; i < n; i += 200) if (event[i] === 1) events++; else censored++;
      expect([d.eventTimes[c].length, d.censorTimes[c].length]).toEqual([events, censored]);
    }
  });
});
