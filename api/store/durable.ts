/**
 * The `Store` on Cloudflare Durable Objects (SQLite-backed): one object per trial, the single writer
 * that serializes that trial's writes wherever the caller sits, and one registry object for tokens,
 * the trial list and the key fingerprint. This adapter forwards each `Store` call to the right
 * object's RPC method (`durable-trial.ts`, `durable-registry.ts`) and turns refusals back into
 * `StoreError`s. Validation is the shared code in `validate.ts`, run by the objects themselves.
 *
 * Inside a trial's own object the adapter is given that object (`local`), so the trial's calls are
 * plain method calls there rather than an RPC to itself.
 *
 * A `namespace` prefixes every object name, so that several independent stores (tests, staging)
 * can share one Durable Object binding.
 */
import { REGISTRY_CHAIN, type AuditDraft, type AuditEntry, type ChainHead } from "../audit.ts";
import type { RegistryStoreObject } from "./durable-registry.ts";
import { unwrap, type Envelope } from "./durable-sql.ts";
import { DURABLE_LIMITS, type TrialStoreObject } from "./durable-trial.ts";
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
import { assertIdent, validateAudit, validatePage } from "./validate.ts";

/** The Durable Object bindings the store needs (names as in wrangler.toml). */
export interface DurableStoreBindings {
  VIRKER_TRIALS: DurableObjectNamespace;
  VIRKER_REGISTRY: DurableObjectNamespace;
}

/** An object's RPC methods as seen through a stub (results may arrive as promises). */
type Remote<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => Envelope<infer R> ? (...args: A) => Envelope<R> | Promise<Envelope<R>> : never;
};

type TrialMethods = Pick<
  TrialStoreObject,
  | "createTrial" | "amendTrial" | "setTrialStatus" | "getTrial" | "append" | "findEnrollment" | "listEnrollments"
  | "countEnrollments" | "listBaselineCorrections" | "listWithdrawals" | "listErrorFlags" | "listOutcomes"
  | "appendAudit" | "readAudit" | "auditHead"
>;
type RegistryMethods = Pick<
  RegistryStoreObject,
  | "addTrial" | "listTrialIds" | "putToken" | "findTokenByHash" | "getToken" | "listTokens" | "revokeToken"
  | "appendAudit" | "readAudit" | "auditHead" | "bindKeyFingerprint"
>;
export type TrialRpc = Remote<TrialMethods>;
export type RegistryRpc = Remote<RegistryMethods>;

export interface DurableStoreOptions {
  /** Prefix of every object name (default ""). */
  namespace?: string;
  /** The trial object this adapter runs inside, if any: its calls skip the RPC. */
  local?: { trialId: string; object: TrialRpc };
  /**
   * Rows per RPC answer when enrollments or audit entries are read from another object (default
   * 5,000): a large trial's whole list would exceed the size of one RPC message.
   */
  rpcPageSize?: number;
}

/** The name of a trial's object: also what the Worker routes a trial's requests by. */
export const trialObjectName = (namespace: string, trialId: string) => `${namespace}trial:${trialId}`;
export const registryObjectName = (namespace: string) => `${namespace}registry`;

const IDENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export class DurableStore implements Store {
  readonly limits: StoreLimits = DURABLE_LIMITS;
  private readonly namespace: string;
  private closed = false;

  constructor(
    private readonly env: DurableStoreBindings,
    private readonly options: DurableStoreOptions = {},
  ) {
    this.namespace = options.namespace ?? "";
  }

  /** The trial's object (after checking the id, so that no object is made for a malformed one). */
  private trial(trialId: string): TrialRpc {
    this.assertOpen();
    assertIdent(trialId, "trial id");
    const local = this.options.local;
    if (local !== undefined && local.trialId === trialId) return local.object;
    const ns = this.env.VIRKER_TRIALS;
    return ns.get(ns.idFromName(trialObjectName(this.namespace, trialId))) as unknown as TrialRpc;
  }

  private registry(): RegistryRpc {
    this.assertOpen();
    const ns = this.env.VIRKER_REGISTRY;
    return ns.get(ns.idFromName(registryObjectName(this.namespace))) as unknown as RegistryRpc;
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError("closed", "store is closed");
  }

  private isLocal(object: TrialRpc): boolean {
    return this.options.local !== undefined && object === this.options.local.object;
  }

  /**
   * A keyset-paged read split into RPC answers of at most `rpcPageSize` rows, joined again: the
   * caller sees one list, as from the local object.
   */
  private async paged<T>(page: Page | undefined, read: (p: Page) => Envelope<T[]> | Promise<Envelope<T[]>>, keyOf: (row: T) => number): Promise<T[]> {
    const size = this.options.rpcPageSize ?? 5_000;
    let { after, limit: wanted } = validatePage(page);
    const out: T[] = [];
    while (wanted > 0) {
      const limit = Math.min(size, wanted);
      const rows = unwrap(await read({ after, limit }));
      out.push(...rows);
      if (rows.length < limit) break;
      after = keyOf(rows[rows.length - 1]);
      wanted -= rows.length;
    }
    return out;
  }

  /** Reads by a trial id that is not even well-formed find nothing (as in the DuckDB adapter). */
  private static wellFormed(trialId: string): boolean {
    return typeof trialId === "string" && IDENT.test(trialId);
  }

  async createTrial(trial: NewTrial, audit: AuditDraft[]): Promise<AuditEntry[]> {
    const entries = unwrap(await this.trial(trial.id).createTrial(trial, audit));
    unwrap(await this.registry().addTrial(trial.id, trial.at));
    return entries;
  }

  async amendTrial(
    trialId: string,
    amendment: { protocolHash: string; protocolJson: string; reason: string; at: string },
    audit: AuditDraft[],
  ): Promise<{ version: number; audit: AuditEntry[] }> {
    return unwrap(await this.trial(trialId).amendTrial(trialId, amendment, audit));
  }

  async setTrialStatus(trialId: string, change: TrialStatusChange, audit: AuditDraft[]): Promise<AuditEntry[]> {
    return unwrap(await this.trial(trialId).setTrialStatus(trialId, change, audit));
  }

  async getTrial(trialId: string): Promise<TrialRecord | null> {
    if (!DurableStore.wellFormed(trialId)) return null;
    return unwrap(await this.trial(trialId).getTrial(trialId));
  }

  async listTrialIds(): Promise<string[]> {
    return unwrap(await this.registry().listTrialIds());
  }

  async append(trialId: string, batch: TrialBatch): Promise<AuditEntry[]> {
    return unwrap(await this.trial(trialId).append(trialId, batch));
  }

  async findEnrollment(trialId: string, by: { pseudonym: string } | { publicId: string }, scope: ReadScope): Promise<EnrollmentRecord | null> {
    return unwrap(await this.trial(trialId).findEnrollment(trialId, by, scope));
  }

  async listEnrollments(trialId: string, scope: ReadScope, page?: Page): Promise<EnrollmentRecord[]> {
    const object = this.trial(trialId);
    if (this.isLocal(object)) return unwrap(await object.listEnrollments(trialId, scope, page));
    return this.paged(page, (p) => object.listEnrollments(trialId, scope, p), (e) => e.sequence);
  }

  async countEnrollments(trialId: string, scope: ReadScope): Promise<number> {
    return unwrap(await this.trial(trialId).countEnrollments(trialId, scope));
  }

  async loadAllocationHistory(trialId: string): Promise<EnrollmentRecord[]> {
    return this.listEnrollments(trialId, { kind: "all" });
  }

  async listBaselineCorrections(trialId: string, scope: ReadScope): Promise<BaselineCorrection[]> {
    return unwrap(await this.trial(trialId).listBaselineCorrections(trialId, scope));
  }

  async listWithdrawals(trialId: string, scope: ReadScope): Promise<Withdrawal[]> {
    return unwrap(await this.trial(trialId).listWithdrawals(trialId, scope));
  }

  async listErrorFlags(trialId: string, scope: ReadScope): Promise<ErrorFlag[]> {
    return unwrap(await this.trial(trialId).listErrorFlags(trialId, scope));
  }

  async listOutcomes(trialId: string, scope: ReadScope): Promise<OutcomeValue[]> {
    return unwrap(await this.trial(trialId).listOutcomes(trialId, scope));
  }

  async putToken(token: NewToken, audit: AuditDraft[]): Promise<AuditEntry[]> {
    return unwrap(await this.registry().putToken(token, audit));
  }

  async findTokenByHash(hash: string): Promise<TokenRecord | null> {
    return unwrap(await this.registry().findTokenByHash(hash));
  }

  async getToken(id: string): Promise<TokenRecord | null> {
    return unwrap(await this.registry().getToken(id));
  }

  async listTokens(): Promise<TokenRecord[]> {
    return unwrap(await this.registry().listTokens());
  }

  async revokeToken(id: string, revocation: { reason: string; at: string }, audit: AuditDraft[]): Promise<AuditEntry[]> {
    return unwrap(await this.registry().revokeToken(id, revocation, audit));
  }

  async appendAudit(chain: string, drafts: AuditDraft[]): Promise<AuditEntry[]> {
    validateAudit(drafts, chain);
    if (chain === REGISTRY_CHAIN) return unwrap(await this.registry().appendAudit(drafts));
    return unwrap(await this.trial(chain).appendAudit(chain, drafts));
  }

  async readAudit(chain: string, page?: Page): Promise<AuditEntry[]> {
    if (chain === REGISTRY_CHAIN) {
      const registry = this.registry();
      return this.paged(page, (p) => registry.readAudit(p), (e) => e.seq);
    }
    if (!DurableStore.wellFormed(chain)) return [];
    const object = this.trial(chain);
    if (this.isLocal(object)) return unwrap(await object.readAudit(chain, page));
    return this.paged(page, (p) => object.readAudit(chain, p), (e) => e.seq);
  }

  async auditHead(chain: string): Promise<ChainHead | null> {
    if (chain === REGISTRY_CHAIN) return unwrap(await this.registry().auditHead());
    if (!DurableStore.wellFormed(chain)) return null;
    return unwrap(await this.trial(chain).auditHead(chain));
  }

  async bindKeyFingerprint(fingerprint: string): Promise<void> {
    unwrap(await this.registry().bindKeyFingerprint(fingerprint));
  }

  /** Nothing to release (objects live on their own); later calls are refused, as in the other adapter. */
  async close(): Promise<void> {
    this.closed = true;
  }
}
