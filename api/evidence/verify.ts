/**
 * Verifies an evidence package from its files alone (runtime-neutral; `virker verify` reads the
 * folder, tests pass the files in memory):
 *
 * 1. the Ed25519 signature over manifest.json, with the public key in signature.json (and, if
 *    given, that this key is the one trusted, e.g. the server's `/v1/keys`);
 * 2. every file's SHA-256 and size against the manifest; no file missing, none unlisted;
 * 3. the protocol's canonical hash against evidence.json;
 * 4. the seed against its commitment, then every allocation re-derived from the seed and the
 *    protocol's design in allocation order (`allocateAll`), each arm, stratum and sequence
 *    compared, and each participant's arm in data.csv compared with the allocation list;
 * 5. the analysis re-run from data.csv (`buildEvidence`, same options; with progression.csv, the
 *    progression section too, over the participants of allocations.csv) and every number and word
 *    of evidence.json compared, then the tables and report.html re-rendered and compared.
 *
 * Every mismatch is named (file, row or JSON path, both values); `ok` only when there is none.
 */
import { parseSeed, seedCommitment, trialDesignOf, allocateAll, type DesignParticipant } from "../../analysis/design/index.ts";
import { buildEvidence } from "../../analysis/evidence/package.ts";
import { reportHtml } from "../../analysis/evidence/report.ts";
import type { Evidence } from "../../analysis/evidence/schema.ts";
import { evidenceTables, tableCsv } from "../../analysis/evidence/tables.ts";
import type { DataColumn, DataSet } from "../../analysis/plan.ts";
import { canonicalJson, loadProtocol, protocolHash, validateProtocolData, type Protocol } from "../../protocols/index.ts";
import { parseCsv } from "./csv.ts";
import { designInputs, type Manifest, type SignatureFile } from "./package.ts";
import { PROGRESSION_FILE, progressionParticipants, readProgressionCsv } from "./progression-file.ts";
import { allocationVersions, VERSIONS_FILE, type VersionsFile } from "./protocol-versions.ts";
import { sha256Hex, verifyEd25519 } from "./signing.ts";

export interface VerifyResult {
  ok: boolean;
  problems: string[];
  notes: string[];
}

const decoder = new TextDecoder();

/** Compares two JSON values; numbers to a relative 1e-9 (the same code on the same data gives them exactly). */
function compare(path: string, stored: unknown, fresh: unknown, out: string[]): void {
  if (out.length > 200) return;
  if (typeof stored === "number" && typeof fresh === "number") {
    if (!(stored === fresh || Math.abs(stored - fresh) <= 1e-9 * Math.max(1, Math.abs(fresh)))) out.push(`evidence.json ${path}: ${stored} in the package, ${fresh} re-computed`);
    return;
  }
  if (Array.isArray(stored) && Array.isArray(fresh)) {
    if (stored.length !== fresh.length) out.push(`evidence.json ${path}: ${stored.length} entries in the package, ${fresh.length} re-computed`);
    for (let i = 0; i < Math.min(stored.length, fresh.length); i++) compare(`${path}[${i}]`, stored[i], fresh[i], out);
    return;
  }
  if (stored && fresh && typeof stored === "object" && typeof fresh === "object") {
    const keys = new Set([...Object.keys(stored), ...Object.keys(fresh)]);
    for (const k of keys) compare(path ? `${path}.${k}` : k, (stored as Record<string, unknown>)[k], (fresh as Record<string, unknown>)[k], out);
    return;
  }
  if (stored !== fresh) out.push(`evidence.json ${path}: ${JSON.stringify(stored)} in the package, ${JSON.stringify(fresh)} re-computed`);
}

function readData(csv: string, types: { name: string; type: "number" | "text" }[]): DataSet {
  const { header, rows } = parseCsv(csv);
  const columns = new Map<string, DataColumn>();
  header.forEach((name, j) => {
    const type = types.find((t) => t.name === name)?.type ?? "text";
    columns.set(name, type === "number" ? Float64Array.from(rows, (r) => (r[j] === "" ? NaN : Number(r[j]))) : rows.map((r) => (r[j] === "" ? null : r[j])));
  });
  return { rows: rows.length, columns };
}

