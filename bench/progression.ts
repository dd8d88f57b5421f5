/**
 * The progression estimators at scale: the arm × week mixed model (random intercept, REML) and
 * the ANCOVA at the last planned week, on simulated panels of N participants × the planned weeks
 * (three arms, three sites as strata, 5–35% of visits missing), next to R (lme4::lmer and
 * estimatr::lm_robust) on the same data in the same run.
 *
 *   npm run bench:progression -- [--n 10000,100000] [--weeks 0,13,26,52] [--runs 3] [--seed 1] [--r]
 *
 * Prints, per size, the median seconds of each fit (panel in memory → estimates; after one untimed
 * warm-up run); with --r also
 * R's median over the same number of runs (bench/progression.R; data in memory, the fit only),
 * the ratio R/ours, and the largest relative difference of the arm × week effects and their SEs
 * from R's.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { progressionAncova, progressionMixedModel, type ProgressionPanel } from "../analysis/index.ts";

const { values } = parseArgs({
  options: {
    n: { type: "string", default: "10000,100000" },
    weeks: { type: "string", default: "0,13,26,52" },
    runs: { type: "string", default: "3" },
    seed: { type: "string", default: "1" },
    r: { type: "boolean", default: false },
  },
});
const sizes = values.n.split(",").map(Number);
const weeks = values.weeks.split(",").map(Number);
const runs = Number(values.runs);
const arms = ["usual", "ips", "ips_e"];
const sites = ["101", "751", "851"];

/** mulberry32: a small seeded generator; Box–Muller for normals. */
function rng(seed: number) {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

function simulate(P: number, seed: number): ProgressionPanel {
  const { uniform, normal } = rng(seed);
  const K = weeks.length;
  const total = new Float64Array(P * K).fill(NaN);
  const arm: string[] = [], strata: string[] = [], participants: string[] = [];
  const last = weeks[K - 1]!;
  for (let i = 0; i < P; i++) {
    participants.push(`p${i}`);
    const a = Math.floor(uniform() * 3);
    const s = Math.floor(uniform() * 3);
    arm.push(arms[a]!);
    strata.push(sites[s]!);
    const u = 0.6 * normal();
    weeks.forEach((w, k) => {
      if (k > 0 && uniform() < 0.05 + (0.3 * w) / last) return;
      const effect = (a === 1 ? 0.35 : a === 2 ? 0.2 : 0) * (w / last);
      total[i * K + k] = 2.5 + 0.01 * w + [0, 0.3, -0.2][s]! + effect + u + 0.5 * normal();
    });
  }
  return { participants, arm, strata, weeks, measures: ["total"], scores: { total } };
}

function median(f: () => unknown): { seconds: number; result: unknown } {
  const times: number[] = [];
  let result: unknown = f(); // warm-up, not timed
  for (let k = 0; k < runs; k++) {
    const t0 = performance.now();
    result = f();
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((x, y) => x - y);
  return { seconds: times[Math.floor(times.length / 2)]!, result };
}

const maxRel = (a: number[], b: number[]) => Math.max(...a.map((x, j) => Math.abs(x - b[j]!) / Math.max(1e-12, Math.abs(b[j]!))));

console.log(`# weeks ${weeks.join(",")}; three arms, three sites; median of ${runs} runs${values.r ? "; R: lme4 " + "and estimatr, same runs" : ""}`);
console.log(values.r ? "participants\trows\tfit\tseconds\tR_seconds\tR/ours\tmax_rel_diff_estimate\tmax_rel_diff_se" : "participants\trows\tfit\tseconds");
for (const P of sizes) {
  const panel = simulate(P, Number(values.seed) + P);
  const K = weeks.length;
  let rows = 0;
  for (const v of panel.scores.total!) if (!Number.isNaN(v)) rows++;
  const lmm = median(() => progressionMixedModel(panel, { control: "usual", arms: ["ips", "ips_e"] }));
  const anc = median(() => progressionAncova(panel, { week: weeks[K - 1]!, control: "usual", arms: ["ips", "ips_e"] }));
  const ours = {
    mixed_model: { seconds: lmm.seconds, effects: (lmm.result as ReturnType<typeof progressionMixedModel>).effects },
    ancova: { seconds: anc.seconds, effects: anc.result as ReturnType<typeof progressionAncova> },
  };
  if (!values.r) {
    for (const [name, o] of Object.entries(ours)) console.log(`${P}\t${rows}\t${name}\t${o.seconds.toFixed(4)}`);
    continue;
  }
  const dir = mkdtempSync(join(tmpdir(), "virker-progression-"));
  const file = join(dir, "panel.csv");
  const lines = ["id,arm,site,week,y"];
  panel.participants.forEach((id, i) =>
    weeks.forEach((w, k) => {
      const v = panel.scores.total![i * K + k]!;
      if (!Number.isNaN(v)) lines.push(`${id},${panel.arm[i]},${panel.strata![i]},${w},${v}`);
    }),
  );
  writeFileSync(file, lines.join("\n") + "\n");
  const r = JSON.parse(execFileSync("Rscript", ["bench/progression.R", file, String(runs)], { encoding: "utf8", maxBuffer: 1 << 26 }));
  rmSync(dir, { recursive: true });
  for (const [name, o] of Object.entries(ours)) {
    const ref = r[name];
    const est = o.effects.map((e) => e.estimate), se = o.effects.map((e) => e.std_error);
    console.log(`${P}\t${rows}\t${name}\t${o.seconds.toFixed(4)}\t${ref.seconds.toFixed(3)}\t${(ref.seconds / o.seconds).toFixed(1)}\t${maxRel(est, ref.estimate).toExponential(1)}\t${maxRel(se, ref.std_error).toExponential(1)}`);
  }
}
