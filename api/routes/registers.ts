/**
 * `POST /v1/trials/{trial}/registers`: a register extract (weekly benefit status, DREAM-style) for
 * a trial, imported with the server's code book; the trial's register outcomes are derived at once.
 * The body is the file itself: `text/csv` or `application/vnd.apache.parquet`
 * (`application/octet-stream` is read as Parquet). Importing the same extract again changes nothing.
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { requireRole, type AppEnv } from "../context.ts";
import { ApiError, notFound } from "../errors.ts";
import { DeriveError } from "../register/derive.ts";
import { RegisterImportError } from "../register/import-error.ts";
import { UploadTooLargeError } from "../register-port.ts";
import { ErrorBody, json, TrialParam, WriteErrorResponses } from "./shared.ts";

const Query = z.object({
  person_key: z.enum(["cpr", "pseudonym"]).default("cpr").openapi({ description: "What the person column holds: CPR numbers (pseudonymized on the way in, never stored) or pseudonyms" }),
  layout: z.enum(["long", "wide"]).optional().openapi({ description: "Detected from the column names when left out" }),
});

const ImportReport = z
  .object({
    import: z.object({
      importNo: z.number().int(),
      extractSha256: z.string(),
      codebookSha256: z.string(),
      importedAt: z.string(),
      alreadyImported: z.boolean(),
      layout: z.enum(["long", "wide"]),
      format: z.enum(["csv", "parquet"]),
      firstWeek: z.string(),
      lastWeek: z.string(),
      records: z.number().int(),
      persons: z.object({ inExtract: z.number().int(), inTrial: z.number().int(), notInTrial: z.number().int() }),
      participants: z.object({ total: z.number().int(), inExtract: z.number().int(), notInExtract: z.number().int() }),
      unknownCodes: z.array(z.object({ code: z.string(), records: z.number().int() })),
      conflicts: z.object({ personWeeks: z.number().int(), records: z.number().int() }),
    }).passthrough(),
    derived: z.object({ outcomes: z.array(z.object({ name: z.string(), derivation: z.string(), participants: z.number().int(), withValue: z.number().int() }).passthrough()) }).passthrough().nullable(),
  })
  .openapi("RegisterImport");

function formatOf(contentType: string | undefined): "csv" | "parquet" {
  const type = (contentType ?? "").split(";")[0].trim().toLowerCase();
  if (type === "text/csv" || type === "text/plain") return "csv";
  if (type === "application/vnd.apache.parquet" || type === "application/x-parquet" || type === "application/octet-stream") return "parquet";
  throw new ApiError(415, "unsupported_media_type", "send the extract as text/csv or application/vnd.apache.parquet (udtrækket skal være CSV eller Parquet)");
}

export function registerRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/trials/{trial}/registers",
      tags: ["registers"],
      summary: "Import a register extract and derive the trial's register outcomes (researcher, agency)",
      description:
        "The body is the extract file: `text/csv` (long layout: person, ISO week, status code; or wide: person and one column per week) or Parquet. " +
        "Rows for people outside the trial are counted, not kept; unknown codes are reported with counts; malformed weeks or codes give 422 naming the row and column. " +
        "The same extract again returns the stored report (`alreadyImported`) and changes nothing. Not available where the server has no register store (501).",
      request: {
        params: TrialParam,
        query: Query,
        body: { required: true, content: { "text/csv": { schema: z.string() }, "application/vnd.apache.parquet": { schema: z.string().openapi({ format: "binary" }) } } },
      },
      responses: {
        200: { description: "The import and derivation report", ...json(ImportReport) },
        ...WriteErrorResponses,
        415: { description: "Not CSV or Parquet", ...json(ErrorBody) },
        501: { description: "This server has no register store", ...json(ErrorBody) },
      },
    }),
    async (c) => {
      const principal = requireRole(c.var.principal, "researcher", "agency");
      const deps = c.var.deps;
      const { trial: trialId } = c.req.valid("param");
      const query = c.req.valid("query");
      const trial = await deps.store.getTrial(trialId);
      if (!trial) throw notFound(`forsøget ${trialId} / trial ${trialId}`);
      if (!deps.registers) throw new ApiError(501, "not_implemented", "registerudtræk kan ikke indlæses på denne server / this server cannot import register extracts");
      const format = formatOf(c.req.header("content-type"));
      const body = c.req.raw.body;
      if (!body) throw new ApiError(400, "bad_request", "udtrækket mangler / the request has no extract");
      try {
        const result = await deps.registers.importUpload({ trial, body, format, layout: query.layout, personKey: query.person_key, actor: { tokenId: principal.tokenId, role: principal.role } });
        return c.json(result, 200);
      } catch (e) {
        if (e instanceof UploadTooLargeError) throw new ApiError(413, "payload_too_large", `udtrækket er for stort / the extract is larger than ${e.maxBytes} bytes`);
        if (e instanceof RegisterImportError) {
          throw new ApiError(422, "unprocessable", `udtrækket kan ikke indlæses / ${e.message}`, e.issues.map((i) => ({ path: `${i.row !== undefined ? `row ${i.row}/` : ""}${i.column}`, message: i.message })));
        }
        if (e instanceof DeriveError) throw new ApiError(422, "unprocessable", `udfaldene kan ikke udledes / ${e.message}`);
        throw e;
      }
    },
  );
}
