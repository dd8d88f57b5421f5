/**
 * A register extract for one trial, end to end: the trial's participants from the store, the
 * import into the register tables, the derivation of every register outcome the trial's current
 * protocol declares, and one audit entry. The route `POST /v1/trials/{trial}/registers` and the
 * CLI `virker import register` both call `importForTrial`.
 *
 * Dates: a participant's week 0 is the ISO week of the day they were enrolled, in Danish time
 * (Europe/Copenhagen), since register weeks are Danish calendar weeks; a withdrawal counts from its
 * effective day. Programme end dates are not recorded by the platform yet, so the retention
 * measure reports `no_programme_end` for every participant until they are.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { Protocol } from "../../protocols/index.ts";
import type { AuditDraft } from "../audit.ts";
import { protocolOfVersion } from "../enrollment/service.ts";
import type { PseudonymKey } from "../pseudonym.ts";
import { ALL_SITES, type Store, type TrialRecord } from "../store/store.ts";
import type { Codebook } from "./codebook.ts";
import { deriveOutcomes, type DeriveReport, type OutcomeSpec, type RegisterParticipant } from "./derive.ts";
import { importRegister, type ImportProgress, type RegisterImportReport } from "./import.ts";

export interface TrialImportOptions {
  store: Store;
  /** A connection of its own (see `DuckDbStore.connect`); one import at a time on it. */
  connection: DuckDBConnection;
  key: PseudonymKey;
  trial: TrialRecord;
  file: string;
  codebook: Codebook;
  /** What the file's person column holds. */
  personKey: "cpr" | "pseudonym";
  layout?: "long" | "wide";
  format?: "csv" | "parquet";
  /** Who acts, as the audit records it. */
  actor: Pick<AuditDraft, "tokenId" | "role">;
  now: () => Date;
  onImportProgress?: (event: ImportProgress) => void;
  onDeriveProgress?: (event: { outcome: string; done: number; total: number }) => void;
}

export interface TrialImportResult {
  import: RegisterImportReport;
  /** Null when the protocol declares no register outcomes. */
  derived: DeriveReport | null;
}

const danishDate = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Copenhagen", year: "numeric", month: "2-digit", day: "2-digit" });

/** The calendar day of an instant in Danish time, `YYYY-MM-DD`. */
export function danishDay(iso: string): string {
  return danishDate.format(new Date(iso));
}

/** The register outcomes of a protocol as derivation specs (name = the outcome's id). */
export function registerOutcomeSpecs(protocol: Protocol): OutcomeSpec[] {
  const specs: OutcomeSpec[] = [];
  for (const outcome of protocol.outcomes) {
    if (outcome.source.type === "register") specs.push({ name: outcome.id, derivation: outcome.source.derivation, params: outcome.source.params });
  }
  return specs;
}

/** Every participant of the trial with their week-0 day and withdrawal day (all sites). */
export async function registerParticipants(store: Store, trialId: string): Promise<RegisterParticipant[]> {
  const [enrollments, withdrawals] = await Promise.all([store.loadAllocationHistory(trialId), store.listWithdrawals(trialId, ALL_SITES)]);
  const withdrawn = new Map<string, string>();
  for (const w of withdrawals) {
    const earlier = withdrawn.get(w.publicId);
    if (earlier === undefined || w.effective < earlier) withdrawn.set(w.publicId, w.effective);
  }
  return enrollments.map((e) => ({
    pseudonym: e.pseudonym,
    enrolledOn: danishDay(e.enrolledAt),
    withdrawnOn: withdrawn.get(e.publicId) ?? null,
    programmeEndOn: null,
  }));
}

export async function importForTrial(options: TrialImportOptions): Promise<TrialImportResult> {
  const { store, connection, trial } = options;
  const { protocol } = protocolOfVersion(trial);
  const participants = await registerParticipants(store, trial.id);
  const report = await importRegister(connection, {
    trial: trial.id,
    file: options.file,
    codebook: options.codebook,
    participants: participants.map((p) => p.pseudonym),
    personKey: options.personKey === "cpr" ? { kind: "cpr", key: options.key.bytes } : { kind: "pseudonym" },
    layout: options.layout,
    format: options.format,
    onProgress: options.onImportProgress,
    now: options.now,
  });
  const specs = registerOutcomeSpecs(protocol);
  const derived =
    specs.length === 0
      ? null
      : await deriveOutcomes(connection, { trial: trial.id, importNo: report.importNo, participants, outcomes: specs, onProgress: options.onDeriveProgress });
  if (!report.alreadyImported) {
    const at = options.now().toISOString();
    await store.appendAudit(trial.id, [
      {
        at,
        ...options.actor,
        action: "register.import",
        target: `trial:${trial.id}/register-import:${report.importNo}`,
        // The extract's and code book's hashes are in the import record (a hash may hold a
        // ten-digit run, which the audit refuses as CPR-shaped).
        reason: `${report.records} records, ${report.participants.inExtract} participants found, ${specs.length} outcome(s) derived`,
      },
    ]);
  }
  return { import: report, derived };
}
