import { describe, expect, it } from "vitest";
import { checkEligibility, evaluateCondition, siteOpen, validateCovariates, type Condition, type Protocol } from "../../protocols/index.ts";
import { baseProtocol, load } from "./fixtures.ts";

function protocol(mutate?: (p: Record<string, any>) => void): Protocol {
  const doc = baseProtocol();
  mutate?.(doc);
  const r = load(doc);
  if (!r.ok) throw new Error(r.problems.map((p) => `${p.path}: ${p.message}`).join("\n"));
  return r.protocol;
}

const good = { gender: "female", education: "basic", wants_work: true, prior_weeks: 30 };

describe("checkEligibility", () => {
  const p = protocol();

  it("an eligible person has no failures", () => {
    expect(checkEligibility(p, { site: "101", target_group: "kontanthjaelp_jobparat", age: 22, covariates: good })).toEqual([]);
  });

  it("names the site, target group and age that fail, in Danish and English", () => {
    const failures = checkEligibility(p, { site: "999", target_group: "dagpenge", age: 30, covariates: good });
    expect(failures.map((f) => f.rule)).toEqual(["site", "target_group", "age"]);
    expect(failures[0]!.message).toEqual({ da: 'stedet "999" deltager ikke i forsøget', en: 'site "999" is not part of the trial' });
    expect(failures[1]!.message.da).toContain("Dagpenge");
    expect(failures[1]!.message.en).toContain("Unemployment insurance benefit is not included");
    expect(failures[2]!.message).toEqual({ da: "alderen 30 er uden for 18–29 år", en: "age 30 is outside 18–29 years" });
  });

  it("age limits are inclusive", () => {
    const at = (age: number) => checkEligibility(p, { site: "751", target_group: "kontanthjaelp_jobparat", age, covariates: good }).map((f) => f.rule);
    expect(at(18)).toEqual([]);
    expect(at(29)).toEqual([]);
    expect(at(17)).toEqual(["age"]);
    expect(at(29.5)).toEqual(["age"]);
  });

  it("an unmet inclusion rule is named with the value it read", () => {
    const failures = checkEligibility(p, { site: "101", target_group: "kontanthjaelp_jobparat", age: 22, covariates: { ...good, wants_work: false } });
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ rule: "wants_work", kind: "inclusion", value: { wants_work: false } });
    expect(failures[0]!.message.en).toBe("inclusion rule wants_work (Wants work) is not met: wants_work=false");
    expect(failures[0]!.message.da).toBe("inklusionskriteriet wants_work (Ønsker arbejde) er ikke opfyldt: wants_work=false");
  });

  it("a met exclusion rule is named", () => {
    const failures = checkEligibility(p, { site: "101", target_group: "kontanthjaelp_jobparat", age: 22, covariates: { ...good, education: "enrolled" } });
    expect(failures.map((f) => [f.rule, f.kind])).toEqual([["in_education", "exclusion"]]);
    expect(failures[0]!.message.en).toBe('exclusion rule in_education (In education) applies: education="enrolled"');
  });

  it("a rule on a missing required value cannot be decided and fails", () => {
    const failures = checkEligibility(p, { site: "101", target_group: "kontanthjaelp_jobparat", age: 22, covariates: { gender: "male" } });
    expect(failures.map((f) => f.rule)).toEqual(["wants_work", "in_education"]);
    expect(failures[0]!.message.en).toContain("cannot be decided: value missing");
    expect(failures[1]!.message.en).toContain("cannot be decided: value missing");
  });

  it("a rule on a missing optional value does not hold (neither includes nor excludes)", () => {
    const q = protocol((d) => {
      d.population.exclusion.push({ id: "high_score", label: { da: "Høj score", en: "High score" }, when: { covariate: "score", op: "ge", value: 90 } });
      d.population.inclusion.push({ id: "has_score", label: { da: "Har score", en: "Has score" }, when: { covariate: "score", op: "ge", value: 0 } });
    });
    const rules = checkEligibility(q, { site: "101", target_group: "kontanthjaelp_jobparat", age: 22, covariates: good }).map((f) => f.rule);
    expect(rules).toEqual(["has_score"]);
    const rules95 = checkEligibility(q, { site: "101", target_group: "kontanthjaelp_jobparat", age: 22, covariates: { ...good, score: 95 } }).map((f) => f.rule);
    expect(rules95).toEqual(["high_score"]);
  });

  it("protocols without target groups or an age range do not check them", () => {
    const q = protocol((d) => {
      delete d.population.target_groups;
      delete d.population.age;
    });
    expect(checkEligibility(q, { site: "101", covariates: good })).toEqual([]);
  });
});

