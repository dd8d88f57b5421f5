/**
 * An app with evidence packages switched on (a signing key, a repository) on an in-memory DuckDB
 * store, tokens per role, and helpers that enroll a small IPS trial through the API with varied
 * baselines and site-recorded primary outcomes, and record progression measurements for it.
 */
import { createApp, type App } from "../../api/app.ts";
import { MemoryEvidenceRepository, type EvidenceRepository } from "../../api/evidence/repository.ts";
import { generateSigningJwk, signerFromJwk, type Signer } from "../../api/evidence/signing.ts";
import { protocolsFromFolder } from "../../api/protocol-source-node.ts";
import { pseudonymKey } from "../../api/pseudonym.ts";
import { openDuckDbStore } from "../../api/store/duckdb.ts";
import { ALL_SITES, type Store } from "../../api/store/store.ts";
import { createToken } from "../../api/tokens.ts";
import { fastStream, uniform } from "../../analysis/design/index.ts";
import { cprFor, ipsEnrollment, NOW, seededBytes } from "../api/harness.ts";

export interface EvidenceApp {
  app: App;
  store: Store;
  signer: Signer;
  repository: EvidenceRepository;
  tokens: { agency: string; researcher: string; kbh: string; aarhus: string };
  request(path: string, init?: { method?: string; token?: string | null; json?: unknown }): Promise<Response>;
  /** Moves the app's clock to `at` (it keeps ticking a second per reading from there). */
  setClock(at: Date): void;
  close(): Promise<void>;
}

export async function evidenceApp(repository: EvidenceRepository = new MemoryEvidenceRepository()): Promise<EvidenceApp> {
  const store = await openDuckDbStore({ path: ":memory:", warn: () => {} });
  const random = seededBytes(3);
  const signer = await signerFromJwk(await generateSigningJwk());
  let now = NOW.getTime();
  const app = createApp({ store, key: pseudonymKey("b".repeat(64)), protocols: protocolsFromFolder(), clock: () => new Date((now += 1000)), random, report: (e) => console.error(e), evidence: { signer, repository } });
  const system = { tokenId: null, role: "system" as const };
  const make = async (role: "agency" | "researcher" | "municipality", name: string, site?: string) =>
    (await createToken(store, { role, site: site ?? null, name, at: NOW.toISOString(), actor: system, random })).token;
  const tokens = { agency: await make("agency", "STAR"), researcher: await make("researcher", "Forsker"), kbh: await make("municipality", "København", "101"), aarhus: await make("municipality", "Aarhus", "751") };
  return {
    app, store, signer, repository, tokens,
    setClock: (at) => void (now = at.getTime()),
    request: (path, init = {}) => {
      const headers = new Headers();
      if (init.token) headers.set("authorization", `Bearer ${init.token}`);
      if (init.json !== undefined) headers.set("content-type", "application/json");
      return Promise.resolve(app.app.request(path, { method: init.method ?? "GET", headers, body: init.json === undefined ? undefined : JSON.stringify(init.json) }));
    },
    close: async () => {
      await app.close();
      await store.close();
    },
  };
}

/** Registers and opens the IPS trial and enrolls `n` people per site (101, 751), recording the primary outcome for most. */
export async function enrollIpsTrial(e: EvidenceApp, n: number, seed = 11): Promise<void> {
  const T = "/v1/trials/ips-severe-mental-illness";
  const ok = async (res: Response | Promise<Response>, status: number) => {
    const r = await res;
    if (r.status !== status) throw new Error(`${r.status}: ${await r.text()}`);
    return r;
  };
  await ok(e.request("/v1/trials", { method: "POST", token: e.tokens.agency, json: { protocol_id: "ips-severe-mental-illness" } }), 201);
  await ok(e.request(`${T}/open`, { method: "POST", token: e.tokens.agency, json: {} }), 200);
  const rng = fastStream(seed);
  const pick = <T,>(xs: T[]) => xs[Math.floor(uniform(rng) * xs.length)];
  for (const [site, token] of [["101", e.tokens.kbh], ["751", e.tokens.aarhus]] as const) {
    const values: { participant_id: string; outcome: string; value: number; observed_at: string }[] = [];
    for (let i = 0; i < n; i++) {
      const body = ipsEnrollment(cprFor(seed * 1000 + i + (site === "751" ? 500 : 0)), site, {
        target_group: pick(["kontanthjaelp_aktivitetsparat", "sygedagpenge", "ressourceforloeb"]),
        covariates: {
          diagnosis: pick(["schizophrenia_spectrum", "bipolar"]), wants_ordinary_work: true, hours_ordinary_work: 0,
          female: uniform(rng) < 0.5, age_band: pick(["18-29", "30-44", "45-64"]), education: pick(["basic", "upper_secondary", "higher"]),
          worked_last_5y: uniform(rng) < 0.5, weeks_on_benefit_prior_52: Math.floor(uniform(rng) * 53),
        },
      });
      const res = await ok(e.request(`${T}/enrollments`, { method: "POST", token, json: body }), 201);
      const { participant_id, arm } = (await res.json()) as { participant_id: string; arm: string };
      if (uniform(rng) < 0.9) values.push({ participant_id, outcome: "work_or_education_78w", value: uniform(rng) < (arm === "usual" ? 0.4 : 0.6) ? 1 : 0, observed_at: "2026-06-01" });
    }
    await ok(e.request(`${T}/outcomes`, { method: "POST", token, json: { values } }), 201);
  }
}

/**
 * Moves the clock past the last planned week and records progression measurements through the
 * API for everyone enrolled: at each planned week's day (as the site's caseworker would), each
 * missed with probability 0.15, scores 1–5 drawn around a person level, one point higher from week
 * 26 on in the non-control arms. Returns how many were recorded per arm and planned week.
 */
export async function recordIpsProgression(e: EvidenceApp, seed = 5): Promise<Map<string, number>> {
  const trial = "ips-severe-mental-illness";
  const protocol = protocolsFromFolder().get(trial)!.protocol;
  const { factors } = protocol.progression!.instrument;
  const weeks = protocol.progression!.schedule.map((s) => s.week);
  const enrollments = await e.store.listEnrollments(trial, ALL_SITES);
  e.setClock(new Date(Date.parse(enrollments[0].enrolledAt) + 600 * 86_400_000));
  const rng = fastStream(seed);
  const counts = new Map<string, number>();
  for (const [site, token] of [["101", e.tokens.kbh], ["751", e.tokens.aarhus]] as const) {
    const measurements = [];
    for (const p of enrollments.filter((x) => x.site === site)) {
      const level = 1 + Math.floor(uniform(rng) * 3);
      for (const week of weeks) {
        if (uniform(rng) < 0.15) continue;
        const lift = p.arm !== "usual" && week >= 26 ? 1 : 0;
        const date = new Date(Date.parse(p.enrolledAt.slice(0, 10)) + 7 * week * 86_400_000).toISOString().slice(0, 10);
        const scores = Object.fromEntries(factors.map((f) => [f.id, Math.min(5, level + lift + Math.floor(uniform(rng) * 2))]));
        measurements.push({ participant_id: p.publicId, date, scored_by: "together", scores });
        counts.set(`${p.arm}/${week}`, (counts.get(`${p.arm}/${week}`) ?? 0) + 1);
      }
    }
    const res = await e.request(`/v1/trials/${trial}/progression`, { method: "POST", token, json: { measurements } });
    if (res.status !== 201) throw new Error(`${res.status}: ${await res.text()}`);
  }
  return counts;
}
