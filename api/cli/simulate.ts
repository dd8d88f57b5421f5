import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { simulateTrial } from "../../analysis/simulate/index.ts";
import { formatProblem, loadProtocol } from "../../protocols/index.ts";
import type { CliIO } from "./main.ts";

const USAGE = "usage: virker simulate --protocol <file> --n <participants> --seed <integer> --out <dir> [--ineligible-share 0.08]\n";

function csvCell(v: unknown): string {
  if (v === null || v === undefined || (typeof v === "number" && Number.isNaN(v))) return "";
  const text = String(v);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * `virker simulate`: a simulated trial of a shipped protocol (analysis/simulate/), written as
 *
 *   participants.csv  the analysis data set, one row per enrolled participant: arm, site,
 *                     target group, dates, covariates, outcomes (what `virker analyze` reads)
 *   register.csv      the weekly register extract in the long layout: person, ISO week, code
 *   enrollments.json  the enrollment attempts in time order, as API request bodies
 *   truth.json        the true effects, per outcome, contrast and subgroup level
 *
 * The `person` and `cpr` values are fake, CPR-shaped identifiers generated from the seed (see
 * analysis/simulate/fake-cpr.ts): they belong to no one and must never be mixed with real data.
 * Same protocol, n and seed: byte-identical files.
 */
export async function simulate(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { protocol: { type: "string" }, n: { type: "string" }, seed: { type: "string" }, out: { type: "string" }, "ineligible-share": { type: "string" } },
    strict: true,
  });
  const n = Number(values.n);
  const seed = Number(values.seed);
  const share = values["ineligible-share"] === undefined ? undefined : Number(values["ineligible-share"]);
  if (!values.protocol || !values.out || !Number.isInteger(n) || n < 2 || !Number.isSafeInteger(seed) || (share !== undefined && !(share >= 0 && share < 1))) {
    io.err(USAGE);
    if (values.n !== undefined && !(Number.isInteger(n) && n >= 2)) io.err(`--n: forventede et heltal ≥ 2 / expected an integer ≥ 2, got ${JSON.stringify(values.n)}\n`);
    if (values.seed !== undefined && !Number.isSafeInteger(seed)) io.err(`--seed: forventede et heltal / expected an integer, got ${JSON.stringify(values.seed)}\n`);
    return 1;
  }
  const loaded = loadProtocol(await readFile(values.protocol, "utf8"), values.protocol);
  if (!loaded.ok) {
    io.err(loaded.problems.map((p) => `${formatProblem(p)}\n`).join(""));
    return 1;
  }
  let sim;
  try {
    sim = simulateTrial(loaded.protocol, { n, seed, ineligibleShare: share });
  } catch (error) {
    io.err(`simulate: ${(error as Error).message}\n`);
    return 1;
  }
  await mkdir(values.out, { recursive: true });
  const names = [...sim.dataSet.columns.keys()];
  const columns = names.map((k) => sim.dataSet.columns.get(k)!);
  const lines = [names.join(",")];
  for (let i = 0; i < sim.dataSet.rows; i++) lines.push(columns.map((c) => csvCell(c[i])).join(","));
  await writeFile(join(values.out, "participants.csv"), `${lines.join("\n")}\n`);
  const register = sim.registerRows();
  await writeFile(join(values.out, "register.csv"), `person,week,code\n${register.map((r) => `${r.person},${r.week},${r.code}`).join("\n")}\n`);
  await writeFile(join(values.out, "enrollments.json"), `${JSON.stringify(sim.population.schedule.map(({ at, site, body, expect, failures }) => ({ at, site, body, expect, failures })), null, 1)}\n`);
  await writeFile(
    join(values.out, "truth.json"),
    `${JSON.stringify({ ...sim.truth, protocol_hash: loaded.hash, allocation_seed: sim.allocationSeed, extract: { first_week: sim.population.extract.first, last_week: sim.population.extract.last } }, null, 2)}\n`,
  );
  const attempts = sim.population.schedule;
  const count = (e: string) => attempts.filter((a) => a.expect === e).length;
  io.out(
    `${values.out}: ${sim.dataSet.rows} deltagere / participants, ${register.length} registeruger / register weeks, ` +
      `${attempts.length} indskrivningsforsøg / enrollment attempts (${count("ineligible")} ikke berettigede / ineligible, ${count("no_consent")} uden samtykke / without consent, ${count("repeat")} gentagne / repeats)\n` +
      `Identifikatorerne er falske, men har CPR-form / the identifiers are fake but CPR-shaped\n`,
  );
  return 0;
}
