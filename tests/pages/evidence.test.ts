import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evidenceEntries } from "../../api/pages/evidence.tsx";
import { evidenceFinding } from "../../api/pages/finding.ts";
import { protocolsFromFolder } from "../../api/protocol-source-node.ts";
import { MemoryEvidenceRepository } from "../../api/evidence/repository.ts";
import { evidenceApp, type EvidenceApp } from "../evidence/evidence-app.ts";

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
  // A package put straight into the repository: its id and numbers are fixed here, so the page's
  // answer can be checked word for word (building real packages is tested with the evidence routes).
  const id = `ev-${"ab".repeat(16)}`;
  const evidence = {
    results: [
      { outcome: "work_or_education_78w", contrast: "ips vs usual", arm: "ips", control: "usual", subgroup: null, scale: "difference in means", estimate: 0.134, ci_lower: 0.05, ci_upper: 0.218 },
    ],
    for_whom: [],
  };
  let e: EvidenceApp;
  let repository: MemoryEvidenceRepository;
  beforeAll(async () => {
    repository = new MemoryEvidenceRepository();
    e = await evidenceApp(repository);
    expect((await e.request("/v1/trials", { method: "POST", token: e.tokens.agency, json: { protocol_id: "ips-severe-mental-illness" } })).status).toBe(201);
    const bytes = new TextEncoder().encode(JSON.stringify(evidence));
    await repository.put(
      { id, trial: "ips-severe-mental-illness", status: "draft", created_at: "2027-12-01T00:00:00.000Z", published_at: null, predecessor: null, files: [{ path: "evidence.json", sha256: "0".repeat(64), bytes: bytes.length }] },
      new Map([["evidence.json", bytes]]),
    );
  });
  afterAll(async () => {
    await e.close();
  });
  const page = async () => {
    const res = await e.app.app.request("/app/evidence");
    return { status: res.status, body: await res.text() };
  };

  it("says none are published while the only package is a draft", async () => {
    const first = await page();
    expect(first.status).toBe(200);
    expect(first.body).toContain('id="no-evidence"');
    expect(first.body).not.toContain(id);
  });

  it("lists a published package with its finding and a link to its report, for everyone", async () => {
    await repository.publish(id, "2027-12-02T00:00:00.000Z");
    const { status, body } = await page();
    expect(status).toBe(200);
    expect(body).toContain(`data-package="${id}"`);
    expect(body).toContain(`href="/v1/evidence/${id}/report.html"`);
    expect(body).toContain("IPS-beskæftigelsesindsats for mennesker med svær psykisk sygdom");
    expect(body).toContain(" · 2027-12-02");
    expect(body).toContain(
      '<div class="finding">Ordinært arbejde eller uddannelse efter 18 måneder: IPS mod Sædvanlig indsats: +13,4 procentpoint (95 %-KI +5,0 til +21,8).<span lang="en" class="en">Competitive employment or education at 18 months: IPS vs Services as usual: +13.4 percentage points (95% CI +5.0 to +21.8).</span></div>',
    );
  });
});
