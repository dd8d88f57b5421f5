/**
 * The progression part of the participant page through `app.request`: the form per conversation
 * (factors with their Danish labels and anchors) posting through the API, its refusals beside the
 * fields, CSRF, another site refused, and the chart of the citizen's own factors.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ProgressionChart } from "../../api/pages/progression-chart.tsx";
import { protocolsFromFolder } from "../../api/protocol-source-node.ts";
import { ALL_SITES } from "../../api/store/store.ts";
import { expectGolden } from "../evidence/golden.ts";
import { cprFor, CPR_SHAPED, harness, NOW, type Harness } from "../api/harness.ts";
import { ipsForm, openIpsTrial, signedIn, type PageClient } from "./client.ts";

const ips = protocolsFromFolder().get("ips-severe-mental-illness")!.protocol;
const FACTORS = ips.progression!.instrument.factors.map((f) => f.id);

let h: Harness;
let now: Date;
let trial: string;
let kbh: PageClient;
let path: string;
let participant: string;
const progressionRows = async () => (await h.store.listOutcomes(trial, ALL_SITES)).filter((r) => r.outcome === "progression");
const form = (date: string, score: number, overrides: Record<string, string> = {}) => ({
  date,
  scored_by: "together",
  ...Object.fromEntries(FACTORS.map((f) => [`score_${f}`, String(score)])),
  ...overrides,
});

beforeEach(async () => {
  now = NOW;
  h = await harness({ clock: () => now });
  trial = await openIpsTrial(h);
  kbh = await signedIn(h, h.tokens.kbh);
  const res = await kbh.post(`/app/trials/${trial}/enroll`, ipsForm(cprFor(5)));
  path = res.location!.replace(/\?.*$/, "");
  participant = path.split("/").at(-1)!;
  now = new Date("2026-12-01T10:00:00.000Z");
});
afterEach(async () => {
  for (const body of kbh.bodies) expect(body).not.toMatch(CPR_SHAPED);
  await h.close();
});

describe("progression form", () => {
  it("offers one choice per factor with its Danish label and anchors, and no chart before any measurement", async () => {
    const page = await kbh.get(path);
    expect(page.status).toBe(200);
    expect(page.body).toContain("Progression mod arbejde eller uddannelse");
    expect(page.body).toContain('id="progression-none"');
    expect(page.body).not.toContain('id="progression-chart"');
    for (const f of ips.progression!.instrument.factors) {
      expect(page.body).toContain(`data-factor="${f.id}"`);
      expect(page.body).toContain(f.label.da);
      for (const a of f.scale.anchors) expect(page.body).toContain(a.label.da);
      expect(page.body).toContain(`name="score_${f.id}" value="5"`);
    }
    expect(page.body).toMatch(/name="scored_by" value="together" checked=""/);
    expect(page.body).toContain(`action="/app/trials/${trial}/participants/${participant}/progression"`);
  });

  it("records a conversation through the API, audited, and the page then shows the table and the chart", async () => {
    const first = await kbh.post(`${path}/progression`, form("2026-06-02", 2, { score_skills: "" }));
    expect(first.status).toBe(303);
    expect(first.location).toBe(`${path}?done=progression`);
    expect((await kbh.post(`${path}/progression`, form("2026-09-01", 4, { scored_by: "citizen" }))).status).toBe(303);
    const rows = await progressionRows();
    expect(rows.map((r) => [r.publicId, r.observedAt, r.value])).toEqual([
      [participant, "2026-06-02", { scores: Object.fromEntries(FACTORS.filter((f) => f !== "skills").map((f) => [f, 2])), scored_by: "together" }],
      [participant, "2026-09-01", { scores: Object.fromEntries(FACTORS.map((f) => [f, 4])), scored_by: "citizen" }],
    ]);
    const actions = (await h.store.readAudit(trial)).map((e) => e.action);
    expect(actions.filter((a) => a === "progression.record")).toHaveLength(2);

    const page = await kbh.get(`${path}?done=progression`);
    expect(page.body).toContain("Målingen er registreret");
    expect(page.body).toContain('id="progression-chart"');
    // One panel per factor and one for the total; the total only where every factor was scored.
    expect([...page.body.matchAll(/<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^>]*data-factor="([a-z_]+)"/g)].map((m) => m[1])).toEqual([...FACTORS, "total"]);
    expect(page.body).toContain('aria-label="Helbred over tid / Health over time"');
    const table = /<table id="progression-measurements">[\s\S]*?<\/table>/.exec(page.body)![0];
    expect([...table.matchAll(/<tr data-measurement="pm-[a-z]{16}">/g)]).toHaveLength(2);
    expect(table).toContain("Borgeren");
  });

  it("puts the API's refusals beside the fields and keeps nothing: a score off the scale, a day before enrollment", async () => {
    const res = await kbh.post(`${path}/progression`, form("2026-05-01", 3, { score_health: "7" }));
    expect(res.status).toBe(422);
    expect(res.body).toMatch(/id="f-progression-score_health-error"/);
    expect(res.body).toContain("health skal være et helt tal fra 1 til 5: 7");
    expect(res.body).toMatch(/id="f-progression-date-error"/);
    expect(res.body).toContain("før indskrivningen");
    expect(res.body).toMatch(/data-factor="health" aria-describedby="f-progression-score_health-error" aria-invalid="true"/);
    // What was entered is kept in the form.
    expect(res.body).toMatch(/name="score_motivation" value="3" checked=""/);
    const none = await kbh.post(`${path}/progression`, { date: "2026-06-02", scored_by: "together" });
    expect(none.status).toBe(422);
    expect(none.body).toMatch(/id="f-progression-scores-error"/);
    expect(await progressionRows()).toHaveLength(0);
  });

  it("needs the CSRF token", async () => {
    expect((await kbh.post(`${path}/progression`, form("2026-06-02", 3), { csrf: null })).status).toBe(403);
    expect(await progressionRows()).toHaveLength(0);
  });

  it("refuses another site: Aarhus neither sees nor records Copenhagen's participant", async () => {
    const aarhus = await signedIn(h, h.tokens.aarhus);
    expect((await aarhus.get(path)).status).toBe(404);
    const res = await aarhus.post(`${path}/progression`, form("2026-06-02", 3));
    expect(res.status).toBe(404);
    expect(res.body).not.toContain(participant);
    expect(await progressionRows()).toHaveLength(0);
  });
});

describe("correcting a measurement", () => {
  it("offers the earlier answers with a reason field, records the correction as a new row, and the page shows the corrected one", async () => {
    expect((await kbh.post(`${path}/progression`, form("2026-06-02", 2))).status).toBe(303);
    const [first] = await progressionRows();
    const page = await kbh.get(path);
    const link = `${path}/progression/${first!.timePoint}`;
    expect(page.body).toContain(`href="${link}"`);
    const correction = await kbh.get(link);
    expect(correction.status).toBe(200);
    expect(correction.body).toContain("Ret målingen fra 2026-06-02");
    expect(correction.body).toContain(`name="corrects" value="${first!.timePoint}"`);
    expect(correction.body).toMatch(/name="score_health" value="2" checked=""/);
    expect(correction.body).toContain('name="reason"');

    // Without a reason: refused beside the field, on the correction page.
    const noReason = await kbh.post(`${path}/progression`, form("2026-06-02", 3, { corrects: first!.timePoint! }));
    expect(noReason.status).toBe(422);
    expect(noReason.body).toMatch(/id="f-progression-reason-error"/);
    expect(noReason.body).toContain("en rettelse skal have en årsag");
    expect(noReason.body).toContain("Ret målingen fra 2026-06-02");
    // A CPR number in the reason: refused, and not shown back.
    const cpr = await kbh.post(`${path}/progression`, form("2026-06-02", 3, { corrects: first!.timePoint!, reason: `Se ${cprFor(77)}` }));
    expect(cpr.status).toBe(422);
    expect(cpr.body).toMatch(/id="f-progression-reason-error"/);
    expect(await progressionRows()).toHaveLength(1);

    const ok = await kbh.post(`${path}/progression`, form("2026-06-02", 3, { corrects: first!.timePoint!, reason: "Skemaet var byttet om" }));
    expect(ok.status).toBe(303);
    const rows = await progressionRows();
    expect(rows).toHaveLength(2);
    expect(rows[1]!.value).toMatchObject({ corrects: first!.timePoint, reason: "Skemaet var byttet om", scores: { health: 3 } });
    const after = await kbh.get(path);
    const table = /<table id="progression-measurements">[\s\S]*?<\/table>/.exec(after.body)![0];
    expect([...table.matchAll(/<tr data-measurement="([^"]+)">/g)].map((m) => m[1])).toEqual([rows[1]!.timePoint]);
    expect(table).toContain("rettet");
    // The corrected measurement is no longer in force: its page is gone, and it cannot be corrected twice.
    expect((await kbh.get(link)).status).toBe(404);
    const twice = await kbh.post(`${path}/progression`, form("2026-06-02", 4, { corrects: first!.timePoint!, reason: "Igen" }));
    expect(twice.status).toBe(422);
    expect(twice.body).toContain("allerede rettet");
    expect(await progressionRows()).toHaveLength(2);
  });

  it("is not found for another site", async () => {
    expect((await kbh.post(`${path}/progression`, form("2026-06-02", 2))).status).toBe(303);
    const [first] = await progressionRows();
    const aarhus = await signedIn(h, h.tokens.aarhus);
    expect((await aarhus.get(`${path}/progression/${first!.timePoint}`)).status).toBe(404);
    const res = await aarhus.post(`${path}/progression`, form("2026-06-02", 4, { corrects: first!.timePoint!, reason: "Fremmed rettelse" }));
    expect(res.status).toBe(404);
    expect(await progressionRows()).toHaveLength(1);
  });
});

describe("the progression chart", () => {
  const progression = ips.progression!;
  const measurement = (id: string, day: number, score: number | null, total: number | null) => ({
    id,
    date: "2026-06-01",
    day,
    planned_week: null,
    scored_by: "together" as const,
    scores: Object.fromEntries(FACTORS.flatMap((f, j) => (score === null && j === 0 ? [] : [[f, (score ?? 3) + (j % 2)]]))),
    total,
    corrects: null,
    reason: null,
    recorded_at: "2026-06-01T10:00:00.000Z",
  });
  const view = {
    participant_id: "p-test",
    instrument: { id: "progression-default", version: 1, illustrative: true },
    withdrawn_on: null,
    measurements: [measurement("pm-a", 0, 1, 1.5), measurement("pm-b", 91, null, null), measurement("pm-c", 182, 3, 3.5)],
  };

  it("draws each factor on its own scale, up = closer to work, over weeks from enrollment; no point where a factor was not scored", () => {
    const svg = String(ProgressionChart({ progression, view }));
    // x = 26 + (week / 26) * 204; y = 98 - (v - 1) / 4 * 74.
    expect(svg).toContain('<path d="M26,98L230,61" fill="none" stroke="#0072B2" stroke-width="2"></path>');
    expect(svg).toContain('<path d="M26,79.5L128,42.5L230,42.5" fill="none"');
    expect(svg).toContain(">uge 26</text>");
    expectGolden("caseworker-progression-chart.svg", svg);
  });

  it("is nothing without measurements", () => {
    expect(ProgressionChart({ progression, view: { ...view, measurements: [] } })).toBeNull();
  });
});
