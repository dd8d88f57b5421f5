/**
 * The `Store` on an embedded DuckDB file (Node only; `@duckdb/node-api` 1.5).
 *
 * - One write connection; every write is one transaction on it, serialized by a lock. A DuckDB
 *   transaction belongs to its connection, so two writes can never interleave. Reads use a small
 *   pool of other connections and see only committed data.
 * - Rows are written with DuckDB's Appender inside the transaction (constraint checks still apply)
 *   so that a batch costs one commit whatever its size.
 * - Tables are append-only: this adapter issues no UPDATE and no DELETE. UNIQUE (trial, pseudonym),
 *   (trial, sequence) and (trial, public id) on enrollments and PRIMARY KEY (chain, seq) on the
 *   audit log are enforced by DuckDB itself, so a duplicate fails even if a caller's checks miss it.
 * - Hashes, pseudonyms and the seed are stored as BLOBs: hex text would put long runs of digits into
 *   the file that look like CPR numbers to any scanner.
 * - Durability is DuckDB's write-ahead log: a COMMIT returns after the WAL is synced. DuckDB stops
 *   replaying a WAL at the first entry it cannot read and may then open WITHOUT the later commits,
 *   silently. To make that loud, every commit also appends the new audit-chain heads to a small
 *   sidecar file (`<db>.heads`), after the commit returns (so it can lag the database, never lead
 *   it). On open, each chain head in the sidecar must exist in the database with the same hash, or
 *   the open fails with `StoreError("corrupt")`. Delete the sidecar only after deciding to accept
 *   the loss.
 */
import {
  DuckDBInstance,
  type DuckDBAppender,
  type DuckDBConnection,
  type DuckDBPreparedStatement,
} from "@duckdb/node-api";
import {
  linkAudit,
  REGISTRY_CHAIN,
  shownValue,
  type AuditDraft,
  type AuditEntry,
  type ChainHead,
} from "../audit.ts";
import {
  StoreError,
  type BaselineCorrection,
  type EnrollmentRecord,
  type ErrorFlag,
  type NewToken,
  type NewTrial,
  type OutcomeValue,
  type Page,
  type ReadScope,
  type Store,
  type StoreLimits,
  type TokenRecord,
  type TrialBatch,
  type TrialRecord,
  type TrialStatusChange,
  type Withdrawal,
} from "./store.ts";
import {
  assertHex64,
  assertIdent,
  validateAmendment,
  validateAudit,
  validateBatch,
  validateNewToken,
  validateNewTrial,
  validateRevocation,
  validateStatusChange,
} from "./validate.ts";
import { HeadLedger } from "./duckdb-heads.ts";
import {
  appendAuditRows,
  appendCells,
  appendEnrollments,
  COLUMNS,
  nodeSha256Hex,
  scrubDigits,
  translate,
  type Cell,
} from "./duckdb-rows.ts";
import {
  countEnrollments,
  queryAudit,
  queryAuditHead,
  queryBaselineCorrections,
  queryEnrollment,
  queryEnrollments,
  queryErrorFlags,
  queryOutcomes,
  queryToken,
  queryTokens,
  queryTrial,
  queryTrialIds,
  queryWithdrawals,
} from "./duckdb-reads.ts";
import { checkLedger, migrate } from "./duckdb-schema.ts";
import {
  appendParticipantRows,
  assertEnrolled,
  bindFingerprint,
  insertAmendment,
  insertRevocation,
  insertStatus,
  insertToken,
  insertTrial,
} from "./duckdb-writes.ts";

export interface DuckDbStoreOptions {
  /** Database file, or `:memory:` (no durability, no sidecar). */
  path: string;
  /** Where warnings go (default `console.warn`). */
  warn?: (message: string) => void;
  limits?: Partial<StoreLimits>;
  /** Read connections (default 4): reads run in parallel with each other and with the writer. */
  readers?: number;
}


/** Serializes async work: each task starts after the previous one has settled. */
class Lock {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}



interface WriteContext {
  conn: DuckDBConnection;
  /** Links drafts onto a chain (pending until commit). */
  link(chain: string, drafts: readonly AuditDraft[]): Promise<AuditEntry[]>;
  append(table: keyof typeof COLUMNS, rows: Cell[][]): Promise<void>;
  /** The write connection's long-lived appender for a hot table (flushes join the open transaction). */
  appender(table: "enrollments" | "audit"): Promise<DuckDBAppender>;
}

