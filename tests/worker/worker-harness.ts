/**
 * Requests to the Worker as deployed (the default export of api/worker.ts, inside workerd), and
 * tokens made through its admin route with the test-only admin binding.
 */
import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";

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
  const res = await exports.default.fetch(new Request(`http://virker.test${path}`, { method: init.method ?? (body === undefined ? "GET" : "POST"), headers, body }));
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
