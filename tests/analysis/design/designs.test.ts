import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Design, DesignArm } from "../../../protocols/design-schema.ts";
import { allocateAll, Allocator, DesignInputError, fastStream, Rerandomizer, type DesignParticipant, type TrialDesign } from "../../../analysis/design/index.ts";
import { pchisqUpper } from "../../../analysis/distributions.ts";

const SEED = "5eed".repeat(16);
const arms2: DesignArm[] = [
  { id: "control", ratio: 1, control: true },
  { id: "treat", ratio: 1, control: false },
];

function people(n: number, make: (i: number) => Partial<DesignParticipant> = () => ({})): DesignParticipant[] {
  return Array.from({ length: n }, (_, i) => ({ id: `P${i + 1}`, site: "101", covariates: {}, ...make(i) }));
}

const armsArb = fc
  .array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 4 })
  .map((ratios) => ratios.map((ratio, i) => ({ id: `arm${i}`, ratio, control: i === 0 })));

describe("blocked and stratified designs", () => {
  it("fills every completed block with exactly the ratio, in every stratum (property)", () => {
    fc.assert(
      fc.property(armsArb, fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 20, max: 120 }), fc.nat(), (arms, mult, strataCount, n, salt) => {
        const total = arms.reduce((s, a) => s + a.ratio, 0);
        const size = total * mult;
        const trial: TrialDesign = { arms, design: { type: "stratified", strata: ["site", "g"], block_sizes: [size] } };
        const ps = people(n, (i) => ({ site: String(100 + (i % 2)), covariates: { g: String((i * 7 + salt) % strataCount) } }));
        const rows = allocateAll(trial, SEED, ps);
        const byStratum = new Map<string, string[]>();
        for (const r of rows) byStratum.set(r.stratum!, [...(byStratum.get(r.stratum!) ?? []), r.arm]);
        for (const seq of byStratum.values()) {
          for (let start = 0; start + size <= seq.length; start += size) {
            const block = seq.slice(start, start + size);
            for (const a of arms) expect(block.filter((x) => x === a.id).length).toBe(a.ratio * mult);
          }
        }
      }),
      { numRuns: 60, seed: 42 },
    );
  });

  it("never lets a stratum's imbalance exceed half the largest block, with random block sizes (property)", () => {
    fc.assert(
      fc.property(fc.subarray([2, 4, 6, 8], { minLength: 1 }), fc.integer({ min: 10, max: 200 }), fc.integer({ min: 0, max: 1000 }), fc.boolean(), (sizes, n, salt, stratified) => {
        const design: Design = stratified ? { type: "stratified", strata: ["site", "g"], block_sizes: sizes } : { type: "blocked", block_sizes: sizes };
        const ps = people(n, (i) => ({ site: String((i * 31 + salt) % 3), covariates: { g: (i * 17 + salt) % 4 === 0 } }));
        const rows = allocateAll({ arms: arms2, design }, (salt % 16).toString(16).repeat(64), ps);
        const diff = new Map<string | null, number>();
        for (const r of rows) {
          const d = (diff.get(r.stratum) ?? 0) + (r.arm === "treat" ? 1 : -1);
          diff.set(r.stratum, d);
          expect(Math.abs(d)).toBeLessThanOrEqual(Math.max(...sizes) / 2);
        }
      }),
      { numRuns: 60, seed: 7 },
    );
  });

  it("keeps the same invariants on the batch path", () => {
    const trial: TrialDesign = { arms: arms2, design: { type: "stratified", strata: ["site"], block_sizes: [4] } };
    const ps = people(400, (i) => ({ site: String(i % 3) }));
    const rr = new Rerandomizer(trial, ps);
    const out = new Int8Array(rr.n);
    const rng = fastStream(3);
    for (let d = 0; d < 50; d++) {
      rr.draw(rng, out);
      for (let s = 0; s < 3; s++) {
        const seq = Array.from(out).filter((_, i) => i % 3 === s);
        for (let start = 0; start + 4 <= seq.length; start += 4) expect(seq.slice(start, start + 4).reduce((a, b) => a + b, 0)).toBe(2);
      }
    }
  });
});

