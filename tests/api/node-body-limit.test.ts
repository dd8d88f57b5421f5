/**
 * The body limit on the real Node server: a body announced by Content-Length is judged by that
 * header (without building a web Request for it), a chunked body by counting its bytes; both answer
 * 413 with the JSON error, and bodies within the limit go on to their route.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNodeServer, type RunningServer } from "../../api/node.ts";

const dir = mkdtempSync(join(tmpdir(), "virker-node-body-"));
let server: RunningServer;
let base: string;

beforeAll(async () => {
  const warn = console.warn;
  console.warn = () => {};
  try {
    server = await startNodeServer({ port: 0, hostname: "127.0.0.1", db: join(dir, "virker.duckdb"), keyFile: join(dir, "pseudonym.key") });
  } finally {
    console.warn = warn;
  }
  base = `http://127.0.0.1:${server.port}`;
}, 60_000);
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const stream = (parts: string[]) =>
  new ReadableStream({
    start(controller) {
      for (const part of parts) controller.enqueue(new TextEncoder().encode(part));
      controller.close();
    },
  });
const chunks = (n: number, size: number) => stream(Array.from({ length: n }, () => "x".repeat(size)));

describe("body limit on the Node server", () => {
  // Bodies within the limit first: after a 413 the server closes the connection with the body
  // unread, and a client may try to reuse that socket.
  it("lets bodies within the limit reach the route, with or without Content-Length", async () => {
    const small = await fetch(`${base}/v1/trials`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ protocol_id: "x", trial_id: "y" }) });
    expect(small.status).toBe(401);
    const chunked = await fetch(`${base}/v1/trials`, { method: "POST", headers: { "content-type": "application/json" }, body: stream(['{"protocol_id": "x", ', '"trial_id": "y"}']), duplex: "half" } as RequestInit);
    expect(chunked.status).toBe(401);
    const get = await fetch(`${base}/v1/protocols`);
    expect(get.status).toBe(200);
  });
  it("refuses a body over 1 MiB by its Content-Length with the JSON 413", async () => {
    const body = JSON.stringify({ pad: "x".repeat(1024 * 1024 + 10) });
    const res = await fetch(`${base}/v1/trials`, { method: "POST", headers: { "content-type": "application/json" }, body });
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe("payload_too_large");
  });

  it("refuses a chunked body once it passes the limit", async () => {
    const res = await fetch(`${base}/v1/trials`, { method: "POST", headers: { "content-type": "application/json" }, body: chunks(40, 64 * 1024), duplex: "half" } as RequestInit);
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe("payload_too_large");
  });

});
