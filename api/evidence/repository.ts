/**
 * Where evidence packages are kept: the files of each package (content-addressed: the id is the
 * hash of its manifest) and a small record of its state. A draft becomes published once and then
 * never changes; a re-analysis is a new package naming its predecessor. The memory repository
 * serves tests and servers without a signing key; Node keeps packages in a folder
 * (repository-node.ts), a Worker in an R2 bucket (repository-r2.ts). Every repository keeps the
 * contract of tests/evidence/repository-contract.ts: of two racing writers of one record exactly
 * one wins, whatever the storage.
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

/** Records oldest first (by creation time, then id), the order `list` promises. */
export function sortRecords(records: PackageRecord[]): PackageRecord[] {
  return records.sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
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
    return sortRecords([...this.records.values()].map((r) => ({ ...r })));
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
