/**
 * The repositories Node runs: the shared contract (repository-contract.ts) for the memory and
 * folder repositories, and what only the folder promises: a package is written as its files (a
 * folder `virker verify` accepts as it is) and is read-only once published.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../api/cli/main.ts";
import { assemblePackage } from "../../api/evidence/package.ts";
import { MemoryEvidenceRepository, RepositoryError } from "../../api/evidence/repository.ts";
import { DirectoryEvidenceRepository } from "../../api/evidence/repository-node.ts";
import { generateSigningJwk, signerFromJwk } from "../../api/evidence/signing.ts";
import { repositoryContract } from "./repository-contract.ts";
import { syntheticIpsTrial } from "./synthetic-trial.ts";

const root = mkdtempSync(join(tmpdir(), "virker-repository-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

repositoryContract("memory", () => new MemoryEvidenceRepository());
let folders = 0;
repositoryContract("folder", () => new DirectoryEvidenceRepository(join(root, `contract-${++folders}`)));

describe("folder repository", () => {
  it("stores, lists, publishes once and leaves a verifiable, read-only folder", async () => {
    const trial = syntheticIpsTrial({ n: 150, draws: 100 });
    const signer = await signerFromJwk(await generateSigningJwk());
    const make = (createdAt: string, predecessor: string | null) =>
      assemblePackage({ trialId: "ips", protocol: trial.protocol, protocolJson: trial.protocolJson, protocolHash: trial.protocolHash, data: trial.data, allocations: trial.allocations, seedCommitment: trial.seedCommitment, seed: trial.seed, predecessor, createdAt, signer });
    const repo = new DirectoryEvidenceRepository(join(root, "evidence"));
    const a = await make("2027-01-01T00:00:00.000Z", null);
    const b = await make("2027-02-01T00:00:00.000Z", a.id);
    const record = (p: typeof a, at: string, predecessor: string | null) => ({ id: p.id, trial: "ips", status: "draft" as const, created_at: at, published_at: null, predecessor, files: p.manifest.files });
    await repo.put(record(b, "2027-02-01T00:00:00.000Z", a.id), b.files);
    await repo.put(record(a, "2027-01-01T00:00:00.000Z", null), a.files);
    await expect(repo.put(record(a, "2027-01-01T00:00:00.000Z", null), a.files)).rejects.toBeInstanceOf(RepositoryError);
    expect((await repo.list()).map((r) => r.id)).toEqual([a.id, b.id]);
    expect(new TextDecoder().decode((await repo.file(a.id, "tables/effects.csv"))!)).toBe(new TextDecoder().decode(a.files.get("tables/effects.csv")!));
    expect(await repo.file(a.id, "../../etc/passwd")).toBeNull();
    const published = await repo.publish(a.id, "2027-03-01T00:00:00.000Z");
    expect(published).toMatchObject({ status: "published", published_at: "2027-03-01T00:00:00.000Z" });
    await expect(repo.publish(a.id, "2027-03-02T00:00:00.000Z")).rejects.toMatchObject({ code: "published" });
    expect(statSync(join(root, "evidence", a.id, "evidence.json")).mode & 0o222).toBe(0);
    let err = "";
    const code = await main(["verify", join(root, "evidence", a.id)], { out: () => {}, err: (t) => void (err += t) });
    expect(err).toBe("");
    expect(code).toBe(0);
  }, 60_000);
});
