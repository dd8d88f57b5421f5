/**
 * Bulk enrollment through `app.request`: CSV and NDJSON, a result per row in file order, not
 * atomic (good rows enrolled, bad rows named), resending is safe, the whole file refused for
 * another site's rows, a wrong Content-Type, bad columns, or a body over the bulk limit.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_SITES } from "../../api/store/store.ts";
import { parseCsv } from "../../api/enrollment/bulk-input.ts";
import { CPR_SHAPED, cprFor, harness, ipsEnrollment, type Harness } from "./harness.ts";

const TRIAL = "ips-severe-mental-illness";
const URL = `/v1/trials/${TRIAL}/enrollments/bulk`;
const HEADER = "cpr,site,consent,target_group,diagnosis,wants_ordinary_work,hours_ordinary_work,female,age_band,education,worked_last_5y,weeks_on_benefit_prior_52";
const line = (cpr: string, site = "101", extra: Partial<Record<"consent" | "diagnosis" | "hours", string>> = {}) =>
  `${cpr},${site},${extra.consent ?? "true"},kontanthjaelp_aktivitetsparat,${extra.diagnosis ?? "bipolar"},true,${extra.hours ?? "0"},false,30-44,basic,ja,40`;

let h: Harness;
const csv = (body: string, token = h.tokens.kbh) => h.request(URL, { method: "POST", token, headers: { "content-type": "text/csv" }, body });

beforeAll(async () => {
  h = await harness({ maxBulkBodyBytes: 64 * 1024 });
  expect((await h.request("/v1/trials", { method: "POST", token: h.tokens.agency, json: { protocol_id: TRIAL } })).status).toBe(201);
  expect((await h.request(`/v1/trials/${TRIAL}/open`, { method: "POST", token: h.tokens.agency })).status).toBe(200);
});
afterAll(async () => {
  for (const body of h.bodies) expect(body).not.toMatch(CPR_SHAPED);
  await h.close();
});

describe("CSV parsing", () => {
  it("reads quotes, doubled quotes, CRLF and empty cells", () => {
    expect(parseCsv('a,b,c\r\n"x, y","say ""hi""",\n1,,3')).toEqual([["a", "b", "c"], ["x, y", 'say "hi"', ""], ["1", "", "3"]]);
  });
});

describe("POST /v1/trials/{trial}/enrollments/bulk", () => {
  it("allocates CSV rows in file order, a result per row; a bad row does not stop the others (not atomic)", async () => {
    const body = [HEADER, line(cprFor(100)), line(cprFor(101), "101", { diagnosis: "other" }), line("310299-0000"), line(cprFor(102), "101", { hours: "ti" }), line(cprFor(103), "101", { consent: "måske" }), line(cprFor(104))].join("\n");
    const res = await csv(body);
    expect(res.status).toBe(200);
    const out = await res.json();
    expect(out).toMatchObject({ atomic: false, rows: 6, enrolled: 2, repeats: 0, failed: 4 });
    expect(out.results.map((r: { row: number; status: number }) => [r.row, r.status])).toEqual([[1, 201], [2, 422], [3, 400], [4, 400], [5, 400], [6, 201]]);
    // File order is allocation order: row 1 before row 6.
    expect(out.results[5].sequence).toBe(out.results[0].sequence + 1);
    // Errors in Danish and English, naming the problem.
    expect(out.results[1].error.issues[0].path).toBe("smi_diagnosis");
    expect(out.results[1].error.message).toContain(" / ");
    expect(out.results[3].error.issues[0].path).toBe("covariates.hours_ordinary_work");
    expect(out.results[4].error.issues[0].path).toBe("consent");
    const stored = await h.store.listEnrollments(TRIAL, ALL_SITES);
    expect(stored.map((e) => e.publicId)).toEqual([out.results[0].participant_id, out.results[5].participant_id]);
    // Booleans read by type: worked_last_5y "ja" is true, female "false" is false.
    expect(stored[0].baseline).toMatchObject({ worked_last_5y: true, female: false, hours_ordinary_work: 0, weeks_on_benefit_prior_52: 40 });
  });

  it("is safe to send again: enrolled rows come back as repeats with their first arm", async () => {
    const first = await (await csv([HEADER, line(cprFor(110)), line(cprFor(111))].join("\n"))).json();
    const again = await (await csv([HEADER, line(cprFor(111)), line(cprFor(112)), line(cprFor(110))].join("\r\n") + "\r\n")).json();
    expect(again).toMatchObject({ rows: 3, enrolled: 1, repeats: 2, failed: 0 });
    expect(again.results[0]).toMatchObject({ status: 200, repeat: true, participant_id: first.results[1].participant_id, arm: first.results[1].arm });
    expect(again.results[2]).toMatchObject({ status: 200, repeat: true, participant_id: first.results[0].participant_id, arm: first.results[0].arm });
    expect(again.results[1]).toMatchObject({ status: 201, repeat: false });
  });

  it("takes NDJSON, one enrollment request per line", async () => {
    const rows = [ipsEnrollment(cprFor(120), "101"), { ...ipsEnrollment(cprFor(121), "101"), extra: 1 }, ipsEnrollment(cprFor(122), "101")];
    const body = rows.map((r) => JSON.stringify(r)).join("\n") + "\n\n{not json\n";
    const res = await h.request(URL, { method: "POST", token: h.tokens.kbh, headers: { "content-type": "application/x-ndjson" }, body });
    expect(res.status).toBe(200);
    const out = await res.json();
    expect(out.results.map((r: { status: number }) => r.status)).toEqual([201, 400, 201, 400]);
    expect(out.results[1].error.issues[0].code).toBe("unrecognized_keys");
    expect(out.results[3].error.issues[0].code).toBe("invalid_json");
  });

  it("audits every allocated row", async () => {
    const entries = await h.store.readAudit(TRIAL);
    const created = entries.filter((e) => e.action === "enrollment.create");
    expect(created).toHaveLength((await h.store.listEnrollments(TRIAL, ALL_SITES)).length);
    expect(entries.some((e) => e.action === "enrollment.repeat")).toBe(true);
  });

  it("refuses the whole file if a row is for another site (403), enrolling nobody", async () => {
    const before = (await h.store.listEnrollments(TRIAL, ALL_SITES)).length;
    const res = await csv([HEADER, line(cprFor(130)), line(cprFor(131), "751")].join("\n"));
    expect(res.status).toBe(403);
    expect((await res.json()).error.issues[0].path).toBe("row.2.site");
    expect((await h.store.listEnrollments(TRIAL, ALL_SITES)).length).toBe(before);
  });

  it("refuses roles other than a municipality, unknown columns, empty files, other content types", async () => {
    expect((await csv([HEADER, line(cprFor(140))].join("\n"), h.tokens.agency)).status).toBe(403);
    expect((await csv([HEADER, line(cprFor(140))].join("\n"), h.tokens.researcher)).status).toBe(403);
    expect((await h.request(URL, { method: "POST", headers: { "content-type": "text/csv" }, body: HEADER })).status).toBe(401);
    const unknown = await csv(`${HEADER},shoe_size\n${line(cprFor(141))},44`);
    expect(unknown.status).toBe(400);
    expect((await unknown.json()).error.issues).toEqual([expect.objectContaining({ path: "header.shoe_size", code: "unknown_column" })]);
    const missing = await csv("cpr,site\nx,101");
    expect(missing.status).toBe(400);
    expect((await csv("")).status).toBe(400);
    expect((await h.request(URL, { method: "POST", token: h.tokens.kbh, json: [ipsEnrollment(cprFor(142), "101")] })).status).toBe(415);
    expect((await h.request("/v1/trials/no-such-trial/enrollments/bulk", { method: "POST", token: h.tokens.kbh, headers: { "content-type": "text/csv" }, body: HEADER })).status).toBe(404);
  });

  it("takes bodies over the 1 MiB default up to the bulk limit, and refuses larger ones with 413", async () => {
    // This harness sets the bulk limit to 64 KiB; the default single-request limit does not apply.
    const rows = Array.from({ length: 500 }, (_, k) => line(cprFor(1000 + k)));
    const small = [HEADER, ...rows.slice(0, 400)].join("\n");
    expect(small.length).toBeLessThan(64 * 1024);
    expect((await csv(small)).status).toBe(200);
    const big = [HEADER, ...Array.from({ length: 1200 }, (_, k) => line(cprFor(2000 + k)))].join("\n");
    expect(big.length).toBeGreaterThan(64 * 1024);
    const before = await h.store.countEnrollments(TRIAL, ALL_SITES);
    const res = await csv(big);
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe("payload_too_large");
    // Also without a Content-Length (chunked), and nobody of the oversized files was enrolled.
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    const chunked = await h.request(URL, { method: "POST", token: h.tokens.kbh, headers: { "content-type": "text/csv" }, body: stream, duplex: "half" } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(await h.store.countEnrollments(TRIAL, ALL_SITES)).toBe(before);
  });
});

describe("bulk uploads never echo a CPR number", () => {
  it("a CSV without its header row is refused without showing the first line's CPR", async () => {
    const res = await csv([line(cprFor(150)), line(cprFor(151))].join("\n"));
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).not.toMatch(CPR_SHAPED);
    expect(text).not.toContain(cprFor(150).slice(0, 6));
    expect(JSON.parse(text).error.issues.map((i: { code: string }) => i.code)).toContain("missing_column");
  });

  it("an NDJSON row with a CPR-shaped key is refused without showing it", async () => {
    const body = JSON.stringify({ ...ipsEnrollment(cprFor(152), "101"), [cprFor(153).replace("-", "")]: 1 });
    const res = await h.request(URL, { method: "POST", token: h.tokens.kbh, headers: { "content-type": "application/x-ndjson" }, body });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toMatch(CPR_SHAPED);
    expect(JSON.parse(text).results[0].status).toBe(400);
  });
});