describe("reproducibility", () => {
  const trial: TrialDesign = { arms: arms2, design: { type: "blocked", block_sizes: [4, 6] } };
  it("gives the same allocations from the same seed and different ones from another", () => {
    const ps = people(300);
    expect(allocateAll(trial, SEED, ps)).toEqual(allocateAll(trial, SEED, ps));
    expect(allocateAll(trial, SEED, ps).map((r) => r.arm)).not.toEqual(allocateAll(trial, "1".repeat(64), ps).map((r) => r.arm));
  });
  it("rebuilds the allocator by replay and carries on exactly as an uninterrupted one", () => {
    const ps = people(200, (i) => ({ site: String(i % 4) }));
    const all = allocateAll(trial, SEED, ps);
    const replayed = Allocator.replay(trial, SEED, ps.slice(0, 120).map((p, i) => ({ ...p, arm: all[i].arm })));
    const rest = ps.slice(120).map((p) => replayed.allocate(p).arm);
    expect(rest).toEqual(all.slice(120).map((r) => r.arm));
  });
  it("refuses a history that the seed does not give", () => {
    const ps = people(10);
    const all = allocateAll(trial, SEED, ps);
    const tampered = ps.map((p, i) => ({ ...p, arm: i === 5 ? (all[5].arm === "treat" ? "control" : "treat") : all[i].arm }));
    expect(() => Allocator.replay(trial, SEED, tampered)).toThrow(/allocation 6 does not replay/);
  });
});

describe("minimization", () => {
  const factorsDesign = (p: number, factors = ["site"]): Design => ({
    type: "minimization",
    factors: factors.map((covariate) => ({ covariate, weight: 1 })),
    imbalance: "range",
    p_preferred: p,
  });

  it("with p = 1 and one factor keeps every level's two-arm difference within 1 (property)", () => {
    // Bound: with deterministic minimization on one factor, the arm chosen is the one behind in
    // the participant's level (ties at random), so the difference there moves 0→±1 or ±1→0 only.
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 200 }), (sites) => {
        const rows = allocateAll({ arms: arms2, design: factorsDesign(1) }, SEED, sites.map((s, i) => ({ id: String(i), site: String(s) })));
        const diff = new Map<string, number>();
        rows.forEach((r, i) => {
          const s = String(sites[i]);
          diff.set(s, (diff.get(s) ?? 0) + (r.arm === "treat" ? 1 : -1));
          expect(Math.abs(diff.get(s)!)).toBeLessThanOrEqual(1);
        });
      }),
      { numRuns: 100, seed: 11 },
    );
  });

  it("with p = 0.8 and three factors keeps marginal imbalance far below simple randomization", () => {
    // Stated bound, over 200 trials of 200 with 3 + 3 + 2 factor levels: the mean over levels of
    // |n_treat − n_control| averages under a third of what simple randomization gives on the same
    // participants (simple: about sqrt(2m/π) ≈ 6 for a level of m ≈ 67), and no trial exceeds 3.
    const ps = people(200, (i) => ({ site: String(i % 3), covariates: { age_band: String((i * 7) % 3), education: String((i * 13) % 2) } }));
    const meanLevelImbalance = (design: Design) => {
      const rr = new Rerandomizer({ arms: arms2, design }, ps);
      const out = new Int8Array(rr.n);
      const rng = fastStream(5);
      let total = 0;
      let worst = 0;
      for (let t = 0; t < 200; t++) {
        rr.draw(rng, out);
        let sum = 0;
        let levels = 0;
        for (const v of ["site", "age_band", "education"]) {
          const diff = new Map<string, number>();
          ps.forEach((p, i) => {
            const level = v === "site" ? p.site : String(p.covariates![v]);
            diff.set(level, (diff.get(level) ?? 0) + (out[i] === 1 ? 1 : -1));
          });
          for (const d of diff.values()) (sum += Math.abs(d)), levels++;
        }
        total += sum / levels;
        worst = Math.max(worst, sum / levels);
      }
      return { mean: total / 200, worst };
    };
    const minimized = meanLevelImbalance(factorsDesign(0.8, ["site", "age_band", "education"]));
    const simple = meanLevelImbalance({ type: "simple" });
    expect(minimized.mean).toBeLessThan(simple.mean / 3);
    expect(minimized.worst).toBeLessThanOrEqual(3);
  });

  it("names a missing factor covariate", () => {
    const a = new Allocator({ arms: arms2, design: factorsDesign(0.8, ["site", "education"]) }, SEED);
    expect(() => a.allocate({ site: "101", covariates: {} })).toThrow(DesignInputError);
    expect(() => a.allocate({ site: "101", covariates: {} })).toThrow(/education/);
    expect(a.allocated).toBe(0);
  });

  it("follows unequal ratios", () => {
    const arms: DesignArm[] = [
      { id: "control", ratio: 1, control: true },
      { id: "treat", ratio: 2, control: false },
    ];
    const rows = allocateAll({ arms, design: factorsDesign(0.9) }, SEED, people(600, (i) => ({ site: String(i % 4) })));
    const treated = rows.filter((r) => r.arm === "treat").length;
    expect(Math.abs(treated - 400)).toBeLessThanOrEqual(8);
  });
});

