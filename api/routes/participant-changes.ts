/**
 * Changes to a participant after allocation, each a new row with a reason (nothing is updated or
 * deleted, and the allocation never changes):
 *
 *   POST /v1/trials/{trial}/withdrawals           the participant stays in the intention-to-treat
 *                                                 data; outcomes observed after the effective day
 *                                                 are refused from then on
 *   POST /v1/trials/{trial}/baseline-corrections  corrected baseline values, re-validated against
 *                                                 the protocol's covariate types
 *   POST /v1/trials/{trial}/error-flags           randomized in error (e.g. was not eligible)
 *
 * Who: the participant's own municipality, and the agency. Each write carries its audit entry.
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { TARGET_GROUPS } from "../../protocols/schema.ts";
import { validateCovariates, type CovariateValue } from "../../protocols/index.ts";
import { actorOf, requireRole, type AppEnv } from "../context.ts";
import { ApiError, bilingual } from "../errors.ts";
import { appendBatch, participantInScope, participantTarget, participantScopeOf, trialWithProtocol } from "./participant-access.ts";
import { json, TrialParam, WriteErrorResponses } from "./shared.ts";

const ParticipantId = z.string().min(1).max(40).openapi({ description: "The per-trial public participant id", example: "p-abcd-efgh-jkmn-pqrs" });
const Reason = z.string().trim().min(3).max(2000).openapi({ description: "Why (kept in the audit log). No CPR numbers." });
const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "forventede en dato ÅÅÅÅ-MM-DD / expected a date YYYY-MM-DD").refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), "ikke en gyldig dato / not a valid date");
const CovariateValueSchema = z.union([z.string().max(256), z.number(), z.boolean(), z.null()]);

const WithdrawalBody = z.strictObject({ participant_id: ParticipantId, effective: Day.openapi({ description: "The day the withdrawal takes effect (YYYY-MM-DD)" }), reason: Reason }).openapi("WithdrawalRequest");
const WithdrawalView = z.object({ participant_id: z.string(), effective: z.string(), reason: z.string(), at: z.string() }).openapi("Withdrawal");
const CorrectionBody = z
  .strictObject({
    participant_id: ParticipantId,
    baseline: z.record(z.string().max(64), CovariateValueSchema).openapi({ description: "Only the corrected fields: covariates of the protocol, or target_group. null clears an optional value." }),
    reason: Reason,
  })
  .openapi("BaselineCorrectionRequest");
const CorrectionView = z
  .object({ participant_id: z.string(), corrected: z.record(z.string(), CovariateValueSchema), baseline: z.record(z.string(), CovariateValueSchema), reason: z.string(), at: z.string() })
  .openapi("BaselineCorrection");
const FlagBody = z.strictObject({ participant_id: ParticipantId, reason: Reason }).openapi("ErrorFlagRequest");
const FlagView = z.object({ participant_id: z.string(), reason: z.string(), at: z.string() }).openapi("ErrorFlag");


export function participantChangeRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/trials/{trial}/withdrawals",
      tags: ["participants"],
      summary: "Withdraw a participant (own municipality, agency): stays in the intention-to-treat data; no outcomes observed after the effective day",
      request: { params: TrialParam, body: { required: true, ...json(WithdrawalBody) } },
      responses: { 201: { description: "Withdrawal recorded", ...json(WithdrawalView) }, ...WriteErrorResponses },
    }),
    async (c) => {
      const principal = requireRole(c.var.principal, "municipality", "agency");
      const deps = c.var.deps;
      const trialId = c.req.valid("param").trial;
      const body = c.req.valid("json");
      await trialWithProtocol(deps, trialId);
      const participant = await participantInScope(deps, trialId, principal, body.participant_id);
      if (body.effective < participant.enrolledAt.slice(0, 10)) {
        throw new ApiError(422, "unprocessable", "udtrædelsen kan ikke gælde før indskrivningen / a withdrawal cannot take effect before enrollment", [
          { path: "effective", message: `tidligst ${participant.enrolledAt.slice(0, 10)} / at the earliest ${participant.enrolledAt.slice(0, 10)}` },
        ]);
      }
      const earlier = (await deps.store.listWithdrawals(trialId, participantScopeOf(principal, participant.publicId))).length > 0;
      if (earlier) throw new ApiError(409, "conflict", "deltageren er allerede udtrådt / the participant is already withdrawn");
      const at = deps.clock().toISOString();
      await appendBatch(deps, trialId, {
        withdrawals: [{ publicId: participant.publicId, effective: body.effective, reason: body.reason, at }],
        audit: [{ at, ...actorOf(principal), action: "participant.withdraw", target: participantTarget(trialId, participant.publicId), reason: body.reason }],
      });
      return c.json({ participant_id: participant.publicId, effective: body.effective, reason: body.reason, at }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/trials/{trial}/baseline-corrections",
      tags: ["participants"],
      summary: "Correct baseline values (own municipality, agency): a new row with a reason; the allocation never changes",
      request: { params: TrialParam, body: { required: true, ...json(CorrectionBody) } },
      responses: { 201: { description: "Correction recorded, with the baseline as it now stands", ...json(CorrectionView) }, ...WriteErrorResponses },
    }),
    async (c) => {
      const principal = requireRole(c.var.principal, "municipality", "agency");
      const deps = c.var.deps;
      const trialId = c.req.valid("param").trial;
      const body = c.req.valid("json");
      const { protocol } = await trialWithProtocol(deps, trialId);
      const participant = await participantInScope(deps, trialId, principal, body.participant_id);
      if (Object.keys(body.baseline).length === 0) {
        throw new ApiError(400, "bad_request", "ingen felter at rette / no fields to correct", [{ path: "baseline", message: "angiv mindst ét felt / give at least one field" }]);
      }
      // The baseline as it stands (as entered, then earlier corrections), then this correction.
      const current: Record<string, CovariateValue> = { ...(participant.baseline as Record<string, CovariateValue>) };
      for (const earlier of await deps.store.listBaselineCorrections(trialId, participantScopeOf(principal, participant.publicId))) {
        Object.assign(current, earlier.baseline);
      }
      const next = { ...current, ...body.baseline };
      const { target_group: targetGroup, ...covariates } = next;
      const issues = validateCovariates(protocol, covariates).map((p) => ({ path: `baseline.${p.covariate}`, message: bilingual(p.message) }));
      if ("target_group" in body.baseline) {
        const allowed = protocol.population.target_groups ?? Object.keys(TARGET_GROUPS);
        if (targetGroup !== null && (typeof targetGroup !== "string" || !(allowed as string[]).includes(targetGroup))) {
          issues.push({ path: "baseline.target_group", message: `target_group: ikke en af / not one of ${allowed.join(", ")}` });
        }
      }
      if (issues.length > 0) throw new ApiError(400, "bad_request", "rettelsen er ikke gyldig / the correction is not valid", issues);
      const at = deps.clock().toISOString();
      await appendBatch(deps, trialId, {
        baselineCorrections: [{ publicId: participant.publicId, baseline: body.baseline, reason: body.reason, at }],
        audit: [{ at, ...actorOf(principal), action: "participant.correct_baseline", target: participantTarget(trialId, participant.publicId), reason: body.reason }],
      });
      return c.json({ participant_id: participant.publicId, corrected: body.baseline, baseline: next, reason: body.reason, at }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/trials/{trial}/error-flags",
      tags: ["participants"],
      summary: "Flag a participant as randomized in error (own municipality, agency): recorded, never deleted; the participant stays in the data",
      request: { params: TrialParam, body: { required: true, ...json(FlagBody) } },
      responses: { 201: { description: "Flag recorded", ...json(FlagView) }, ...WriteErrorResponses },
    }),
    async (c) => {
      const principal = requireRole(c.var.principal, "municipality", "agency");
      const deps = c.var.deps;
      const trialId = c.req.valid("param").trial;
      const body = c.req.valid("json");
      await trialWithProtocol(deps, trialId);
      const participant = await participantInScope(deps, trialId, principal, body.participant_id);
      const earlier = (await deps.store.listErrorFlags(trialId, participantScopeOf(principal, participant.publicId))).length > 0;
      if (earlier) throw new ApiError(409, "conflict", "deltageren er allerede markeret / the participant is already flagged");
      const at = deps.clock().toISOString();
      await appendBatch(deps, trialId, {
        errorFlags: [{ publicId: participant.publicId, reason: body.reason, at }],
        audit: [{ at, ...actorOf(principal), action: "participant.flag_error", target: participantTarget(trialId, participant.publicId), reason: body.reason }],
      });
      return c.json({ participant_id: participant.publicId, reason: body.reason, at }, 201);
    },
  );
}
