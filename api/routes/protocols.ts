import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { notFound } from "../errors.ts";
import type { AppEnv } from "../context.ts";
import { ErrorResponses, IdParam } from "./shared.ts";

const ProtocolSummary = z.object({ id: z.string(), version: z.union([z.string(), z.number()]), title: z.object({ da: z.string(), en: z.string() }), hash: z.string() }).openapi("ProtocolSummary");

export function protocolRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/protocols",
      tags: ["protocols"],
      summary: "The protocols this server offers (public)",
      responses: { 200: { description: "Protocol summaries", content: { "application/json": { schema: z.object({ protocols: z.array(ProtocolSummary) }) } } } },
    }),
    (c) => {
      const protocols = c.var.deps.protocols.list().map((p) => ({ id: p.id, version: p.protocol.version, title: p.protocol.title, hash: p.hash }));
      return c.json({ protocols }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/protocols/{id}",
      tags: ["protocols"],
      summary: "One protocol in full, with its hash (public)",
      request: { params: IdParam },
      responses: { 200: { description: "The protocol", content: { "application/json": { schema: z.object({ id: z.string(), hash: z.string(), protocol: z.any() }) } } }, ...ErrorResponses },
    }),
    (c) => {
      const entry = c.var.deps.protocols.get(c.req.valid("param").id);
      if (!entry) throw notFound(`protokollen ${c.req.valid("param").id} / protocol ${c.req.valid("param").id}`);
      return c.json({ id: entry.id, hash: entry.hash, protocol: entry.protocol }, 200);
    },
  );
}
