/**
 * The pages act through the API itself: a page handler calls the app's own route with the signed-in
 * person's token as a bearer token (`app.request`, no network). Every rule (roles, own site,
 * eligibility, allocation, withdrawals, outcome checks) and every audit entry therefore has one
 * implementation, the API's, and a page can never do more than its token could with curl.
 */
import type { Hono } from "hono";
import type { ErrorIssue } from "../errors.ts";

export interface ApiAnswer<T> {
  status: number;
  /** The parsed JSON body (the route's answer, or `{ error }`). */
  body: T;
  error: { code: string; message: string; issues?: ErrorIssue[] } | null;
}

// Any Hono app with `request`; the pages do not care about its env type.
type Requestable = Pick<Hono<any>, "request">; // eslint-disable-line @typescript-eslint/no-explicit-any

export async function callApi<T>(app: Requestable, token: string | null, method: "GET" | "POST", path: string, json?: unknown): Promise<ApiAnswer<T>> {
  const headers = new Headers({ accept: "application/json" });
  if (token !== null) headers.set("authorization", `Bearer ${token}`);
  let body: string | undefined;
  if (json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(json);
  }
  const res = await app.request(path, { method, headers, body });
  const type = res.headers.get("content-type") ?? "";
  const parsed = type.includes("application/json") ? ((await res.json()) as T & { error?: ApiAnswer<T>["error"] }) : ((await res.text(), {}) as T & { error?: ApiAnswer<T>["error"] });
  const error = res.status >= 400 ? (parsed.error ?? { code: String(res.status), message: `HTTP ${res.status}` }) : null;
  return { status: res.status, body: parsed, error };
}
