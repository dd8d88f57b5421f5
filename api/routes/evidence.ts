/**
 * Evidence packages: a researcher runs the trial's registered plan on the data as they stand and
 * gets a signed draft package; the agency publishes it, after which it never changes; anyone reads
 * published packages. A re-analysis is a new package that names its predecessor (the trial's
 * latest package). The seed is revealed in a package only once the trial is closed.
 *
 * Who reads what: published aggregate files (evidence.json, report.html, tables, manifest,
 * signature, protocol, seed) are public. Drafts, and the person-level files of any package
 * (data.csv, allocations.csv, progression.csv: one row per participant or measurement,
 * pseudonymous), are for researchers and the agency only: a municipality never sees another municipality's participants.
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { AnalysisError } from "../../analysis/estimate.ts";
import { ApiError, notFound } from "../errors.ts";
import { actorOf, requireRole, type AppEnv, type Deps } from "../context.ts";
import { analysisDataset } from "../datasets/analysis-set.ts";
import { assemblePackage, designInputs, PERSON_LEVEL_FILES, type AllocationRow, type PackageInput } from "../evidence/package.ts";
import { MemoryEvidenceRepository, RepositoryError, type EvidenceRepository, type PackageRecord } from "../evidence/repository.ts";
import type { Signer } from "../evidence/signing.ts";
import { progressionInput } from "../progression/measurements.ts";
import { registerOutcomeReader } from "../register-port.ts";
import { ALL_SITES, type JsonValue } from "../store/store.ts";
import type { Principal } from "../tokens.ts";
import { trialWithProtocol } from "./participant-access.ts";
import { ErrorResponses, TrialParam, WriteErrorResponses } from "./shared.ts";

export interface EvidenceParts {
  /** Signs package manifests; without it analyses answer 501. */
  signer?: Signer;
  /** Where packages are kept (default: in memory). */
  repository?: EvidenceRepository;
  /** Runs the randomization-inference streams (Node: in worker threads); default in turn. */
  riRunner?: PackageInput["riRunner"];
}

const PackageId = z.object({ id: z.string().regex(/^ev-[0-9a-f]{32}$/, "forventede et pakke-id ev-… / expected a package id ev-…").openapi({ param: { name: "id", in: "path" } }) });
const FileParam = PackageId.extend({ file: z.string().regex(/^[a-z0-9_.-]+$/).openapi({ param: { name: "file", in: "path" } }) });
const TableParam = PackageId.extend({ table: z.string().regex(/^[a-z0-9-]+\.csv$/).openapi({ param: { name: "table", in: "path" } }) });

const PackageSchema = z
  .object({
    id: z.string(),
    trial: z.string(),
    status: z.enum(["draft", "published"]),
    created_at: z.string(),
    published_at: z.string().nullable(),
    predecessor: z.string().nullable(),
    files: z.array(z.object({ path: z.string(), sha256: z.string(), bytes: z.number() })),
  })
  .openapi("EvidencePackage");

const TYPES: Record<string, string> = { html: "text/html; charset=utf-8", json: "application/json; charset=utf-8", csv: "text/csv; charset=utf-8" };
const insider = (p: Principal | null) => p !== null && (p.role === "researcher" || p.role === "agency");

