import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { REGISTRY_CHAIN } from "../audit.ts";
import type { Store } from "../store/store.ts";
import type { CliIO } from "./main.ts";
import { progressBar } from "./progress.ts";

const USAGE = "usage: virker demo [--fresh] [--port 8787] [--db data/virker.duckdb] [--seed 2026] [--scale 1] [--exit]\n";

/** What a finished demo leaves behind for the next start (in the data folder, beside the database). */
interface DemoState {
  seed: number;
  tokens: { name: string; role: string; site: string | null; token: string }[];
  trials: { id: string; enrolled: number; repeats: number; refused: number; withdrawn: number; outcomes: number; registerRecords: number; packages: string[] }[];
}

interface Step {
  label: string;
  total: number;
  done: number;
}

/**
 * `virker demo` (what `npm start` runs): serves the API on the embedded DuckDB and, the first time,
 * fills it with a whole simulated trial per shipped protocol through the real HTTP API, on simulated
 * time: registers and opens the trials, has a dozen municipalities enroll their citizens (with
 * ineligible attempts, missing consent and duplicates), records withdrawals and site outcomes,
 * imports the simulated register extract and derives the register outcomes. It prints the tokens
 * and addresses and keeps serving. Running it again reuses the data; `--fresh` starts over.
 *
 * The citizens are synthetic and their CPR-shaped numbers fake (analysis/simulate/); the tokens
 * are demo tokens kept in `demo.json` beside the database so a second start can print them again.
 */
