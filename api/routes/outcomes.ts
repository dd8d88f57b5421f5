/**
 * `POST /v1/trials/{trial}/outcomes`: a batch of outcome values recorded by a site. Every value is
 * checked against the protocol's outcome type (`checkOutcomeValue`); a value observed before the
 * participant's enrollment or after their withdrawal is refused. The batch is atomic: if any row is
 * refused, nothing is written and the 422 names each refused row (`values.<i>.<field>`).
 * Recording a value again for the same participant and outcome corrects it (the latest recorded
 * wins in the analysis data set; the earlier row stays).
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { checkOutcomeValue, type Outcome } from "../../protocols/index.ts";
import { actorOf, requireRole, type AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";
import { PUBLIC_ID_RE } from "../pseudonym.ts";
import type { EnrollmentRecord, OutcomeValue } from "../store/store.ts";
import type { ErrorIssue } from "../errors.ts";
import { appendBatch, participantTarget, scopeOf, trialWithProtocol } from "./participant-access.ts";
import { json, TrialParam, WriteErrorResponses } from "./shared.ts";

/** Most values in one request. */
export const MAX_OUTCOME_VALUES = 10_000;
/** Up to this many distinct participants, each is looked up alone. */
const FEW = 64;

const DayOrTime = z
  .string()
  .max(40)
  .refine((s) => (/^\d{4}-\d{2}-\d{2}$/.test(s) || /^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})$/.test(s)) && !Number.isNaN(Date.parse(s.length === 10 ? `${s}T00:00:00Z` : s)), {
    message: "forventede en dato ÅÅÅÅ-MM-DD eller et ISO-tidspunkt / expected a date YYYY-MM-DD or an ISO time",
  });

const OutcomeRow = z.strictObject({
  participant_id: z.string().min(1).max(40),
  outcome: z.string().min(1).max(64).openapi({ description: "The protocol's outcome id (site-recorded outcomes only)" }),
  time_point: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/).optional().openapi({ description: "Default from the protocol: `week-<n>` or `weeks-<from>-<to>`" }),
  value: z.unknown().openapi({ description: "binary 0/1, continuous a number, count a non-negative integer, time_to_event {time, event}" }),
  observed_at: DayOrTime,
});
const OutcomesBody = z.strictObject({ values: z.array(OutcomeRow).min(1).max(MAX_OUTCOME_VALUES) }).openapi("OutcomeValuesRequest");
const OutcomesResult = z.object({ recorded: z.number().int(), at: z.string() }).openapi("OutcomeValuesRecorded");

export function defaultTimePoint(outcome: Outcome): string | null {
  if (!outcome.time) return null;
  return "week" in outcome.time ? `week-${outcome.time.week}` : `weeks-${outcome.time.from}-${outcome.time.to}`;
}

export function outcomeRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/trials/{trial}/outcomes",
      tags: ["outcomes"],
      summary: "Record outcome values for your own site's participants (municipality); all or nothing, 422 naming each refused row",
      request: { params: TrialParam, body: { required: true, ...json(OutcomesBody) } },
      responses: { 201: { description: "All values recorded", ...json(OutcomesResult) }, ...WriteErrorResponses },
    }),
    async (c) => {
      const principal = requireRole(c.var.principal, "municipality");
      const deps = c.var.deps;
      const trialId = c.req.valid("param").trial;
      const { values } = c.req.valid("json");
      const { protocol } = await trialWithProtocol(deps, trialId);
      const scope = scopeOf(principal);
      // A few participants are looked up one by one; a large batch reads the scope's list once.
      const wanted = [...new Set(values.map((v) => v.participant_id))];
      const enrolled: EnrollmentRecord[] =
        wanted.length <= FEW
          ? (await Promise.all(wanted.map((id) => (PUBLIC_ID_RE.test(id) ? deps.store.findEnrollment(trialId, { publicId: id }, scope) : null)))).filter((e) => e !== null)
          : await deps.store.listEnrollments(trialId, scope);
      const withdrawals = await deps.store.listWithdrawals(trialId, scope);
      const byId = new Map<string, EnrollmentRecord>(enrolled.map((e) => [e.publicId, e]));
      const withdrawnOn = new Map<string, string>();
      for (const w of withdrawals) {
        const prior = withdrawnOn.get(w.publicId);
        if (prior === undefined || w.effective < prior) withdrawnOn.set(w.publicId, w.effective);
      }
      const at = deps.clock().toISOString();
      const issues: ErrorIssue[] = [];
      const rows: OutcomeValue[] = [];
      values.forEach((v, i) => {
        const participant = byId.get(v.participant_id);
        if (!participant) {
          issues.push({ path: `values.${i}.participant_id`, message: `række ${i + 1}: ukendt deltager på dit sted / row ${i + 1}: no such participant at your site`, code: "unknown_participant" });
          return;
        }
        const checked = checkOutcomeValue(protocol, v.outcome, v.value);
        if (!checked.ok) {
          issues.push({ path: `values.${i}.value`, message: `række ${i + 1}: ${checked.message.da} / row ${i + 1}: ${checked.message.en}`, code: "invalid_value" });
          return;
        }
        // A time is kept as UTC with milliseconds; its UTC day is what is compared.
        const observedAt = v.observed_at.length === 10 ? v.observed_at : new Date(v.observed_at).toISOString();
        const observedDay = observedAt.slice(0, 10);
        if (observedDay < participant.enrolledAt.slice(0, 10)) {
          issues.push({ path: `values.${i}.observed_at`, message: `række ${i + 1}: observeret før indskrivningen / row ${i + 1}: observed before enrollment`, code: "before_enrollment" });
          return;
        }
        const withdrawn = withdrawnOn.get(participant.publicId);
        if (withdrawn !== undefined && observedDay > withdrawn) {
          issues.push({
            path: `values.${i}.observed_at`,
            message: `række ${i + 1}: observeret efter udtrædelsen ${withdrawn} / row ${i + 1}: observed after the withdrawal on ${withdrawn}`,
            code: "after_withdrawal",
          });
          return;
        }
        const outcome = protocol.outcomes.find((o) => o.id === v.outcome)!;
        rows.push({
          publicId: participant.publicId,
          outcome: outcome.id,
          timePoint: v.time_point ?? defaultTimePoint(outcome),
          value: checked.value,
          observedAt,
          source: "site",
          recordedAt: at,
        });
      });
      if (issues.length > 0) throw new ApiError(422, "unprocessable", `${issues.length} værdi(er) afvist; intet gemt / ${issues.length} value(s) refused; nothing recorded`, issues);
      await appendBatch(deps, trialId, {
        outcomes: rows,
        audit: rows.map((r) => ({ at, ...actorOf(principal), action: "outcome.record", target: `${participantTarget(trialId, r.publicId)}/outcome:${r.outcome}`, reason: null })),
      });
      return c.json({ recorded: rows.length, at }, 201);
    },
  );
}
