/**
 * `POST /v1/trials/{trial}/enrollments/bulk`: many citizens at once (cohort and register-based
 * trials), as CSV or NDJSON (the Content-Type decides; see `api/enrollment/bulk-input.ts` for the
 * formats), allocated in file order through the same queue as single enrollments.
 *
 * Not atomic, on purpose: each row is checked and allocated on its own merits and the answer has
 * a result per row (its arm, or its errors in Danish and English). A bad row does not hold back the
 * others, and sending the file again after fixing the bad rows is safe: rows already enrolled come
 * back as repeats with their original arm, never re-randomized.
 *
 * What refuses the whole file before anything is allocated: a row for another site than the
 * caller's own (403), columns that do not fit the protocol (400), a Content-Type other than CSV or
 * NDJSON (415), a body over the bulk limit (413).
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { requireRole, type AppEnv } from "../context.ts";
import { csvRows, ndjsonRows, type BulkRow } from "../enrollment/bulk-input.ts";
import type { EnrollRequest } from "../enrollment/service.ts";
import { ApiError } from "../errors.ts";
import { EnrollBody } from "./enrollments.ts";
import { trialWithProtocol } from "./participant-access.ts";
import { json, TrialParam, WriteErrorResponses } from "./shared.ts";

const RowResult = z
  .object({
    row: z.number().int().openapi({ description: "1 = the first data row" }),
    status: z.number().int().openapi({ description: "201 enrolled, 200 already enrolled (repeat), or the row's error status" }),
    participant_id: z.string().optional(),
    arm: z.string().optional(),
    sequence: z.number().int().optional(),
    stratum: z.string().nullable().optional(),
    repeat: z.boolean().optional(),
    error: z.object({ code: z.string(), message: z.string(), issues: z.array(z.object({ path: z.string(), message: z.string(), code: z.string().optional() })).optional() }).optional(),
  })
  .openapi("BulkEnrollmentRow");

const BulkResult = z
  .object({
    atomic: z.literal(false),
    rows: z.number().int(),
    enrolled: z.number().int(),
    repeats: z.number().int(),
    failed: z.number().int(),
    results: z.array(RowResult),
  })
  .openapi("BulkEnrollmentResult");

function formatOf(contentType: string | undefined): "csv" | "ndjson" {
  const type = (contentType ?? "").split(";")[0].trim().toLowerCase();
  if (type === "text/csv") return "csv";
  if (type === "application/x-ndjson" || type === "application/ndjson" || type === "application/jsonl") return "ndjson";
  throw new ApiError(415, "unsupported_media_type", "send filen som text/csv eller application/x-ndjson / send the file as text/csv or application/x-ndjson");
}

function checkNdjson(value: unknown): { ok: true; request: EnrollRequest } | { ok: false; issues: { path: string; message: string; code?: string }[] } {
  const parsed = EnrollBody.safeParse(value);
  if (parsed.success) return { ok: true, request: parsed.data };
  return { ok: false, issues: parsed.error.issues.map((i) => ({ path: i.path.map(String).join(".") || "(row)", message: i.message, code: i.code })) };
}

export function bulkEnrollmentRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/trials/{trial}/enrollments/bulk",
      tags: ["enrollments"],
      summary: "Enroll many citizens at your own site from a CSV or NDJSON file (municipality), allocated in file order; a result per row; not atomic",
      description:
        "CSV columns: cpr, site, consent, optionally target_group, and the protocol's covariates by id. NDJSON: one enrollment request per line. " +
        "Not atomic: every valid row is allocated and committed even if other rows fail; resending the file is safe (enrolled rows come back as repeats with their first arm). " +
        "A row for another site refuses the whole file (403) before anything is allocated.",
      request: {
        params: TrialParam,
        body: {
          required: true,
          content: {
            "text/csv": { schema: z.string().openapi({ example: "cpr,site,consent,target_group,diagnosis\nDDMMÅÅ-LLLL,101,true,sygedagpenge,bipolar\n" }) },
            "application/x-ndjson": { schema: z.string() },
          },
        },
      },
      responses: {
        200: { description: "One result per row, in file order", ...json(BulkResult) },
        ...WriteErrorResponses,
        415: { description: "Not CSV or NDJSON", content: WriteErrorResponses[400].content },
        429: { description: "Too many enrollment requests for this token", content: WriteErrorResponses[400].content },
      },
    }),
    async (c) => {
      const principal = requireRole(c.var.principal, "municipality");
      const deps = c.var.deps;
      const trialId = c.req.valid("param").trial;
      const format = formatOf(c.req.header("content-type"));
      const { protocol } = await trialWithProtocol(deps, trialId);
      const text = await c.req.text();
      const rows: BulkRow[] = format === "csv" ? csvRows(text, protocol) : ndjsonRows(text, checkNdjson);
      const foreign = rows.filter((r) => "request" in r && r.request.site !== principal.site);
      if (foreign.length > 0) {
        throw new ApiError(
          403,
          "forbidden",
          "filen har rækker for et andet sted end dit eget; intet er indskrevet / the file has rows for another site than your own; nothing was enrolled",
          foreign.slice(0, 100).map((r) => ({ path: `row.${r.row}.site`, message: "ikke dit sted / not your site" })),
        );
      }
      const valid = rows.flatMap((r) => ("request" in r ? [r] : []));
      const outcome = await deps.enrollment.enrollMany(trialId, principal, valid.map((r) => r.request));
      const byRow = new Map<number, (typeof outcome)[number]>();
      valid.forEach((r, k) => byRow.set(r.row, outcome[k]));
      let enrolled = 0;
      let repeats = 0;
      let failed = 0;
      const results = rows.map((r) => {
        const result = "error" in r ? ({ ok: false, error: r.error } as const) : byRow.get(r.row)!;
        if (!result.ok) {
          failed++;
          return { row: r.row, status: result.error.status, error: result.error.body().error };
        }
        const p = result.participant;
        if (p.repeat) repeats++;
        else enrolled++;
        return { row: r.row, status: p.repeat ? 200 : 201, participant_id: p.participant_id, arm: p.arm, sequence: p.sequence, stratum: p.stratum, repeat: p.repeat };
      });
      return c.json({ atomic: false as const, rows: rows.length, enrolled, repeats, failed, results }, 200);
    },
  );
}
