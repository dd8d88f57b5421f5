import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { runPlan } from "../../analysis/plan.ts";
import { formatProblem, loadProtocol } from "../../protocols/index.ts";
import { readTable } from "../datasets/table.ts";
import type { CliIO } from "./main.ts";

const USAGE = "usage: virker analyze --protocol <file> --data <csv|parquet> --out <dir> [--seed N] [--draws N]\n";

/**
 * `virker analyze`: runs the protocol's analysis plan on a flat participant file (one row per
 * participant: arm, site, covariates, a column per outcome; a time-to-event outcome as
 * `<id>_time` and `<id>_event` or its declared columns) and writes `<dir>/evidence.json`.
 */
export async function analyze(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { protocol: { type: "string" }, data: { type: "string" }, out: { type: "string" }, seed: { type: "string" }, draws: { type: "string" } },
    strict: true,
  });
  if (!values.protocol || !values.data || !values.out) {
    io.err(USAGE);
    return 1;
  }
  const loaded = loadProtocol(await readFile(values.protocol, "utf8"), values.protocol);
  if (!loaded.ok) {
    io.err(loaded.problems.map((p) => `${formatProblem(p)}\n`).join(""));
    return 1;
  }
  const bytes = await readFile(values.data);
  const table = await readTable(values.data);
  const evidence = runPlan(loaded.protocol, table, {
    protocolHash: loaded.hash,
    dataSha256: createHash("sha256").update(bytes).digest("hex"),
    seed: values.seed === undefined ? undefined : Number(values.seed),
    draws: values.draws === undefined ? undefined : Number(values.draws),
  });
  await mkdir(values.out, { recursive: true });
  await writeFile(join(values.out, "evidence.json"), `${JSON.stringify(evidence, null, 2)}\n`);
  for (const w of evidence.warnings) io.err(`warning: ${w}\n`);
  io.out(`${join(values.out, "evidence.json")}: ${evidence.results.length} results, ${evidence.heterogeneity.length} subgroup tests, ${evidence.survival.length} survival outcomes\n`);
  return 0;
}
