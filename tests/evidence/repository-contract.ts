/**
 * What every EvidenceRepository promises (api/evidence/repository.ts), run against each one: the
 * memory and folder repositories in Node (repository.test.ts), the R2 repository inside workerd
 * (tests/worker/evidence-repository.worker.test.ts). Node-free, so it runs in both.
 *
 * The packages here are made-up bytes under well-formed ids: the repository stores files and
 * records and must not care what they say (the real packages are the evidence route tests' job).
 */
import { describe, expect, it } from "vitest";
import { RepositoryError, type EvidenceRepository, type PackageRecord } from "../../api/evidence/repository.ts";

const text = new TextEncoder();
const decode = (bytes: Uint8Array | null) => (bytes === null ? null : new TextDecoder().decode(bytes));

let made = 0;
/** A package with a fresh id: its record and files (two listed files, a nested table, manifest, signature). */
function fakePackage(createdAt: string, predecessor: string | null = null): { record: PackageRecord; files: Map<string, Uint8Array> } {
  made += 1;
  const id = `ev-${made.toString(16).padStart(8, "0")}${"c0ffee".repeat(4)}`;
  const files = new Map<string, Uint8Array>([
    ["evidence.json", text.encode(`{"package":"${id}"}`)],
    ["tables/effects.csv", text.encode("contrast,estimate\nips-usual,0.125\n")],
    ["data.csv", text.encode("participant_id,arm\np-1,ips\n")],
    ["manifest.json", text.encode(`{"files":2,"id":"${id}"}`)],
    ["signature.json", text.encode('{"alg":"Ed25519"}')],
  ]);
  const listed = ["evidence.json", "tables/effects.csv", "data.csv"].map((path) => ({ path, sha256: "0".repeat(64), bytes: files.get(path)!.length }));
  return { record: { id, trial: "ips", status: "draft", created_at: createdAt, published_at: null, predecessor, files: listed }, files };
}

/** `make` returns an empty repository each time it is called. */
export function repositoryContract(name: string, make: () => EvidenceRepository | Promise<EvidenceRepository>): void {
  describe(`evidence repository contract: ${name}`, () => {
    it("an empty repository lists nothing and knows no package", async () => {
      const repo = await make();
      expect(await repo.list()).toEqual([]);
      expect(await repo.get(fakePackage("2027-01-01T00:00:00.000Z").record.id)).toBeNull();
      expect(await repo.get("not-an-id")).toBeNull();
    });

    it("stores a draft and gives back its record and exactly its files", async () => {
      const repo = await make();
      const a = fakePackage("2027-01-01T00:00:00.000Z");
      await repo.put(a.record, a.files);
      expect(await repo.get(a.record.id)).toEqual(a.record);
      expect(decode(await repo.file(a.record.id, "tables/effects.csv"))).toBe("contrast,estimate\nips-usual,0.125\n");
      expect(decode(await repo.file(a.record.id, "manifest.json"))).toBe(`{"files":2,"id":"${a.record.id}"}`);
      expect(decode(await repo.file(a.record.id, "signature.json"))).toBe('{"alg":"Ed25519"}');
      expect(await repo.file(a.record.id, "report.html")).toBeNull();
      expect(await repo.file(a.record.id, "../../etc/passwd")).toBeNull();
      expect(await repo.file(fakePackage("2027-01-01T00:00:00.000Z").record.id, "evidence.json")).toBeNull();
    });

    it("a record handed out is a copy: changing it changes nothing stored", async () => {
      const repo = await make();
      const a = fakePackage("2027-01-01T00:00:00.000Z");
      await repo.put(a.record, a.files);
      const got = (await repo.get(a.record.id))!;
      got.status = "published";
      (await repo.list())[0].trial = "other";
      expect(await repo.get(a.record.id)).toEqual(a.record);
    });

    it("refuses a second package under a taken id and keeps the first", async () => {
      const repo = await make();
      const a = fakePackage("2027-01-01T00:00:00.000Z");
      await repo.put(a.record, a.files);
      const again = { ...a.record, trial: "someone-else" };
      await expect(repo.put(again, a.files)).rejects.toMatchObject({ name: "RepositoryError", code: "exists" });
      expect((await repo.get(a.record.id))!.trial).toBe("ips");
    });

    it("lists oldest first whatever the order of storing, ties by id", async () => {
      const repo = await make();
      const first = fakePackage("2027-01-01T00:00:00.000Z");
      const tieA = fakePackage("2027-02-01T00:00:00.000Z", first.record.id);
      const tieB = fakePackage("2027-02-01T00:00:00.000Z", first.record.id);
      const last = fakePackage("2027-03-01T00:00:00.000Z", tieB.record.id);
      for (const p of [last, tieB, first, tieA]) await repo.put(p.record, p.files);
      expect((await repo.list()).map((r) => r.id)).toEqual([first, tieA, tieB, last].map((p) => p.record.id));
    });

    it("publishes a draft once; then it stays published with its files", async () => {
      const repo = await make();
      const a = fakePackage("2027-01-01T00:00:00.000Z");
      await repo.put(a.record, a.files);
      const published = await repo.publish(a.record.id, "2027-03-01T00:00:00.000Z");
      expect(published).toEqual({ ...a.record, status: "published", published_at: "2027-03-01T00:00:00.000Z" });
      expect(await repo.get(a.record.id)).toEqual(published);
      expect((await repo.list())[0]).toEqual(published);
      await expect(repo.publish(a.record.id, "2027-03-02T00:00:00.000Z")).rejects.toMatchObject({ code: "published" });
      expect((await repo.get(a.record.id))!.published_at).toBe("2027-03-01T00:00:00.000Z");
      expect(decode(await repo.file(a.record.id, "evidence.json"))).toBe(`{"package":"${a.record.id}"}`);
      await expect(repo.publish(fakePackage("2027-01-01T00:00:00.000Z").record.id, "2027-03-01T00:00:00.000Z")).rejects.toMatchObject({ code: "not_found" });
    });

    it("of racing drafts under one id exactly one is stored", async () => {
      const repo = await make();
      const a = fakePackage("2027-01-01T00:00:00.000Z");
      const tries = ["x", "y", "z"].map((trial) => repo.put({ ...a.record, trial }, a.files));
      const results = await Promise.allSettled(tries);
      const won = results.flatMap((r, i) => (r.status === "fulfilled" ? [["x", "y", "z"][i]] : []));
      expect(won).toHaveLength(1);
      for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(RepositoryError);
      expect((await repo.get(a.record.id))!.trial).toBe(won[0]);
      expect(await repo.list()).toHaveLength(1);
    });

    it("of racing publications exactly one succeeds, and its time is the one kept", async () => {
      const repo = await make();
      const a = fakePackage("2027-01-01T00:00:00.000Z");
      await repo.put(a.record, a.files);
      const times = ["2027-04-01T00:00:00.000Z", "2027-04-02T00:00:00.000Z", "2027-04-03T00:00:00.000Z", "2027-04-04T00:00:00.000Z"];
      const results = await Promise.allSettled(times.map((at) => repo.publish(a.record.id, at)));
      const won = results.flatMap((r, i) => (r.status === "fulfilled" ? [times[i]] : []));
      expect(won).toHaveLength(1);
      for (const r of results) if (r.status === "rejected") expect(r.reason).toMatchObject({ code: "published" });
      expect((await repo.get(a.record.id))!.published_at).toBe(won[0]);
    });
  });
}
