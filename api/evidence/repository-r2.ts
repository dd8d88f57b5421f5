/**
 * Evidence packages in an R2 bucket (the Worker's `VIRKER_EVIDENCE` binding), laid out as the Node
 * folder repository lays out its folder:
 *
 *   [<namespace>/]packages/<id>/<path>         the package's files, byte for byte as signed
 *   [<namespace>/]packages/<id>.record.json    its record (state, predecessor, file list)
 *
 * Listing is one prefix listing of `packages/` with `/` as delimiter: the records come back as
 * objects, each package's files folded into one delimited prefix, so a listing reads one key per
 * package however many files it has.
 *
 * Races. The Worker (publish) and every trial's Durable Object (new drafts) write here at once,
 * from different isolates, so the repository cannot serialize them in memory. Two options:
 *  - keep the records in the registry Durable Object (one writer, transactions); but then a record
 *    and its files live in two systems, the registry grows a second job, and every public read of a
 *    package would wake the registry object;
 *  - R2's conditional writes: a record is created only if absent (`If-None-Match: *`) and replaced
 *    only if unchanged since it was read (`If-Match: <etag>`). R2 checks the condition and writes
 *    in one step, so of two racing writers exactly one wins and the other learns it.
 * We take the second: the records need no other coordination (a draft is written once, published
 * once, never changed again), and readers touch R2 only. Files are written before their record, so
 * a record that exists always has its files; files without a record (a writer that died between
 * the two) are invisible and are rewritten identically by the next attempt (the id is the hash of
 * the manifest, which holds every file's SHA-256).
 */
import { RepositoryError, sortRecords, type EvidenceRepository, type PackageRecord } from "./repository.ts";

/** The part of the Workers runtime's `R2Bucket` this repository uses (structural, so Node's type-check needs no Workers types). */
export interface R2BucketLike {
  head(key: string): Promise<{ etag: string } | null>;
  get(key: string): Promise<{ httpEtag: string; arrayBuffer(): Promise<ArrayBuffer>; text(): Promise<string> } | null>;
  put(key: string, value: ArrayBuffer | ArrayBufferView | string, options?: { onlyIf?: Headers; httpMetadata?: { contentType?: string } }): Promise<{ etag: string } | null>;
  list(options: { prefix: string; delimiter: string; cursor?: string }): Promise<{ objects: { key: string }[]; truncated: boolean; cursor?: string }>;
}

const ID = /^ev-[0-9a-f]{32}$/;
const RECORD_SUFFIX = ".record.json";

export class R2EvidenceRepository implements EvidenceRepository {
  private readonly prefix: string;

  /** `namespace` (default none) puts the keys under `<namespace>/`: several deployments or tests on one bucket. */
  constructor(
    private readonly bucket: R2BucketLike,
    namespace = "",
  ) {
    if (namespace.includes("/")) throw new Error(`evidence namespace without "/", got ${namespace}`);
    this.prefix = `${namespace === "" ? "" : `${namespace}/`}packages/`;
  }

  private recordKey(id: string) {
    return `${this.prefix}${id}${RECORD_SUFFIX}`;
  }

  private fileKey(id: string, path: string) {
    return `${this.prefix}${id}/${path}`;
  }

  async put(record: PackageRecord, files: ReadonlyMap<string, Uint8Array>): Promise<void> {
    if (!ID.test(record.id)) throw new Error(`invalid package id ${record.id}`);
    // A cheap early refusal; the conditional write of the record below is what decides a race.
    if ((await this.bucket.head(this.recordKey(record.id))) !== null) throw new RepositoryError("exists", `package ${record.id} exists`);
    for (const [path, bytes] of files) {
      if (path.split("/").some((part) => part === "" || part === "." || part === "..")) throw new Error(`invalid file path ${path}`);
      await this.bucket.put(this.fileKey(record.id, path), bytes);
    }
    const created = await this.bucket.put(this.recordKey(record.id), JSON.stringify(record), { onlyIf: new Headers({ "if-none-match": "*" }), httpMetadata: { contentType: "application/json" } });
    if (created === null) throw new RepositoryError("exists", `package ${record.id} exists`);
  }

  private async read(id: string): Promise<{ record: PackageRecord; httpEtag: string } | null> {
    if (!ID.test(id)) return null;
    const object = await this.bucket.get(this.recordKey(id));
    return object === null ? null : { record: JSON.parse(await object.text()) as PackageRecord, httpEtag: object.httpEtag };
  }

  async get(id: string): Promise<PackageRecord | null> {
    return (await this.read(id))?.record ?? null;
  }

  async list(): Promise<PackageRecord[]> {
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.bucket.list({ prefix: this.prefix, delimiter: "/", cursor });
      for (const { key } of page.objects) {
        const id = key.slice(this.prefix.length, -RECORD_SUFFIX.length);
        if (key.endsWith(RECORD_SUFFIX) && ID.test(id)) ids.push(id);
      }
      cursor = page.truncated ? page.cursor : undefined;
    } while (cursor !== undefined);
    const records = await Promise.all(ids.map((id) => this.get(id)));
    return sortRecords(records.filter((r): r is PackageRecord => r !== null));
  }

  async file(id: string, path: string): Promise<Uint8Array | null> {
    const record = await this.get(id);
    // Only the package's own files: nothing else under its prefix is served.
    if (!record || (!record.files.some((f) => f.path === path) && path !== "manifest.json" && path !== "signature.json")) return null;
    const object = await this.bucket.get(this.fileKey(id, path));
    return object === null ? null : new Uint8Array(await object.arrayBuffer());
  }

  async publish(id: string, at: string): Promise<PackageRecord> {
    const current = await this.read(id);
    if (!current) throw new RepositoryError("not_found", `no package ${id}`);
    if (current.record.status === "published") throw new RepositoryError("published", `package ${id} is already published`);
    const published: PackageRecord = { ...current.record, status: "published", published_at: at };
    const written = await this.bucket.put(this.recordKey(id), JSON.stringify(published), { onlyIf: new Headers({ "if-match": current.httpEtag }), httpMetadata: { contentType: "application/json" } });
    // The record changed since we read it: the only change a record ever sees is its publication,
    // so another publish won the race.
    if (written === null) throw new RepositoryError("published", `package ${id} is already published`);
    return published;
  }
}