describe("cluster randomization", () => {
  it("allocates each unit once and lets its members inherit the arm, balanced by blocks of units", () => {
    const trial: TrialDesign = { arms: arms2, design: { type: "cluster", unit: "team", strata: ["site"], block_sizes: [2] } };
    const ps = people(300, (i) => ({ site: String(i % 2), covariates: { team: `T${i % 20}` } }));
    const rows = allocateAll(trial, SEED, ps);
    const armOf = new Map<string, string>();
    rows.forEach((r, i) => {
      const team = String(ps[i].covariates!.team);
      if (armOf.has(team)) expect(r.arm).toBe(armOf.get(team));
      armOf.set(team, r.arm);
    });
    // 10 teams per site, blocks of 2 teams: 5 treated teams per site.
    for (const site of ["0", "1"]) {
      const teams = [...armOf].filter(([t]) => Number(t.slice(1)) % 2 === Number(site));
      expect(teams.filter(([, a]) => a === "treat").length).toBe(5);
    }
  });
});

describe("stepped wedge", () => {
  const sites = ["101", "147", "151", "153", "155", "157"];
  const trial: TrialDesign = {
    arms: arms2,
    sites,
    design: { type: "stepped_wedge", unit: "site", start: "2026-01-05", periods: 4, period_weeks: 13, steps: 3 },
  };

  it("spreads the sites evenly over the steps and crosses each over at its step's period", () => {
    const schedule = new Allocator(trial, SEED).schedule()!;
    const counts = [0, 0, 0, 0];
    for (const period of schedule.values()) counts[period]++;
    // periods − steps + j: steps 0..2 cross over at periods 1..3, two sites each; period 0 all control.
    expect(counts).toEqual([0, 2, 2, 2]);
  });

  it("gives control before the crossover and the intervention from it on", () => {
    const allocator = new Allocator(trial, SEED);
    const schedule = allocator.schedule()!;
    for (const site of sites) {
      for (let period = 0; period < 4; period++) {
        const date = new Date(Date.parse("2026-01-05T00:00:00Z") + (period * 13 + 3) * 7 * 86_400_000).toISOString().slice(0, 10);
        const a = allocator.allocate({ site, enrolled_at: date });
        expect(a.arm).toBe(period >= schedule.get(site)! ? "treat" : "control");
      }
    }
  });

  it("spreads 7 units over 3 steps as 3, 2, 2 and puts each unit in each step equally often over draws", () => {
    const seven = ["a", "b", "c", "d", "e", "f", "g"];
    const t: TrialDesign = { arms: arms2, sites: seven, design: { type: "stepped_wedge", unit: "site", start: "2026-01-05", periods: 3, period_weeks: 4, steps: 3 } };
    // One participant per unit in the first period: arm = treat iff the unit crosses over at period 0.
    const ps = seven.map((site) => ({ site, enrolled_at: "2026-01-06" }));
    const rr = new Rerandomizer(t, ps);
    const out = new Int8Array(rr.n);
    const rng = fastStream(77);
    const first = new Array(7).fill(0);
    const draws = 7000;
    for (let d = 0; d < draws; d++) {
      rr.draw(rng, out);
      // periods − steps + 0 = 0: the first step (3 units of 7) is treated from the first period.
      expect(out.reduce((a, b) => a + b, 0)).toBe(3);
      out.forEach((a, i) => (first[i] += a));
    }
    // Each draw picks 3 of 7 units without replacement: Var(c_i) = D·p(1−p) with p = 3/7 and
    // Cov(c_i, c_j) = −D·p(1−p)/6, so (6/7)·Σ(c_i − Dp)²/(D·p(1−p)) is χ² with 6 degrees of freedom.
    const p = 3 / 7;
    const chisq = ((6 / 7) * first.reduce((s, c) => s + (c - draws * p) ** 2, 0)) / (draws * p * (1 - p));
    expect(pchisqUpper(chisq, 6)).toBeGreaterThan(0.001);
  });

  it("places enrollment at a period's first instant in that period", () => {
    const allocator = new Allocator(trial, SEED);
    const schedule = allocator.schedule()!;
    const [site, crossover] = [...schedule].find(([, c]) => c >= 1)!;
    const boundary = new Date(Date.parse("2026-01-05T00:00:00Z") + crossover * 13 * 7 * 86_400_000);
    expect(allocator.allocate({ site, enrolled_at: boundary.toISOString() }).arm).toBe("treat");
    expect(allocator.allocate({ site, enrolled_at: new Date(boundary.getTime() - 1).toISOString() }).arm).toBe("control");
    expect(allocator.allocate({ site, enrolled_at: boundary.toISOString() }).stratum).toBe(`site=${site}|period=${crossover + 1}`);
  });

  it("refuses enrollment outside the periods and at unknown sites", () => {
    const allocator = new Allocator(trial, SEED);
    expect(() => allocator.allocate({ site: "101", enrolled_at: "2025-12-31" })).toThrow(/outside/);
    expect(() => allocator.allocate({ site: "101", enrolled_at: "2027-01-05" })).toThrow(/outside/);
    expect(() => allocator.allocate({ site: "999", enrolled_at: "2026-02-01" })).toThrow(/unknown site/);
  });
});

