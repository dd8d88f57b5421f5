/**
 * One trial's Durable Object: the single writer of that trial. Its SQLite storage holds the trial
 * (seed, protocol versions, status changes), every enrollment, baseline correction, withdrawal,
 * error flag and outcome, and the trial's audit chain, so a batch and the audit entries that cover
 * it commit in one SQLite transaction (`transactionSync`) or not at all.
 *
 * The methods are Workers RPC methods called by the `Store` adapter (`durable.ts`); each takes the
 * trial id (an object does not know the name it was reached by) and answers an `Envelope`. They are
 * synchronous: the runtime runs one at a time per object, so writes never interleave and a read
 * sees only whole batches. Tables are created with the trial: an object that was only asked about
 * (an unknown trial id) stores nothing.
 */
import { DurableObject } from "cloudflare:workers";
import type { AuditDraft, AuditEntry, ChainHead } from "../audit.ts";
import { shownValue } from "../audit.ts";
import {
  AUDIT_TABLE,
  answer,
  appendChain,
  auditHeadOf,
  blobToHex,
  execAll,
  hexToBlob,
  readChain,
  tableExists,
  type Envelope,
  type Sql,
} from "./durable-sql.ts";
import {
  StoreError,
  type BaselineCorrection,
  type EnrollmentRecord,
  type ErrorFlag,
  type NewTrial,
  type OutcomeValue,
  type Page,
  type ReadScope,
  type StoreLimits,
  type TrialBatch,
  type TrialRecord,
  type TrialStatus,
  type TrialStatusChange,
  type Withdrawal,
} from "./store.ts";
import {
  assertHex64,
  validateAmendment,
  validateAudit,
  validateBatch,
  validateNewTrial,
  validatePage,
  validateScope,
  validateStatusChange,
} from "./validate.ts";

/** Most rows one `append` takes: one RPC message and one SQLite transaction stay small. */
export const DURABLE_LIMITS: StoreLimits = Object.freeze({ maxBatchRows: 5_000 });

