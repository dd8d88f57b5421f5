/** Node entry point: serves the app from api/app.ts with @hono/node-server. */
import { serve } from "@hono/node-server";
import type { AddressInfo } from "node:net";
import { createApp } from "./app.ts";

export async function startNodeServer(options: { port: number; hostname: string }): Promise<{ port: number; close: () => Promise<void> }> {
  const app = createApp();
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: options.port, hostname: options.hostname }, (info: AddressInfo) => {
      resolve({
        port: info.port,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}