/** Opens (or creates) a DuckDB store. See the module comment for durability and the head sidecar. */
export async function openDuckDbStore(options: DuckDbStoreOptions): Promise<DuckDbStore> {
  const memory = options.path === ":memory:";
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(options.path);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (/WAL|corrupt|checksum|serializ/i.test(message)) {
      throw new StoreError(
        "corrupt",
        `database ${options.path} cannot be opened; its write-ahead log is damaged (databasens WAL-fil er beskadiget): ${scrubDigits(message)}`,
        { cause: e },
      );
    }
    throw e;
  }
  const writer = await instance.connect();
  const readerCount = options.readers ?? 4;
  if (!Number.isSafeInteger(readerCount) || readerCount < 1) throw new RangeError(`invalid readers; not a positive integer: ${readerCount}`);
  const readers: DuckDBConnection[] = [];
  for (let i = 0; i < readerCount; i++) readers.push(await instance.connect());
  try {
    await migrate(writer, options.path);
    const ledger = memory ? null : new HeadLedger(`${options.path}.heads`);
    if (ledger !== null) await checkLedger(ledger, writer, options.path, options.warn ?? ((m) => console.warn(m)));
    return new DuckDbStore(instance, writer, readers, ledger, { maxBatchRows: 1_000_000, ...options.limits });
  } catch (e) {
    writer.closeSync();
    for (const r of readers) r.closeSync();
    instance.closeSync();
    throw e;
  }
}


const copyTrial = (r: TrialRecord): TrialRecord => ({
  ...r,
  statusHistory: r.statusHistory.map((s) => ({ ...s })),
  versions: r.versions.map((v) => ({ ...v })),
});

export class DuckDbStore implements Store {
  private readonly writeLock = new Lock();
  private readonly readLocks: Lock[];
  private readonly readBusy: number[];
  private readonly heads = new Map<string, ChainHead | null>();
  private readonly knownTrials = new Set<string>();
  private readonly trialCache = new Map<string, TrialRecord>();
  private trialEpoch = 0;
  /**
   * Appenders of the hot tables, kept open on the write connection across transactions: creating
   * one per commit costs a round trip. Their flushes land in whatever transaction is open. After a
   * failed write they are cleared and dropped, so no buffered row can leak into the next transaction.
   */
  private readonly appenders = new Map<string, DuckDBAppender>();
  /** BEGIN and COMMIT prepared once on the write connection (parsing them cost 2-4% of a small commit). */
  private transactionStatements: { begin: DuckDBPreparedStatement; commit: DuckDBPreparedStatement } | null = null;
  private closed = false;

  constructor(
    private readonly instance: DuckDBInstance,
    private readonly writer: DuckDBConnection,
    private readonly readers: DuckDBConnection[],
    private readonly ledger: HeadLedger | null,
    readonly limits: StoreLimits,
  ) {
    this.readLocks = readers.map(() => new Lock());
    this.readBusy = readers.map(() => 0);
  }

  // ----------------------------------------------------------------------------- plumbing

  private assertOpen(): void {
    if (this.closed) throw new StoreError("closed", "store is closed");
  }

  private async committedHead(chain: string): Promise<ChainHead | null> {
    if (this.heads.has(chain)) return this.heads.get(chain) ?? null;
    const head = await queryAuditHead(this.writer, chain);
    this.heads.set(chain, head);
    return head;
  }

  /** One write transaction on the write connection; chain heads advance only after COMMIT. */
  private write<T>(task: (ctx: WriteContext) => Promise<T>): Promise<T> {
    return this.writeLock.run(async () => {
      this.assertOpen();
      const pending = new Map<string, ChainHead>();
      const conn = this.writer;
      const ctx: WriteContext = {
        conn,
        link: async (chain, drafts) => {
          const head = pending.get(chain) ?? (await this.committedHead(chain));
          const entries = linkAudit(chain, head, drafts, nodeSha256Hex);
          const last = entries[entries.length - 1];
          if (last !== undefined) pending.set(chain, { seq: last.seq, hash: last.hash });
          appendAuditRows(await ctx.appender("audit"), entries);
          return entries;
        },
        appender: async (table) => {
          let a = this.appenders.get(table);
          if (a === undefined) {
            a = await conn.createAppender(table);
            this.appenders.set(table, a);
          }
          return a;
        },
        append: async (table, rows) => {
          if (rows.length === 0) return;
          const appender = await conn.createAppender(table);
          try {
            appendCells(appender, COLUMNS[table], rows);
            appender.flushSync();
          } finally {
            try {
              appender.closeSync();
            } catch {
              // closing re-raises a failed flush; the flush's error is the one that matters
            }
          }
        },
      };
      this.transactionStatements ??= { begin: await conn.prepare("BEGIN TRANSACTION"), commit: await conn.prepare("COMMIT") };
      const { begin, commit } = this.transactionStatements;
      await begin.run();
      let result: T;
      try {
        result = await task(ctx);
        await commit.run();
      } catch (e) {
        this.discardAppenders();
        try {
          await conn.run("ROLLBACK");
        } catch {
          // a failed COMMIT has already rolled back
        }
        throw translate(e);
      }
      for (const [chain, head] of pending) this.heads.set(chain, head);
      this.ledger?.record(pending);
      return result;
    });
  }

