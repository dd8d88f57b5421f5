/**
 * Predictability of each design: the share of correct guesses by a recruiter who knows every past
 * assignment and guesses the arm furthest behind (Blackwell–Hodges convergence strategy), over
 * 5,000 simulated trials of 200 (1:1). Prints the markdown table kept in protocols/README.md.
 *
 *   npx tsx bench/predictability.ts
 */
import type { Design } from "../protocols/design-schema.ts";
import { convergenceGuessRate, fastStream, Rerandomizer, type DesignParticipant } from "../analysis/design/index.ts";

const arms = [
  { id: "control", ratio: 1, control: true },
  { id: "treat", ratio: 1, control: false },
];
const n = 200;
const trials = 5000;
// Four sites, three age bands, two education levels, mixed in enrollment order.
const people: DesignParticipant[] = Array.from({ length: n }, (_, i) => ({
  site: String(i % 4),
  covariates: { age_band: String((i * 7) % 3), education: String((i * 13) % 2) },
}));
const siteIndex = Int32Array.from(people, (p) => Number(p.site));

const designs: [string, Design, boolean][] = [
  ["simple", { type: "simple" }, false],
  ["blocked, blocks of 2", { type: "blocked", block_sizes: [2] }, false],
  ["blocked, blocks of 4", { type: "blocked", block_sizes: [4] }, false],
  ["blocked, blocks of 6", { type: "blocked", block_sizes: [6] }, false],
  ["blocked, random sizes 2/4/6", { type: "blocked", block_sizes: [2, 4, 6] }, false],
  ["blocked, random sizes 4/6/8", { type: "blocked", block_sizes: [4, 6, 8] }, false],
  ["stratified by site (4), blocks of 4 (guesser knows the site)", { type: "stratified", strata: ["site"], block_sizes: [4] }, true],
  ["minimization, site + age band + education, p = 0.8 (guesser tracks the site)", { type: "minimization", factors: [{ covariate: "site", weight: 1 }, { covariate: "age_band", weight: 1 }, { covariate: "education", weight: 1 }], imbalance: "range", p_preferred: 0.8 }, true],
  ["minimization, same factors, p = 1.0 (guesser tracks the site)", { type: "minimization", factors: [{ covariate: "site", weight: 1 }, { covariate: "age_band", weight: 1 }, { covariate: "education", weight: 1 }], imbalance: "range", p_preferred: 1 }, true],
];

console.log(`| design | correct guesses (${trials.toLocaleString("en")} trials of ${n}) |`);
console.log("| --- | --- |");
for (const [label, design, byStratum] of designs) {
  const rr = new Rerandomizer({ arms, design }, people);
  const out = new Int8Array(n);
  const rng = fastStream(2024);
  let sum = 0;
  for (let t = 0; t < trials; t++) {
    rr.draw(rng, out);
    sum += convergenceGuessRate(out, byStratum ? siteIndex : null, [1, 1], rng);
  }
  console.log(`| ${label} | ${(sum / trials).toFixed(3)} |`);
}
