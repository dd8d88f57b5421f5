/**
 * Writes a small, seeded set of published evidence packages for the notebooks' tests: the shipped
 * protocols run on simulated trials (analysis/simulate) through the package builder's analysis
 * (`buildEvidence`). Each package folder holds only the public files the notebooks read:
 * evidence.json, protocol.json (canonical, as frozen) and manifest.json with SHA-256 sums.
 * Never any person-level file.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildEvidence } from "../../analysis/evidence/package.ts";
import type { Evidence } from "../../analysis/evidence/schema.ts";
import { simulateTrial } from "../../analysis/simulate/index.ts";
import { loadProtocol, type Protocol } from "../../protocols/index.ts";

export interface PackageSpec {
  /** Folder name and trial id. */
  trial: string;
  protocol: string;
  n: number;
  seed: number;
}

/** Two trials of mentoring (a trial and its replication), one of IPS, one of volunteer mentors. */
export const DEMO_PACKAGES: readonly PackageSpec[] = [
  { trial: "mentor-youth-2026", protocol: "mentor-youth", n: 900, seed: 11 },
  { trial: "mentor-youth-2027", protocol: "mentor-youth", n: 700, seed: 12 },
  { trial: "ips-2026", protocol: "ips-severe-mental-illness", n: 600, seed: 13 },
  { trial: "volunteer-mentors-2026", protocol: "volunteer-mentors", n: 600, seed: 14 },
];

export interface WrittenPackage {
  trial: string;
  dir: string;
  protocol: Protocol;
  evidence: Evidence;
}

const sha = (b: string | Buffer) => createHash("sha256").update(b).digest("hex");

export function writeDemoPackages(root: string, specs: readonly PackageSpec[] = DEMO_PACKAGES): WrittenPackage[] {
  return specs.map((spec) => {
    const file = `protocols/${spec.protocol}.yaml`;
    const loaded = loadProtocol(readFileSync(file, "utf8"), file);
    if (!loaded.ok) throw new Error(`${file}: ${loaded.problems.map((p) => p.message).join("; ")}`);
    const trial = simulateTrial(loaded.protocol, { n: spec.n, seed: spec.seed });
    const evidence = buildEvidence(loaded.protocol, trial.dataSet, { protocolHash: loaded.hash, draws: 0, seed: spec.seed });
    const dir = join(root, spec.trial);
    mkdirSync(dir, { recursive: true });
    const files: Record<string, string> = {
      "evidence.json": `${JSON.stringify(evidence, null, 2)}\n`,
      "protocol.json": `${loaded.canonical}\n`,
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const manifest = {
      format: "virker-evidence/1",
      trial: spec.trial,
      created_at: "2027-06-01T00:00:00.000Z",
      predecessor: null,
      key_id: "test",
      files: Object.entries(files).map(([path, text]) => ({ path, sha256: sha(text), bytes: Buffer.byteLength(text) })),
    };
    writeFileSync(join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    return { trial: spec.trial, dir, protocol: loaded.protocol, evidence };
  });
}