export function evidenceRoutes(app: OpenAPIHono<AppEnv>, parts: EvidenceParts = {}): void {
  const repository = parts.repository ?? new MemoryEvidenceRepository();

  async function readable(principal: Principal | null, id: string): Promise<PackageRecord> {
    const record = await repository.get(id);
    // A draft does not exist for the public: the answer must not tell a draft id from none.
    if (!record || (record.status === "draft" && !insider(principal))) throw notFound(`evidenspakken ${id} / evidence package ${id}`);
    return record;
  }

  async function serveFile(c: { var: { principal: Principal | null }; body: (b: Uint8Array, s: 200, h: Record<string, string>) => Response }, id: string, path: string) {
    const record = await readable(c.var.principal, id);
    if (PERSON_LEVEL_FILES.has(path)) requireRole(c.var.principal, "researcher", "agency");
    const bytes = await repository.file(record.id, path);
    if (!bytes) throw notFound(`filen ${path} / file ${path}`);
    const ext = path.slice(path.lastIndexOf(".") + 1);
    const headers: Record<string, string> = { "content-type": TYPES[ext] ?? "application/octet-stream", "cache-control": record.status === "published" ? "public, max-age=31536000, immutable" : "no-store" };
    if (ext === "html") headers["content-security-policy"] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";
    return c.body(bytes, 200, headers);
  }

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/keys",
      tags: ["evidence"],
      summary: "The public keys that sign evidence packages (Ed25519, raw, base64url)",
      responses: { 200: { description: "Keys", content: { "application/json": { schema: z.object({ keys: z.array(z.object({ kid: z.string(), alg: z.literal("Ed25519"), public_key: z.string(), jwk: z.object({ kty: z.string(), crv: z.string(), x: z.string() }) })) }) } } } },
    }),
    (c) => c.json({ keys: parts.signer ? [{ kid: parts.signer.keyId, alg: "Ed25519" as const, public_key: parts.signer.publicKey, jwk: { kty: "OKP", crv: "Ed25519", x: parts.signer.publicKey } }] : [] }, 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/trials/{trial}/analyses",
      tags: ["evidence"],
      summary: "Run the trial's registered analysis plan on the data as they stand: a signed draft evidence package (researcher)",
      request: { params: TrialParam, body: { required: false, content: { "application/json": { schema: z.object({
        draws: z.number().int().min(0).max(1_000_000).optional(),
        assessed: z.number().int().min(0).optional().openapi({ description: "CONSORT: people assessed for eligibility (from the sites' screening records; not in the data)" }),
        eligible: z.number().int().min(0).optional().openapi({ description: "CONSORT: people found eligible" }),
      }) } } } },
      responses: { 201: { description: "The draft package", content: { "application/json": { schema: PackageSchema } } }, ...WriteErrorResponses, 501: { description: "No signing key on this server", content: { "application/json": { schema: ErrorResponses[400].content["application/json"].schema } } } },
    }),
    async (c) => {
      const principal = requireRole(c.var.principal, "researcher");
      const deps = c.var.deps;
      if (!parts.signer) throw new ApiError(501, "not_implemented", "serveren har ingen signeringsnøgle / the server has no signing key");
      const trialId = c.req.valid("param").trial;
      const body = (c.req.header("content-type") ?? "").includes("json") ? c.req.valid("json") : {};
      if (body?.assessed !== undefined && body.eligible !== undefined && body.eligible > body.assessed) {
        throw new ApiError(400, "bad_request", "flere egnede end vurderede / more eligible than assessed");
      }
      const record = await draftPackage(deps, repository, parts.signer, trialId, body?.draws, principal, parts.riRunner, { assessed: body?.assessed, eligible: body?.eligible });
      return c.json(record, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/evidence/{id}/publish",
      tags: ["evidence"],
      summary: "Publish a draft evidence package; it never changes afterwards (agency)",
      request: { params: PackageId },
      responses: { 200: { description: "The published package", content: { "application/json": { schema: PackageSchema } } }, ...WriteErrorResponses },
    }),
    async (c) => {
      const principal = requireRole(c.var.principal, "agency");
      const { id } = c.req.valid("param");
      try {
        const at = c.var.deps.clock().toISOString();
        const record = await repository.publish(id, at);
        await c.var.deps.store.appendAudit(record.trial, [{ at, ...actorOf(principal), action: "evidence.publish", target: `trial:${record.trial}/evidence:${id}`, reason: null }]);
        return c.json(record, 200);
      } catch (error) {
        if (!(error instanceof RepositoryError)) throw error;
        if (error.code === "not_found") throw notFound(`evidenspakken ${id} / evidence package ${id}`);
        throw new ApiError(409, "conflict", "pakken er allerede offentliggjort og kan ikke ændres / the package is already published and cannot change");
      }
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/evidence",
      tags: ["evidence"],
      summary: "Evidence packages: published ones for everyone, drafts too for researchers and the agency",
      request: { query: z.object({ trial: z.string().optional() }) },
      responses: { 200: { description: "Packages, newest first", content: { "application/json": { schema: z.object({ packages: z.array(PackageSchema) }) } } } },
    }),
    async (c) => {
      const { trial } = c.req.valid("query");
      const all = await repository.list();
      const packages = all.filter((r) => (r.status === "published" || insider(c.var.principal)) && (trial === undefined || r.trial === trial)).reverse();
      return c.json({ packages }, 200);
    },
  );

  app.openapi(
    createRoute({ method: "get", path: "/v1/evidence/{id}", tags: ["evidence"], summary: "One evidence package: state and files", request: { params: PackageId }, responses: { 200: { description: "The package", content: { "application/json": { schema: PackageSchema } } }, ...ErrorResponses } }),
    async (c) => c.json(await readable(c.var.principal, c.req.valid("param").id), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/evidence/{id}/{file}",
      tags: ["evidence"],
      summary: "A file of an evidence package: report.html, evidence.json, manifest.json, signature.json, protocol.json, protocol-versions.json (an amended trial), seed.json, dataset.json; data.csv, allocations.csv and progression.csv for researchers and the agency",
      request: { params: FileParam },
      responses: { 200: { description: "The file, byte for byte as signed", content: { "text/html": { schema: z.string() }, "application/json": { schema: z.unknown() }, "text/csv": { schema: z.string() } } }, ...ErrorResponses },
    }),
    async (c) => {
      const { id, file } = c.req.valid("param");
      return serveFile(c, id, file);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/evidence/{id}/tables/{table}",
      tags: ["evidence"],
      summary: "One table of an evidence package's report, as CSV",
      request: { params: TableParam },
      responses: { 200: { description: "The table", content: { "text/csv": { schema: z.string() } } }, ...ErrorResponses },
    }),
    async (c) => {
      const { id, table } = c.req.valid("param");
      return serveFile(c, id, `tables/${table}`);
    },
  );
}

