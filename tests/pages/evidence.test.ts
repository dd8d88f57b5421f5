import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evidenceEntries } from "../../api/pages/evidence.tsx";
import { evidenceFinding } from "../../api/pages/finding.ts";
import { protocolsFromFolder } from "../../api/protocol-source-node.ts";
import { CPR_SHAPED } from "../api/harness.ts";
import { enrollIpsTrial, evidenceApp, type EvidenceApp } from "../evidence/evidence-app.ts";

const ips = protocolsFromFolder().get("ips-severe-mental-illness")!.protocol;

describe("the one-line finding", () => {
  const row = (arm: string, estimate: number, lo: number, hi: number, extra: Record<string, unknown> = {}) => ({
    outcome: "work_or_education_78w", contrast: `${arm} vs usual`, arm, control: "usual", subgroup: null, scale: "difference in means", estimate, ci_lower: lo, ci_upper: hi, ...extra,
  });

  it("gives the primary outcome's effect per arm in percentage points, then who it works for", () => {
    const evidence = {
      results: [
        row("ips", 0.134, 0.05, 0.218),
        row("ips", 0.2, 0.1, 0.3, { scale: "covariate-adjusted difference in means (Lin 2013)" }), // a second estimator of the same contrast: not shown
        row("ips_e", -0.02, -0.1, 0.06),
        row("ips", 0.5, 0.4, 0.6, { subgroup: { variable: "female", level: "true" } }),
        { ...row("ips", 9, 8, 10), outcome: "self_supporting_78w" },
      ],
      for_whom: [
        { outcome: "work_or_education_78w", differs: false, text: { da: "Samme for kvinder og mænd.", en: "The same for women and men." } },
        { outcome: "work_or_education_78w", differs: true, text: { da: "Virker mest for dem med bipolar lidelse.", en: "Works most for those with bipolar disorder." } },
      ],
    };
    expect(evidenceFinding(evidence, ips)).toEqual({
      da: "Ordinært arbejde eller uddannelse efter 18 måneder: IPS mod Sædvanlig indsats: +13,4 procentpoint (95 %-KI +5,0 til +21,8); IPS-E (IPS med kognitiv træning) mod Sædvanlig indsats: −2,0 procentpoint (95 %-KI −10,0 til +6,0). Virker mest for dem med bipolar lidelse.",
      en: "Competitive employment or education at 18 months: IPS vs Services as usual: +13.4 percentage points (95% CI +5.0 to +21.8); IPS-E (IPS enhanced) vs Services as usual: −2.0 percentage points (95% CI −10.0 to +6.0). Works most for those with bipolar disorder.",
    });
  });

  it("says no subgroup difference was shown when every verdict says so, and nothing when there is no estimate", () => {
    const finding = evidenceFinding({ results: [row("ips", 0.1, 0, 0.2)], for_whom: [{ outcome: "work_or_education_78w", differs: false, text: { da: "x", en: "x" } }] }, ips);
    expect(finding!.da).toMatch(/Ingen påvist forskel mellem undergrupperne\.$/);
    expect(evidenceFinding({ results: [] }, ips)).toBeNull();
    expect(evidenceFinding(null, ips)).toBeNull();
  });

  it("keeps only well-formed published entries of the index", () => {
    const id = `ev-${"a".repeat(32)}`;
    expect(
      evidenceEntries({
        packages: [
          { id, trial: "ips", status: "published", published_at: "2027-01-01T00:00:00Z" },
          { id: `ev-${"b".repeat(32)}`, trial: "ips", status: "draft", published_at: null },
          { id: "../etc", trial: "ips", status: "published" },
          null,
        ],
      }),
    ).toEqual([{ id, trial: "ips", publishedAt: "2027-01-01T00:00:00Z" }]);
    expect(evidenceEntries(null)).toEqual([]);
  });
});

describe("the evidence index page", () => {
  let e: EvidenceApp;
  beforeAll(async () => {
    e = await evidenceApp();
    // 24 per site: with 30 the package id holds ten decimal digits in a row, which the store refuses
    // in an audit target as CPR-shaped (the evidence route audits package ids).
    await enrollIpsTrial(e, 24);
  });
  afterAll(async () => {
    await e.close();
  });
  const page = async () => {
    const res = await e.app.app.request("/app/evidence");
    return { status: res.status, body: await res.text() };
  };

  it("says none are published while the only package is a draft", async () => {
    const res = await e.request("/v1/trials/ips-severe-mental-illness/analyses", { method: "POST", token: e.tokens.researcher, json: { draws: 100 } });
    expect(res.status).toBe(201);
    const first = await page();
    expect(first.status).toBe(200);
    expect(first.body).toContain('id="no-evidence"');
  });

  it("lists a published package with its finding and a link to its report, for everyone", async () => {
    const list = (await (await e.request("/v1/evidence", { token: e.tokens.researcher })).json()) as { packages: { id: string }[] };
    const id = list.packages[0].id;
    expect((await e.request(`/v1/evidence/${id}/publish`, { method: "POST", token: e.tokens.agency })).status).toBe(200);
    const { status, body } = await page();
    expect(status).toBe(200);
    expect(body).toContain(`data-package="${id}"`);
    expect(body).toContain(`href="/v1/evidence/${id}/report.html"`);
    expect(body).toMatch(/<div class="finding">Ordinært arbejde eller uddannelse efter 18 måneder: IPS mod Sædvanlig indsats: [+−]\d+,\d procentpoint/);
    expect(body).not.toMatch(CPR_SHAPED);
    expect((await e.app.app.request(`/v1/evidence/${id}/report.html`)).status).toBe(200);
  });
});
