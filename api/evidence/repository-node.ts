/**
 * Node-only: evidence packages in a folder (default `data/evidence/`), one sub-folder per package
 * holding exactly the package's files (ready for `virker verify`), and `<id>.record.json` beside it
 * with the state. Publishing rewrites the record (write, then rename) and makes the files read-only.
 */
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, readdir, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { RepositoryError, type EvidenceRepository, type PackageRecord } from "./repository.ts";

const ID = /^ev-[0-9a-f]{32}$/;

export class DirectoryEvidenceRepository implements EvidenceRepository {
  constructor(private readonly root: string) {}

  private recordPath(id: string) {
    return join(this.root, `${id}.record.json`);
  }

  async put(record: PackageRecord, files: ReadonlyMap<string, Uint8Array>): Promise<void> {
    if (!ID.test(record.id)) throw new Error(`invalid package id ${record.id}`);
    if (existsSync(this.recordPath(record.id))) throw new RepositoryError("exists", `package ${record.id} exists`);
    const dir = join(this.root, record.id);
    for (const [path, bytes] of files) {
      if (path.includes("..")) throw new Error(`invalid file path ${path}`);
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), bytes);
    }
    await this.writeRecord(record);
  }

  private async writeRecord(record: PackageRecord) {
    await mkdir(this.root, { recursive: true });
    const tmp = `${this.recordPath(record.id)}.tmp`;
    await writeFile(tmp, `${JSON.stringify(record, null, 2)}\n`);
    await rename(tmp, this.recordPath(record.id));
  }

  async get(id: string): Promise<PackageRecord | null> {
    if (!ID.test(id) || !existsSync(this.recordPath(id))) return null;
    return JSON.parse(await readFile(this.recordPath(id), "utf8"));
  }

  async list(): Promise<PackageRecord[]> {
    if (!existsSync(this.root)) return [];
    const names = (await readdir(this.root)).filter((n) => n.endsWith(".record.json"));
    const records = await Promise.all(names.map(async (n) => JSON.parse(await readFile(join(this.root, n), "utf8")) as PackageRecord));
    return records.sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : 1));
  }

  async file(id: string, path: string): Promise<Uint8Array | null> {
    const record = await this.get(id);
    if (!record || !record.files.some((f) => f.path === path) && path !== "manifest.json" && path !== "signature.json") return null;
    return new Uint8Array(await readFile(join(this.root, id, path)));
  }

  async publish(id: string, at: string): Promise<PackageRecord> {
    const record = await this.get(id);
    if (!record) throw new RepositoryError("not_found", `no package ${id}`);
    if (record.status === "published") throw new RepositoryError("published", `package ${id} is already published`);
    const published = { ...record, status: "published" as const, published_at: at };
    await this.writeRecord(published);
    for (const path of [...record.files.map((f) => f.path), "manifest.json", "signature.json"]) await chmod(join(this.root, id, path), 0o444);
    return published;
  }
}
