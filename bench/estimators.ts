/**
 * The six estimators of ../shared/bench/README.md, timed the way R times them (data in memory,
 * estimator only), with the same names, next to R in the same run.
 *
 *   Rscript ../shared/bench/make_data.R 1000000 /tmp/bench-1m.csv
 *   npm run bench:estimators -- /tmp/bench-1m.csv [--runs 5] [--r] [--r-runs 1]
 *
 * Prints `name<TAB>seconds` (the median of --runs runs, taken round-robin over the estimators) per
 * estimator. With --r, also runs ../shared/bench/r_peer.R (R's times; the median of --r-runs runs
 * of the script, spread between our rounds so that both sides see the same load) and
 * bench/r_estimates.R (R's numbers) on the same file and prints R's time, the ratio, and whether
 * the estimates, standard errors and df equal R's to 1e-6, with the machine's load average at
 * the start and at the end.
 *
 * Measured 2026-11-23 on 2 cores shared with other work, `--runs 9 --r --r-runs 3`, four runs
 * (load average 5.6→4.4, 8.3→3.8, 2.9→2.8, 6.1→1.7 from start to end), every number equal to R's;
 * R/ours ranged: difference_in_means 31–60, difference_in_means_blocked 30–53,
 * lin_10_covariates_hc2 12–22, ols_interaction_hc2 8.8–17.2, kaplan_meier 7.4–13.0,
 * logrank 13–22. Ratios move with the load: compare within one run. On the same machine with
 * nothing else running (load 1.3 → 1.0), same command: 35.5, 37.4, 16.9, 16.5, 11.0 and 18.6
 * (ours 0.054, 0.116, 0.353, 0.155, 0.146, 0.097 s; R 1.93, 4.34, 5.95, 2.57, 1.60, 1.80 s).
 */
import { execFileSync } from "node:child_process";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { readTable } from "../api/datasets/table.ts";
import { differenceInMeans, differenceInMeansBlocked, kaplanMeier, lmLin, logrank, olsFit, olsTerm } from "../analysis/index.ts";

const { values, positionals } = parseArgs({
  options: { runs: { type: "string", default: "5" }, r: { type: "boolean", default: false }, "r-runs": { type: "string", default: "1" } },
  allowPositionals: true,
});
const file = positionals[0];
if (!file) {
  console.error("usage: npm run bench:estimators -- <csv from make_data.R> [--runs 5] [--r] [--r-runs 1]");
  process.exit(1);
}
const runs = Number(values.runs);
const table = await readTable(file);
const col = (name: string) => table.columns.get(name) as Float64Array;
const y = col("y");
const t = col("t");
const site = table.columns.get("site") as string[];
const xs = Array.from({ length: 10 }, (_, j) => col(`x${j + 1}`));
const x1 = col("x1");
const time = col("time");
const status = col("status");

const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

type Numbers = Record<string, number | number[]>;
const estimators: [string, () => Numbers][] = [
  ["difference_in_means", () => pick(differenceInMeans(y, t))],
  ["difference_in_means_blocked", () => pick(differenceInMeansBlocked(y, t, site))],
  ["lin_10_covariates_hc2", () => pick(lmLin(y, t, xs))],
  [
    "ols_interaction_hc2",
    () => {
      const tx = new Float64Array(y.length);
      for (let i = 0; i < y.length; i++) tx[i] = t[i] * x1[i];
      const fit = olsFit(y, [t, x1, tx], { names: ["t", "x1", "t:x1"], seType: "HC2" });
      return pick(olsTerm(fit, fit.names.indexOf("t:x1"), "ols"));
    },
  ],
  [
    "kaplan_meier",
    () => {
      const fit = kaplanMeier(time, status, t);
      return { median: fit.arms.map((a) => a.median ?? NaN) };
    },
  ],
  ["logrank", () => ({ chisq: logrank(time, status, t).chisq })],
];

function pick(e: { estimate: number; std_error: number; df: number | null }): Numbers {
  return { estimate: e.estimate, std_error: e.std_error, df: e.df ?? Infinity };
}

// R's runs of r_peer.R (each prints its six times), interleaved with ours below.
const rRuns = values.r ? Number(values["r-runs"]) : 0;
const rAll = new Map<string, number[]>();
const runR = () => {
  for (const line of execFileSync("Rscript", ["../shared/bench/r_peer.R", file], { encoding: "utf8" }).trim().split("\n")) {
    const [name, s] = line.split("\t");
    rAll.set(name, [...(rAll.get(name) ?? []), Number(s)]);
  }
};

// Round-robin over the estimators (run k of each, then run k + 1) so that a burst of load on a
// shared machine spreads over all of them instead of landing on one estimator's runs; R's runs
// are spread between our rounds for the same reason.
const loadAtStart = loadavg();
const times = new Map<string, number[]>(estimators.map(([name]) => [name, []]));
const results = new Map<string, Numbers>();
let rDone = 0;
for (let k = 0; k < runs; k++) {
  if (rDone < rRuns && k >= Math.floor((rDone * runs) / rRuns)) {
    runR();
    rDone++;
  }
  for (const [name, run] of estimators) {
    const t0 = performance.now();
    results.set(name, run());
    times.get(name)!.push((performance.now() - t0) / 1000);
  }
}
const ours = new Map<string, { seconds: number; numbers: Numbers }>();
for (const [name] of estimators) {
  const seconds = median(times.get(name)!);
  ours.set(name, { seconds, numbers: results.get(name)! });
  if (!values.r) console.log(`${name}\t${seconds.toFixed(4)}`);
}

if (values.r) {
  while (rDone < rRuns) {
    runR();
    rDone++;
  }
  const rTimes = new Map([...rAll].map(([name, xs]) => [name, median(xs)] as const));
  const rNumbers = JSON.parse(execFileSync("Rscript", ["bench/r_estimates.R", file], { encoding: "utf8", maxBuffer: 1 << 24 }));
  // Times on a shared machine depend on its load: print it with the ratios.
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(", ");
  console.log(`# ${table.rows.toLocaleString("en")} rows; ours: median of ${runs} runs; R: median of ${rRuns} run(s) of r_peer.R; load average ${load(loadAtStart)} at the start, ${load(loadavg())} at the end`);
  console.log("name\tseconds\tR_seconds\tR/ours\tsame_numbers");
  for (const [name, { seconds, numbers }] of ours) {
    const r = rNumbers[name] as Record<string, number | number[]>;
    const same = Object.entries(numbers).every(([k, v]) => {
      const ref = r?.[k];
      const a = Array.isArray(v) ? v : [v];
      const b = Array.isArray(ref) ? ref : [ref];
      return a.length === b.length && a.every((x, i) => Math.abs(x - (b[i] as number)) <= 1e-6 * Math.max(1, Math.abs(b[i] as number)) || (x === Infinity && (b[i] as number) > 1e6));
    });
    const rs = rTimes.get(name) ?? NaN;
    console.log(`${name}\t${seconds.toFixed(4)}\t${rs.toFixed(4)}\t${(rs / seconds).toFixed(1)}\t${same ? "yes" : "NO"}`);
  }
}