  private discardAppenders(): void {
    for (const a of this.appenders.values()) {
      try {
        a.clear();
        a.closeSync();
      } catch {
        // an appender whose flush failed may refuse to close; it is dropped either way
      }
    }
    this.appenders.clear();
  }

  private read<T>(task: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    // The least busy read connection; a connection runs one query at a time.
    let i = 0;
    for (let k = 1; k < this.readers.length; k++) if (this.readBusy[k] < this.readBusy[i]) i = k;
    this.readBusy[i] += 1;
    return this.readLocks[i].run(async () => {
      try {
        this.assertOpen();
        return await task(this.readers[i]);
      } finally {
        this.readBusy[i] -= 1;
      }
    });
  }

  private async assertTrial(conn: DuckDBConnection, trialId: string): Promise<void> {
    if (this.knownTrials.has(trialId)) return;
    const r = await conn.runAndReadAll("SELECT 1 FROM trials WHERE trial_id = $1", [trialId]);
    if (r.currentRowCount === 0) throw new StoreError("not_found", `unknown trial ${shownValue(trialId)}`);
    this.knownTrials.add(trialId);
  }

  // ----------------------------------------------------------------------------- trials

  /** A write that changes a trial's record; its cached copy is dropped afterwards, committed or not. */
  private async changeTrial<T>(trialId: string, task: (ctx: WriteContext) => Promise<T>): Promise<T> {
    try {
      return await this.write(task);
    } finally {
      this.trialChanged(trialId);
    }
  }

  async createTrial(trial: NewTrial, audit: AuditDraft[]): Promise<AuditEntry[]> {
    validateNewTrial(trial);
    validateAudit(audit, trial.id);
    return this.write(async ({ conn, link }) => {
      await insertTrial(conn, trial);
      return link(trial.id, audit);
    });
  }

  async amendTrial(
    trialId: string,
    amendment: { protocolHash: string; protocolJson: string; reason: string; at: string },
    audit: AuditDraft[],
  ): Promise<{ version: number; audit: AuditEntry[] }> {
    assertIdent(trialId, "trial id");
    validateAmendment(amendment);
    validateAudit(audit, trialId);
    return this.changeTrial(trialId, async ({ conn, link }) => {
      await this.assertTrial(conn, trialId);
      const version = await insertAmendment(conn, trialId, amendment);
      return { version, audit: await link(trialId, audit) };
    });
  }

  async setTrialStatus(trialId: string, change: TrialStatusChange, audit: AuditDraft[]): Promise<AuditEntry[]> {
    assertIdent(trialId, "trial id");
    validateStatusChange(change);
    validateAudit(audit, trialId);
    return this.changeTrial(trialId, async ({ conn, link }) => {
      await this.assertTrial(conn, trialId);
      await insertStatus(conn, trialId, change);
      return link(trialId, audit);
    });
  }

  /**
   * Trial records are read often (most routes check the trial) and change only through this
   * process's writer (amendments, status changes), so they are cached here. A change drops the
   * trial's entry after its COMMIT and bumps `trialEpoch`, so that a read that started before the
   * change cannot put the old record back. Callers get copies.
   */
  async getTrial(trialId: string): Promise<TrialRecord | null> {
    const hit = this.trialCache.get(trialId);
    if (hit !== undefined) return copyTrial(hit);
    const epoch = this.trialEpoch;
    const record = await this.loadTrial(trialId);
    if (record !== null && epoch === this.trialEpoch) this.trialCache.set(trialId, record);
    return record === null ? null : copyTrial(record);
  }

  private trialChanged(trialId: string): void {
    this.trialEpoch += 1;
    this.trialCache.delete(trialId);
  }

  private async loadTrial(trialId: string): Promise<TrialRecord | null> {
    return this.read((conn) => queryTrial(conn, trialId));
  }

  async listTrialIds(): Promise<string[]> {
    return this.read(queryTrialIds);
  }

  // ----------------------------------------------------------------------------- the batch write

  async append(trialId: string, batch: TrialBatch): Promise<AuditEntry[]> {
    const b = validateBatch(trialId, batch, this.limits);
    return this.write(async ({ conn, link, append, appender }) => {
      await this.assertTrial(conn, trialId);
      await assertEnrolled(conn, trialId, b.referencedPublicIds);
      if (b.enrollments.length > 0) appendEnrollments(await appender("enrollments"), trialId, b.enrollments);
      const entries = await link(trialId, b.audit);
      await appendParticipantRows(append, trialId, entries[0].seq, b);
      return entries;
    });
  }

