import { readFile, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { Allocator, DesignInputError, parseSeed, trialDesignOf, type DesignParticipant } from "../../analysis/design/index.ts";
import { formatProblem, loadProtocol } from "../../protocols/index.ts";
import { readTable } from "../datasets/table.ts";
import type { CliIO } from "./main.ts";

const USAGE = "usage: virker allocate --protocol <file> --seed <64 hex> --participants <csv> [--out <csv>]\n";

/** Quotes a CSV field when it needs it (RFC 4180). */
function csvField(value: string | number | null): string {
  const text = value === null ? "" : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * `virker allocate`: re-derives a trial's allocations from its protocol and seed, allocating the
 * participants in file order (columns: id, site, the covariates the design needs, and enrolled_at
 * for a stepped wedge), and writes `id,arm,stratum,sequence`. Same seed and input give
 * byte-identical output. Bad input exits 1 naming the row (file line) and column.
 */
export async function allocate(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { protocol: { type: "string" }, seed: { type: "string" }, participants: { type: "string" }, out: { type: "string" } },
    strict: true,
  });
  if (!values.protocol || !values.seed || !values.participants) {
    io.err(USAGE);
    return 1;
  }
  try {
    parseSeed(values.seed);
  } catch (error) {
    io.err(`--seed: ${(error as Error).message}\n`);
    return 1;
  }
  const loaded = loadProtocol(await readFile(values.protocol, "utf8"), values.protocol);
  if (!loaded.ok) {
    io.err(loaded.problems.map((p) => `${formatProblem(p)}\n`).join(""));
    return 1;
  }
  const protocol = loaded.protocol;
  const table = await readTable(values.participants, { text: true });
  const file = values.participants;
  const problems: string[] = [];
  for (const required of ["id", "site"]) if (!table.columns.has(required)) problems.push(`${file}: column ${required} is missing (kolonnen mangler)`);
  if (problems.length > 0) {
    io.err(problems.map((p) => `${p}\n`).join(""));
    return 1;
  }
  const siteIds = new Set(protocol.sites.map((s) => s.id));
  const types = new Map(protocol.covariates.map((c) => [c.id, c.type]));
  const text = (name: string, i: number) => (table.columns.get(name) as (string | null)[] | undefined)?.[i] ?? null;
  const covariateNames = table.names.filter((n) => n !== "id" && n !== "site" && n !== "enrolled_at");
  const participants: DesignParticipant[] = [];
  for (let i = 0; i < table.rows; i++) {
    const line = i + 2;
    const site = text("site", i);
    if (site === null || !siteIds.has(site)) {
      problems.push(`${file}:${line}: column site: unknown site ${JSON.stringify(site ?? "")} (ukendt sted); the protocol has ${[...siteIds].join(", ")}`);
      continue;
    }
    const covariates: Record<string, string | number | boolean> = {};
    for (const name of covariateNames) {
      const v = text(name, i);
      if (v !== null && v !== "") covariates[name] = typed(types.get(name), v);
    }
    participants.push({ id: text("id", i) ?? String(line), site, covariates, enrolled_at: text("enrolled_at", i) ?? undefined });
  }
  if (problems.length > 0) {
    io.err(problems.map((p) => `${p}\n`).join(""));
    return 1;
  }
  const allocator = new Allocator(trialDesignOf(protocol), values.seed);
  const rows: string[] = ["id,arm,stratum,sequence"];
  for (let i = 0; i < participants.length; i++) {
    const p = participants[i];
    try {
      const a = allocator.allocate(p);
      rows.push([p.id ?? "", a.arm, a.stratum, a.sequence].map(csvField).join(","));
    } catch (error) {
      if (!(error instanceof DesignInputError)) throw error;
      problems.push(`${file}:${i + 2}: column ${error.variable}: ${error.message}`);
    }
  }
  if (problems.length > 0) {
    io.err(problems.map((p) => `${p}\n`).join(""));
    return 1;
  }
  const csv = rows.join("\n") + "\n";
  if (values.out) await writeFile(values.out, csv);
  else io.out(csv);
  return 0;
}

/**
 * A CSV cell as the API would have received it: booleans as true/false (from 1/0 or true/false),
 * numbers as numbers, so that strata and factor levels get the same labels on both paths.
 */
function typed(type: string | undefined, v: string): string | number | boolean {
  if (type === "boolean") return v === "1" || v.toLowerCase() === "true" ? true : v === "0" || v.toLowerCase() === "false" ? false : v;
  if (type === "number" || type === "integer") return Number.isFinite(Number(v)) ? Number(v) : v;
  return v;
}
