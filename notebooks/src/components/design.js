// Designing the next trial: the analytic MDE and sample size (analysis/power.ts) and power by
// simulation that re-runs the chosen assignment design (analysis/design Rerandomizer) and analyses
// each simulated trial with the package's own estimators. All imported unchanged from analysis/.
import {Rerandomizer, differenceInMeans, differenceInMeansClustered, fastStream, minimumDetectableEffect, powerAt, requiredSampleSize, simulatePower, standardNormal, uniform} from "../_lib/analysis.js";

/** The power design of analysis/power.ts from the page's inputs. */
export function powerDesign(s) {
  return {
    outcome: s.type === "binary" ? {type: "binary", control_rate: s.controlRate} : {type: "continuous", sd: s.sd},
    allocation: Array.from({length: s.arms}, () => 1),
    alpha: s.alpha,
    power: s.power,
    r2: s.r2,
    multiplicity: s.arms > 2 ? "bonferroni" : "none",
    ...(s.cluster ? {cluster: {icc: s.icc, size: s.clusterSize}} : {})
  };
}

export function analytic(s) {
  const design = powerDesign(s);
  const n = s.cluster ? s.clusters : s.n;
  let mde = null;
  try {
    mde = minimumDetectableEffect(design, n);
  } catch (e) {
    mde = {error: e.message};
  }
  let size = null;
  try {
    size = requiredSampleSize(design, s.effect);
  } catch (e) {
    size = {error: e.message};
  }
  return {design, mde, size};
}

/** Power of arm 1 vs control by simulation: `draws` trials of the design with the given effect. */
export function simulatedPower(s, {seed, draws}) {
  const units = s.cluster ? s.clusters : s.n;
  const size = s.cluster ? s.clusterSize : 1;
  const participants = [];
  const cluster = [];
  for (let j = 0; j < units; j++) for (let i = 0; i < size; i++) {
    participants.push({site: `u${j}`});
    cluster.push(j);
  }
  const arms = Array.from({length: s.arms}, (_, k) => ({id: k === 0 ? "control" : `arm${k}`, ratio: 1, control: k === 0}));
  const trial = {arms, design: s.cluster ? {type: "cluster", unit: "site", strata: [], block_sizes: [s.arms]} : {type: "blocked", block_sizes: [2 * s.arms]}};
  const rerandomizer = new Rerandomizer(trial, participants);
  const n = participants.length;
  const out = new Int8Array(n);
  const alpha = s.arms > 2 ? s.alpha / (s.arms - 1) : s.alpha;
  const rho = s.cluster ? s.icc : 0;
  return simulatePower({
    draws,
    alpha,
    rng: fastStream(seed),
    allocate: (rng) => {
      rerandomizer.draw(rng, out);
      return out;
    },
    outcome: (a, rng) => {
      const shock = new Float64Array(units);
      for (let j = 0; j < units; j++) shock[j] = standardNormal(rng);
      const y = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const treated = a[i] === 1 ? s.effect : 0;
        if (s.type === "binary") {
          const p = s.controlRate + treated + Math.sqrt(rho * s.controlRate * (1 - s.controlRate)) * shock[cluster[i]];
          y[i] = uniform(rng) < Math.min(0.999, Math.max(0.001, p)) ? 1 : 0;
        } else {
          y[i] = s.sd * (treated + Math.sqrt(rho) * shock[cluster[i]] + Math.sqrt(1 - rho) * standardNormal(rng));
        }
      }
      return y;
    },
    analyze: (y, a) => {
      const keep = [];
      for (let i = 0; i < n; i++) if (a[i] === 0 || a[i] === 1) keep.push(i);
      const yy = Float64Array.from(keep, (i) => y[i]);
      const zz = Float64Array.from(keep, (i) => a[i]);
      const est = s.cluster ? differenceInMeansClustered(yy, zz, keep.map((i) => cluster[i])) : differenceInMeans(yy, zz);
      return Number.isFinite(est.p_value) ? est.p_value : 1;
    }
  });
}

/** The protocol's `power:` section for this design, to paste into a protocol file. */
export function powerClaim(s, mde) {
  const n = s.cluster ? s.clusters * s.clusterSize : s.n;
  const lines = ["power:", `  mde: ${Math.ceil(mde * 1000) / 1000}`];
  if (s.type === "binary") lines.push(`  control_rate: ${s.controlRate}`);
  else lines.push(`  control_sd: ${s.sd}`);
  lines.push(`  target_n: ${Math.ceil(n)}`);
  if (s.cluster) lines.push(`  icc: ${s.icc}`);
  lines.push(`  alpha: ${s.alpha}`, `  power: ${s.power}`);
  return lines.join("\n");
}

/** Analytic power (analysis/power.ts) at the design's own sample and effect, beside the simulation. */
export function analyticPower(s) {
  return powerAt(powerDesign(s), s.cluster ? s.clusters : s.n, s.effect).power;
}
