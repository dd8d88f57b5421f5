/**
 * An evidence package, end to end without a server: assembled from a seeded synthetic IPS trial,
 * written to a folder, checked by `virker verify`; then a file, an allocation and a number are
 * tampered with (the last two with the manifest re-hashed and re-signed by another key, as a
 * forger would) and each is caught and named.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EvidenceSchema } from "../../analysis/evidence/schema.ts";
import { loadProtocol } from "../../protocols/index.ts";
import { main } from "../../api/cli/main.ts";
import { assemblePackage, type AssembledPackage, type Manifest } from "../../api/evidence/package.ts";
import { generateSigningJwk, sha256Hex, signerFromJwk, type Signer } from "../../api/evidence/signing.ts";
import { verifyPackage } from "../../api/evidence/verify.ts";
import { randomizationCounts } from "../../analysis/randomization-inference.ts";
import { syntheticIpsTrial, syntheticProgression } from "./synthetic-trial.ts";

const root = mkdtempSync(join(tmpdir(), "virker-package-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let pkg: AssembledPackage;
let progressionPkg: AssembledPackage;
let signer: Signer;

function write(dir: string, files: Map<string, Uint8Array>) {
  for (const [path, bytes] of files) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), bytes);
  }
}

async function verify(dir: string, ...extra: string[]) {
  let out = "", err = "";
  const code = await main(["verify", dir, ...extra], { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

/** A forger's re-signing: new hashes in the manifest, signed by their own key. */
async function resign(files: Map<string, Uint8Array>, by: Signer): Promise<Map<string, Uint8Array>> {
  const out = new Map(files);
  const manifest = JSON.parse(new TextDecoder().decode(files.get("manifest.json")!)) as Manifest;
  for (const f of manifest.files) {
    f.sha256 = await sha256Hex(out.get(f.path)!);
    f.bytes = out.get(f.path)!.length;
  }
  const bytes = new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`);
  out.set("manifest.json", bytes);
  out.set("signature.json", new TextEncoder().encode(JSON.stringify({ algorithm: "Ed25519", key_id: by.keyId, public_key: by.publicKey, signature: await by.sign(bytes) })));
  return out;
}

const edit = (files: Map<string, Uint8Array>, path: string, change: (text: string) => string) => {
  const out = new Map(files);
  out.set(path, new TextEncoder().encode(change(new TextDecoder().decode(files.get(path)!))));
  return out;
};

beforeAll(async () => {
  const trial = syntheticIpsTrial({ n: 300, draws: 200 });
  signer = await signerFromJwk(await generateSigningJwk());
  pkg = await assemblePackage({
    trialId: "ips-severe-mental-illness", protocol: trial.protocol, protocolJson: trial.protocolJson, protocolHash: trial.protocolHash,
    data: trial.data, allocations: trial.allocations, seedCommitment: trial.seedCommitment, seed: trial.seed, predecessor: null,
    createdAt: "2027-09-01T12:00:00.000Z", signer,
  });
  const small = syntheticIpsTrial({ n: 240, draws: 100 });
  progressionPkg = await assemblePackage({
    trialId: "ips-severe-mental-illness", protocol: small.protocol, protocolJson: small.protocolJson, protocolHash: small.protocolHash,
    data: small.data, allocations: small.allocations, seedCommitment: small.seedCommitment, seed: small.seed, predecessor: null,
    createdAt: "2027-09-01T12:00:00.000Z", signer, progressionMeasurements: syntheticProgression(small).measurements,
  });
});

describe("evidence package", () => {
  it("holds every file, a valid evidence.json and a table CSV for every table", () => {
    const names = [...pkg.files.keys()];
    for (const f of ["evidence.json", "report.html", "data.csv", "dataset.json", "allocations.csv", "protocol.json", "seed.json", "manifest.json", "signature.json", "tables/effects.csv", "tables/consort.csv", "tables/ratings.csv"]) expect(names).toContain(f);
    const evidence = EvidenceSchema.parse(JSON.parse(new TextDecoder().decode(pkg.files.get("evidence.json")!)));
    expect(evidence.schema_version).toBe("1.2.0");
    expect(evidence.consort!.randomized).toBe(300);
    expect(evidence.ratings!.map((r) => r.scheme)).toEqual(["wwc", "eef_padlocks", "danish_evidence_level", "jobeffekter_weight"]);
    expect(evidence.site_effects.length).toBeGreaterThan(0);
    const report = new TextDecoder().decode(pkg.files.get("report.html")!);
    for (const name of names.filter((n) => n.startsWith("tables/"))) expect(report).toContain(`data-table="${name.slice(7, -4)}"`);
    expect(report).not.toMatch(/(src|href)=["']?https?:/);
    expect(pkg.id).toMatch(/^ev-[0-9a-f]{32}$/);
  });

  it("verifies as written", async () => {
    const dir = join(root, "ok");
    write(dir, pkg.files);
    const r = await verify(dir, "--key", signer.publicKey);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toContain("300 allocations re-derived from the seed");
  });

  it("catches a changed file", async () => {
    const dir = join(root, "file");
    write(dir, edit(pkg.files, "report.html", (t) => t.replace("Hvad virker?", "Hvad virker!")));
    const r = await verify(dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/mismatch: report\.html: SHA-256 [0-9a-f]{64}, the manifest says/);
  });

  it("catches a changed allocation even when the manifest is re-signed", async () => {
    const forger = await signerFromJwk(await generateSigningJwk());
    const lines = new TextDecoder().decode(pkg.files.get("allocations.csv")!).split("\n");
    const row = lines[5].split(",");
    const arm = row[row.length - 2];
    const other = arm === "usual" ? "ips" : "usual";
    const files = await resign(edit(pkg.files, "allocations.csv", () => lines.map((l, i) => (i === 5 ? l.replace(`,${arm},`, `,${other},`) : l)).join("\n")), forger);
    const dir = join(root, "allocation");
    write(dir, files);
    const r = await verify(dir, "--key", signer.publicKey);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`mismatch: allocations.csv row 6 (${row[0]}): arm ${other}, the seed and design give ${arm}`);
    expect(r.err).toContain("not the trusted key");
  });

  it("catches a changed number even when the manifest is re-signed", async () => {
    const forger = await signerFromJwk(await generateSigningJwk());
    const evidence = JSON.parse(new TextDecoder().decode(pkg.files.get("evidence.json")!));
    const original = evidence.results[0].estimate;
    evidence.results[0].estimate = original + 0.01;
    const files = await resign(edit(pkg.files, "evidence.json", () => `${JSON.stringify(evidence, null, 2)}\n`), forger);
    const dir = join(root, "number");
    write(dir, files);
    const r = await verify(dir);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`mismatch: evidence.json results[0].estimate: ${original + 0.01} in the package, ${original} re-computed`);
    expect(r.err.match(/^mismatch/gm)).toHaveLength(1);
  });

  describe("with progression measurements", () => {
    it("carries the progression section, its tables and plot, and progression.csv", () => {
      expect(pkg.files.has("progression.csv")).toBe(false);
      expect(pkg.evidence.progression).toBeUndefined();
      const evidence = EvidenceSchema.parse(JSON.parse(new TextDecoder().decode(progressionPkg.files.get("evidence.json")!)));
      const section = evidence.progression!;
      expect(section.completeness.length).toBe(3 * 5);
      expect(section.ancova.every((e) => e.week === 52)).toBe(true);
      expect(section.statements.at(-1)!.kind).toBe("caveat");
      const csv = new TextDecoder().decode(progressionPkg.files.get("progression.csv")!).trimEnd().split("\n");
      expect(csv[0]).toBe("participant_id,day,health,social_situation,motivation,job_seeking,skills,everyday_coping");
      expect(csv.length - 1).toBe(section.assignment.rows);
      const report = new TextDecoder().decode(progressionPkg.files.get("report.html")!);
      expect(report).toContain('data-plot="progression-trajectories"');
      for (const name of ["progression-trajectories", "progression-completeness", "progression-effects", "progression-mixed-model", "progression-assumptions"]) {
        expect(progressionPkg.files.has(`tables/${name}.csv`), name).toBe(true);
        expect(report).toContain(`data-table="${name}"`);
      }
    });

    it("verifies, progression re-run from progression.csv", async () => {
      const dir = join(root, "progression-ok");
      write(dir, progressionPkg.files);
      const r = await verify(dir, "--key", signer.publicKey);
      expect(r.err).toBe("");
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/progression re-run from progression\.csv: \d+ measurements, 70 effects compared/);
    });

    it("catches a changed progression number even when the manifest is re-signed", async () => {
      const forger = await signerFromJwk(await generateSigningJwk());
      const evidence = JSON.parse(new TextDecoder().decode(progressionPkg.files.get("evidence.json")!));
      const original = evidence.progression.ancova[1].p_adjusted;
      evidence.progression.ancova[1].p_adjusted = original / 2;
      const files = await resign(edit(progressionPkg.files, "evidence.json", () => `${JSON.stringify(evidence, null, 2)}\n`), forger);
      const dir = join(root, "progression-number");
      write(dir, files);
      const r = await verify(dir);
      expect(r.code).toBe(1);
      expect(r.err).toContain(`mismatch: evidence.json progression.ancova[1].p_adjusted: ${original / 2} in the package, ${original} re-computed`);
      expect(r.err.match(/^mismatch/gm)).toHaveLength(1);
    });

    it("catches a changed measurement in progression.csv: the section no longer follows from it", async () => {
      const forger = await signerFromJwk(await generateSigningJwk());
      const files = await resign(edit(progressionPkg.files, "progression.csv", (t) => {
        const lines = t.split("\n");
        const cells = lines[1].split(",");
        cells[2] = cells[2] === "5" ? "4" : String(Number(cells[2]) + 1);
        lines[1] = cells.join(",");
        return lines.join("\n");
      }), forger);
      const dir = join(root, "progression-csv");
      write(dir, files);
      const r = await verify(dir);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/^mismatch: evidence\.json progression\.trajectories\[\d+\]\.mean: /m);
    });
  });
});

describe("a package before the primary outcome has any value", () => {
  it("has randomization draws exactly where the plan would (none), so it verifies", async () => {
    const trial = syntheticIpsTrial({ n: 120, draws: 200 });
    const n = trial.data.rows;
    trial.data.columns.set("work_or_education_78w", new Float64Array(n).fill(NaN));
    let streamsRun = 0;
    const riRunner: NonNullable<Parameters<typeof assemblePackage>[0]["riRunner"]> = async (protocol, data, settings) => {
      streamsRun += settings.streams;
      return Array.from({ length: settings.streams }, (_, j) => randomizationCounts(protocol, data, settings, j));
    };
    const early = await assemblePackage({
      trialId: "ips-severe-mental-illness", protocol: trial.protocol, protocolJson: trial.protocolJson, protocolHash: trial.protocolHash,
      data: trial.data, allocations: trial.allocations, seedCommitment: trial.seedCommitment, seed: null, predecessor: null,
      createdAt: "2027-09-01T12:00:00.000Z", signer, riRunner,
    });
    expect(early.evidence.randomization_inference).toEqual([]);
    expect(early.evidence.warnings.join("\n")).toMatch(/work_or_education_78w: no participant has a value yet/);
    expect(streamsRun).toBe(0);
    const result = await verifyPackage(early.files);
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
  });
});

describe("a first version's package without its registered file", () => {
  it("cannot show its protocol's identity, and verify says why", async () => {
    const file = "protocols/ips-severe-mental-illness.yaml";
    const loaded = loadProtocol(readFileSync(file, "utf8"), file);
    if (!loaded.ok) throw new Error("the shipped IPS protocol must load");
    const trial = syntheticIpsTrial({ n: 120, draws: 100 });
    const built = await assemblePackage({
      trialId: "ips-severe-mental-illness", protocol: trial.protocol, protocolJson: trial.protocolJson, protocolHash: loaded.hash, protocolSource: null,
      data: trial.data, allocations: trial.allocations, seedCommitment: trial.seedCommitment, seed: trial.seed, predecessor: null,
      createdAt: "2027-09-01T12:00:00.000Z", signer,
    });
    expect(built.files.has("protocol.yaml")).toBe(false);
    const result = await verifyPackage(built.files);
    expect(result.ok).toBe(false);
    expect(result.problems.find((p) => p.startsWith("protocol: hash"))).toMatch(/registered protocol file, which this package does not carry \(protocol\.yaml\)/);
  });
});
