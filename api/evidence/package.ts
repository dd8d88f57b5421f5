/**
 * Assembles an evidence package: every file as bytes, the manifest with the SHA-256 of each, and
 * the Ed25519 signature over the manifest. Runtime-neutral (Web Crypto); where the files go is the
 * repository's business (`repository.ts`).
 *
 * Files:
 *   evidence.json        the analysis (`buildEvidence`), schema in analysis/evidence/schema.ts
 *   report.html          self-contained report, Danish and English
 *   tables/<name>.csv    every table of the report
 *   data.csv             the pseudonymized analysis data set the numbers were computed from
 *   dataset.json         the data set's column types (number or text), to read data.csv back exactly
 *   allocations.csv      participant_id, sequence, site, enrolled_at, the design's input variables
 *                        as entered at enrollment, arm, stratum (allocation order)
 *   progression.csv      the progression measurements in force (progression-file.ts), when the
 *                        protocol has a progression instrument and they are given
 *   protocol.json        the protocol as frozen (canonical JSON); its hash is in evidence.json
 *   protocol.yaml        the protocol file as registered, when the trial's hash is that file's
 *   protocol-versions.json  every protocol version of an amended trial, with the sequence from
 *                        which each was in force (protocol-versions.ts), for re-deriving allocations
 *   seed.json            the seed commitment, and the seed once the trial is closed (else null)
 *   manifest.json        format, trial, time, predecessor, key id, and path + SHA-256 + size per file
 *   signature.json       Ed25519 over the bytes of manifest.json, with the public key
 * The package id is `ev-` + the first 32 hex digits of SHA-256(manifest.json): content-addressed.
 *
 * data.csv, allocations.csv and progression.csv hold one row per participant or measurement (pseudonymous ids, never a CPR); the
 * routes serve them only to researchers and the agency (a municipality never sees another's
 * participants), while the aggregate files are public once published.
 */
import type { Protocol } from "../../protocols/index.ts";
import { buildEvidence, completeEvidence } from "../../analysis/evidence/package.ts";
import { randomizationInferenceApplies, runPlan } from "../../analysis/plan.ts";
import { combineRandomizationCounts } from "../../analysis/randomization-inference.ts";
import { reportHtml } from "../../analysis/evidence/report.ts";
import type { Evidence } from "../../analysis/evidence/schema.ts";
import type { DataSet } from "../../analysis/plan.ts";
import type { RandomizationCounts, RandomizationSettings } from "../../analysis/randomization-inference.ts";
import { evidenceTables, tableCsv } from "../../analysis/evidence/tables.ts";
import type { AnalysisDataSet } from "../datasets/analysis-set.ts";
import { datasetCsv } from "../datasets/export-format.ts";
import type { Measurement } from "../../analysis/progression/panel.ts";
import { PROGRESSION_FILE, progressionCsv, progressionParticipants } from "./progression-file.ts";
import { VERSIONS_FILE, versionsJson } from "./protocol-versions.ts";
import { sha256Hex, type Signer } from "./signing.ts";

export const PACKAGE_FORMAT = "virker-evidence/1";
/** Files with one row per participant: not for the public. */
export const PERSON_LEVEL_FILES: ReadonlySet<string> = new Set(["data.csv", "allocations.csv", PROGRESSION_FILE]);

export interface AllocationRow {
  participant_id: string;
  sequence: number;
  site: string;
  enrolled_at: string;
  /** The design's input variables as entered at enrollment. */
  inputs: Record<string, string | number | boolean | null>;
  arm: string;
  stratum: string | null;
  /** The protocol version in force when the allocation was made (default: the current one). */
  protocol_version?: number;
}

export interface Manifest {
  format: typeof PACKAGE_FORMAT;
  trial: string;
  created_at: string;
  predecessor: string | null;
  key_id: string;
  files: { path: string; sha256: string; bytes: number }[];
}

export interface SignatureFile {
  algorithm: "Ed25519";
  key_id: string;
  public_key: string;
  signature: string;
}

export interface PackageInput {
  trialId: string;
  protocol: Protocol;
  /** Canonical JSON of the protocol as frozen, and its hash. */
  protocolJson: string;
  protocolHash: string;
  /**
   * The protocol file as registered (YAML), when its hash is the trial's protocol hash: a
   * registered trial's identity is the hash of the file as written, which the frozen JSON (with
   * defaults applied) cannot reproduce, so the package carries the file too.
   */
  protocolSource?: string | null;
  data: AnalysisDataSet;
  allocations: AllocationRow[];
  seedCommitment: string;
  /** Revealed only for a closed trial. */
  seed: string | null;
  predecessor: string | null;
  createdAt: string;
  signer: Signer;
  /** Randomization-inference draws (default: the protocol's) and seed (default 1). */
  draws?: number;
  riSeed?: number;
  /**
   * Runs the randomization-inference streams (e.g. in parallel, `ri-parallel-node.ts`); default:
   * in turn on this thread. The numbers are the same either way.
   */
  riRunner?: (protocol: Protocol, data: DataSet, settings: RandomizationSettings) => Promise<RandomizationCounts[]>;
  /** CONSORT counts the data cannot give: people assessed for eligibility, and found eligible. */
  assessed?: number | null;
  eligible?: number | null;
  /**
   * The trial's progression measurements in force (days from enrollment), for a protocol with a
   * progression instrument: the package gets the `progression` section and `progression.csv`.
   * The participants are those of `allocations`, in their order.
   */
  progressionMeasurements?: readonly Measurement[] | null;
  /** Every protocol version of the trial, oldest first (an amended trial's package carries them). */
  versions?: readonly { version: number; protocolHash: string; protocolJson: string; at: string; reason: string | null }[];
}

