/** Node entry point: the app from app.ts on an embedded DuckDB file, served by @hono/node-server. */
import { serve } from "@hono/node-server";
import { mkdirSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { dirname } from "node:path";
import { createApp, type App } from "./app.ts";
import { nodeParquetWriter } from "./datasets/parquet-node.ts";
import { loadPseudonymKey } from "./keys-node.ts";
import { protocolsFromFolder } from "./protocol-source-node.ts";
import { nodeRegisterBackend } from "./register/backend-node.ts";
import { DEFAULT_CODEBOOK_PATH, loadCodebookFile } from "./register/index.ts";
import { keyFingerprint } from "./pseudonym.ts";
import { DirectoryEvidenceRepository } from "./evidence/repository-node.ts";
import { parallelRandomizationCounts } from "./evidence/ri-parallel-node.ts";
import { loadSigningKey } from "./evidence/signing-key-node.ts";
import { openDuckDbStore, type DuckDbStore } from "./store/duckdb.ts";

export interface NodeServerOptions {
  port: number;
  hostname: string;
  /** DuckDB file (default data/virker.duckdb). */
  db?: string;
  /** Folder of protocol files to offer (default: the shipped protocols/). */
  protocols?: string;
  /** Pseudonym key file when VIRKER_PSEUDONYM_KEY is unset (default next to the database). */
  keyFile?: string;
  /** Code book for register extracts (default: the shipped DREAM-style one). */
  codebook?: string;
  /** The server's clock (default the system clock); the demo runs on simulated time. */
  clock?: () => Date;
  /** An opened store to serve instead of opening `db` (which still places the key files); closed with the server. */
  store?: DuckDbStore;
}

export interface RunningServer {
  port: number;
  app: App;
  close(): Promise<void>;
}

/** Opens the store, loads the pseudonym key and serves the app on 127.0.0.1 (or `hostname`). */
export async function startNodeServer(options: NodeServerOptions): Promise<RunningServer> {
  const db = options.db ?? "data/virker.duckdb";
  if (db !== ":memory:") mkdirSync(dirname(db), { recursive: true });
  const store = options.store ?? (await openDuckDbStore({ path: db }));
  const { key } = loadPseudonymKey({ keyFile: options.keyFile ?? (db === ":memory:" ? "data/pseudonym.key" : `${dirname(db)}/pseudonym.key`) });
  await store.bindKeyFingerprint(keyFingerprint(key));
  const codebook = await loadCodebookFile(options.codebook ?? DEFAULT_CODEBOOK_PATH);
  const clock = options.clock ?? (() => new Date());
  const registers = nodeRegisterBackend({ store, connect: () => store.connect(), key, codebook, clock });
  // Evidence packages: signed by a key kept beside the pseudonym key, stored in a folder beside the database.
  const { signer } = await loadSigningKey({ keyFile: db === ":memory:" ? "data/signing-key.jwk" : `${dirname(db)}/signing-key.jwk` });
  const evidence = { signer, repository: db === ":memory:" ? undefined : new DirectoryEvidenceRepository(`${dirname(db)}/evidence`), riRunner: parallelRandomizationCounts };
  const app = createApp({ store, key, clock, registers, parquet: nodeParquetWriter, protocols: protocolsFromFolder(options.protocols), evidence });
  return new Promise((resolve) => {
    const server = serve({ fetch: app.app.fetch, port: options.port, hostname: options.hostname }, (info: AddressInfo) => {
      resolve({
        port: info.port,
        app,
        close: async () => {
          await new Promise<void>((done) => server.close(() => done()));
          await app.close();
          await store.close();
        },
      });
    });
  });
}
