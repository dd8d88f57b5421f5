/**
 * The simulator's population, schedule and histories: deterministic in the seed, valid against
 * the protocol, with the eligibility mix asked for, fake CPR numbers the real parser accepts with
 * the simulated age, and the register's own weeks and codes.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseCpr, ageOn } from "../../../api/cpr.ts";
import { loadCodebookFile, DEFAULT_CODEBOOK_PATH } from "../../../api/register/index.ts";
import { weekIndexOfDate, weekLabel as apiWeekLabel } from "../../../api/register/iso-week.ts";
import { checkEligibility, loadProtocol, validateCovariates, type Protocol } from "../../../protocols/index.ts";
import { CODE_CATEGORY, CODES, failureKinds, simulatePopulation, simulateTrial, weekLabel, weekOfDate } from "../../../analysis/simulate/index.ts";

const IDS = ["ips-severe-mental-illness", "mentor-youth", "brobygning", "volunteer-mentors"] as const;

function protocol(id: string): Protocol {
  const loaded = loadProtocol(readFileSync(`protocols/${id}.yaml`, "utf8"), `protocols/${id}.yaml`);
  if (!loaded.ok) throw new Error(loaded.problems.map((p) => p.message).join("; "));
  return loaded.protocol;
}

describe("determinism", () => {
  it("the same seed gives the identical trial, another seed another one", () => {
    const p = protocol("mentor-youth");
    const a = simulateTrial(p, { n: 300, seed: 11 });
    const b = simulateTrial(p, { n: 300, seed: 11 });
    const c = simulateTrial(p, { n: 300, seed: 12 });
    const dump = (t: typeof a) => JSON.stringify({ schedule: t.population.schedule, arms: t.arms, truth: t.truth, register: t.registerRows(), data: [...t.dataSet.columns].map(([k, v]) => [k, Array.from(v as ArrayLike<unknown>)]) });
    expect(dump(a)).toBe(dump(b));
    expect(a.population.schedule.map((x) => x.body.cpr)).not.toEqual(c.population.schedule.map((x) => x.body.cpr));
    expect(a.arms).not.toEqual(c.arms);
    expect(JSON.stringify(a.truth)).not.toBe(JSON.stringify(c.truth));
  });
});

describe.each(IDS)("%s population and schedule", (id) => {
  const p = protocol(id);
  const n = 400;
  const share = 0.1;
  const pop = simulatePopulation(p, { n, seed: 5, ineligibleShare: share, duplicates: 2, withoutConsent: 1 });

  it("every citizen's covariates are valid for the protocol", () => {
    for (const c of pop.citizens) expect(validateCovariates(p, c.covariates), `citizen ${c.index}`).toEqual([]);
  });

  it("has the eligibility mix asked for: n eligible, the ineligible share, every failure kind, as the enrollment check sees it", () => {
    const first = pop.schedule.filter((a) => a.expect !== "repeat");
    const enrolled = first.filter((a) => a.expect === "enrolled");
    const ineligible = first.filter((a) => a.expect === "ineligible");
    expect(enrolled).toHaveLength(n);
    expect(pop.participants).toHaveLength(n);
    expect(ineligible.length / (enrolled.length + ineligible.length)).toBeCloseTo(share, 2);
    for (const a of first) {
      const c = pop.citizens[a.citizen];
      const failures = checkEligibility(p, { site: a.body.site, target_group: a.body.target_group, age: c.age, covariates: a.body.covariates }).map((f) => f.rule);
      expect(failures).toEqual(a.failures);
      if (a.expect === "ineligible") expect(failures).toContain(c.madeToFail);
      else expect(failures).toEqual([]);
    }
    const kinds = new Set(ineligible.map((a) => pop.citizens[a.citizen].madeToFail));
    expect([...kinds].sort()).toEqual(failureKinds(p).sort());
    expect(first.filter((a) => a.expect === "no_consent").map((a) => a.body.consent)).toEqual([false]);
  });

  it("gives fake CPR numbers the real parser accepts, unique, with the simulated sex and the age on the day of enrollment", () => {
    const seen = new Set<string>();
    for (const c of pop.citizens) {
      const parsed = parseCpr(c.cpr, { today: new Date(c.at) });
      expect(parsed.ok, c.cpr).toBe(true);
      if (!parsed.ok) continue;
      expect(parsed.cpr.birthDate).toBe(c.birthDate);
      expect(parsed.cpr.sex).toBe(c.sex);
      expect(ageOn(parsed.cpr.birthDate, new Date(c.at))).toBe(c.age);
      seen.add(parsed.cpr.normalized);
    }
    expect(seen.size).toBe(pop.citizens.length);
  });

  it("schedules attempts in time order, on weekdays inside each site's window, with the repeats after their originals", () => {
    const s = pop.schedule;
    for (let i = 1; i < s.length; i++) expect(s[i].at >= s[i - 1].at).toBe(true);
    for (const a of s) {
      const site = p.sites.find((x) => x.id === a.site)!;
      expect(a.body.site).toBe(a.site);
      expect(new Date(a.at).getUTCDay()).not.toBe(0);
      expect(new Date(a.at).getUTCDay()).not.toBe(6);
      expect(a.at.slice(0, 10) >= site.enrollment.from).toBe(true);
      if (a.expect !== "repeat" && site.enrollment.to) expect(a.at.slice(0, 10) <= site.enrollment.to).toBe(true);
    }
    const repeats = s.filter((a) => a.expect === "repeat");
    expect(repeats).toHaveLength(2);
    for (const r of repeats) {
      const original = s.find((a) => a.expect === "enrolled" && a.citizen === r.citizen)!;
      expect(r.body).toEqual(original.body);
      expect(r.at > original.at).toBe(true);
    }
    const sites = new Set(s.map((a) => a.site));
    expect(sites.size).toBe(p.sites.length);
    for (const site of p.sites) if (site.cap !== undefined && n <= p.sites.reduce((t, x) => t + (x.cap ?? 0), 0))
      expect(s.filter((a) => a.expect === "enrolled" && a.site === site.id).length).toBeLessThanOrEqual(site.cap);
  });

  it("draws the target groups of the protocol, in the scenario's proportions", () => {
    const enrolled = pop.participants.map((x) => x.citizen.targetGroup!);
    const weights = pop.scenario.targetGroups as Record<string, number>;
    const total = Object.values(weights).reduce((a, b) => a + b, 0);
    for (const [group, w] of Object.entries(weights)) {
      const share = enrolled.filter((g) => g === group).length / enrolled.length;
      // 5 binomial standard errors
      expect(Math.abs(share - w / total)).toBeLessThan(5 * Math.sqrt((w / total) * (1 - w / total) / enrolled.length));
    }
    for (const g of enrolled) expect(p.population.target_groups).toContain(g);
  });
});

describe("weeks and codes", () => {
  it("counts ISO weeks as the register does", () => {
    for (let day = 0; day < 3000; day += 3) {
      const date = new Date(Date.UTC(2024, 0, 1) + day * 86_400_000).toISOString().slice(0, 10);
      expect(weekOfDate(date)).toBe(weekIndexOfDate(date));
      expect(weekLabel(weekOfDate(date))).toBe(apiWeekLabel(weekIndexOfDate(date)));
    }
  });

  it("writes only codes of the default code book, with the categories it gives them", async () => {
    const book = await loadCodebookFile(DEFAULT_CODEBOOK_PATH);
    for (const code of CODES) expect(book.codes[code]?.category, code).toBe(CODE_CATEGORY[code]);
  });

  it("writes prior benefit weeks that agree with the covariate and one row per person-week", () => {
    const p = protocol("ips-severe-mental-illness");
    const t = simulateTrial(p, { n: 60, seed: 3 });
    const rows = t.registerRows();
    for (const o of t.observed.slice(0, 20)) {
      const cpr = o.participant.citizen.cpr;
      const mine = rows.filter((r) => r.person === cpr);
      expect(new Set(mine.map((r) => r.week)).size).toBe(mine.length);
      const prior = mine.slice(0, 52).filter((r) => book(r.code) === "benefit").length;
      expect(prior).toBe(o.participant.citizen.covariates.weeks_on_benefit_prior_52);
      expect(mine[52].week).toBe(weekLabel(weekOfDate(o.enrolledOn)));
    }
  });
});

function book(code: string): string {
  return CODE_CATEGORY[code as keyof typeof CODE_CATEGORY];
}
