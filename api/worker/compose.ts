/**
 * The Worker's composition root: what `createApp` gets on Workers. The store is the Durable Object
 * adapter, the protocols are the bundled files, the pseudonym key is the Worker secret
 * `VIRKER_PSEUDONYM_KEY`, the clock is the runtime's and randomness is Web Crypto's, unless a test
 * or benchmark in the same isolate pinned them with `setWorkerParts`.
 *
 * Evidence packages: signed with the secret `VIRKER_SIGNING_KEY` (an Ed25519 private JWK, as
 * `virker key create` prints it) and kept in the R2 bucket `VIRKER_EVIDENCE`, which the Worker and
 * every trial's object share, so a package drafted in an object is read and published by the
 * Worker. Randomization inference runs in the request, in turn (no threads on Workers).
 */
import { createApp, type App } from "../app.ts";
import type { EvidenceParts } from "../routes/evidence.ts";
import { R2EvidenceRepository } from "../evidence/repository-r2.ts";
import { signerFromJwk, type Signer } from "../evidence/signing.ts";
import { keyFingerprint, pseudonymKey } from "../pseudonym.ts";
import { DurableStore, type DurableStoreBindings, type DurableStoreOptions } from "../store/durable.ts";
import type { RandomBytes } from "../tokens.ts";
import { bundledProtocols } from "./protocols.ts";

export interface WorkerEnv extends DurableStoreBindings {
  /** Secret: hex or base64 of at least 32 bytes. Without it every request answers 503. */
  VIRKER_PSEUDONYM_KEY?: string;
  /** Secret: the evidence-package signing key, an Ed25519 private JWK as JSON. Without it analyses answer 501. */
  VIRKER_SIGNING_KEY?: string;
  /** R2 bucket of the evidence packages (wrangler.toml). Needed when VIRKER_SIGNING_KEY is set. */
  VIRKER_EVIDENCE?: R2Bucket;
  /** Secret: enables `POST /v1/admin/tokens` for whoever presents it (first tokens of a deployment). */
  VIRKER_ADMIN_TOKEN?: string;
  /** Prefix of the Durable Object names (default none): several deployments on one account. */
  VIRKER_NAMESPACE?: string;
}

export interface WorkerParts {
  clock?: () => Date;
  random?: RandomBytes;
}

let overrides: WorkerParts = {};
let generation = 0;

/**
 * Pins the clock and/or randomness of every app built afterwards in this isolate (tests, benches).
 * Apps already built are rebuilt on their next request.
 */
export function setWorkerParts(parts: WorkerParts): void {
  overrides = { ...parts };
  generation += 1;
}

/** How long a valid token is trusted from the per-isolate cache: a revocation elsewhere takes effect within this. */
export const TOKEN_CACHE_MS = 30_000;

/** A configuration problem the caller can do nothing about: answered 503 with a bilingual message. */
export class WorkerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WorkerConfigError";
  }
}

const bundled = { source: null as ReturnType<typeof bundledProtocols> | null };
const protocols = () => (bundled.source ??= bundledProtocols());

/** Builds the app for this environment (and, inside a trial's object, with that object as local store). */
export async function buildWorkerApp(env: WorkerEnv, local?: DurableStoreOptions["local"]): Promise<App> {
  const secret = env.VIRKER_PSEUDONYM_KEY;
  if (typeof secret !== "string" || secret.trim() === "") {
    throw new WorkerConfigError("VIRKER_PSEUDONYM_KEY er ikke sat / the Worker secret VIRKER_PSEUDONYM_KEY is not set");
  }
  const key = pseudonymKey(secret);
  const evidence = await evidenceParts(env);
  const store = new DurableStore(env, { namespace: env.VIRKER_NAMESPACE ?? "", local });
  await store.bindKeyFingerprint(keyFingerprint(key));
  return createApp({ store, key, protocols: protocols(), clock: overrides.clock, random: overrides.random, evidence });
}

const signers = new Map<string, Promise<Signer>>();

/** The signer of a `VIRKER_SIGNING_KEY` value. @throws WorkerConfigError if it is not an Ed25519 private JWK. */
async function workerSigner(secret: string): Promise<Signer> {
  let signer = signers.get(secret);
  if (signer === undefined) {
    signer = (async () => signerFromJwk(JSON.parse(secret) as JsonWebKey))();
    signers.set(secret, signer);
    signer.catch(() => signers.delete(secret));
  }
  try {
    return await signer;
  } catch {
    throw new WorkerConfigError(
      "VIRKER_SIGNING_KEY er ugyldig (forventede en privat Ed25519-nøgle som JWK, se `virker key create`) / the secret VIRKER_SIGNING_KEY is invalid (expected an Ed25519 private key as JWK JSON, see `virker key create`)",
    );
  }
}

/** Evidence parts of this environment: signer and R2 repository when configured; reading works without a signer. */
async function evidenceParts(env: WorkerEnv): Promise<EvidenceParts | undefined> {
  const secret = env.VIRKER_SIGNING_KEY;
  const signer = typeof secret === "string" && secret.trim() !== "" ? await workerSigner(secret) : undefined;
  const bucket = env.VIRKER_EVIDENCE;
  if (bucket === undefined) {
    if (signer !== undefined) {
      throw new WorkerConfigError("R2-bucketten VIRKER_EVIDENCE mangler / the R2 binding VIRKER_EVIDENCE is missing (needed with VIRKER_SIGNING_KEY)");
    }
    return undefined;
  }
  return { signer, repository: new R2EvidenceRepository(bucket, env.VIRKER_NAMESPACE ?? "") };
}

/** One app per isolate or object, rebuilt when `setWorkerParts` changes the parts; its token cache is cleared every TOKEN_CACHE_MS. */
export class AppHolder {
  private app: Promise<App> | null = null;
  private builtFor = -1;
  private cacheClearedAt = 0;

  constructor(private readonly build: () => Promise<App>) {}

  async get(): Promise<App> {
    if (this.app === null || this.builtFor !== generation) {
      this.builtFor = generation;
      const app = this.build();
      this.app = app;
      app.catch(() => {
        if (this.app === app) this.app = null;
      });
      this.cacheClearedAt = Date.now();
    }
    const app = await this.app;
    const now = Date.now();
    if (now - this.cacheClearedAt > TOKEN_CACHE_MS) {
      this.cacheClearedAt = now;
      app.deps.forgetTokens();
    }
    return app;
  }
}

/** The JSON error a Worker answers when it cannot build the app (missing secret, another key). */
export function configErrorResponse(error: unknown): Response {
  const message =
    error instanceof WorkerConfigError
      ? error.message
      : error instanceof Error && error.name === "StoreError" && (error as { code?: string }).code === "key_mismatch"
        ? "pseudonymnøglen er ikke den, installationen blev oprettet med / the pseudonym key differs from the one this deployment was made with"
        : error instanceof Error && error.name === "PseudonymKeyError"
          ? "VIRKER_PSEUDONYM_KEY er ugyldig / the secret VIRKER_PSEUDONYM_KEY is invalid (hex or base64 of 32+ bytes)"
          : null;
  if (message === null) throw error;
  return Response.json({ error: { code: "misconfigured", message } }, { status: 503 });
}
