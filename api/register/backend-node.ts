/**
 * The register import for the Node server: the upload is streamed to a temporary file (DuckDB
 * reads files, and an extract may be larger than memory should hold), imported on a connection of
 * its own, and the file removed whatever happens.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { PseudonymKey } from "../pseudonym.ts";
import { UploadTooLargeError, type RegisterBackend, type RegisterUpload } from "../register-port.ts";
import type { Store } from "../store/store.ts";
import type { Codebook } from "./codebook.ts";
import { readRegisterOutcome } from "./derive.ts";
import { importForTrial, type TrialImportResult } from "./trial-import.ts";

export interface NodeRegisterBackendOptions {
  store: Store;
  /** Opens the connection the imports run on (e.g. `DuckDbStore.connect`), on first use. */
  connect: () => Promise<DuckDBConnection>;
  key: PseudonymKey;
  codebook: Codebook;
  clock: () => Date;
  /** Default 2 GiB. */
  maxBytes?: number;
}

export function nodeRegisterBackend(options: NodeRegisterBackendOptions): RegisterBackend {
  const maxBytes = options.maxBytes ?? 2 * 1024 ** 3;
  let connection: Promise<DuckDBConnection> | null = null;
  let tail: Promise<unknown> = Promise.resolve();

  async function run(connection: DuckDBConnection, upload: RegisterUpload): Promise<TrialImportResult> {
    const dir = await mkdtemp(join(tmpdir(), "virker-register-"));
    try {
      const file = join(dir, upload.format === "parquet" ? "extract.parquet" : "extract.csv");
      let bytes = 0;
      const limit = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          bytes += chunk.length;
          done(bytes > maxBytes ? new UploadTooLargeError(maxBytes) : null, chunk);
        },
      });
      await pipeline(Readable.fromWeb(upload.body as import("node:stream/web").ReadableStream<Uint8Array>), limit, createWriteStream(file));
      return await importForTrial({
        store: options.store,
        connection,
        key: options.key,
        trial: upload.trial,
        file,
        codebook: options.codebook,
        personKey: upload.personKey,
        layout: upload.layout,
        format: upload.format,
        actor: upload.actor,
        now: options.clock,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  // One connection, one statement at a time: imports and reads queue behind each other.
  function queued<T>(task: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    const result = tail.then(async () => task(await (connection ??= options.connect())));
    tail = result.catch(() => undefined);
    return result;
  }

  return {
    maxBytes,
    importUpload: (upload) => queued((c) => run(c, upload)),
    readOutcome: (trial, outcome) => queued((c) => readRegisterOutcome(c, trial, outcome)),
    async close() {
      await tail;
      if (connection) (await connection).closeSync();
      connection = null;
    },
  };
}
