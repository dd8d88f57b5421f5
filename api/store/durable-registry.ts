/**
 * The registry's Durable Object: what belongs to no single trial. Tokens (hashes only) and their
 * revocations, the list of trials, the pseudonym key's fingerprint, and the `registry` audit chain
 * that records token acts. One object per deployment; it is read on a token's first use in each
 * isolate (the app caches valid tokens) and written rarely, so it is no bottleneck for enrollment.
 */
import { DurableObject } from "cloudflare:workers";
import { REGISTRY_CHAIN, shownValue, type AuditDraft, type AuditEntry, type ChainHead } from "../audit.ts";
import { AUDIT_TABLE, answer, appendChain, auditHeadOf, blobToHex, execAll, hexToBlob, readChain, type Envelope, type Sql } from "./durable-sql.ts";
import { StoreError, type NewToken, type Page, type Role, type TokenRecord } from "./store.ts";
import { assertHex64, assertIdent, validateAudit, validateNewToken, validatePage, validateRevocation } from "./validate.ts";

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BLOB NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS trials (trial_id TEXT PRIMARY KEY, created_at TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS tokens (
    token_id TEXT PRIMARY KEY, token_hash BLOB NOT NULL UNIQUE, role TEXT NOT NULL, site TEXT, name TEXT NOT NULL, created_at TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS token_revocations (token_id TEXT PRIMARY KEY, reason TEXT NOT NULL, at_utc TEXT NOT NULL)`,
  AUDIT_TABLE,
];

const TOKEN_SELECT =
  "SELECT t.token_id, t.token_hash, t.role, t.site, t.name, t.created_at, r.at_utc, r.reason " +
  "FROM tokens t LEFT JOIN token_revocations r ON r.token_id = t.token_id";

function tokenOf(row: unknown[]): TokenRecord {
  const [id, hash, role, site, name, createdAt, revokedAt, revokeReason] = row;
  return {
    id: id as string,
    hash: blobToHex(hash),
    role: role as Role,
    site: site as string | null,
    name: name as string,
    createdAt: createdAt as string,
    revokedAt: revokedAt as string | null,
    revokeReason: revokeReason as string | null,
  };
}

export class RegistryStoreObject<Env = unknown> extends DurableObject<Env> {
  protected readonly sql: Sql;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql as unknown as Sql;
    execAll(this.sql, SCHEMA);
  }

  /** Records a trial in the list (idempotent: the trial's own object is the authority on duplicates). */
  addTrial(trialId: string, createdAt: string): Envelope<void> {
    return answer(() => {
      assertIdent(trialId, "trial id");
      this.sql.exec("INSERT OR IGNORE INTO trials VALUES (?, ?)", trialId, createdAt);
    });
  }

  listTrialIds(): Envelope<string[]> {
    return answer(() => [...this.sql.exec("SELECT trial_id FROM trials ORDER BY created_at, trial_id").raw()].map(([id]) => id as string));
  }

  putToken(token: NewToken, audit: AuditDraft[]): Envelope<AuditEntry[]> {
    return answer(() => {
      validateNewToken(token);
      validateAudit(audit, REGISTRY_CHAIN);
      return this.ctx.storage.transactionSync(() => {
        this.sql.exec(
          "INSERT INTO tokens VALUES (?, ?, ?, ?, ?, ?)",
          token.id, hexToBlob(token.hash), token.role, token.site, token.name, token.createdAt,
        );
        return appendChain(this.sql, REGISTRY_CHAIN, audit);
      });
    });
  }

  findTokenByHash(hash: string): Envelope<TokenRecord | null> {
    return answer(() => {
      if (!/^[0-9a-f]{64}$/.test(hash)) return null;
      const [row] = [...this.sql.exec(`${TOKEN_SELECT} WHERE t.token_hash = ?`, hexToBlob(hash)).raw()];
      return row === undefined ? null : tokenOf(row);
    });
  }

  getToken(id: string): Envelope<TokenRecord | null> {
    return answer(() => {
      const [row] = [...this.sql.exec(`${TOKEN_SELECT} WHERE t.token_id = ?`, id).raw()];
      return row === undefined ? null : tokenOf(row);
    });
  }

  listTokens(): Envelope<TokenRecord[]> {
    return answer(() => [...this.sql.exec(`${TOKEN_SELECT} ORDER BY t.created_at, t.token_id`).raw()].map(tokenOf));
  }

  revokeToken(id: string, revocation: { reason: string; at: string }, audit: AuditDraft[]): Envelope<AuditEntry[]> {
    return answer(() => {
      validateRevocation(revocation);
      validateAudit(audit, REGISTRY_CHAIN);
      return this.ctx.storage.transactionSync(() => {
        const [row] = [...this.sql.exec("SELECT r.token_id FROM tokens t LEFT JOIN token_revocations r ON r.token_id = t.token_id WHERE t.token_id = ?", id).raw()];
        if (row === undefined) throw new StoreError("not_found", `unknown token ${shownValue(id)}`);
        if (row[0] !== null) throw new StoreError("conflict", `token ${shownValue(id)} is already revoked`);
        this.sql.exec("INSERT INTO token_revocations VALUES (?, ?, ?)", id, revocation.reason, revocation.at);
        return appendChain(this.sql, REGISTRY_CHAIN, audit);
      });
    });
  }

  appendAudit(drafts: AuditDraft[]): Envelope<AuditEntry[]> {
    return answer(() => {
      validateAudit(drafts, REGISTRY_CHAIN);
      return this.ctx.storage.transactionSync(() => appendChain(this.sql, REGISTRY_CHAIN, drafts));
    });
  }

  readAudit(page?: Page): Envelope<AuditEntry[]> {
    return answer(() => {
      const { after, limit } = validatePage(page);
      return readChain(this.sql, REGISTRY_CHAIN, after, limit);
    });
  }

  auditHead(): Envelope<ChainHead | null> {
    return answer(() => auditHeadOf(this.sql));
  }

  bindKeyFingerprint(fingerprint: string): Envelope<void> {
    return answer(() => {
      assertHex64(fingerprint, "key fingerprint");
      const [row] = [...this.sql.exec("SELECT value FROM meta WHERE name = 'key_fingerprint'").raw()];
      if (row === undefined) {
        this.sql.exec("INSERT INTO meta VALUES ('key_fingerprint', ?)", hexToBlob(fingerprint));
      } else if (blobToHex(row[0]) !== fingerprint) {
        throw new StoreError(
          "key_mismatch",
          "the pseudonym key differs from the one this deployment was made with; repeat enrollments would not be recognized " +
            "(pseudonymnøglen er ikke den, installationen blev oprettet med)",
        );
      }
    });
  }
}
