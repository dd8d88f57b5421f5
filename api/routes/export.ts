/**
 * `GET /v1/trials/{trial}/export?format=csv|parquet`: the pseudonymized analysis data set
 * (`api/datasets/analysis-set.ts`), one row per participant, for researchers.
 *
 * Researchers only: the agency registers trials and reads the published evidence packages (counts
 * and effects), and a municipality sees its own participants through the enrollment list; neither
 * needs every participant's covariates and outcomes, so neither gets them (least access). Every
 * export is an audited read of person-level data.
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { analysisDataset } from "../datasets/analysis-set.ts";
import { datasetCsv, type ParquetWriter } from "../datasets/export-format.ts";
import { actorOf, requireRole, type AppEnv } from "../context.ts";
import { registerOutcomeReader } from "../register-port.ts";
import { scopeOf, trialWithProtocol } from "./participant-access.ts";
import { ErrorResponses, TrialParam } from "./shared.ts";

export function exportRoutes(app: OpenAPIHono<AppEnv>, parquet: ParquetWriter | undefined): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/trials/{trial}/export",
      tags: ["export"],
      summary: "The pseudonymized analysis data set, one row per participant, as CSV or Parquet (researcher)",
      description:
        "Columns: participant_id, arm, site, stratum, sequence, protocol_version, enrolled_at, target_group, the protocol's covariates " +
        "(baseline corrections applied), withdrawn, withdrawn_on, randomized_in_error, and one column per outcome (time-to-event: `<id>_time`, `<id>_event`). " +
        "Booleans and binary outcomes are 0/1; missing values are empty (CSV) or NULL (Parquet). Never a CPR number or a pseudonym.",
      request: {
        params: TrialParam,
        query: z.object({ format: z.enum(["csv", "parquet"]).default("csv") }),
      },
      responses: {
        200: {
          description: "The data set",
          content: {
            "text/csv": { schema: z.string() },
            "application/vnd.apache.parquet": { schema: z.string().openapi({ format: "binary" }) },
          },
        },
        ...ErrorResponses,
        501: { description: "Parquet is not available on this server", content: { "application/json": { schema: ErrorResponses[400].content["application/json"].schema } } },
      },
    }),
    async (c) => {
      const principal = requireRole(c.var.principal, "researcher");
      const deps = c.var.deps;
      const trialId = c.req.valid("param").trial;
      const { format } = c.req.valid("query");
      const { protocol } = await trialWithProtocol(deps, trialId);
      if (format === "parquet" && !parquet) {
        return c.json({ error: { code: "not_implemented", message: "Parquet kan ikke laves på denne server; brug format=csv / Parquet is not available on this server; use format=csv" } }, 501);
      }
      const data = await analysisDataset(deps.store, trialId, protocol, scopeOf(principal), { registerOutcomes: registerOutcomeReader(deps.registers, trialId) });
      await deps.store.appendAudit(trialId, [
        { at: deps.clock().toISOString(), ...actorOf(principal), action: "dataset.export", target: `trial:${trialId}`, reason: `${format}, ${data.rows} rows` },
      ]);
      const name = `${trialId}-analysis.${format}`;
      if (format === "csv") {
        return c.body(datasetCsv(data), 200, { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="${name}"` });
      }
      const stream = await parquet!(data);
      return c.body(stream, 200, { "content-type": "application/vnd.apache.parquet", "content-disposition": `attachment; filename="${name}"` });
    },
  );
}
