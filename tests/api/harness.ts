/**
 * A whole app on an in-memory DuckDB store with a fixed clock and seeded randomness, plus one
 * token per role (two municipalities), for route tests through `app.request` (no server).
 */
import { createApp, type App, type AppParts } from "../../api/app.ts";
import { nodeParquetWriter } from "../../api/datasets/parquet-node.ts";
import type { ProtocolSource } from "../../api/context.ts";
import { protocolsFromFolder } from "../../api/protocol-source-node.ts";
import { pseudonymKey } from "../../api/pseudonym.ts";
import { openDuckDbStore } from "../../api/store/duckdb.ts";
import type { Store } from "../../api/store/store.ts";
import { createToken } from "../../api/tokens.ts";
import { cprFor, seededBytes } from "../fixtures.ts";

export { cprFor, seededBytes };

export const NOW = new Date("2026-06-01T10:00:00.000Z");


export interface Harness {
  app: App;
  store: Store;
  tokens: { agency: string; researcher: string; kbh: string; aarhus: string };
  /** Every response body the harness saw, to check that no CPR ever leaves the server. */
  bodies: string[];
  request(path: string, init?: RequestInit & { token?: string | null; json?: unknown }): Promise<Response>;
  close(): Promise<void>;
}

export async function harness(
  options: { protocols?: ProtocolSource; clock?: () => Date; rateLimit?: AppParts["rateLimit"]; maxBulkBodyBytes?: number; path?: string; seed?: number } = {},
): Promise<Harness> {
  const store = await openDuckDbStore({ path: options.path ?? ":memory:", warn: () => {} });
  const random = seededBytes(options.seed ?? 1);
  const key = pseudonymKey("k".repeat(64).replace(/k/g, "a"));
  const app = createApp({ store, key, protocols: options.protocols ?? protocolsFromFolder(), clock: options.clock ?? (() => NOW), random, report: () => {},
    rateLimit: options.rateLimit, maxBulkBodyBytes: options.maxBulkBodyBytes, parquet: nodeParquetWriter });
  const at = NOW.toISOString();
  const system = { tokenId: null, role: "system" as const };
  const make = async (role: "agency" | "researcher" | "municipality", name: string, site?: string) =>
    (await createToken(store, { role, site: site ?? null, name, at, actor: system, random })).token;
  const tokens = {
    agency: await make("agency", "STAR"),
    researcher: await make("researcher", "Forsker"),
    kbh: await make("municipality", "Jobcenter København", "101"),
    aarhus: await make("municipality", "Jobcenter Aarhus", "751"),
  };
  const bodies: string[] = [];
  return {
    app,
    store,
    tokens,
    bodies,
    async request(path, init = {}) {
      const headers = new Headers(init.headers);
      if (init.token) headers.set("authorization", `Bearer ${init.token}`);
      let body = init.body;
      if (init.json !== undefined) {
        headers.set("content-type", "application/json");
        body = JSON.stringify(init.json);
      }
      const res = await app.app.request(path, { ...init, headers, body });
      const text = await res.clone().text();
      bodies.push(text);
      return res;
    },
    async close() {
      await app.close();
      await store.close();
    },
  };
}


/** A valid IPS enrollment at a site. */
export function ipsEnrollment(cpr: string, site: string, overrides: Record<string, unknown> = {}) {
  return {
    cpr,
    site,
    target_group: "kontanthjaelp_aktivitetsparat",
    covariates: {
      diagnosis: "bipolar",
      wants_ordinary_work: true,
      hours_ordinary_work: 0,
      female: true,
      age_band: "30-44",
      education: "basic",
      worked_last_5y: false,
      weeks_on_benefit_prior_52: 40,
    },
    consent: true,
    ...overrides,
  };
}

/**
 * CPR-shaped text: DDMMYY-SSSS or ten digits standing alone. Digit runs inside a longer word (a
 * 64-hex hash, a participant id) are not a CPR and do not count.
 */
export const CPR_SHAPED = /(?<![0-9A-Za-z])\d{6}-?\d{4}(?![0-9A-Za-z])/;