function typed(protocol: Protocol, name: string, v: string): string | number | boolean {
  const type = protocol.covariates.find((c) => c.id === name)?.type;
  if (type === "boolean") return v === "true" || v === "1" ? true : v === "false" || v === "0" ? false : v;
  if ((type === "number" || type === "integer") && Number.isFinite(Number(v))) return Number(v);
  return v;
}

export async function verifyPackage(files: ReadonlyMap<string, Uint8Array>, options: { trustedPublicKey?: string } = {}): Promise<VerifyResult> {
  const problems: string[] = [];
  const notes: string[] = [];
  const text = (path: string) => (files.has(path) ? decoder.decode(files.get(path)!) : null);
  const manifestText = text("manifest.json");
  const signatureText = text("signature.json");
  if (manifestText === null || signatureText === null) {
    return { ok: false, problems: [`${manifestText === null ? "manifest.json" : "signature.json"} is missing`], notes };
  }
  const manifest = JSON.parse(manifestText) as Manifest;
  const signature = JSON.parse(signatureText) as SignatureFile;
  if (!(await verifyEd25519(signature.public_key, signature.signature, files.get("manifest.json")!))) problems.push("signature.json: the Ed25519 signature does not match manifest.json");
  if (options.trustedPublicKey !== undefined && options.trustedPublicKey !== signature.public_key) problems.push(`signature.json: signed by key ${signature.public_key}, not the trusted key ${options.trustedPublicKey}`);

  const listed = new Set(manifest.files.map((f) => f.path));
  for (const f of manifest.files) {
    const bytes = files.get(f.path);
    if (!bytes) {
      problems.push(`${f.path}: listed in the manifest but missing`);
      continue;
    }
    const digest = await sha256Hex(bytes);
    if (digest !== f.sha256) problems.push(`${f.path}: SHA-256 ${digest}, the manifest says ${f.sha256}`);
  }
  for (const path of files.keys()) if (!listed.has(path) && path !== "manifest.json" && path !== "signature.json") problems.push(`${path}: not in the manifest`);

  const evidenceText = text("evidence.json");
  const protocolText = text("protocol.json");
  if (evidenceText === null || protocolText === null) return { ok: false, problems: [...problems, "evidence.json or protocol.json is missing; nothing more can be checked"], notes };
  const evidence = JSON.parse(evidenceText) as Evidence;
  const document: unknown = JSON.parse(protocolText);
  const parsed = validateProtocolData(document);
  if (!parsed.ok) return { ok: false, problems: [...problems, "protocol.json: not a valid protocol"], notes };
  const protocol = parsed.protocol;
  // The identity: the hash of the registered file where the package carries it (and the frozen
  // JSON must be that file's canonical form), else the hash of the frozen JSON (an amendment).
  const yaml = text("protocol.yaml");
  let hash = protocolHash(document);
  if (yaml !== null) {
    const loaded = loadProtocol(yaml, "protocol.yaml");
    if (!loaded.ok) problems.push("protocol.yaml: not a valid protocol");
    else {
      hash = loaded.hash;
      if (canonicalJson(loaded.protocol) !== protocolText.trimEnd()) problems.push("protocol.json: not the canonical form of protocol.yaml");
    }
  }
  if (hash !== evidence.protocol.hash) {
    // Without the file, a first version's hash (that of the registered file) cannot be recomputed.
    const why = yaml === null && !files.has(VERSIONS_FILE) ? "; a trial's first version is identified by its registered protocol file, which this package does not carry (protocol.yaml)" : "";
    problems.push(`protocol: hash ${hash}, evidence.json says ${evidence.protocol.hash}${why}`);
  }

  // Allocations from the revealed seed.
  const seedFile = JSON.parse(text("seed.json") ?? "{}") as { commitment?: string; seed?: string | null };
  /** Participant → the protocol version their allocation was made under (when re-derived). */
  const versionOfId = new Map<string, number>();
  const allocations = parseCsv(text("allocations.csv") ?? "");
  const col = (name: string) => allocations.header.indexOf(name);
  if (!seedFile.seed) notes.push("seed.json: the seed is not revealed (the trial was not closed); allocations not re-derived");
  else {
    let seedOk = true;
    try {
      parseSeed(seedFile.seed);
      if (seedCommitment(seedFile.seed) !== seedFile.commitment) (problems.push(`seed.json: SHA-256 of the seed is ${seedCommitment(seedFile.seed)}, the commitment is ${seedFile.commitment}`), (seedOk = false));
    } catch (error) {
      problems.push(`seed.json: ${(error as Error).message}`);
      seedOk = false;
    }
    if (seedOk) {
      const participantsUnder = (p: Protocol): DesignParticipant[] => {
        const inputs = designInputs(p);
        return allocations.rows.map((r) => ({
          id: r[col("participant_id")],
          site: r[col("site")],
          enrolled_at: r[col("enrolled_at")] || undefined,
          covariates: Object.fromEntries(inputs.filter((n) => col(n) >= 0 && r[col(n)] !== "").map((n) => [n, typed(p, n, r[col(n)])])),
        }));
      };
      try {
        // Each allocation under the protocol version it was made under: the current one, unless
        // the package carries an amended trial's versions.
        const sequences = allocations.rows.map((r) => Number(r[col("sequence")]));
        const made = madeUnder(text(VERSIONS_FILE), protocol, protocolText, evidence.protocol.hash, sequences, problems, notes);
        made.of.forEach((v, i) => versionOfId.set(allocations.rows[i][col("participant_id")], v));
        for (const [version, p] of made.versions) {
          const last = made.of.lastIndexOf(version);
          if (last < 0) continue;
          const derived = allocateAll(trialDesignOf(p), seedFile.seed, participantsUnder(p).slice(0, last + 1));
          derived.forEach((d, i) => {
            if (made.of[i] !== version) return;
            const r = allocations.rows[i];
            const line = `allocations.csv row ${i + 2} (${r[col("participant_id")]})`;
            if (r[col("arm")] !== d.arm) problems.push(`${line}: arm ${r[col("arm")]}, the seed and design${made.versions.size > 1 ? ` of protocol version ${version}` : ""} give ${d.arm}`);
            if ((r[col("stratum")] || null) !== d.stratum) problems.push(`${line}: stratum ${r[col("stratum")] || "(none)"}, the seed and design give ${d.stratum ?? "(none)"}`);
            if (Number(r[col("sequence")]) !== d.sequence) problems.push(`${line}: sequence ${r[col("sequence")]}, expected ${d.sequence}`);
          });
        }
        const used = [...new Set(made.of)];
        notes.push(`${allocations.rows.length} allocations re-derived from the seed${made.versions.size > 1 ? `, each under the protocol version it was made under (${used.map((v) => `version ${v}: ${made.of.filter((x) => x === v).length}`).join(", ")})` : ""}`);
      } catch (error) {
        problems.push(`allocations.csv: the design cannot re-derive the allocations: ${(error as Error).message}`);
      }
    }
  }

  // The analysis, re-run from the package's data.
  const dataText = text("data.csv");
  const datasetInfo = JSON.parse(text("dataset.json") ?? "{}") as { columns?: { name: string; type: "number" | "text" }[]; ri_seed?: number; draws?: number | null; ri_streams?: number; assessed?: number | null; eligible?: number | null };
  if (dataText === null) problems.push("data.csv is missing; the analysis cannot be re-run");
  else {
    const data = readData(dataText, datasetInfo.columns ?? []);
    const armOf = new Map(allocations.rows.map((r) => [r[col("arm") >= 0 ? col("participant_id") : 0], r[col("arm")]]));
    const ids = data.columns.get("participant_id") as (string | null)[] | undefined;
    const arms = data.columns.get("arm") as (string | null)[] | undefined;
    const versions = data.columns.get("protocol_version");
    ids?.forEach((id, i) => {
      if (id !== null && armOf.has(id) && armOf.get(id) !== arms?.[i]) problems.push(`data.csv row ${i + 2} (${id}): arm ${arms?.[i]}, the allocation list says ${armOf.get(id)}`);
      const v = id === null ? undefined : versionOfId.get(id);
      if (versions instanceof Float64Array && v !== undefined && files.has(VERSIONS_FILE) && versions[i] !== v) problems.push(`data.csv row ${i + 2} (${id}): protocol version ${versions[i]}, ${VERSIONS_FILE} says the allocation was made under version ${v}`);
    });
    let fresh: Evidence | null = null;
    try {
      const progressionText = text(PROGRESSION_FILE);
      const progression = progressionText === null ? undefined : {
        participants: progressionParticipants(allocations.rows.map((r) => ({ participant_id: r[col("participant_id")], arm: r[col("arm")], stratum: r[col("stratum")] || null }))),
        measurements: readProgressionCsv(protocol, progressionText),
      };
      fresh = buildEvidence(protocol, data, {
        progression,
        protocolHash: hash,
        dataSha256: await sha256Hex(files.get("data.csv")!),
        seed: datasetInfo.ri_seed ?? 1,
        draws: datasetInfo.draws ?? undefined,
        riStreams: datasetInfo.ri_streams ?? 1,
        predecessor: manifest.predecessor,
        assessed: datasetInfo.assessed ?? null,
        eligible: datasetInfo.eligible ?? null,
      });
    } catch (error) {
      problems.push(`data.csv: the analysis cannot be re-run: ${(error as Error).message}`);
    }
    if (fresh) {
      const mismatches: string[] = [];
      compare("", evidence, JSON.parse(JSON.stringify(fresh)), mismatches);
      problems.push(...mismatches);
      for (const table of evidenceTables(protocol, fresh)) {
        if (text(`tables/${table.name}.csv`) !== tableCsv(table)) problems.push(`tables/${table.name}.csv: differs from the table re-computed from data.csv`);
      }
      const report = reportHtml(protocol, fresh, { trialId: manifest.trial, seedCommitment: seedFile.commitment ?? "", seed: seedFile.seed ?? null, createdAt: manifest.created_at });
      if (text("report.html") !== report) problems.push("report.html: differs from the report re-rendered from data.csv");
      notes.push(`analysis re-run: ${fresh.results.length} results compared`);
      if (fresh.progression) notes.push(`progression re-run from ${PROGRESSION_FILE}: ${fresh.progression.assignment.rows} measurements, ${fresh.progression.ancova.length + fresh.progression.mixed_model.length} effects compared`);
    }
  }
  return { ok: problems.length === 0, problems, notes };
}

