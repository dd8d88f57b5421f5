/**
 * A full evidence package for a 6,000-participant three-arm trial (the IPS protocol: stratified by
 * site, 4 outcomes — two binary, a count and a time to event — 5 pre-specified subgroups) with
 * 10,000 randomization-inference draws: the analysis, CONSORT, cost-effectiveness, ratings,
 * plots, report, tables, manifest and signature, in memory (writing the files is not timed).
 * The randomization draws run as two streams, each in a worker thread while this thread runs the
 * rest of the analysis (as the Node server does; the workers started by the warm-up run are kept,
 * as the server keeps them).
 * Target: ≤ 2 s wall. One untimed warm-up run, then `--runs` timed runs (default 3); CPU seconds
 * are this process's, all threads; the load average is printed before and after (other work on
 * the machine stretches the wall time, not the CPU seconds).
 *
 *   npx tsx bench/evidence.ts [--n 6000] [--draws 10000] [--runs 3]
 */
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { assemblePackage } from "../api/evidence/package.ts";
import { parallelRandomizationCounts } from "../api/evidence/ri-parallel-node.ts";
import { generateSigningJwk, signerFromJwk } from "../api/evidence/signing.ts";
import { syntheticIpsTrial } from "../tests/evidence/synthetic-trial.ts";

const { values } = parseArgs({ options: { n: { type: "string", default: "6000" }, draws: { type: "string", default: "10000" }, runs: { type: "string", default: "3" } } });
const n = Number(values.n);
const draws = Number(values.draws);
const trial = syntheticIpsTrial({ n, draws, dropOutcome: "weeks_on_benefit_78" });
const signer = await signerFromJwk(await generateSigningJwk());
const build = () =>
  assemblePackage({
    trialId: "ips-severe-mental-illness", protocol: trial.protocol, protocolJson: trial.protocolJson, protocolHash: trial.protocolHash,
    data: trial.data, allocations: trial.allocations, seedCommitment: trial.seedCommitment, seed: trial.seed, predecessor: null,
    createdAt: "2027-09-01T12:00:00.000Z", signer, riRunner: parallelRandomizationCounts,
  });

const loadBefore = loadavg()[0];
const warm = await build();
const outcomes = trial.protocol.outcomes.length;
const bytes = [...warm.files.values()].reduce((s, b) => s + b.length, 0);
console.log(`participants\t${n}\narms\t${trial.protocol.arms.length}\noutcomes\t${outcomes}\nsubgroups\t${trial.protocol.subgroups.length}\nri_draws\t${draws}`);
console.log(`files\t${warm.files.size}\nbytes\t${bytes}\nresults\t${warm.evidence.results.length}`);
const times: number[] = [];
const cpu: number[] = [];
for (let r = 0; r < Number(values.runs); r++) {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await build();
  const c = process.cpuUsage(c0);
  times.push((performance.now() - t0) / 1000);
  cpu.push((c.user + c.system) / 1e6);
}
// CPU seconds of this process: what the wall time would be on an otherwise idle core.
cpu.sort((a, b) => a - b);
console.log(`package_cpu_seconds_median\t${cpu[Math.floor(cpu.length / 2)].toFixed(3)}\nload_average_1min_before\t${loadBefore.toFixed(2)}\nload_average_1min\t${loadavg()[0].toFixed(2)}`);
times.sort((a, b) => a - b);
console.log(`package_seconds_median\t${times[Math.floor(times.length / 2)].toFixed(3)}\npackage_seconds_all\t${times.map((t) => t.toFixed(3)).join(",")}\ntarget_seconds\t2`);
