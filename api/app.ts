/**
 * Builds the virker Hono app from injected parts (store, pseudonym key, clock, random source,
 * protocol source), so that the same app runs in Node (node.ts) and in a Worker. Routes are
 * declared with @hono/zod-openapi; `/openapi.json` describes them and `/docs` renders that
 * description without loading anything from outside the server.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { secureHeaders } from "hono/secure-headers";
import type { MiddlewareHandler } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { type AppEnv, type Deps, type ProtocolSource } from "./context.ts";
import { docsPage } from "./docs-page.ts";
import { EnrollmentService } from "./enrollment/service.ts";
import { ApiError } from "./errors.ts";
import type { PseudonymKey } from "./pseudonym.ts";
import type { RegisterBackend } from "./register-port.ts";
import { auditRoutes } from "./routes/audit.ts";
import { enrollmentRoutes } from "./routes/enrollments.ts";
import { protocolRoutes } from "./routes/protocols.ts";
import { registerRoutes } from "./routes/registers.ts";
import { bulkEnrollmentRoutes } from "./routes/bulk-enrollments.ts";
import { exportRoutes } from "./routes/export.ts";
import { evidenceRoutes, type EvidenceParts } from "./routes/evidence.ts";
import { outcomeRoutes } from "./routes/outcomes.ts";
import { progressionRoutes } from "./routes/progression.ts";
import { pageRoutes } from "./pages/index.tsx";
import { participantChangeRoutes } from "./routes/participant-changes.ts";
import type { ParquetWriter } from "./datasets/export-format.ts";
import { enrollmentRateLimit, type RateLimitOptions } from "./rate-limit.ts";
import { trialRoutes } from "./routes/trials.ts";
import { notebookRoutes } from "./routes/notebooks.ts";
import type { Store } from "./store/store.ts";
import { authenticate, cryptoRandomBytes, parseBearer, type Principal, type RandomBytes } from "./tokens.ts";

export interface AppParts {
  store: Store;
  key: PseudonymKey;
  protocols: ProtocolSource;
  clock?: () => Date;
  random?: RandomBytes;
  /** The register import (Node with DuckDB); without it the register route answers 501. */
  registers?: RegisterBackend;
  /** Largest request body in bytes (default 1 MiB); file uploads set their own limit. */
  maxBodyBytes?: number;
  /** Largest bulk enrollment upload in bytes (default 64 MiB). */
  maxBulkBodyBytes?: number;
  /** Per-token rate limit on enrollment requests (default 5,000/s, bursts of 5,000). */
  rateLimit?: RateLimitOptions;
  /** Writes the export's Parquet (Node: `datasets/parquet-node.ts`); without it Parquet answers 501. */
  parquet?: ParquetWriter;
  /** Evidence packages: the signing key and where packages are kept (default in memory, unsigned → 501). */
  evidence?: EvidenceParts;
  /** Where unexpected errors are reported (default console.error); never given request bodies. */
  report?: (error: unknown) => void;
}

export interface App {
  app: OpenAPIHono<AppEnv>;
  deps: Deps;
  close(): Promise<void>;
}

/** Paths whose bodies are files with a limit of their own. */
const UPLOAD_PATH = /^\/v1\/trials\/[^/]+\/registers$/;
const BULK_PATH = /^\/v1\/trials\/[^/]+\/enrollments\/bulk$/;

/**
 * Refuses bodies over `maxSize` bytes with 413. A body with a Content-Length (and no
 * Transfer-Encoding) is judged by that header alone, as Hono's bodyLimit does, but without touching
 * `c.req.raw.body`: on Node that getter turns the server's lightweight request into a full web
 * Request with a body stream, which cost more than the rest of an enrollment. GET and HEAD carry no
 * body. Anything else (chunked uploads) goes through bodyLimit, which counts the bytes as they come.
 */
function limitBodies(maxSize: number, message: string): MiddlewareHandler<AppEnv> {
  const onError = () => {
    throw new ApiError(413, "payload_too_large", message);
  };
  const counted = bodyLimit({ maxSize, onError });
  return (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    const length = c.req.header("content-length");
    if (length !== undefined && /^\d+$/.test(length) && c.req.header("transfer-encoding") === undefined) {
      return Number(length) > maxSize ? onError() : next();
    }
    return counted(c, next);
  };
}

