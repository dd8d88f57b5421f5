/**
 * Requests to the Worker as deployed (the default export of api/worker.ts, inside workerd, with the
 * project's bindings), and tokens made through its admin route with the test-only admin binding.
 *
 * The handler is called directly: the test pool's loopback (`exports.default.fetch`) costs time
 * that grows with the number of requests in flight (400 concurrent /health calls took 20 s there,
 * 18 ms directly), which would swamp the concurrency test. health.worker.test.ts goes through the
 * loopback, so the entry point as the runtime calls it is covered too.
 */
import { env } from "cloudflare:test";
import worker from "../../api/worker.ts";

export interface RequestInitJson {
  method?: string;
  token?: string | null;
  json?: unknown;
  body?: string;
}

/** Every response body seen, to check that no CPR ever leaves the Worker. */
export const bodies: string[] = [];

export async function request(path: string, init: RequestInitJson = {}): Promise<Response> {
  const headers = new Headers();
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(init.json);
  }
  const res = await worker.fetch(new Request(`http://virker.test${path}`, { method: init.method ?? (body === undefined ? "GET" : "POST"), headers, body }), env);
  bodies.push(await res.clone().text());
  return res;
}

export async function makeToken(spec: { role: string; site?: string; name: string }): Promise<string> {
  const res = await request("/v1/admin/tokens", { token: env.VIRKER_ADMIN_TOKEN, json: spec });
  if (res.status !== 201) throw new Error(`admin token: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** CPR-shaped text standing alone (a digit run inside a hash or id does not count). */
export const CPR_SHAPED = /(?<![0-9A-Za-z])\d{6}-?\d{4}(?![0-9A-Za-z])/;
