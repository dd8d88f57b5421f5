/**
 * Builds the virker Hono app from injected parts, so that the same app runs in Node and in a
 * Worker. Routes grow here as the enrollment service lands.
 */
import { Hono } from "hono";

export interface AppParts {
  clock?: () => Date;
}

export function createApp(_parts: AppParts = {}): Hono {
  const app = new Hono();
  app.get("/health", (c) => c.json({ ok: true }));
  return app;
}
