import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { newSeed, seedCommitment, trialDesignOf } from "../../analysis/design/index.ts";
import { canonicalJson, protocolHash, validateProtocolData } from "../../protocols/index.ts";
import { actorOf, requireRole, type AppEnv } from "../context.ts";
import type { Principal } from "../tokens.ts";
import { protocolOfVersion } from "../enrollment/service.ts";
import { ApiError, notFound } from "../errors.ts";
import { ErrorResponses, json, TrialParam, WriteErrorResponses } from "./shared.ts";
import { StoreError } from "../store/store.ts";

const TrialSummary = z
  .object({
    id: z.string(),
    title: z.object({ da: z.string(), en: z.string() }),
    status: z.enum(["registered", "open", "closed"]),
    protocol_id: z.string(),
    protocol_version: z.number().int(),
    protocol_hash: z.string(),
    seed_commitment: z.string(),
    created_at: z.string(),
    amendments: z.array(z.object({ version: z.number().int(), protocol_hash: z.string(), reason: z.string().nullable(), at: z.string() })),
    enrolled: z.number().int(),
    enrolled_by_site: z.array(z.object({ site: z.string(), n: z.number().int() })),
    /** Only for the agency and researchers: small cells by arm could point at individuals. */
    enrolled_by_site_and_arm: z.array(z.object({ site: z.string(), arm: z.string(), n: z.number().int() })).optional(),
  })
  .openapi("TrialSummary");

