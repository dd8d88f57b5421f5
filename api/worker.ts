/**
 * Worker entry point: the app from app.ts, unchanged, on Durable Objects.
 *
 * Requests about one trial (`/v1/trials/{trial}` and `/app/trials/{trial}` and below) go to that trial's object, which runs
 * the same app with itself as the trial's store: the object is the single writer of the trial, so
 * its enrollment queue and allocator are the only ones that allocate for it, wherever the caller
 * sits. Everything else (health, protocols, registering and listing trials, documentation) runs in
 * the Worker itself, against the same objects through RPC.
 */
import type { App } from "./app.ts";
import { RegistryStoreObject } from "./store/durable-registry.ts";
import { TrialStoreObject } from "./store/durable-trial.ts";
import { trialObjectName } from "./store/durable.ts";
import { adminTokens } from "./worker/admin.ts";
import { AppHolder, buildWorkerApp, configErrorResponse, type WorkerEnv } from "./worker/compose.ts";

export { setWorkerParts } from "./worker/compose.ts";
export type { WorkerEnv } from "./worker/compose.ts";

/** A trial's API routes and its staff pages: both are served inside the trial's object. */
const TRIAL_PATH = /^\/(?:v1|app)\/trials\/([^/]+)(?:\/|$)/;
const TRIAL_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The trial a request is about, if its path names a well-formed one. */
export function trialOfPath(pathname: string): string | null {
  const m = TRIAL_PATH.exec(pathname);
  if (m === null) return null;
  let id: string;
  try {
    id = decodeURIComponent(m[1]);
  } catch {
    return null;
  }
  return TRIAL_ID.test(id) ? id : null;
}

/** Bodies up to this size are read before a request is passed to a trial's object. */
const BUFFERED_BODY_BYTES = 1024 * 1024;

/**
 * The request to pass on to a trial's object. A small body is read first: the object then gets it
 * whole, and a refusal before the body was read (401, 403) leaves no stream half-forwarded. Larger
 * bodies (bulk uploads) and bodies of unknown length are streamed through. Redirects are never
 * followed on the way: the object's answer (a page's 303 after a form) goes back to the caller as
 * it is, whatever the redirect mode of the request the Worker was given.
 */
async function forwardable(request: Request): Promise<Request> {
  const length = Number(request.headers.get("content-length") ?? NaN);
  if (request.body === null || !(length <= BUFFERED_BODY_BYTES)) return new Request(request, { redirect: "manual" });
  return new Request(request, { body: await request.arrayBuffer(), redirect: "manual" });
}

async function serve(holder: AppHolder, request: Request): Promise<Response> {
  let app: App;
  try {
    app = await holder.get();
  } catch (error) {
    return configErrorResponse(error);
  }
  return app.app.fetch(request);
}

/** A trial's Durable Object: its storage (durable-trial.ts) and the app for requests about it. */
export class VirkerTrial extends TrialStoreObject<WorkerEnv> {
  private readonly apps = new Map<string, AppHolder>();

  override async fetch(request: Request): Promise<Response> {
    const trialId = trialOfPath(new URL(request.url).pathname);
    if (trialId === null) return Response.json({ error: { code: "not_found", message: "ingen rute / no route" } }, { status: 404 });
    let holder = this.apps.get(trialId);
    if (holder === undefined) {
      holder = new AppHolder(() => buildWorkerApp(this.env, { trialId, object: this }));
      this.apps.set(trialId, holder);
    }
    return serve(holder, request);
  }
}

/** The registry's Durable Object (tokens, trial list, key fingerprint). */
export class VirkerRegistry extends RegistryStoreObject<WorkerEnv> {}

const holders = new WeakMap<object, AppHolder>();

export default {
  async fetch(request: Request, env: WorkerEnv): Promise<Response> {
    let holder = holders.get(env);
    if (holder === undefined) {
      holder = new AppHolder(() => buildWorkerApp(env));
      holders.set(env, holder);
    }
    const url = new URL(request.url);
    const trialId = trialOfPath(url.pathname);
    if (trialId !== null) {
      const ns = env.VIRKER_TRIALS;
      return ns.get(ns.idFromName(trialObjectName(env.VIRKER_NAMESPACE ?? "", trialId))).fetch(await forwardable(request));
    }
    if (url.pathname === "/v1/admin/tokens") {
      const h = holder;
      try {
        return await adminTokens(request, env.VIRKER_ADMIN_TOKEN, () => h.get());
      } catch (error) {
        return configErrorResponse(error);
      }
    }
    return serve(holder, request);
  },
} satisfies ExportedHandler<WorkerEnv>;