/** Builds, signs and stores a draft package of the trial as it stands; audited as a read of person-level data. */
export async function draftPackage(deps: Deps, repository: EvidenceRepository, signer: Signer, trialId: string, draws: number | undefined, principal: Principal, riRunner?: PackageInput["riRunner"], counts: { assessed?: number; eligible?: number } = {}): Promise<PackageRecord> {
  const { record: trial, protocol } = await trialWithProtocol(deps, trialId);
  const data = await analysisDataset(deps.store, trialId, protocol, ALL_SITES, { registerOutcomes: registerOutcomeReader(deps.registers, trialId) });
  if (data.rows === 0) throw new ApiError(409, "conflict", "forsøget har ingen deltagere endnu / the trial has no participants yet");
  const enrollments = (await deps.store.listEnrollments(trialId, ALL_SITES)).sort((a, b) => a.sequence - b.sequence);
  // The progression measurements in force, read as the progression routes read them.
  const progressionMeasurements = protocol.progression
    ? progressionInput(protocol, enrollments, await deps.store.listWithdrawals(trialId, ALL_SITES), await deps.store.listOutcomes(trialId, ALL_SITES)).measurements
    : null;
  const inputs = designInputs(protocol);
  const allocations: AllocationRow[] = enrollments.map((e) => ({
    participant_id: e.publicId,
    sequence: e.sequence,
    site: e.site,
    enrolled_at: e.enrolledAt,
    inputs: Object.fromEntries(inputs.map((n) => [n, scalar(e.baseline[n])])),
    arm: e.arm,
    stratum: e.stratum,
    protocol_version: e.protocolVersion,
  }));
  const previous = (await repository.list()).filter((r) => r.trial === trialId);
  const predecessor = previous.length > 0 ? previous[previous.length - 1].id : null;
  const createdAt = deps.clock().toISOString();
  const current = trial.versions[trial.versions.length - 1];
  const source = deps.protocols.get(protocol.id);
  const pkg = await assemblePackage({
    trialId,
    protocol,
    protocolJson: current.protocolJson,
    protocolHash: current.protocolHash,
    // The file as registered, kept by the store (trials registered before it kept it: the offered file while unchanged).
    protocolSource: current.source ?? (source?.hash === current.protocolHash ? source.source : null),
    data,
    allocations,
    seedCommitment: trial.seedCommitment,
    seed: trial.status === "closed" ? trial.seed : null,
    predecessor,
    createdAt,
    signer,
    draws,
    riRunner,
    assessed: counts.assessed ?? null,
    eligible: counts.eligible ?? null,
    progressionMeasurements,
    versions: trial.versions,
  }).catch((error: unknown) => {
    if (!(error instanceof AnalysisError)) throw error;
    throw new ApiError(422, "unprocessable", `analysen kan ikke køres på data, som de står / the analysis cannot run on the data as they stand: ${error.message}`);
  });
  const stored: PackageRecord = { id: pkg.id, trial: trialId, status: "draft", created_at: createdAt, published_at: null, predecessor, files: pkg.manifest.files };
  try {
    await repository.put(stored, pkg.files);
  } catch (error) {
    if (error instanceof RepositoryError && error.code === "exists") return (await repository.get(pkg.id))!;
    throw error;
  }
  await deps.store.appendAudit(trialId, [
    { at: createdAt, ...actorOf(principal), action: "evidence.analysis", target: `trial:${trialId}/evidence:${pkg.id}`, reason: `${data.rows} participants${predecessor ? `, follows ${predecessor}` : ""}` },
  ]);
  return stored;
}

const scalar = (v: JsonValue | undefined): string | number | boolean | null => (v === undefined || v === null || typeof v === "object" ? null : v);