describe("the rule language", () => {
  const v = { age: 22, score: 55.5, gender: "female", flag: 1, when: "2026-03-01" };
  const cases: [Condition, boolean | undefined][] = [
    [{ covariate: "age", op: "eq", value: 22 }, true],
    [{ covariate: "age", op: "ne", value: 22 }, false],
    [{ covariate: "age", op: "lt", value: 22 }, false],
    [{ covariate: "age", op: "le", value: 22 }, true],
    [{ covariate: "age", op: "gt", value: 21 }, true],
    [{ covariate: "age", op: "ge", value: 23 }, false],
    [{ covariate: "score", op: "between", value: [55.5, 60] }, true],
    [{ covariate: "score", op: "between", value: [10, 55.4] }, false],
    [{ covariate: "gender", op: "in", value: ["male", "female"] }, true],
    [{ covariate: "gender", op: "not_in", value: ["female"] }, false],
    [{ covariate: "flag", op: "eq", value: true }, true],
    [{ covariate: "when", op: "ge", value: "2026-01-01" }, true],
    [{ covariate: "when", op: "between", value: ["2026-01-01", "2026-02-28"] }, false],
    [{ all: [{ covariate: "age", op: "ge", value: 18 }, { covariate: "gender", op: "eq", value: "female" }] }, true],
    [{ any: [{ covariate: "age", op: "ge", value: 30 }, { covariate: "gender", op: "eq", value: "male" }] }, false],
    [{ not: { covariate: "age", op: "ge", value: 30 } }, true],
    // three-valued logic on a missing value
    [{ covariate: "missing", op: "eq", value: 1 }, undefined],
    [{ not: { covariate: "missing", op: "eq", value: 1 } }, undefined],
    [{ all: [{ covariate: "missing", op: "eq", value: 1 }, { covariate: "age", op: "gt", value: 99 }] }, false],
    [{ all: [{ covariate: "missing", op: "eq", value: 1 }, { covariate: "age", op: "gt", value: 0 }] }, undefined],
    [{ any: [{ covariate: "missing", op: "eq", value: 1 }, { covariate: "age", op: "gt", value: 0 }] }, true],
    [{ any: [{ covariate: "missing", op: "eq", value: 1 }, { covariate: "age", op: "gt", value: 99 }] }, undefined],
  ];
  it.each(cases)("%j → %s", (cond, expected) => {
    expect(evaluateCondition(cond, v)).toBe(expected);
  });
});

describe("validateCovariates", () => {
  const p = protocol();
  it("accepts good values, booleans as 0/1, and leaves out absent optional ones", () => {
    expect(validateCovariates(p, { ...good, wants_work: 1 })).toEqual([]);
    expect(validateCovariates(p, { ...good, score: 0, referred: "2024-02-29" })).toEqual([]);
  });
  it("names each bad value with the rule it breaks", () => {
    const problems = validateCovariates(p, {
      gender: "other",
      education: "basic",
      wants_work: "yes",
      prior_weeks: 2.5,
      score: 101,
      referred: "2023-02-29",
      shoe_size: 44,
    });
    const byId = Object.fromEntries(problems.map((x) => [x.covariate, x.message.en]));
    expect(byId).toEqual({
      gender: 'gender: "other" is not an allowed value (female, male)',
      wants_work: 'wants_work: expected true/false (or 1/0), got "yes"',
      prior_weeks: "prior_weeks: expected an integer, got 2.5",
      score: "score: 101 is above the maximum 100",
      referred: 'referred: expected a date YYYY-MM-DD, got "2023-02-29"',
      shoe_size: "shoe_size: not a covariate of this protocol",
    });
    expect(problems.find((x) => x.covariate === "score")!.message.da).toBe("score: 101 er over maksimum 100");
  });
  it("reports missing required covariates, and range limits on dates and numbers", () => {
    const problems = validateCovariates(p, { gender: "male", prior_weeks: -1, referred: "2019-12-31" });
    expect(problems.map((x) => x.message.en)).toEqual([
      "education: missing (required)",
      "wants_work: missing (required)",
      "prior_weeks: -1 is below the minimum 0",
      "referred: 2019-12-31 is before 2020-01-01",
    ]);
  });
});

describe("siteOpen", () => {
  const p = protocol();
  it("checks the enrollment window and the cap", () => {
    expect(siteOpen(p, "101", "2026-06-01", 99)).toEqual({ open: true });
    expect(siteOpen(p, "101", "2025-12-31", 0)).toMatchObject({ open: false, message: { en: "København enrolls from 2026-01-01" } });
    expect(siteOpen(p, "101", "2027-01-01", 0)).toMatchObject({ open: false, message: { en: "København closed enrollment on 2026-12-31" } });
    expect(siteOpen(p, "101", "2026-06-01", 100)).toMatchObject({ open: false, message: { en: "København has reached its cap of 100 participants" } });
    expect(siteOpen(p, "751", "2030-01-01", 100000)).toEqual({ open: true });
    expect(siteOpen(p, "999", "2026-06-01", 0).open).toBe(false);
  });
});
