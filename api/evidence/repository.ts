/**
 * Where evidence packages are kept: the files of each package (content-addressed: the id is the
 * hash of its manifest) and a small record of its state. A draft becomes published once and then
 * never changes; a re-analysis is a new package naming its predecessor. The memory repository
 * serves tests and the Worker's default; Node keeps packages in a folder (repository-node.ts).
 */
import type { Manifest } from "./package.ts";

export interface PackageRecord {
  id: string;
  trial: string;
  status: "draft" | "published";
  created_at: string;
  published_at: string | null;
  predecessor: string | null;
  files: Manifest["files"];
}

export class RepositoryError extends Error {
  override name = "RepositoryError";
  constructor(
    readonly code: "not_found" | "exists" | "published",
    message: string,
  ) {
    super(message);
  }
}

export interface EvidenceRepository {
  /** Stores a new draft. @throws RepositoryError("exists") if the id is taken. */
  put(record: PackageRecord, files: ReadonlyMap<string, Uint8Array>): Promise<void>;
  get(id: string): Promise<PackageRecord | null>;
  /** All packages, oldest first. */
  list(): Promise<PackageRecord[]>;
  file(id: string, path: string): Promise<Uint8Array | null>;
  /** Marks a draft published. @throws RepositoryError("not_found" | "published"). */
  publish(id: string, at: string): Promise<PackageRecord>;
}

export class MemoryEvidenceRepository implements EvidenceRepository {
  private readonly records = new Map<string, PackageRecord>();
  private readonly files = new Map<string, ReadonlyMap<string, Uint8Array>>();

  async put(record: PackageRecord, files: ReadonlyMap<string, Uint8Array>): Promise<void> {
    if (this.records.has(record.id)) throw new RepositoryError("exists", `package ${record.id} exists`);
    this.records.set(record.id, { ...record });
    this.files.set(record.id, new Map(files));
  }
  async get(id: string): Promise<PackageRecord | null> {
    const r = this.records.get(id);
    return r ? { ...r } : null;
  }
  async list(): Promise<PackageRecord[]> {
    return [...this.records.values()].map((r) => ({ ...r }));
  }
  async file(id: string, path: string): Promise<Uint8Array | null> {
    return this.files.get(id)?.get(path) ?? null;
  }
  async publish(id: string, at: string): Promise<PackageRecord> {
    const r = this.records.get(id);
    if (!r) throw new RepositoryError("not_found", `no package ${id}`);
    if (r.status === "published") throw new RepositoryError("published", `package ${id} is already published`);
    r.status = "published";
    r.published_at = at;
    return { ...r };
  }
}