  // ----------------------------------------------------------------------------- participant reads

  async findEnrollment(trialId: string, by: { pseudonym: string } | { publicId: string }, scope: ReadScope): Promise<EnrollmentRecord | null> {
    return this.read((conn) => queryEnrollment(conn, trialId, by, scope));
  }

  async listEnrollments(trialId: string, scope: ReadScope, page?: Page): Promise<EnrollmentRecord[]> {
    return this.read((conn) => queryEnrollments(conn, trialId, scope, page));
  }

  async countEnrollments(trialId: string, scope: ReadScope): Promise<number> {
    return this.read((conn) => countEnrollments(conn, trialId, scope));
  }

  async loadAllocationHistory(trialId: string): Promise<EnrollmentRecord[]> {
    return this.listEnrollments(trialId, { kind: "all" });
  }

  async listBaselineCorrections(trialId: string, scope: ReadScope): Promise<BaselineCorrection[]> {
    return this.read((conn) => queryBaselineCorrections(conn, trialId, scope));
  }

  async listWithdrawals(trialId: string, scope: ReadScope): Promise<Withdrawal[]> {
    return this.read((conn) => queryWithdrawals(conn, trialId, scope));
  }

  async listErrorFlags(trialId: string, scope: ReadScope): Promise<ErrorFlag[]> {
    return this.read((conn) => queryErrorFlags(conn, trialId, scope));
  }

  async listOutcomes(trialId: string, scope: ReadScope): Promise<OutcomeValue[]> {
    return this.read((conn) => queryOutcomes(conn, trialId, scope));
  }

  // ----------------------------------------------------------------------------- tokens

  async putToken(token: NewToken, audit: AuditDraft[]): Promise<AuditEntry[]> {
    validateNewToken(token);
    validateAudit(audit, REGISTRY_CHAIN);
    return this.write(async ({ conn, link }) => {
      await insertToken(conn, token);
      return link(REGISTRY_CHAIN, audit);
    });
  }

  async findTokenByHash(hash: string): Promise<TokenRecord | null> {
    if (!/^[0-9a-f]{64}$/.test(hash)) return null;
    return this.read((conn) => queryToken(conn, { hash }));
  }

  async getToken(id: string): Promise<TokenRecord | null> {
    return this.read((conn) => queryToken(conn, { id }));
  }

  async listTokens(): Promise<TokenRecord[]> {
    return this.read(queryTokens);
  }

  async revokeToken(id: string, revocation: { reason: string; at: string }, audit: AuditDraft[]): Promise<AuditEntry[]> {
    validateRevocation(revocation);
    validateAudit(audit, REGISTRY_CHAIN);
    return this.write(async ({ conn, link }) => {
      await insertRevocation(conn, id, revocation);
      return link(REGISTRY_CHAIN, audit);
    });
  }

  // ----------------------------------------------------------------------------- audit

  async appendAudit(chain: string, drafts: AuditDraft[]): Promise<AuditEntry[]> {
    validateAudit(drafts, chain);
    return this.write(async ({ conn, link }) => {
      if (chain !== REGISTRY_CHAIN) await this.assertTrial(conn, chain);
      return link(chain, drafts);
    });
  }

  async readAudit(chain: string, page?: Page): Promise<AuditEntry[]> {
    return this.read((conn) => queryAudit(conn, chain, page));
  }

  async auditHead(chain: string): Promise<ChainHead | null> {
    // Heads of chains this process has written are known (one writer process); they advance only
    // after COMMIT, so they never show an uncommitted entry.
    const known = this.heads.get(chain);
    if (known != null) return { ...known };
    return this.read((conn) => queryAuditHead(conn, chain));
  }

  // ----------------------------------------------------------------------------- settings, lifecycle

  async bindKeyFingerprint(fingerprint: string): Promise<void> {
    assertHex64(fingerprint, "key fingerprint");
    await this.write(({ conn }) => bindFingerprint(conn, fingerprint));
  }

  /**
   * A separate connection on the same database, for work outside the store's own tables (the
   * register import and derivations, which run long transactions of their own). The caller closes it
   * before the store closes.
   */
  async connect(): Promise<DuckDBConnection> {
    this.assertOpen();
    return this.instance.connect();
  }

  async close(): Promise<void> {
    await this.writeLock.run(async () => {
      // Wait for every read connection's queue to empty, then close everything at once.
      await Promise.all(this.readLocks.map((lock) => lock.run(async () => undefined)));
      if (this.closed) return;
      this.closed = true;
      this.discardAppenders();
      this.transactionStatements?.begin.destroySync();
      this.transactionStatements?.commit.destroySync();
      this.writer.closeSync();
      for (const r of this.readers) r.closeSync();
      this.instance.closeSync();
      this.ledger?.close();
    });
  }
}