export function createApp(parts: AppParts): App {
  const clock = parts.clock ?? (() => new Date());
  const deps: Deps = {
    store: parts.store,
    key: parts.key,
    clock,
    random: parts.random ?? cryptoRandomBytes,
    protocols: parts.protocols,
    enrollment: new EnrollmentService(parts.store, parts.key, clock),
    registers: parts.registers,
    forgetTokens: () => {},
  };
  const report = parts.report ?? ((e: unknown) => console.error("virker: internal error:", e instanceof Error ? e.name : typeof e));

  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        throw new ApiError(
          400,
          "bad_request",
          "forespørgslen er ugyldig / the request is invalid",
          result.error.issues.map((i) => ({ path: i.path.map(String).join(".") || "(body)", message: i.message, code: i.code })),
        );
      }
    },
  });

  app.onError((error, c) => {
    if (error instanceof ApiError) return c.json(error.body(), error.status);
    if (error instanceof HTTPException) {
      const status = error.status as ContentfulStatusCode;
      const message = status === 400 ? "ugyldig JSON i forespørgslen / malformed JSON in the request body" : error.message || "request refused";
      return c.json({ error: { code: status === 413 ? "payload_too_large" : "bad_request", message } }, status);
    }
    report(error);
    return c.json({ error: { code: "internal", message: "intern fejl / internal error" } }, 500);
  });
  app.notFound((c) => c.json({ error: { code: "not_found", message: `ingen rute ${c.req.method} ${c.req.path} / no route ${c.req.method} ${c.req.path}` } }, 404));

  app.use("*", secureHeaders());
  const limitBody = limitBodies(parts.maxBodyBytes ?? 1024 * 1024, "forespørgslen er for stor / the request body is too large");
  // Routes that take files (register extracts) stream the body and enforce their own limit.
  const limitBulk = limitBodies(parts.maxBulkBodyBytes ?? 64 * 1024 * 1024, "filen er for stor / the file is too large");
  app.use("*", (c, next) =>
    c.req.method === "POST" && UPLOAD_PATH.test(c.req.path) ? next() : c.req.method === "POST" && BULK_PATH.test(c.req.path) ? limitBulk(c, next) : limitBody(c, next),
  );
  // Valid tokens are remembered in this process: a store lookup per request would cost more than
  // the enrollment itself. Revocation goes through this process (the store has one writer), which
  // clears the cache (`deps.forgetTokens`).
  const known = new Map<string, Promise<Principal | null>>();
  deps.forgetTokens = () => known.clear();
  app.use("*", async (c, next) => {
    c.set("deps", deps);
    const header = c.req.header("authorization");
    if (header === undefined) {
      c.set("principal", null);
    } else {
      const token = parseBearer(header);
      let principal: Principal | null = null;
      if (token !== null) {
        let lookup = known.get(token);
        if (lookup === undefined) {
          // Requests that arrive together with a new token share one lookup.
          lookup = authenticate(deps.store, token);
          known.set(token, lookup);
          void lookup.then((p) => p === null && known.delete(token), () => known.delete(token));
        }
        principal = await lookup;
      }
      if (principal === null) throw new ApiError(401, "unauthorized", "ugyldig eller tilbagekaldt token / invalid or revoked token");
      c.set("principal", principal);
    }
    await next();
  });

  const rateLimit = enrollmentRateLimit(parts.rateLimit, clock);
  app.use("/v1/trials/:trial/enrollments", rateLimit);
  app.use("/v1/trials/:trial/enrollments/bulk", rateLimit);

  app.get("/health", (c) => c.json({ ok: true }));
  protocolRoutes(app);
  trialRoutes(app);
  enrollmentRoutes(app);
  auditRoutes(app);
  registerRoutes(app);
  bulkEnrollmentRoutes(app);
  participantChangeRoutes(app);
  outcomeRoutes(app);
  progressionRoutes(app);
  exportRoutes(app, parts.parquet);
  evidenceRoutes(app, parts.evidence);
  notebookRoutes(app);

  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: { title: "virker API", version: "0.1.0", description: "Randomized controlled trials of employment interventions: protocols, enrollment, audit." },
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });
  app.get("/docs", (c) => c.html(docsPage()));
  pageRoutes(app);

  return { app, deps, close: async () => {
    await deps.enrollment.close();
    await deps.registers?.close();
  } };
}
