/**
 * A browser-like client for page tests through `app.request`: signs in with a token through the
 * sign-in form, keeps the session cookie, reads the CSRF token from the pages and posts forms as
 * application/x-www-form-urlencoded. Every page body it sees is kept, to check that no CPR leaks.
 */
import type { Harness } from "../api/harness.ts";

export interface PageResponse {
  status: number;
  location: string | null;
  body: string;
  headers: Headers;
}

export interface PageClient {
  get(path: string): Promise<PageResponse>;
  post(path: string, form: Record<string, string>, options?: { csrf?: string | null }): Promise<PageResponse>;
  /** The CSRF token the pages gave this session. */
  csrf(): Promise<string>;
  cookie: string | null;
  /** Every page body seen, in order. */
  bodies: string[];
}

export function pageClient(h: Harness): PageClient {
  const client: PageClient = {
    cookie: null,
    bodies: [],
    async get(path) {
      const res = await h.app.app.request(path, { headers: client.cookie ? { cookie: client.cookie } : {} });
      return done(res);
    },
    async post(path, form, options = {}) {
      const body = new URLSearchParams(form);
      const csrf = options.csrf === undefined ? (client.cookie ? await client.csrf() : null) : options.csrf;
      if (csrf !== null) body.set("_csrf", csrf);
      const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
      if (client.cookie) headers.cookie = client.cookie;
      const res = await h.app.app.request(path, { method: "POST", headers, body: body.toString() });
      return done(res);
    },
    async csrf() {
      const page = await client.get("/app");
      const m = /name="_csrf" value="([0-9a-f]{64})"/.exec(page.body);
      if (!m) throw new Error(`no CSRF token on /app (status ${page.status})`);
      return m[1];
    },
  };
  async function done(res: Response): Promise<PageResponse> {
    const setCookie = res.headers.get("set-cookie");
    if (setCookie) {
      const m = /^virker_session=([^;]*)/.exec(setCookie);
      if (m) client.cookie = m[1] === "" || /max-age=0/i.test(setCookie) ? null : `virker_session=${m[1]}`;
    }
    const body = await res.text();
    client.bodies.push(body);
    return { status: res.status, location: res.headers.get("location"), body, headers: res.headers };
  }
  return client;
}

/** Signs in through the form; returns the client with its session cookie. */
export async function signedIn(h: Harness, token: string): Promise<PageClient> {
  const client = pageClient(h);
  const res = await client.post("/app/sign-in", { token }, { csrf: null });
  if (res.status !== 303 || client.cookie === null) throw new Error(`sign-in failed: ${res.status}`);
  return client;
}

/** Registers and opens the IPS trial as the agency (through the API). */
export async function openIpsTrial(h: Harness): Promise<string> {
  const trial = "ips-severe-mental-illness";
  const reg = await h.request("/v1/trials", { method: "POST", token: h.tokens.agency, json: { protocol_id: trial } });
  if (reg.status !== 201) throw new Error(`register: ${reg.status} ${await reg.text()}`);
  const open = await h.request(`/v1/trials/${trial}/open`, { method: "POST", token: h.tokens.agency });
  if (open.status !== 200) throw new Error(`open: ${open.status}`);
  return trial;
}

/** The enrollment form for a valid IPS citizen, as a caseworker fills it in. */
export function ipsForm(cpr: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    cpr,
    target_group: "kontanthjaelp_aktivitetsparat",
    c_diagnosis: "bipolar",
    c_wants_ordinary_work: "true",
    c_hours_ordinary_work: "0",
    c_female: "true",
    c_age_band: "30-44",
    c_education: "basic",
    c_worked_last_5y: "false",
    c_weeks_on_benefit_prior_52: "40",
    consent: "yes",
    ...overrides,
  };
}
