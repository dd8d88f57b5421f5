/**
 * Data loader: the published evidence packages in VIRKER_EVIDENCE_DIR (default data/evidence/),
 * one sub-folder each, as one JSON document for the pages. Reads only the public files of a
 * package (evidence.json, parsed by the schema of analysis/evidence/schema.ts; protocol.json;
 * manifest.json), never person-level data. The package id is `ev-` + the first 32 hex digits of
 * SHA-256(manifest.json), as the package builder names it. A folder without evidence.json is
 * skipped, and so is a draft (the server's `<id>.record.json` beside it says so); a malformed
 * package stops the build naming the file.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { EvidenceSchema } from "../../../analysis/evidence/schema.ts";

const root = resolve(process.env.VIRKER_EVIDENCE_DIR ?? "../data/evidence");
const bilingual = (v: unknown) => (v && typeof v === "object" && "da" in v ? v : { da: String(v ?? ""), en: String(v ?? "") });

interface ProtocolJson {
  id: string;
  version: string | number;
  title: { da: string; en: string };
  population: { target_groups: string[]; age?: { min?: number; max?: number } };
  arms: { id: string; label: unknown; control?: boolean; ratio: number; cost?: { dkk_per_participant: number } }[];
  sites: { id: string; name: string }[];
  outcomes: { id: string; label: unknown; type: string; benefit?: string; role?: string; time?: { week?: number; from?: number; to?: number } }[];
  subgroups?: { id?: string; variable: string; levels: unknown[] }[];
  analysis: { primary_outcome: string; alpha?: number };
  economics?: { weekly_benefit_dkk?: number; discount_rate?: number; price_year?: number };
}

/** The estimators the knowledge bank pools and votes with (risk difference, difference in means). */
const POOLING_SCALE = new Set(["risk_difference", "difference_in_means"]);

const packages = [];
const folders = existsSync(root) ? readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort() : [];
for (const folder of folders) {
  const dir = join(root, folder);
  const evidenceFile = join(dir, "evidence.json");
  if (!existsSync(evidenceFile)) continue;
  // The server's repository keeps `<id>.record.json` beside each package: only published ones count.
  const recordFile = join(root, `${folder}.record.json`);
  if (existsSync(recordFile) && (JSON.parse(readFileSync(recordFile, "utf8")) as { status?: string }).status !== "published") continue;
  const parsed = EvidenceSchema.safeParse(JSON.parse(readFileSync(evidenceFile, "utf8")));
  if (!parsed.success) throw new Error(`${evidenceFile}: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  const e = parsed.data;
  const protocolFile = join(dir, "protocol.json");
  if (!existsSync(protocolFile)) throw new Error(`${dir}: protocol.json is missing (the package must carry its protocol)`);
  const p = JSON.parse(readFileSync(protocolFile, "utf8")) as ProtocolJson;
  const byTargetGroup = new Set((p.subgroups ?? []).filter((s) => s.variable === "target_group").map((s) => s.id ?? s.variable));
  const manifestFile = join(dir, "manifest.json");
  const manifestBytes = existsSync(manifestFile) ? readFileSync(manifestFile) : null;
  const manifest = manifestBytes ? (JSON.parse(manifestBytes.toString("utf8")) as { trial?: string; created_at?: string }) : {};
  packages.push({
    id: manifestBytes ? `ev-${createHash("sha256").update(manifestBytes).digest("hex").slice(0, 32)}` : folder,
    folder,
    trial: manifest.trial ?? folder,
    created_at: manifest.created_at ?? null,
    protocol: {
      id: p.id,
      version: p.version,
      hash: e.protocol.hash,
      title: p.title,
      target_groups: p.population.target_groups,
      age: p.population.age ?? {},
      sites: p.sites.map((s) => ({ id: s.id, name: s.name })),
      arms: p.arms.map((a) => ({ id: a.id, label: bilingual(a.label), control: a.control === true, cost: a.cost?.dkk_per_participant ?? null })),
      outcomes: p.outcomes.map((o) => ({ id: o.id, label: bilingual(o.label), type: o.type, benefit: o.benefit ?? "higher", role: o.role ?? null, time: o.time ?? null })),
      // The knowledge bank needs to know which subgroup is the target group (knowledge.js).
      subgroups: (p.subgroups ?? []).map((s) => ({ id: s.id ?? s.variable, variable: s.variable })),
      primary_outcome: p.analysis.primary_outcome,
      alpha: p.analysis.alpha ?? 0.05,
      economics: p.economics ?? null,
    },
    n: e.data.n,
    // Only the rows the pages read (the knowledge bank: each contrast's overall estimate on the
    // pooling scale and the subgroup rows by target group; the full table is in the package), which
    // halves what every page downloads and parses.
    results: e.results
      .filter((r) => (r.subgroup === null ? POOLING_SCALE.has(r.estimator) : byTargetGroup.has(r.subgroup.variable)))
      .map(({ warnings: _w, se_type: _s, df: _d, scale: _c, ...r }) => r),
    heterogeneity: e.heterogeneity.filter((h) => byTargetGroup.has(h.variable)),
    for_whom: e.for_whom ?? [],
    ratings: (e.ratings ?? []).map((r) => ({ scheme: r.scheme, value: r.value, label: r.label })),
    site_effects: e.site_effects,
    cost_effectiveness: e.cost_effectiveness ?? [],
    outcome_summaries: e.outcome_summaries,
  });
}

process.stdout.write(JSON.stringify({ packages }));
