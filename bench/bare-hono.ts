/** The ceiling for bench/enroll.ts: a bare Hono route on @hono/node-server, nothing else. */
import { serve } from "@hono/node-server";
import { Hono } from "hono";

const app = new Hono();
app.get("/", (c) => c.text("ok"));
serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => console.log(`bare hono on 127.0.0.1:${info.port}`));