/** Packages split their randomization draws over this many streams, on every machine alike. */
export const PACKAGE_RI_STREAMS = 2;

export interface AssembledPackage {
  id: string;
  evidence: Evidence;
  manifest: Manifest;
  files: Map<string, Uint8Array>;
}

/** The variables a design reads from each participant besides the site and enrollment time. */
export function designInputs(protocol: Protocol): string[] {
  const d = protocol.design as { strata?: string[]; factors?: { covariate: string }[]; unit?: string };
  const names = [...(d.strata ?? []), ...(d.factors ?? []).map((f) => f.covariate), ...(d.unit ? [d.unit] : [])];
  return [...new Set(names)].filter((n) => n !== "site");
}

const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;
const cell = (v: string | number | boolean | null | undefined) =>
  v === null || v === undefined ? "" : typeof v === "string" ? (NEEDS_QUOTES.test(v) ? `"${v.replaceAll('"', '""')}"` : v) : String(v);

export function allocationsCsv(protocol: Protocol, rows: readonly AllocationRow[]): string {
  const inputs = designInputs(protocol);
  const header = ["participant_id", "sequence", "site", "enrolled_at", ...inputs, "arm", "stratum"];
  const lines = rows.map((r) => [r.participant_id, r.sequence, r.site, r.enrolled_at, ...inputs.map((n) => r.inputs[n] ?? null), r.arm, r.stratum].map(cell).join(","));
  return [header.join(","), ...lines].join("\n") + "\n";
}

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

export async function assemblePackage(input: PackageInput): Promise<AssembledPackage> {
  const riSeed = input.riSeed ?? 1;
  const draws = input.draws ?? input.protocol.analysis.randomization_inference?.draws ?? 0;
  const settings = { draws, seed: riSeed, streams: PACKAGE_RI_STREAMS };
  const measurements = input.protocol.progression ? input.progressionMeasurements ?? null : null;
  const progression = measurements ? { participants: progressionParticipants(input.allocations), measurements } : undefined;
  const options = { protocolHash: input.protocolHash, dataSha256: null, seed: riSeed, draws, riStreams: PACKAGE_RI_STREAMS, predecessor: input.predecessor, assessed: input.assessed ?? null, eligible: input.eligible ?? null, progression };
  let evidence: Evidence;
  if (draws > 0 && input.riRunner && randomizationInferenceApplies(input.protocol, input.data)) {
    // The draws run elsewhere while this thread runs the rest of the plan; the result is what
    // buildEvidence gives (the draws only fill randomization_inference).
    const pending = input.riRunner(input.protocol, input.data, settings);
    const plan = runPlan(input.protocol, input.data, { ...options, draws: 0 });
    plan.randomization_inference = combineRandomizationCounts(input.protocol, await pending, settings);
    evidence = completeEvidence(input.protocol, input.data, plan, options);
  } else evidence = buildEvidence(input.protocol, input.data, options);
  const encoder = new TextEncoder();
  const files = new Map<string, Uint8Array>();
  const add = (path: string, text: string) => files.set(path, encoder.encode(text));
  const dataCsv = datasetCsv(input.data);
  evidence.data.sha256 = await sha256Hex(dataCsv);
  add("evidence.json", json(evidence));
  add("report.html", reportHtml(input.protocol, evidence, { trialId: input.trialId, seedCommitment: input.seedCommitment, seed: input.seed, createdAt: input.createdAt }));
  for (const table of evidenceTables(input.protocol, evidence)) add(`tables/${table.name}.csv`, tableCsv(table));
  add("data.csv", dataCsv);
  add("dataset.json", json({ columns: input.data.names.map((name) => ({ name, type: input.data.numeric.has(name) ? "number" : "text" })), ri_seed: riSeed, draws, ri_streams: PACKAGE_RI_STREAMS, assessed: input.assessed ?? null, eligible: input.eligible ?? null }));
  add("allocations.csv", allocationsCsv(input.protocol, input.allocations));
  if (measurements) add(PROGRESSION_FILE, progressionCsv(input.protocol, measurements));
  add("protocol.json", input.protocolJson.endsWith("\n") ? input.protocolJson : `${input.protocolJson}\n`);
  if (input.protocolSource) add("protocol.yaml", input.protocolSource);
  const versions = input.versions ?? [];
  const current = versions.length > 0 ? versions[versions.length - 1].version : 1;
  const versionsText = versionsJson(versions, input.allocations.map((a) => ({ sequence: a.sequence, protocol_version: a.protocol_version ?? current })));
  if (versionsText) add(VERSIONS_FILE, versionsText);
  add("seed.json", json({ commitment: input.seedCommitment, seed: input.seed }));
  const entries = await Promise.all([...files].map(async ([path, bytes]) => ({ path, sha256: await sha256Hex(bytes), bytes: bytes.length })));
  entries.sort((a, b) => (a.path < b.path ? -1 : 1));
  const manifest: Manifest = { format: PACKAGE_FORMAT, trial: input.trialId, created_at: input.createdAt, predecessor: input.predecessor, key_id: input.signer.keyId, files: entries };
  const manifestBytes = encoder.encode(json(manifest));
  files.set("manifest.json", manifestBytes);
  const signature: SignatureFile = { algorithm: "Ed25519", key_id: input.signer.keyId, public_key: input.signer.publicKey, signature: await input.signer.sign(manifestBytes) };
  add("signature.json", json(signature));
  return { id: `ev-${(await sha256Hex(manifestBytes)).slice(0, 32)}`, evidence, manifest, files };
}
