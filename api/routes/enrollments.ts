import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { actorOf, requireRole, type AppEnv } from "../context.ts";
import { view } from "../enrollment/service.ts";
import { notFound } from "../errors.ts";
import { ALL_SITES, siteScope } from "../store/store.ts";
import { ErrorResponses, json, TrialParam, WriteErrorResponses } from "./shared.ts";

const CovariateValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const EnrollBody = z
  .strictObject({
    cpr: z.string().min(1).max(20).openapi({ description: "CPR number, DDMMYY-SSSS or ten digits. Never stored, logged or returned.", example: "DDMMÅÅ-LLLL" }),
    site: z.string().min(1).max(64),
    target_group: z.string().max(64).optional(),
    covariates: z.record(z.string().max(64), CovariateValue).default({}),
    consent: z.boolean(),
  })
  .openapi("EnrollRequest");

export const Participant = z
  .object({
    participant_id: z.string(),
    arm: z.string(),
    sequence: z.number().int(),
    site: z.string(),
    stratum: z.string().nullable(),
    protocol_version: z.number().int(),
    enrolled_at: z.string(),
    repeat: z.boolean(),
  })
  .openapi("Participant");

export function enrollmentRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/trials/{trial}/enrollments",
      tags: ["enrollments"],
      summary: "Enroll a citizen at your own site (municipality): 201 with the arm, or 200 with the original allocation for a repeat",
      request: { params: TrialParam, body: { required: true, ...json(EnrollBody) } },
      responses: {
        201: { description: "Enrolled and allocated", ...json(Participant) },
        200: { description: "Already enrolled: the original allocation, never re-randomized", ...json(Participant) },
        ...WriteErrorResponses,
      },
    }),
    async (c) => {
      // c.get rather than c.var: Hono builds a new object of all variables on every c.var access.
      const principal = requireRole(c.get("principal"), "municipality");
      const participant = await c.get("deps").enrollment.enroll(c.req.valid("param").trial, principal, c.req.valid("json"));
      return c.json(participant, participant.repeat ? 200 : 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/trials/{trial}/enrollments",
      tags: ["enrollments"],
      summary: "Participants (municipality: own site only; researcher and agency: all), pseudonymized",
      request: {
        params: TrialParam,
        query: z.object({ after: z.coerce.number().int().min(0).optional(), limit: z.coerce.number().int().min(1).max(10_000).optional() }),
      },
      responses: { 200: { description: "Participants in allocation order", ...json(z.object({ participants: z.array(Participant) })) }, ...ErrorResponses },
    }),
    async (c) => {
      const principal = requireRole(c.var.principal, "municipality", "researcher", "agency");
      const deps = c.var.deps;
      const trialId = c.req.valid("param").trial;
      if (!(await deps.store.getTrial(trialId))) throw notFound(`forsøget ${trialId} / trial ${trialId}`);
      const scope = principal.role === "municipality" ? siteScope(principal.site!) : ALL_SITES;
      const { after, limit } = c.req.valid("query");
      const rows = await deps.store.listEnrollments(trialId, scope, { after, limit: limit ?? 1000 });
      await deps.store.appendAudit(trialId, [
        { at: deps.clock().toISOString(), ...actorOf(principal), action: "enrollment.list", target: `trial:${trialId}${scope.kind === "site" ? `/site:${scope.site}` : ""}`, reason: null },
      ]);
      return c.json({ participants: rows.map((r) => view(r, false)) }, 200);
    },
  );
}
