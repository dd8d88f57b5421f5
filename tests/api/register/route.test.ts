/**
 * The register route end to end: enrollments through the API, a CSV extract keyed by CPR posted to
 * `POST /v1/trials/{trial}/registers`, the import report, the derived outcomes in DuckDB, the
 * audit entry, idempotence, and the failures (bad rows, wrong role, wrong media type, too large,
 * no register store).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp, type App } from "../../../api/app.ts";
import { protocolsFromFolder } from "../../../api/protocol-source-node.ts";
import { pseudonymKey } from "../../../api/pseudonym.ts";
import { nodeRegisterBackend } from "../../../api/register/backend-node.ts";
import { DEFAULT_CODEBOOK_PATH, loadCodebookFile, readRegisterOutcome } from "../../../api/register/index.ts";
import { openDuckDbStore, type DuckDbStore } from "../../../api/store/duckdb.ts";
import { createToken } from "../../../api/tokens.ts";
import { CPR_SHAPED, cprFor, ipsEnrollment, NOW, seededBytes } from "../harness.ts";

const T = "/v1/trials/ips-severe-mental-illness";
const weeks = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `2026-W${String(from + i).padStart(2, "0")}`);

let store: DuckDbStore;
let app: App;
let bare: App;
const tokens: Record<string, string> = {};
const bodies: string[] = [];
const [A, B, C, E, OUTSIDER] = [cprFor(11), cprFor(12), cprFor(13), cprFor(14), cprFor(15)];

async function call(target: App, path: string, init: { method?: string; token?: string; json?: unknown; body?: string; type?: string } = {}) {
  const headers = new Headers();
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  let body: string | undefined = init.body;
  if (init.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(init.json);
  } else if (init.type) headers.set("content-type", init.type);
  const res = await target.app.request(path, { method: init.method ?? (body === undefined ? "GET" : "POST"), headers, body });
  bodies.push(await res.clone().text());
  return res;
}

function extract(rows: [string, string, string][]): string {
  return ["person,week,code", ...rows.map((r) => r.join(","))].join("\n") + "\n";
}

beforeAll(async () => {
  store = (await openDuckDbStore({ path: ":memory:", warn: () => {} })) as DuckDbStore;
  const key = pseudonymKey("a".repeat(64));
  const clock = () => NOW;
  const random = seededBytes(7);
  const codebook = await loadCodebookFile(DEFAULT_CODEBOOK_PATH);
  const registers = nodeRegisterBackend({ store, connect: () => store.connect(), key, codebook, clock, maxBytes: 64 * 1024 });
  const protocols = protocolsFromFolder();
  app = createApp({ store, key, protocols, clock, random, registers, report: () => {} });
  bare = createApp({ store, key, protocols, clock, random, report: () => {} });
  const system = { tokenId: null, role: "system" as const };
  for (const [name, role, site] of [["agency", "agency", null], ["researcher", "researcher", null], ["aarhus", "municipality", "751"]] as const) {
    tokens[name] = (await createToken(store, { role, site, name, at: NOW.toISOString(), actor: system, random })).token;
  }
  expect((await call(app, "/v1/trials", { token: tokens.agency, json: { protocol_id: "ips-severe-mental-illness" } })).status).toBe(201);
  expect((await call(app, `${T}/open`, { method: "POST", token: tokens.agency })).status).toBe(200);
  for (const cpr of [A, B, C, E]) expect((await call(app, `${T}/enrollments`, { token: tokens.aarhus, json: ipsEnrollment(cpr, "751") })).status).toBe(201);
});

afterAll(async () => {
  await app.close();
  await bare.close();
  await store.close();
});

describe("POST /v1/trials/{trial}/registers", () => {
  // NOW is Monday 2026-06-01, ISO week 2026-W23: every participant's week 0.
  const rows: [string, string, string][] = [
    // A: three benefit weeks, then self-supporting from week 3 → time to a 4-week spell = 3, event.
    ...weeks(23, 25).map((w): [string, string, string] => [A, w, "521"]),
    ...weeks(26, 34).map((w): [string, string, string] => [A, w, "000"]),
    // B: on benefit to the end of the extract (W34): E = week 12, censored at 12 - 4 = 8.
    ...weeks(23, 34).map((w): [string, string, string] => [B, w, "521"]),
    // E: a code the code book does not know, then benefit.
    [E, "2026-W23", "777"],
    ...weeks(24, 34).map((w): [string, string, string] => [E, w, "521"]),
    // Someone outside the trial: counted, not kept.
    ...weeks(23, 34).map((w): [string, string, string] => [OUTSIDER, w, "521"]),
  ];

  it("imports a CPR-keyed extract, derives the register outcomes and reports what it saw", async () => {
    const res = await call(app, `${T}/registers`, { token: tokens.researcher, body: extract(rows), type: "text/csv" });
    expect(res.status).toBe(200);
    const report = await res.json();
    expect(report.import).toMatchObject({
      alreadyImported: false,
      layout: "long",
      format: "csv",
      firstWeek: "2026-W23",
      lastWeek: "2026-W34",
      persons: { inExtract: 4, inTrial: 3, notInTrial: 1 },
      participants: { total: 4, inExtract: 3, notInExtract: 1 },
      unknownCodes: [{ code: "777", records: 1 }],
    });
    expect(report.derived.outcomes.map((o: { name: string }) => o.name).sort()).toEqual(
      ["self_supporting_78w", "time_to_job", "weeks_on_benefit_78", "weeks_self_supporting_78"].sort(),
    );

    const connection = await store.connect();
    try {
      const tte = await readRegisterOutcome(connection, "ips-severe-mental-illness", "time_to_job");
      const enrollments = await store.loadAllocationHistory("ips-severe-mental-illness");
      const byCpr = new Map([A, B, C, E].map((cpr, i) => [cpr, enrollments[i].pseudonym]));
      const value = (cpr: string) => tte.find((r) => r.pseudonym === byCpr.get(cpr));
      expect(value(A)).toMatchObject({ value: 3, event: 1 });
      expect(value(B)).toMatchObject({ value: 8, event: 0 });
    } finally {
      connection.closeSync();
    }

    const audit = await (await call(app, `${T}/audit`, { token: tokens.agency })).json();
    const imports = audit.entries.filter((e: { action: string }) => e.action === "register.import");
    expect(imports).toHaveLength(1);
    expect(imports[0].role).toBe("researcher");
  });

  it("changes nothing when the same extract comes again", async () => {
    const res = await call(app, `${T}/registers`, { token: tokens.agency, body: extract(rows), type: "text/csv" });
    expect(res.status).toBe(200);
    expect((await res.json()).import.alreadyImported).toBe(true);
    const audit = await (await call(app, `${T}/audit`, { token: tokens.agency })).json();
    expect(audit.entries.filter((e: { action: string }) => e.action === "register.import")).toHaveLength(1);
  });

  it("names the row and column of a malformed week, and never echoes the CPR", async () => {
    const res = await call(app, `${T}/registers`, { token: tokens.researcher, body: extract([[A, "2026-W23", "521"], [B, "2026-W99", "521"]]), type: "text/csv" });
    expect(res.status).toBe(422);
    const body = await res.json();
    expect(body.error.code).toBe("unprocessable");
    expect(body.error.issues.some((i: { path: string }) => i.path.startsWith("row 2/") && i.path.endsWith("week"))).toBe(true);
  });

  it("refuses municipalities, the public, other media types, oversized extracts, and a server without a register store", async () => {
    expect((await call(app, `${T}/registers`, { token: tokens.aarhus, body: extract(rows), type: "text/csv" })).status).toBe(403);
    expect((await call(app, `${T}/registers`, { body: extract(rows), type: "text/csv" })).status).toBe(401);
    expect((await call(app, `${T}/registers`, { token: tokens.researcher, json: { rows } })).status).toBe(415);
    expect((await call(app, "/v1/trials/no-such-trial/registers", { token: tokens.researcher, body: extract(rows), type: "text/csv" })).status).toBe(404);
    const big = extract(Array.from({ length: 3000 }, (_, i) => [B, `2026-W${String((i % 30) + 10).padStart(2, "0")}`, "521"]));
    expect(big.length).toBeGreaterThan(64 * 1024);
    const tooLarge = await call(app, `${T}/registers`, { token: tokens.researcher, body: big, type: "text/csv" });
    expect(tooLarge.status).toBe(413);
    expect((await call(bare, `${T}/registers`, { token: tokens.researcher, body: extract(rows), type: "text/csv" })).status).toBe(501);
  });

  it("leaves no CPR in any response", () => {
    for (const body of bodies) expect(body).not.toMatch(CPR_SHAPED);
  });
});
