/**
 * Node-only: evidence packages in a folder (default `data/evidence/`), one sub-folder per package
 * holding exactly the package's files (ready for `virker verify`), and `<id>.record.json` beside it
 * with the state. Publishing rewrites the record (write, then rename) and makes the files read-only.
 *
 * Races: a record is created by hard-linking a finished temporary file to its name, which fails if
 * the name exists, so of two racing drafts exactly one is stored. Publications are serialized per
 * package in this process (the Node server is the folder's one writer), so of two racing
 * publications exactly one succeeds.
 */
import { existsSync } from "node:fs";
import { chmod, link, mkdir, readFile, readdir, rename, unlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { RepositoryError, sortRecords, type EvidenceRepository, type PackageRecord } from "./repository.ts";

const ID = /^ev-[0-9a-f]{32}$/;
let temporaries = 0;

export class DirectoryEvidenceRepository implements EvidenceRepository {
  private readonly publishing = new Map<string, Promise<unknown>>();

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
    await mkdir(this.root, { recursive: true });
    const tmp = `${this.recordPath(record.id)}.${process.pid}.${++temporaries}.new`;
    await writeFile(tmp, `${JSON.stringify(record, null, 2)}\n`);
    try {
      await link(tmp, this.recordPath(record.id));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") throw new RepositoryError("exists", `package ${record.id} exists`);
      throw error;
    } finally {
      await unlink(tmp);
    }
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
    return sortRecords(records);
  }

  async file(id: string, path: string): Promise<Uint8Array | null> {
    const record = await this.get(id);
    if (!record || !record.files.some((f) => f.path === path) && path !== "manifest.json" && path !== "signature.json") return null;
    return new Uint8Array(await readFile(join(this.root, id, path)));
  }

  async publish(id: string, at: string): Promise<PackageRecord> {
    const previous = this.publishing.get(id) ?? Promise.resolve();
    const next = previous.then(() => this.publishNow(id, at), () => this.publishNow(id, at));
    this.publishing.set(id, next);
    try {
      return await next;
    } finally {
      if (this.publishing.get(id) === next) this.publishing.delete(id);
    }
  }

  private async publishNow(id: string, at: string): Promise<PackageRecord> {
    const record = await this.get(id);
    if (!record) throw new RepositoryError("not_found", `no package ${id}`);
    if (record.status === "published") throw new RepositoryError("published", `package ${id} is already published`);
    const published = { ...record, status: "published" as const, published_at: at };
    await this.writeRecord(published);
    for (const path of [...record.files.map((f) => f.path), "manifest.json", "signature.json"]) await chmod(join(this.root, id, path), 0o444);
    return published;
  }
}