describe("conditional re-randomization of a simple design", () => {
  it("keeps the realized arm sizes in every draw", () => {
    const realized = Int8Array.from({ length: 445 }, (_, i) => (i < 185 ? 1 : 0));
    const rr = new Rerandomizer({ arms: arms2, design: { type: "simple" } }, people(445), { realized });
    expect(rr.description).toMatch(/260 \/ 185 of 445/);
    const out = new Int8Array(445);
    const rng = fastStream(9);
    let moved = 0;
    for (let d = 0; d < 20; d++) {
      rr.draw(rng, out);
      expect(out.reduce((a, b) => a + b, 0)).toBe(185);
      moved += out.slice(0, 185).reduce((a, b) => a + b, 0) < 185 ? 1 : 0;
    }
    expect(moved).toBe(20);
  });

  it("draws each of the C(6,2) = 15 arrangements of 2 treated among 6 equally often (chi-square)", () => {
    const realized = Int8Array.from([1, 1, 0, 0, 0, 0]);
    const rr = new Rerandomizer({ arms: arms2, design: { type: "simple" } }, people(6), { realized });
    const out = new Int8Array(6);
    const rng = fastStream(15);
    const counts = new Map<string, number>();
    const draws = 15_000;
    for (let d = 0; d < draws; d++) {
      rr.draw(rng, out);
      const key = out.join("");
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(15);
    const chisq = [...counts.values()].reduce((s, c) => s + (c - draws / 15) ** 2 / (draws / 15), 0);
    expect(pchisqUpper(chisq, 14)).toBeGreaterThan(0.001);
  });

  it("re-runs simple randomization unconditionally when asked, and refuses the option where it does not apply", () => {
    const realized = Int8Array.from({ length: 100 }, (_, i) => (i < 50 ? 1 : 0));
    const rr = new Rerandomizer({ arms: arms2, design: { type: "simple" } }, people(100), { realized, conditionOnArmSizes: false });
    const out = new Int8Array(100);
    const rng = fastStream(4);
    const sizes = new Set<number>();
    for (let d = 0; d < 20; d++) {
      rr.draw(rng, out);
      sizes.add(out.reduce((a, b) => a + b, 0));
    }
    expect(sizes.size).toBeGreaterThan(1);
    expect(() => new Rerandomizer({ arms: arms2, design: { type: "blocked", block_sizes: [4] } }, people(4), { realized: [0, 1, 0, 1], conditionOnArmSizes: true })).toThrow(/simple design only/);
    expect(() => new Rerandomizer({ arms: arms2, design: { type: "simple" } }, people(4), { conditionOnArmSizes: true })).toThrow(/realized/);
  });
});
