/** Schemas shared by the routes: path parameters and the error body. */
import { z } from "@hono/zod-openapi";

const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, "forventede et id med små bogstaver, tal og bindestreg / expected an id of lowercase letters, digits and hyphens");

export const IdParam = z.object({ id: slug.openapi({ param: { name: "id", in: "path" } }) });
export const TrialParam = z.object({ trial: slug.openapi({ param: { name: "trial", in: "path" } }) });

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      issues: z.array(z.object({ path: z.string(), message: z.string(), code: z.string().optional() })).optional(),
    }),
  })
  .openapi("Error");

const errorContent = { "application/json": { schema: ErrorBody } };
export const ErrorResponses = {
  400: { description: "Bad input (with the problems)", content: errorContent },
  401: { description: "A bearer token is required", content: errorContent },
  403: { description: "Not allowed for this role or site", content: errorContent },
  404: { description: "Not found", content: errorContent },
} as const;
export const WriteErrorResponses = {
  ...ErrorResponses,
  409: { description: "Conflicts with the trial's state", content: errorContent },
  413: { description: "Body too large", content: errorContent },
  422: { description: "Understood but refused by the protocol", content: errorContent },
} as const;

/** A JSON request or response body with its schema, as @hono/zod-openapi declares it. */
export const json = <T extends z.ZodTypeAny>(schema: T) => ({ content: { "application/json": { schema } } });
