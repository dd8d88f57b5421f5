/**
 * The register import as the app sees it: an injected part, since reading extracts needs DuckDB
 * and a file system. The Node server provides it (`api/register/backend-node.ts`); where there is
 * none (a Worker), the route answers 501.
 */
import type { AuditDraft } from "./audit.ts";
import type { RegisterOutcomeRow } from "./register/derive.ts";
import type { TrialImportResult } from "./register/trial-import.ts";
import type { TrialRecord } from "./store/store.ts";

export interface RegisterUpload {
  trial: TrialRecord;
  /** The extract as sent: CSV text or a Parquet file. */
  body: ReadableStream<Uint8Array>;
  format: "csv" | "parquet";
  layout?: "long" | "wide";
  personKey: "cpr" | "pseudonym";
  actor: Pick<AuditDraft, "tokenId" | "role">;
}

export interface RegisterBackend {
  /** Largest extract accepted, in bytes. */
  readonly maxBytes: number;
  /** Imports the extract and derives the trial's register outcomes; one import at a time. */
  importUpload(upload: RegisterUpload): Promise<TrialImportResult>;
  /** The stored values of one derived register outcome of a trial (none before an import). */
  readOutcome(trial: string, outcome: string): Promise<RegisterOutcomeRow[]>;
  close(): Promise<void>;
}

/** The analysis data set's reader of register outcomes for one trial, where there is a backend. */
export function registerOutcomeReader(backend: RegisterBackend | undefined, trial: string): ((outcome: string) => Promise<RegisterOutcomeRow[]>) | undefined {
  return backend && ((outcome) => backend.readOutcome(trial, outcome));
}

/** The upload was larger than `maxBytes`. */
export class UploadTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`the extract is larger than ${maxBytes} bytes`);
    this.name = "UploadTooLargeError";
  }
}