/**
 * The protocol each allocation was made under. Without protocol-versions.json: the current one
 * for all. With it: the file's last version must be protocol.json (same canonical JSON, same hash
 * as evidence.json), each amendment's hash must be that of its frozen JSON (version 1's is the
 * hash of the registered file, which the package does not carry then: noted), and each
 * allocation's version follows from the sequences at which the versions took effect.
 */
function madeUnder(versionsText: string | null, protocol: Protocol, protocolText: string, hash: string, sequences: number[], problems: string[], notes: string[]): { versions: Map<number, Protocol>; of: number[] } {
  if (versionsText === null) return { versions: new Map([[0, protocol]]), of: sequences.map(() => 0) };
  const file = JSON.parse(versionsText) as VersionsFile;
  const last = file.versions[file.versions.length - 1];
  if (!last || canonicalJson(last.protocol) !== protocolText.trimEnd()) problems.push(`${VERSIONS_FILE}: the last version is not protocol.json`);
  else if (last.protocol_hash !== hash) problems.push(`${VERSIONS_FILE}: the last version's hash ${last.protocol_hash}, evidence.json says ${hash}`);
  file.versions.forEach((v, i) => {
    const own = protocolHash(v.protocol);
    if (own === v.protocol_hash) return;
    if (i === 0) notes.push(`${VERSIONS_FILE}: version ${v.version}'s hash ${v.protocol_hash} is that of the registered protocol file, not carried in the package; not re-computed`);
    else problems.push(`${VERSIONS_FILE}: version ${v.version} hashes to ${own}, the file says ${v.protocol_hash}`);
  });
  return allocationVersions(file, sequences);
}
