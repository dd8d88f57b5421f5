/**
 * `virker import register` on a database file: a trial enrolled through the app on the same file,
 * a Parquet extract in the wide layout keyed by pseudonym (written by DuckDB), the JSON report, the
 * derived outcomes, idempotence and clear failures.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../api/app.ts";
import { progressBar } from "../../api/cli/progress.ts";
import { main } from "../../api/cli/main.ts";
import { loadPseudonymKey } from "../../api/keys-node.ts";
import { protocolsFromFolder } from "../../api/protocol-source-node.ts";
import { keyFingerprint } from "../../api/pseudonym.ts";
import { readRegisterOutcome } from "../../api/register/index.ts";
import { openDuckDbStore } from "../../api/store/duckdb.ts";
import { createToken } from "../../api/tokens.ts";
import { cprFor, ipsEnrollment, NOW, seededBytes } from "../api/harness.ts";

const dir = mkdtempSync(join(tmpdir(), "virker-import-"));
const db = join(dir, "virker.duckdb");
const TRIAL = "ips-severe-mental-illness";
let pseudonyms: string[] = [];

async function run(args: string[]) {
  let out = "";
  let err = "";
  const code = await main(args, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

beforeAll(async () => {
  const store = await openDuckDbStore({ path: db, warn: () => {} });
  const { key } = loadPseudonymKey({ keyFile: join(dir, "pseudonym.key"), warn: () => {}, env: {} });
  await store.bindKeyFingerprint(keyFingerprint(key));
  const random = seededBytes(3);
  const app = createApp({ store, key, protocols: protocolsFromFolder(), clock: () => NOW, random, report: () => {} });
  const system = { tokenId: null, role: "system" as const };
  const agency = (await createToken(store, { role: "agency", site: null, name: "STAR", at: NOW.toISOString(), actor: system, random })).token;
  const aarhus = (await createToken(store, { role: "municipality", site: "751", name: "Aarhus", at: NOW.toISOString(), actor: system, random })).token;
  const post = (path: string, token: string, json: unknown) =>
    app.app.request(path, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(json) });
  expect((await post("/v1/trials", agency, { protocol_id: TRIAL })).status).toBe(201);
  expect((await post(`/v1/trials/${TRIAL}/open`, agency, {})).status).toBe(200);
  for (let i = 0; i < 2; i++) expect((await post(`/v1/trials/${TRIAL}/enrollments`, aarhus, ipsEnrollment(cprFor(40 + i), "751"))).status).toBe(201);
  pseudonyms = (await store.loadAllocationHistory(TRIAL)).map((e) => e.pseudonym);
  await app.close();
  await store.close();

  // Wide layout, one column per ISO week from 2026-W23 (week 0): the first person is self-supporting
  // (empty cells: the code book's gap rule) from week 2, the second on benefit throughout.
  const weeks = Array.from({ length: 12 }, (_, i) => `y_2026_${String(23 + i).padStart(2, "0")}`);
  const rows = [
    [pseudonyms[0], "'521'", "'521'", ...weeks.slice(2).map(() => "NULL")],
    [pseudonyms[1], ...weeks.map(() => "'521'")],
  ];
  const instance = await DuckDBInstance.create(":memory:");
  const c = await instance.connect();
  const select = rows.map((r) => `SELECT '${r[0]}' AS person, ${r.slice(1).map((v, i) => `${v}::VARCHAR AS ${weeks[i]}`).join(", ")}`).join(" UNION ALL ");
  await c.run(`COPY (${select}) TO '${join(dir, "wide.parquet")}' (FORMAT parquet)`);
  c.closeSync();
  instance.closeSync();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("virker import register", () => {
  it("imports a pseudonym-keyed Parquet extract and derives the trial's register outcomes", async () => {
    const r = await run(["import", "register", "--trial", TRIAL, "--file", join(dir, "wide.parquet"), "--person-key", "pseudonym", "--db", db]);
    expect(r.err).not.toMatch(/Error:/);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.import).toMatchObject({ layout: "wide", format: "parquet", alreadyImported: false, participants: { total: 2, inExtract: 2, notInExtract: 0 } });
    expect(r.err).toMatch(/import 1: .*2 of 2 participants found/);
    const store = await openDuckDbStore({ path: db, warn: () => {} });
    const connection = await store.connect();
    try {
      const tte = await readRegisterOutcome(connection, TRIAL, "time_to_job");
      // Self-supporting from week 2 for ten observed weeks → event at 2; the other censored at 12 - 4 = 8.
      expect(tte.find((x) => x.pseudonym === pseudonyms[0])).toMatchObject({ value: 2, event: 1 });
      expect(tte.find((x) => x.pseudonym === pseudonyms[1])).toMatchObject({ value: 8, event: 0 });
      const audit = await store.readAudit(TRIAL);
      expect(audit.filter((e) => e.action === "register.import").map((e) => e.role)).toEqual(["system"]);
    } finally {
      connection.closeSync();
      await store.close();
    }
  });

  it("changes nothing the second time", async () => {
    const r = await run(["import", "register", "--trial", TRIAL, "--file", join(dir, "wide.parquet"), "--person-key", "pseudonym", "--db", db]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).import.alreadyImported).toBe(true);
    expect(r.err).toMatch(/already imported; nothing changed/);
  });

  it("fails clearly on a missing trial, bad arguments and a malformed extract", async () => {
    expect((await run(["import", "register", "--trial", "no-such", "--file", join(dir, "wide.parquet"), "--db", db])).err).toMatch(/no trial no-such/);
    expect((await run(["import", "register", "--trial", TRIAL, "--db", db])).code).toBe(1);
    expect((await run(["import", "something"])).err).toMatch(/usage: virker import register/);
    const bad = join(dir, "bad.csv");
    writeFileSync(bad, `person,week,code\n${pseudonyms[0]},2026-W99,521\n`);
    const r = await run(["import", "register", "--trial", TRIAL, "--file", bad, "--person-key", "pseudonym", "--db", db]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/row 1, column "week"/);
  });

  it("draws a progress bar on a terminal and one line per phase elsewhere", () => {
    let tty = "";
    const bar = progressBar({ out: () => {}, err: (t) => void (tty += t) }, true);
    bar.update("reading", 0.5);
    bar.update("reading", 1);
    bar.done();
    expect(tty).toContain(`\rreading${" ".repeat(17)} [${"#".repeat(15)}${" ".repeat(15)}]  50%`);
    expect(tty).toContain("100%\n");
    let plain = "";
    const lines = progressBar({ out: () => {}, err: (t) => void (plain += t) }, false);
    lines.update("reading", 0.2);
    lines.update("storing weeks", 0.5);
    lines.done();
    expect(plain).toBe("reading 100%\nstoring weeks 100%\n");
  });
});
