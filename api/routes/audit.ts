import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { verifyChain } from "../audit.ts";
import { requireRole, type AppEnv } from "../context.ts";
import { notFound } from "../errors.ts";
import { ErrorResponses, json, TrialParam } from "./shared.ts";

const AuditEntry = z
  .object({ chain: z.string(), seq: z.number().int(), at: z.string(), tokenId: z.string().nullable(), role: z.string(), action: z.string(), target: z.string(), reason: z.string().nullable(), prevHash: z.string(), hash: z.string() })
  .openapi("AuditEntry");

export function auditRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/trials/{trial}/audit",
      tags: ["audit"],
      summary: "The trial's hash-chained audit log (agency, researcher)",
      request: { params: TrialParam, query: z.object({ after: z.coerce.number().int().min(0).optional(), limit: z.coerce.number().int().min(1).max(100_000).optional() }) },
      responses: { 200: { description: "Audit entries in order", ...json(z.object({ entries: z.array(AuditEntry) })) }, ...ErrorResponses },
    }),
    async (c) => {
      requireRole(c.var.principal, "agency", "researcher");
      const trialId = c.req.valid("param").trial;
      if (!(await c.var.deps.store.getTrial(trialId))) throw notFound(`forsøget ${trialId} / trial ${trialId}`);
      const { after, limit } = c.req.valid("query");
      return c.json({ entries: await c.var.deps.store.readAudit(trialId, { after, limit: limit ?? 10_000 }) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/trials/{trial}/audit/verify",
      tags: ["audit"],
      summary: "Verify the whole audit chain; names the first broken entry (agency, researcher)",
      request: { params: TrialParam },
      responses: {
        200: {
          description: "Verification",
          ...json(z.object({ ok: z.boolean(), count: z.number().int(), head: z.any().optional(), first_broken: z.any().optional() })),
        },
        ...ErrorResponses,
      },
    }),
    async (c) => {
      requireRole(c.var.principal, "agency", "researcher");
      const store = c.var.deps.store;
      const trialId = c.req.valid("param").trial;
      if (!(await store.getTrial(trialId))) throw notFound(`forsøget ${trialId} / trial ${trialId}`);
      const entries = await store.readAudit(trialId);
      const head = await store.auditHead(trialId);
      const result = verifyChain(entries, head ? { head } : {});
      return c.json(result.ok ? { ok: true, count: result.count, head: result.head } : { ok: false, count: result.count, first_broken: result.firstBroken }, 200);
    },
  );
}