/** The registered protocol file of version 1 (added later: objects made before get it on start). */
const PROTOCOL_SOURCES = `CREATE TABLE IF NOT EXISTS protocol_sources (version INTEGER PRIMARY KEY, source TEXT NOT NULL)`;

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS trial (
    id TEXT PRIMARY KEY, seed BLOB NOT NULL, seed_commitment BLOB NOT NULL, created_at TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS protocol_versions (
    version INTEGER PRIMARY KEY, protocol_hash BLOB NOT NULL, protocol_json TEXT NOT NULL, reason TEXT, at_utc TEXT NOT NULL)`,
  PROTOCOL_SOURCES,
  `CREATE TABLE IF NOT EXISTS trial_status (n INTEGER PRIMARY KEY, status TEXT NOT NULL, reason TEXT, at_utc TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS enrollments (
    sequence INTEGER PRIMARY KEY, pseudonym BLOB NOT NULL UNIQUE, public_id TEXT NOT NULL UNIQUE, site TEXT NOT NULL,
    arm TEXT NOT NULL, stratum TEXT, protocol_version INTEGER NOT NULL, baseline TEXT NOT NULL, enrolled_at TEXT NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS enrollments_by_site ON enrollments (site, sequence)`,
  `CREATE TABLE IF NOT EXISTS baseline_corrections (
    entry INTEGER NOT NULL, ord INTEGER NOT NULL, public_id TEXT NOT NULL, baseline TEXT NOT NULL, reason TEXT NOT NULL,
    at_utc TEXT NOT NULL, PRIMARY KEY (entry, ord))`,
  `CREATE TABLE IF NOT EXISTS withdrawals (
    entry INTEGER NOT NULL, ord INTEGER NOT NULL, public_id TEXT NOT NULL, effective TEXT NOT NULL, reason TEXT NOT NULL,
    at_utc TEXT NOT NULL, PRIMARY KEY (entry, ord))`,
  `CREATE TABLE IF NOT EXISTS error_flags (
    entry INTEGER NOT NULL, ord INTEGER NOT NULL, public_id TEXT NOT NULL, reason TEXT NOT NULL, at_utc TEXT NOT NULL,
    PRIMARY KEY (entry, ord))`,
  `CREATE TABLE IF NOT EXISTS outcomes (
    entry INTEGER NOT NULL, ord INTEGER NOT NULL, public_id TEXT NOT NULL, outcome TEXT NOT NULL, time_point TEXT,
    value TEXT NOT NULL, observed_at TEXT NOT NULL, source TEXT NOT NULL, recorded_at TEXT NOT NULL, PRIMARY KEY (entry, ord))`,
  AUDIT_TABLE,
];

const ENROLLMENT_COLUMNS = "sequence, pseudonym, public_id, site, arm, stratum, protocol_version, baseline, enrolled_at";

function enrollmentOf(row: unknown[]): EnrollmentRecord {
  const [sequence, pseudonym, publicId, site, arm, stratum, version, baseline, at] = row;
  return {
    sequence: sequence as number,
    pseudonym: blobToHex(pseudonym),
    publicId: publicId as string,
    site: site as string,
    arm: arm as string,
    stratum: stratum as string | null,
    protocolVersion: version as number,
    baseline: JSON.parse(baseline as string),
    enrolledAt: at as string,
  };
}

/**
 * `AND site = ?` for a site scope and `AND public_id = ?` for one participant (columns of the
 * enrollments table, behind `prefix`), with their values pushed onto the bindings.
 */
function scoped(scope: ReadScope, bindings: unknown[], prefix = ""): string {
  const s = validateScope(scope);
  let sql = "";
  if (s.kind === "site") {
    bindings.push(s.site);
    sql += ` AND ${prefix}site = ?`;
  }
  if (s.participant !== undefined) {
    bindings.push(s.participant);
    sql += ` AND ${prefix}public_id = ?`;
  }
  return sql;
}

export class TrialStoreObject<Env = unknown> extends DurableObject<Env> {
  protected readonly sql: Sql;
  private ready: boolean;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql as unknown as Sql;
    this.ready = tableExists(this.sql, "trial");
    if (this.ready) this.sql.exec(PROTOCOL_SOURCES);
  }

  /** The stored trial id, or null before `createTrial`. */
  private storedId(): string | null {
    if (!this.ready) return null;
    const [row] = [...this.sql.exec("SELECT id FROM trial").raw()];
    return row === undefined ? null : (row[0] as string);
  }

  /** Throws `not_found` unless this object holds trial `trialId`. */
  private assertTrial(trialId: string): void {
    if (this.storedId() !== trialId) throw new StoreError("not_found", `unknown trial ${shownValue(trialId)}`);
  }

  private exists(trialId: string): boolean {
    return this.storedId() === trialId;
  }

  private transaction<T>(fn: () => T): T {
    return this.ctx.storage.transactionSync(fn);
  }

  createTrial(trial: NewTrial, audit: AuditDraft[]): Envelope<AuditEntry[]> {
    return answer(() => {
      validateNewTrial(trial);
      validateAudit(audit, trial.id);
      if (this.storedId() !== null) throw new StoreError("duplicate", "duplicate trial id");
      return this.transaction(() => {
        execAll(this.sql, SCHEMA);
        this.sql.exec("INSERT INTO trial VALUES (?, ?, ?, ?)", trial.id, hexToBlob(trial.seed), hexToBlob(trial.seedCommitment), trial.at);
        this.sql.exec("INSERT INTO protocol_versions VALUES (1, ?, ?, NULL, ?)", hexToBlob(trial.protocolHash), trial.protocolJson, trial.at);
        if (trial.protocolSource !== undefined) this.sql.exec("INSERT INTO protocol_sources VALUES (1, ?)", trial.protocolSource);
        const entries = appendChain(this.sql, trial.id, audit);
        this.ready = true;
        return entries;
      });
    });
  }

  amendTrial(
    trialId: string,
    amendment: { protocolHash: string; protocolJson: string; reason: string; at: string },
    audit: AuditDraft[],
  ): Envelope<{ version: number; audit: AuditEntry[] }> {
    return answer(() => {
      validateAmendment(amendment);
      validateAudit(audit, trialId);
      this.assertTrial(trialId);
      return this.transaction(() => {
        const [[last]] = [...this.sql.exec("SELECT max(version) FROM protocol_versions").raw()];
        const version = (last as number) + 1;
        this.sql.exec(
          "INSERT INTO protocol_versions VALUES (?, ?, ?, ?, ?)",
          version, hexToBlob(amendment.protocolHash), amendment.protocolJson, amendment.reason, amendment.at,
        );
        return { version, audit: appendChain(this.sql, trialId, audit) };
      });
    });
  }

  setTrialStatus(trialId: string, change: TrialStatusChange, audit: AuditDraft[]): Envelope<AuditEntry[]> {
    return answer(() => {
      validateStatusChange(change);
      validateAudit(audit, trialId);
      this.assertTrial(trialId);
      return this.transaction(() => {
        this.sql.exec(
          "INSERT INTO trial_status VALUES ((SELECT coalesce(max(n), 0) + 1 FROM trial_status), ?, ?, ?)",
          change.status, change.reason, change.at,
        );
        return appendChain(this.sql, trialId, audit);
      });
    });
  }

  getTrial(trialId: string): Envelope<TrialRecord | null> {
    return answer(() => {
      if (!this.exists(trialId)) return null;
      const [[seed, commitment, createdAt]] = [...this.sql.exec("SELECT seed, seed_commitment, created_at FROM trial").raw()];
      const versions = [
        ...this.sql.exec("SELECT v.version, v.protocol_hash, v.protocol_json, v.reason, v.at_utc, s.source FROM protocol_versions v LEFT JOIN protocol_sources s ON s.version = v.version ORDER BY v.version").raw(),
      ].map(([version, hash, json, reason, at, source]) => ({
        version: version as number, protocolHash: blobToHex(hash), protocolJson: json as string, reason: reason as string | null, at: at as string, source: source as string | null,
      }));
      const statusHistory = [...this.sql.exec("SELECT status, reason, at_utc FROM trial_status ORDER BY n").raw()].map(([status, reason, at]) => ({
        status: status as TrialStatus, reason: reason as string | null, at: at as string,
      }));
      return {
        id: trialId,
        seed: blobToHex(seed),
        seedCommitment: blobToHex(commitment),
        createdAt: createdAt as string,
        status: statusHistory.at(-1)?.status ?? "registered",
        statusHistory,
        versions,
      };
    });
  }

  append(trialId: string, batch: TrialBatch): Envelope<AuditEntry[]> {
    return answer(() => {
      const b = validateBatch(trialId, batch, DURABLE_LIMITS);
      this.assertTrial(trialId);
      return this.transaction(() => {
        for (const id of b.referencedPublicIds) {
          const [hit] = [...this.sql.exec("SELECT 1 FROM enrollments WHERE public_id = ?", id).raw()];
          if (hit === undefined) throw new StoreError("not_found", `unknown participant ${shownValue(id)} in trial ${shownValue(trialId)}`);
        }
        for (const e of b.enrollments) {
          this.sql.exec(
            `INSERT INTO enrollments (${ENROLLMENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
            e.sequence, hexToBlob(e.pseudonym), e.publicId, e.site, e.arm, e.stratum, e.protocolVersion, e.baselineJson, e.enrolledAt,
          );
        }
        const entries = appendChain(this.sql, trialId, b.audit);
        const entry = entries[0].seq;
        b.baselineCorrections.forEach((c, i) =>
          this.sql.exec("INSERT INTO baseline_corrections VALUES (?, ?, ?, ?, ?, ?)", entry, i, c.publicId, c.baselineJson, c.reason, c.at),
        );
        b.withdrawals.forEach((w, i) =>
          this.sql.exec("INSERT INTO withdrawals VALUES (?, ?, ?, ?, ?, ?)", entry, i, w.publicId, w.effective, w.reason, w.at),
        );
        b.errorFlags.forEach((f, i) => this.sql.exec("INSERT INTO error_flags VALUES (?, ?, ?, ?, ?)", entry, i, f.publicId, f.reason, f.at));
        b.outcomes.forEach((o, i) =>
          this.sql.exec(
            "INSERT INTO outcomes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            entry, i, o.publicId, o.outcome, o.timePoint, o.valueJson, o.observedAt, o.source, o.recordedAt,
          ),
        );
        return entries;
      });
    });
  }

  findEnrollment(trialId: string, by: { pseudonym: string } | { publicId: string }, scope: ReadScope): Envelope<EnrollmentRecord | null> {
    return answer(() => {
      const bindings: unknown[] = [];
      let where: string;
      if ("pseudonym" in by) {
        bindings.push(hexToBlob(assertHex64(by.pseudonym, "pseudonym")));
        where = "pseudonym = ?";
      } else {
        bindings.push(by.publicId);
        where = "public_id = ?";
      }
      const scope_ = scoped(scope, bindings);
      if (!this.exists(trialId)) return null;
      const [row] = [...this.sql.exec(`SELECT ${ENROLLMENT_COLUMNS} FROM enrollments WHERE ${where}${scope_}`, ...bindings).raw()];
      return row === undefined ? null : enrollmentOf(row);
    });
  }

  listEnrollments(trialId: string, scope: ReadScope, page?: Page): Envelope<EnrollmentRecord[]> {
    return answer(() => {
      const { after, limit } = validatePage(page);
      const bindings: unknown[] = [after];
      const scope_ = scoped(scope, bindings);
      if (!this.exists(trialId)) return [];
      bindings.push(limit);
      return [...this.sql.exec(`SELECT ${ENROLLMENT_COLUMNS} FROM enrollments WHERE sequence > ?${scope_} ORDER BY sequence LIMIT ?`, ...bindings).raw()].map(
        enrollmentOf,
      );
    });
  }

  countEnrollments(trialId: string, scope: ReadScope): Envelope<number> {
    return answer(() => {
      const bindings: unknown[] = [];
      const scope_ = scoped(scope, bindings);
      if (!this.exists(trialId)) return 0;
      const [[n]] = [...this.sql.exec(`SELECT count(*) FROM enrollments WHERE 1 = 1${scope_}`, ...bindings).raw()];
      return n as number;
    });
  }

  /** Rows of a participant-linked table, scoped through the participant's enrollment site. */
  private linked(trialId: string, table: string, columns: string[], scope: ReadScope): unknown[][] {
    const bindings: unknown[] = [];
    const scope_ = scoped(scope, bindings, "e.");
    if (!this.exists(trialId)) return [];
    const cols = columns.map((c) => `t.${c}`).join(", ");
    return [
      ...this.sql.exec(`SELECT ${cols} FROM ${table} t JOIN enrollments e ON e.public_id = t.public_id WHERE 1 = 1${scope_} ORDER BY t.entry, t.ord`, ...bindings).raw(),
    ];
  }

  listBaselineCorrections(trialId: string, scope: ReadScope): Envelope<BaselineCorrection[]> {
    return answer(() =>
      this.linked(trialId, "baseline_corrections", ["public_id", "baseline", "reason", "at_utc"], scope).map(([publicId, baseline, reason, at]) => ({
        publicId: publicId as string, baseline: JSON.parse(baseline as string), reason: reason as string, at: at as string,
      })),
    );
  }

  listWithdrawals(trialId: string, scope: ReadScope): Envelope<Withdrawal[]> {
    return answer(() =>
      this.linked(trialId, "withdrawals", ["public_id", "effective", "reason", "at_utc"], scope).map(([publicId, effective, reason, at]) => ({
        publicId: publicId as string, effective: effective as string, reason: reason as string, at: at as string,
      })),
    );
  }

  listErrorFlags(trialId: string, scope: ReadScope): Envelope<ErrorFlag[]> {
    return answer(() =>
      this.linked(trialId, "error_flags", ["public_id", "reason", "at_utc"], scope).map(([publicId, reason, at]) => ({
        publicId: publicId as string, reason: reason as string, at: at as string,
      })),
    );
  }

  listOutcomes(trialId: string, scope: ReadScope): Envelope<OutcomeValue[]> {
    return answer(() =>
      this.linked(trialId, "outcomes", ["public_id", "outcome", "time_point", "value", "observed_at", "source", "recorded_at"], scope).map(
        ([publicId, outcome, timePoint, value, observedAt, source, recordedAt]) => ({
          publicId: publicId as string,
          outcome: outcome as string,
          timePoint: timePoint as string | null,
          value: JSON.parse(value as string),
          observedAt: observedAt as string,
          source: source as OutcomeValue["source"],
          recordedAt: recordedAt as string,
        }),
      ),
    );
  }

  appendAudit(trialId: string, drafts: AuditDraft[]): Envelope<AuditEntry[]> {
    return answer(() => {
      validateAudit(drafts, trialId);
      this.assertTrial(trialId);
      return this.transaction(() => appendChain(this.sql, trialId, drafts));
    });
  }

  readAudit(trialId: string, page?: Page): Envelope<AuditEntry[]> {
    return answer(() => {
      const { after, limit } = validatePage(page);
      return this.exists(trialId) ? readChain(this.sql, trialId, after, limit) : [];
    });
  }

  auditHead(trialId: string): Envelope<ChainHead | null> {
    return answer(() => (this.exists(trialId) ? auditHeadOf(this.sql) : null));
  }
}