export async function demo(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      fresh: { type: "boolean", default: false },
      port: { type: "string", default: "8787" },
      db: { type: "string", default: "data/virker.duckdb" },
      seed: { type: "string", default: "2026" },
      scale: { type: "string", default: "1" },
      exit: { type: "boolean", default: false },
    },
    strict: true,
  });
  const port = Number(values.port);
  const seed = Number(values.seed);
  const scale = Number(values.scale);
  if (!Number.isInteger(port) || port < 0 || port > 65535 || !Number.isInteger(seed) || !(scale > 0 && scale <= 1)) {
    io.err(USAGE);
    return 1;
  }
  const db = values.db!;
  const statePath = join(dirname(db), "demo.json");
  if (values.fresh) {
    for (const file of [db, `${db}.wal`, `${db}.heads`, join(dirname(db), "pseudonym.key"), join(dirname(db), "signing-key.jwk"), join(dirname(db), "evidence"), statePath]) {
      rmSync(file, { force: true, recursive: true });
    }
  }

  // Simulated time: while the demo fills the database the clock shows what the simulation says (moving
  // only forwards, since the steps come in time order). Outside the simulation the clock runs at real
  // speed but never behind the latest audit entry: the simulated follow-up ends in the future, and an
  // audit log whose times go backwards would be wrong, so the demo's world continues from there.
  let simulated: number | null = null;
  let offset = 0;
  const clock = () => new Date(simulated ?? Date.now() + offset);
  const { startNodeServer } = await import("../node.ts");
  const server = await startNodeServer({ port, hostname: "127.0.0.1", db, clock });
  const catchUp = async () => {
    const latest = await latestAuditTime(server.app.deps.store);
    offset = Math.max(0, latest + 1 - Date.now());
  };
  await catchUp();
  const base = `http://127.0.0.1:${server.port}`;
  io.out(`virker serving on ${base}\n`);

  let state: DemoState | null = existsSync(statePath) ? (JSON.parse(readFileSync(statePath, "utf8")) as DemoState) : null;
  if (state === null) {
    if ((await server.app.deps.store.listTrialIds()).length > 0) {
      io.err(`${db} already holds trials that this demo did not make; start over with --fresh or use another --db\n`);
      await server.close();
      return 1;
    }
    const started = performance.now();
    try {
      // The clock never goes back: the audit log's times follow its order.
      state = await simulate(server, base, seed, scale, io, (at) => (simulated = Math.max(simulated ?? at, at)));
    } catch (error) {
      await server.close();
      throw error;
    }
    simulated = null;
    await catchUp();
    writeFileSync(statePath, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    io.out(`simulation finished in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  } else {
    io.out(`reusing the demo data in ${db} (start over with: npm start -- --fresh)\n`);
  }
  printSummary(io, base, state);
  if (values.exit) {
    await server.close();
    return 0;
  }
  await new Promise<void>((resolve) => {
    const stop = () => void server.close().then(resolve, resolve);
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  return 0;
}

/** The time of the latest entry in any audit chain of the store (the registry's and every trial's), 0 if none. */
async function latestAuditTime(store: Store): Promise<number> {
  let latest = 0;
  for (const chain of [REGISTRY_CHAIN, ...(await store.listTrialIds())]) {
    const head = await store.auditHead(chain);
    if (head === null) continue;
    const [last] = await store.readAudit(chain, { after: head.seq - 1, limit: 1 });
    if (last) latest = Math.max(latest, Date.parse(last.at));
  }
  return latest;
}

function printSummary(io: CliIO, base: string, state: DemoState): void {
  io.out("\nTrials / forsøg:\n");
  for (const t of state.trials) {
    io.out(
      `  ${t.id}: ${t.enrolled} enrolled, ${t.repeats} repeat requests, ${t.refused} refused (ineligible or no consent), ` +
        `${t.withdrawn} withdrawn, ${t.outcomes} site outcomes, ${t.registerRecords} register records\n` +
        `    trial page: ${base}/app/trials/${t.id}   enrollment: ${base}/app/trials/${t.id}/enroll\n`,
    );
    for (const p of t.packages) io.out(`    evidence: ${base}/v1/evidence/${p}/report.html\n`);
  }
  io.out("\nDemo tokens (bearer) / demo-tokens:\n");
  const shown = state.tokens.filter((t) => t.role !== "municipality").concat(state.tokens.filter((t) => t.role === "municipality").slice(0, 2));
  for (const t of shown) io.out(`  ${t.role.padEnd(12)} ${(t.site ?? "").padEnd(4)} ${t.name.padEnd(34)} ${t.token}\n`);
  const more = state.tokens.length - shown.length;
  if (more > 0) io.out(`  (${more} more municipality tokens in the demo state file)\n`);
  io.out(
    `\nSign in with a token / log ind med en token: ${base}/app/sign-in\n` +
      `Evidence index / evidensoversigt:            ${base}/app/evidence\n` +
      `API docs:                                    ${base}/docs\n\n`,
  );
}

async function simulate(
  server: { app: import("../app.ts").App },
  base: string,
  seed: number,
  scale: number,
  io: CliIO,
  setClock: (at: number) => void,
): Promise<DemoState> {
  const [{ createToken }, { simulatePopulation, realize }, { addDays, mondayOfWeek, weekOfDate }] = await Promise.all([
    import("../tokens.ts"),
    import("../../analysis/simulate/index.ts"),
    import("../../analysis/simulate/weeks.ts"),
  ]);
  const store = server.app.deps.store;
  const entries = server.app.deps.protocols.list();
  const bar = progressBar(io, process.stderr.isTTY === true);
  const step = (label: string, total: number): Step => ({ label, total, done: 0 });
  const tick = (s: Step, by = 1) => {
    s.done += by;
    bar.update(s.label, s.total === 0 ? 1 : s.done / s.total);
  };

  // The earliest enrollment window opens the simulated time.
  const opening = Math.min(...entries.flatMap((e) => e.protocol.sites.map((s) => Date.parse(`${s.enrollment.from}T00:00:00Z`))));
  setClock(opening - 86_400_000);
  const at = new Date(opening - 86_400_000).toISOString();
  const system = { tokenId: null, role: "system" as const };
  const tokens: DemoState["tokens"] = [];
  const make = async (role: "agency" | "researcher" | "municipality", name: string, site: string | null) => {
    const { token } = await createToken(store, { role, site, name, at, actor: system });
    tokens.push({ name, role, site, token });
    return token;
  };
  const agency = await make("agency", "Styrelsen (demo)", null);
  const researcher = await make("researcher", "Forsker (demo)", null);
  const siteNames = new Map<string, string>();
  for (const e of entries) for (const s of e.protocol.sites) siteNames.set(s.id, s.name);
  const siteToken = new Map<string, string>();
  for (const [id, name] of [...siteNames].sort()) siteToken.set(id, await make("municipality", `Jobcenter ${name} (demo)`, id));

  const call = async (method: string, path: string, token: string, body?: unknown, type = "application/json") => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { "content-type": type } : {}) },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  const expectOk = (what: string, r: { status: number; body: unknown }) => {
    if (r.status >= 300) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body as Record<string, unknown>;
  };

  // Trials: one per shipped protocol, registered by the agency and opened.
  const populations = entries.map((entry, k) => ({
    id: entry.id,
    protocol: entry.protocol,
    pop: simulatePopulation(entry.protocol, { n: Math.max(40, Math.round(Math.min(entry.protocol.power?.target_n ?? 600, 600) * scale)), seed: seed + 1000 * k }),
  }));
  for (const { id } of populations) {
    expectOk(`register ${id}`, await call("POST", "/v1/trials", agency, { protocol_id: id }));
    expectOk(`open ${id}`, await call("POST", `/v1/trials/${id}/open`, agency));
  }

  // Enrollment: every trial's attempts in time order, each on the clock of its moment.
  const attempts = populations.flatMap(({ id, pop }) => pop.schedule.map((a) => ({ trial: id, a }))).sort((x, y) => (x.a.at < y.a.at ? -1 : x.a.at > y.a.at ? 1 : 0));
  const counts = new Map(populations.map(({ id }) => [id, { enrolled: 0, repeats: 0, refused: 0 }]));
  const arms = new Map(populations.map(({ id }) => [id, new Map<string, string>()]));
  const ids = new Map(populations.map(({ id }) => [id, new Map<string, string>()]));
  const enrolledOn = new Map<string, string>();
  const enrolling = step("enrolling", attempts.length);
  const t0 = performance.now();
  const enroll = async ({ trial, a }: (typeof attempts)[number]) => {
    const r = await call("POST", `/v1/trials/${trial}/enrollments`, siteToken.get(a.site)!, a.body);
    const c = counts.get(trial)!;
    if (r.status === 201 || r.status === 200) {
      const view = r.body as { arm: string; participant_id: string; repeat: boolean; enrolled_at: string };
      if (view.repeat) c.repeats++;
      else c.enrolled++;
      arms.get(trial)!.set(a.body.cpr, view.arm);
      ids.get(trial)!.set(a.body.cpr, view.participant_id);
      enrolledOn.set(view.participant_id, view.enrolled_at.slice(0, 10));
    } else if (r.status === 422) {
      c.refused++;
    } else {
      throw new Error(`enrollment in ${trial} at site ${a.site}: ${r.status} ${JSON.stringify(r.body)}`);
    }
    tick(enrolling);
  };
  // One simulated ISO week at a time, its caseworkers at once (the clock shows the week's last
  // request, so the enrollment week, which the register outcomes count from, is the simulated one),
  // and the week's repeat requests after its first ones.
  // A week's group ends early where the sites' enrollment windows leave no common moment.
  const weekOf = (iso: string) => weekOfDate(iso.slice(0, 10));
  const windowOf = new Map(populations.flatMap(({ id, protocol }) => protocol.sites.map((s) => [`${id}/${s.id}`, s.enrollment] as const)));
  for (let i = 0; i < attempts.length; ) {
    const week = weekOf(attempts[i].a.at);
    let lo = -Infinity;
    let hi = Infinity;
    let j = i;
    while (j < attempts.length && weekOf(attempts[j].a.at) === week) {
      const w = windowOf.get(`${attempts[j].trial}/${attempts[j].a.site}`)!;
      const from = Math.max(lo, Date.parse(`${w.from}T00:00:00Z`));
      const to = Math.min(hi, Date.parse(`${w.to}T23:59:59Z`));
      if (from > to) break;
      (lo = from), (hi = to), j++;
    }
    const group = attempts.slice(i, j);
    setClock(Math.min(hi, Math.max(lo, Date.parse(group[group.length - 1].a.at))));
    await Promise.all(group.filter((x) => x.a.expect !== "repeat").map(enroll));
    await Promise.all(group.filter((x) => x.a.expect === "repeat").map(enroll));
    i = j;
  }
  bar.done();
  io.err(`enrolled in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

  // Follow-up: the clock moves to the end of each extract; withdrawals, site outcomes, registers.
  const trials: DemoState["trials"] = [];
  const followUp = step("follow-up and registers", populations.length);
  // In the order the extracts end, so that the clock moves forwards from one trial to the next.
  const byExtractEnd = [...populations].sort((a, b) => (a.pop.extract.last < b.pop.extract.last ? -1 : a.pop.extract.last > b.pop.extract.last ? 1 : 0));
  for (const { id, protocol, pop } of byExtractEnd) {
    const data = realize(pop, arms.get(id)!);
    const participantId = ids.get(id)!;
    // The extract's last week has ended (Sunday noon): everything it shows has been observed.
    setClock(Date.parse(`${addDays(mondayOfWeek(pop.extract.last), 6)}T12:00:00Z`));
    let withdrawn = 0;
    const bySite = new Map<string, { participant_id: string; outcome: string; value: unknown; observed_at: string }[]>();
    for (const o of data.observed) {
      const cpr = o.participant.citizen.cpr;
      const pid = participantId.get(cpr);
      if (!pid) continue;
      const site = o.participant.citizen.site;
      // The server's enrollment day may lie a few days after the simulated one (same week).
      const earliest = enrolledOn.get(pid)!;
      const notBefore = (day: string) => (day < earliest ? earliest : day);
      if (o.withdrawnOn) {
        expectOk(`withdrawal in ${id}`, await call("POST", `/v1/trials/${id}/withdrawals`, siteToken.get(site)!, { participant_id: pid, effective: notBefore(o.withdrawnOn), reason: "Borgeren ønsker ikke at deltage mere (demo) / The citizen no longer wishes to take part (demo)" }));
        withdrawn++;
      }
      for (const outcome of protocol.outcomes) {
        if (outcome.source.type !== "site") continue;
        const v = o.outcomes[outcome.id];
        if (v === null || v === undefined) continue;
        const week = outcome.time ? ("week" in outcome.time ? outcome.time.week : outcome.time.to) : 0;
        let observed = notBefore(addDays(o.enrolledOn, week * 7));
        if (o.withdrawnOn && observed > notBefore(o.withdrawnOn)) observed = notBefore(o.withdrawnOn);
        if (v.value === null) continue;
        const value = outcome.type === "time_to_event" ? { time: v.value, event: v.event ?? 0 } : v.value;
        const list = bySite.get(site) ?? [];
        list.push({ participant_id: pid, outcome: outcome.id, value, observed_at: observed });
        bySite.set(site, list);
      }
    }
    let outcomes = 0;
    for (const [site, values] of bySite) {
      for (let i = 0; i < values.length; i += 1000) {
        const chunk = values.slice(i, i + 1000);
        expectOk(`outcomes in ${id} at ${site}`, await call("POST", `/v1/trials/${id}/outcomes`, siteToken.get(site)!, { values: chunk }));
        outcomes += chunk.length;
      }
    }
    const rows = data.registerRows();
    const csv = `person,week,code\n${rows.map((r) => `${r.person},${r.week},${r.code}`).join("\n")}\n`;
    expectOk(`register extract for ${id}`, await call("POST", `/v1/trials/${id}/registers?person_key=cpr`, researcher, csv, "text/csv"));
    const c = counts.get(id)!;
    trials.push({ id, ...c, withdrawn, outcomes, registerRecords: rows.length, packages: [] });
    tick(followUp);
  }
  bar.done();

  // The end: the agency closes each trial (which reveals the seed), the researcher runs the
  // registered analysis, and the agency publishes the evidence package.
  const publishing = step("analysis and evidence", trials.length);
  for (const t of trials) {
    expectOk(`close ${t.id}`, await call("POST", `/v1/trials/${t.id}/close`, agency, { reason: "Opfølgningen er slut (demo) / Follow-up has ended (demo)" }));
    const draft = expectOk(`analysis of ${t.id}`, await call("POST", `/v1/trials/${t.id}/analyses`, researcher, {}));
    expectOk(`publish ${t.id}`, await call("POST", `/v1/evidence/${draft.id as string}/publish`, agency));
    t.packages.push(draft.id as string);
    tick(publishing);
  }
  bar.done();
  return { seed, tokens, trials };
}
