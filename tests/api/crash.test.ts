/**
 * Durability: the server runs as a child process on a DuckDB file, takes 1,000 enrollments, and is
 * killed with SIGKILL midway. After a restart every acknowledged allocation is there, unchanged,
 * and the audit chain verifies.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../api/cli/main.ts";
import { ipsEnrollment } from "./harness.ts";

const dir = mkdtempSync(join(tmpdir(), "virker-crash-"));
const db = join(dir, "virker.duckdb");
// The IPS protocol with enrollment windows that stay open, so the test does not depend on today's date.
const protocolsDir = join(dir, "protocols");
mkdirSync(protocolsDir);
writeFileSync(
  join(protocolsDir, "ips.yaml"),
  readFileSync("protocols/ips-severe-mental-illness.yaml", "utf8").replace(/from: "2026-\d\d-\d\d", to: "2027-08-31" \}, cap: \d+/g, 'from: "2020-01-01" }'),
);
const env = { ...process.env, VIRKER_PSEUDONYM_KEY: "c".repeat(64), TZ: "UTC" };
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

async function cli(args: string[]): Promise<string> {
  let out = "";
  const code = await main(args, { out: (t) => void (out += t), err: () => {} });
  expect(code).toBe(0);
  return out.trim();
}

function startServer(): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(process.execPath, ["api/cli/virker.mjs", "serve", "--db", db, "--port", "0", "--protocols", protocolsDir], { env, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk) => {
      out += chunk;
      const m = /http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve({ child, base: `http://127.0.0.1:${m[1]}` });
    });
    let err = "";
    child.stderr!.on("data", (chunk) => void (err += chunk));
    child.on("exit", (code) => reject(new Error(`server exited early (${code}): ${err}`)));
    setTimeout(() => reject(new Error("server did not start in 30 s")), 30_000);
  });
}

describe("crash durability", () => {
  it("keeps every acknowledged allocation through SIGKILL, and the audit chain verifies", async () => {
    const agency = await cli(["token", "create", "--db", db, "--role", "agency", "--name", "STAR"]);
    const researcher = await cli(["token", "create", "--db", db, "--role", "researcher", "--name", "Forsker"]);
    const kbh = await cli(["token", "create", "--db", db, "--role", "municipality", "--site", "101", "--name", "Jobcenter København"]);
    const first = await startServer();
    const post = (base: string, path: string, token: string, body: unknown) =>
      fetch(`${base}${path}`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    expect((await post(first.base, "/v1/trials", agency, { protocol_id: "ips-severe-mental-illness", trial_id: "crash" })).status).toBe(201);
    const trial = await (await fetch(`${first.base}/v1/trials/crash`)).json();
    expect(trial.status).toBe("registered");
    expect((await post(first.base, "/v1/trials/crash/open", agency, {})).status).toBe(200);

    const acknowledged = new Map<string, string>();
    let sent = 0;
    let killed = false;
    const worker = async () => {
      while (sent < 1000 && !killed) {
        const i = sent++;
        try {
          const res = await post(first.base, "/v1/trials/crash/enrollments", kbh, crashEnrollment(i));
          if (res.status === 201) {
            const body = await res.json();
            acknowledged.set(body.participant_id, body.arm);
            if (acknowledged.size === 300 && !killed) {
              killed = true;
              first.child.kill("SIGKILL");
            }
          } else if (!killed) {
            throw new Error(`enrollment ${i}: ${res.status} ${await res.text()}`);
          }
        } catch (error) {
          if (!killed) throw error;
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    expect(killed).toBe(true);
    if (first.child.exitCode === null && first.child.signalCode === null) await new Promise((r) => first.child.once("exit", r));

    const second = await startServer();
    const list = await (await fetch(`${second.base}/v1/trials/crash/enrollments?limit=10000`, { headers: { authorization: `Bearer ${researcher}` } })).json();
    const stored = new Map<string, string>(list.participants.map((p: { participant_id: string; arm: string }) => [p.participant_id, p.arm]));
    for (const [id, arm] of acknowledged) expect(stored.get(id)).toBe(arm);
    const verify = await (await fetch(`${second.base}/v1/trials/crash/audit/verify`, { headers: { authorization: `Bearer ${agency}` } })).json();
    expect(verify.ok).toBe(true);
    // The trial goes on where it stopped: the next enrollment gets the next sequence number.
    const next = await post(second.base, "/v1/trials/crash/enrollments", kbh, crashEnrollment(5000));
    expect(next.status).toBe(201);
    expect((await next.json()).sequence).toBe(stored.size + 1);
    second.child.kill("SIGTERM");
  }, 180_000);
});

/** A valid IPS enrollment at Copenhagen, for someone born in 1990 (18–64 for decades to come). */
function crashEnrollment(i: number) {
  const day = String((i % 28) + 1).padStart(2, "0");
  const month = String((Math.floor(i / 28) % 12) + 1).padStart(2, "0");
  return ipsEnrollment(`${day}${month}90-${String(Math.floor(i / 336)).padStart(4, "0")}`, "101");
}