export function trialRoutes(app: OpenAPIHono<AppEnv>): void {
  const summary = async (deps: AppEnv["Variables"]["deps"], trialId: string, principal: Principal | null) => {
    const record = await deps.store.getTrial(trialId);
    if (!record) throw notFound(`forsøget ${trialId} / trial ${trialId}`);
    const { protocol, version } = protocolOfVersion(record);
    const counts = await deps.enrollment.counts(trialId);
    const current = record.versions[record.versions.length - 1];
    const bySite = new Map<string, number>();
    for (const x of counts) bySite.set(x.site, (bySite.get(x.site) ?? 0) + x.n);
    return {
      id: record.id,
      title: protocol.title,
      status: record.status,
      protocol_id: protocol.id,
      protocol_version: version,
      protocol_hash: current.protocolHash,
      seed_commitment: record.seedCommitment,
      created_at: record.createdAt,
      amendments: record.versions.slice(1).map((v) => ({ version: v.version, protocol_hash: v.protocolHash, reason: v.reason, at: v.at })),
      enrolled: counts.reduce((s, x) => s + x.n, 0),
      enrolled_by_site: [...bySite].sort(([a], [b]) => a.localeCompare(b)).map(([site, n]) => ({ site, n })),
      ...(principal?.role === "agency" || principal?.role === "researcher"
        ? { enrolled_by_site_and_arm: counts.sort((a, b) => a.site.localeCompare(b.site) || a.arm.localeCompare(b.arm)) }
        : {}),
    };
  };

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/trials",
      tags: ["trials"],
      summary: "Register a trial from a protocol (agency): freezes the protocol, draws the seed, returns its commitment",
      request: { body: { required: true, ...json(z.strictObject({ protocol_id: z.string().min(1), trial_id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/).optional() })) } },
      responses: { 201: { description: "Registered", ...json(TrialSummary) }, ...WriteErrorResponses },
    }),
    async (c) => {
      const principal = requireRole(c.var.principal, "agency");
      const deps = c.var.deps;
      const body = c.req.valid("json");
      const entry = deps.protocols.get(body.protocol_id);
      if (!entry) throw notFound(`protokollen ${body.protocol_id} / protocol ${body.protocol_id}`);
      const trialId = body.trial_id ?? entry.id;
      if (await deps.store.getTrial(trialId)) throw new ApiError(409, "conflict", `forsøget ${trialId} findes allerede / trial ${trialId} already exists`);
      const seed = newSeed(deps.random);
      // Version 1 keeps the protocol file's own hash (the YAML document as written, defaults not
      // applied: `virker protocol hash`), and freezes the parsed protocol, defaults applied, as its
      // JSON; packages carry the file as protocol.yaml to recompute it (protocols/README.md).
      const at = deps.clock().toISOString();
      try {
        await deps.store.createTrial(
          { id: trialId, seed, seedCommitment: seedCommitment(seed), protocolHash: entry.hash, protocolJson: canonicalJson(entry.protocol), protocolSource: entry.source || undefined, at },
          [{ at, ...actorOf(principal), action: "trial.register", target: `trial:${trialId}`, reason: null }],
        );
      } catch (error) {
        // The store keeps the file as registered, comments included, and refuses one with a CPR-shaped number.
        if (!(error instanceof StoreError && error.code === "personal_data")) throw error;
        throw new ApiError(422, "unprocessable", `protokolfilen ${entry.id} indeholder et tal, der ligner et CPR-nummer (også i kommentarer); fjern det / the protocol file ${entry.id} contains a CPR-shaped number (comments included); remove it`);
      }
      return c.json(await summary(deps, trialId, c.var.principal), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/trials",
      tags: ["trials"],
      summary: "All trials (public)",
      responses: { 200: { description: "Trial ids", ...json(z.object({ trials: z.array(z.string()) })) } },
    }),
    async (c) => c.json({ trials: await c.var.deps.store.listTrialIds() }, 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/trials/{trial}",
      tags: ["trials"],
      summary: "A trial's public summary: status, protocol hash, seed commitment, amendments, counts (no individuals)",
      request: { params: TrialParam },
      responses: { 200: { description: "Summary", ...json(TrialSummary) }, ...ErrorResponses },
    }),
    async (c) => c.json(await summary(c.var.deps, c.req.valid("param").trial, c.var.principal), 200),
  );

  for (const status of ["open", "close"] as const) {
    app.openapi(
      createRoute({
        method: "post",
        path: `/v1/trials/{trial}/${status}`,
        tags: ["trials"],
        summary: status === "open" ? "Open a trial for enrollment (agency)" : "Close a trial for enrollment (agency)",
        request: { params: TrialParam, body: { required: false, ...json(z.strictObject({ reason: z.string().max(2000).optional() })) } },
        responses: { 200: { description: "New status", ...json(TrialSummary) }, ...WriteErrorResponses },
      }),
      async (c) => {
        const principal = requireRole(c.var.principal, "agency");
        const deps = c.var.deps;
        const trialId = c.req.valid("param").trial;
        const record = await deps.store.getTrial(trialId);
        if (!record) throw notFound(`forsøget ${trialId} / trial ${trialId}`);
        const next = status === "open" ? "open" : "closed";
        if (record.status === next) throw new ApiError(409, "conflict", `forsøget er allerede ${next} / the trial is already ${next}`);
        if (record.status === "closed" && next === "open") throw new ApiError(409, "conflict", "et lukket forsøg kan ikke genåbnes / a closed trial cannot reopen");
        const at = deps.clock().toISOString();
        const reason = (c.req.valid("json") as { reason?: string } | undefined)?.reason ?? null;
        await deps.store.setTrialStatus(trialId, { status: next, reason, at }, [{ at, ...actorOf(principal), action: `trial.${status}`, target: `trial:${trialId}`, reason }]);
        deps.enrollment.invalidate(trialId);
        return c.json(await summary(deps, trialId, c.var.principal), 200);
      },
    );
  }

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/trials/{trial}/amendments",
      tags: ["trials"],
      summary: "Amend a trial's protocol (agency): a new version with a reason; earlier allocations never change",
      request: {
        params: TrialParam,
        body: { required: true, ...json(z.strictObject({ protocol: z.record(z.string(), z.unknown()), reason: z.string().min(3).max(2000) })) },
      },
      responses: { 201: { description: "Amended", ...json(TrialSummary) }, ...WriteErrorResponses },
    }),
    async (c) => {
      const principal = requireRole(c.var.principal, "agency");
      const deps = c.var.deps;
      const trialId = c.req.valid("param").trial;
      const body = c.req.valid("json");
      const record = await deps.store.getTrial(trialId);
      if (!record) throw notFound(`forsøget ${trialId} / trial ${trialId}`);
      const parsed = validateProtocolData(body.protocol);
      if (!parsed.ok) throw new ApiError(400, "bad_request", "protokollen er ugyldig / the protocol is invalid", parsed.issues);
      const { protocol: current } = protocolOfVersion(record);
      if (parsed.protocol.id !== current.id) throw new ApiError(422, "unprocessable", "en ændring skal have samme protokol-id / an amendment keeps the protocol id");
      // Allocations must replay under the amended protocol: arms, ratios and design stay as they were,
      // and so do the sites of a stepped wedge over sites (their order fixes each site's step).
      const frozen = (p: typeof current) => {
        const t = trialDesignOf(p);
        return canonicalJson({ arms: t.arms, design: t.design, sites: p.design.type === "stepped_wedge" && p.design.unit === "site" ? t.sites : null });
      };
      if (frozen(parsed.protocol) !== frozen(current)) {
        throw new ApiError(
          422,
          "unprocessable",
          "arme, forhold, design og (i et trinvist design over steder) stederne kan ikke ændres undervejs / arms, ratios, design and (in a stepped wedge over sites) the sites cannot change during a trial",
        );
      }
      const at = deps.clock().toISOString();
      // An amendment has no file: its hash is that of the frozen protocol itself, defaults applied,
      // so SHA-256 of its package's protocol.json (protocols/README.md).
      await deps.store.amendTrial(
        trialId,
        { protocolHash: protocolHash(parsed.protocol), protocolJson: canonicalJson(parsed.protocol), reason: body.reason, at },
        [{ at, ...actorOf(principal), action: "trial.amend", target: `trial:${trialId}`, reason: body.reason }],
      );
      deps.enrollment.invalidate(trialId);
      return c.json(await summary(deps, trialId, c.var.principal), 201);
    },
  );
}
