/**
 * One small extract, worked by hand, for every derivation and every censoring rule.
 *
 * The enrollment week w0 is 2020-W50 for everyone (2020 has an ISO week 53). Week k after
 * enrollment, hand-listed:
 *   k:  -2       -1       0        1        2        3        4        5        6        7
 *       2020-W48 2020-W49 2020-W50 2020-W51 2020-W52 2020-W53 2021-W01 2021-W02 2021-W03 2021-W04
 *   k:  8        9        10       11       12       13       14       15
 *       2021-W05 2021-W06 2021-W07 2021-W08 2021-W09 2021-W10 2021-W11 2021-W12
 * The extract ends in 2021-W12 (k = 15). Code book: B1 unemployment, B2 social assistance,
 * E education, S self-supporting, X emigrated, D dead; a week without a row is self-supporting.
 *
 * A  B1 at k -2..2, E at 9, B2 at 10, S at 15; weeks 3..8 and 11..14 empty (self-supporting).
 *    Programme ended 2020-12-23 (k = 2).
 * B  B2 at 0..4 with B1 also at 2 (conflict: B1 wins) and B2 twice at 3 (duplicate); empty 5..6;
 *    X (emigrated) at 7 and 8.
 * C  first row at k = 6 (entered the extract late): B1 at 6..7, then empty. Withdrawn 2021-02-17
 *    (k = 10).
 * D  a participant with no rows.
 * E  B1 at 0..1, ZZ (unknown code) at 2, empty 3..11, D (dead) at 12. Programme ended 2020-12-21.
 * G  E at -1..1, B1 at 2, E at 3..4.
 * F  not a participant: two rows.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deriveOutcomes, DeriveError, readRegisterOutcome, type OutcomeSpec, type RegisterParticipant } from "../../../api/register/derive.ts";
import { importRegister, type RegisterImportReport } from "../../../api/register/import.ts";
import { memoryDb, ps, tempDir, testCodebook, type Db } from "./fixtures.ts";

const WEEK: Record<number, string> = {
  [-2]: "2020-W48", [-1]: "2020-W49", 0: "2020-W50", 1: "2020-W51", 2: "2020-W52", 3: "2020-W53", 4: "2021-W01",
  5: "2021-W02", 6: "2021-W03", 7: "2021-W04", 8: "2021-W05", 9: "2021-W06", 10: "2021-W07", 11: "2021-W08",
  12: "2021-W09", 13: "2021-W10", 14: "2021-W11", 15: "2021-W12",
};
const A = ps("a"), B = ps("b"), Cc = ps("c"), D = ps("d"), E = ps("e"), G = ps("9"), F = ps("f");

function rows(person: string, code: string, ks: number[]): string[] {
  return ks.map((k) => `${person},${WEEK[k]},${code}`);
}
const CSV = [
  "pseudonym,week,code",
  ...rows(A, "B1", [-2, -1, 0, 1, 2]), ...rows(A, "E", [9]), ...rows(A, "B2", [10]), ...rows(A, "S", [15]),
  ...rows(B, "B2", [0, 1, 2, 3, 3, 4]), ...rows(B, "B1", [2]), ...rows(B, "X", [7, 8]),
  ...rows(Cc, "B1", [6, 7]),
  ...rows(E, "B1", [0, 1]), ...rows(E, "ZZ", [2]), ...rows(E, "D", [12]),
  ...rows(G, "E", [-1, 0, 1]), ...rows(G, "B1", [2]), ...rows(G, "E", [3, 4]),
  ...rows(F, "B1", [0, 1]),
].join("\n");

const PARTICIPANTS: RegisterParticipant[] = [
  { pseudonym: A, enrolledOn: "2020-12-09", programmeEndOn: "2020-12-23" },
  { pseudonym: B, enrolledOn: "2020-12-07" },
  { pseudonym: Cc, enrolledOn: "2020-12-13", withdrawnOn: "2021-02-17" },
  { pseudonym: D, enrolledOn: "2020-12-08" },
  { pseudonym: E, enrolledOn: "2020-12-10", programmeEndOn: "2020-12-21" },
  { pseudonym: G, enrolledOn: "2020-12-07" },
];

let db: Db;
let files: ReturnType<typeof tempDir>;
let report: RegisterImportReport;

async function derive(spec: Omit<OutcomeSpec, "name">) {
  await deriveOutcomes(db.connection, { trial: "t", participants: PARTICIPANTS, outcomes: [{ name: "o", ...spec }] });
  const out = await readRegisterOutcome(db.connection, "t", "o");
  return Object.fromEntries(out.map((r) => [r.pseudonym, r]));
}

beforeAll(async () => {
  db = await memoryDb();
  files = tempDir();
  const file = files.write("long.csv", CSV);
  report = await importRegister(db.connection, {
    trial: "t", file, codebook: testCodebook(), participants: PARTICIPANTS.map((p) => p.pseudonym), personKey: { kind: "pseudonym" },
    now: () => new Date("2026-01-02T03:04:05Z"),
  });
});
afterAll(() => {
  db.close();
  files.remove();
});

describe("register import report for the worked extract", () => {
  it("counts people, conflicts, duplicates and unknown codes", () => {
    expect(report.firstWeek).toBe("2020-W48");
    expect(report.lastWeek).toBe("2021-W12");
    expect(report.records).toBe(31); // A 8, B 9, C 2, E 4, G 6, F 2
    expect(report.persons).toEqual({ inExtract: 6, inTrial: 5, notInTrial: 1 });
    expect(report.recordsNotInTrial).toBe(2);
    expect(report.participants).toEqual({ total: 6, inExtract: 5, notInExtract: 1 });
    expect(report.conflicts).toEqual({ personWeeks: 1, records: 2 });
    expect(report.duplicates).toEqual({ personWeeks: 1, records: 2 });
    expect(report.unknownCodes).toEqual([{ code: "ZZ", records: 1 }]);
    // Spans: A -2..15 (18), B 0..15 (16), C 6..15 (10), E 0..15 (16), G -1..15 (17).
    expect(report.personWeeks).toBe(18 + 16 + 10 + 16 + 17);
    // Distinct person-weeks with a row: A 8, B 7, C 2, E 4, G 6.
    expect(report.gapWeeks).toBe(77 - 27);
  });
});

describe("self_supporting_at_week", () => {
  it("reads week 53 and gives reasons for unobserved weeks", async () => {
    const at3 = await derive({ derivation: "self_supporting_at_week", params: { week: 3 } });
    expect(at3[A]).toMatchObject({ value: 1, reason: null }); // 2020-W53, empty → self-supporting
    expect(at3[B]).toMatchObject({ value: 0, reason: null });
    expect(at3[Cc]).toMatchObject({ value: null, reason: "before_extract" });
    expect(at3[D]).toMatchObject({ value: null, reason: "not_in_extract" });
    expect(at3[E]).toMatchObject({ value: 1 });
    expect(at3[G]).toMatchObject({ value: 0 }); // education is not self-support
    const at10 = await derive({ derivation: "self_supporting_at_week", params: { week: 10 } });
    expect(at10[A]).toMatchObject({ value: 0 });
    expect(at10[B]).toMatchObject({ value: null, reason: "emigrated" });
    expect(at10[Cc]).toMatchObject({ value: null, reason: "withdrawn" });
    const at2 = await derive({ derivation: "self_supporting_at_week", params: { week: 2 } });
    expect(at2[E]).toMatchObject({ value: null, reason: "unknown_code" });
    const at16 = await derive({ derivation: "self_supporting_at_week", params: { week: 16 } });
    expect(at16[A]).toMatchObject({ value: null, reason: "after_extract" });
    expect(at16[E]).toMatchObject({ value: null, reason: "dead" });
  });
});

describe("weeks_self_supporting and weeks_on_benefit", () => {
  it("counts weeks in a window and needs the whole window observed", async () => {
    const ss = await derive({ derivation: "weeks_self_supporting", params: { from: 0, to: 12 } });
    expect(ss[A].value).toBe(8); // 3..8 and 11..12
    expect(ss[B]).toMatchObject({ value: null, reason: "emigrated" });
    expect(ss[Cc]).toMatchObject({ value: null, reason: "before_extract" });
    expect(ss[E]).toMatchObject({ value: null, reason: "dead" });
    const early = await derive({ derivation: "weeks_self_supporting", params: { from: 0, to: 6 } });
    expect(early[B].value).toBe(2); // 5..6
    expect(early[E]).toMatchObject({ value: null, reason: "unknown_code" });
    const late = await derive({ derivation: "weeks_self_supporting", params: { from: 6, to: 9 } });
    expect(late[Cc].value).toBe(2); // 8..9
    const mid = await derive({ derivation: "weeks_self_supporting", params: { from: 3, to: 11 } });
    expect(mid[E].value).toBe(9);
  });

  it("counts benefit weeks, by type after conflicts are resolved by priority", async () => {
    const all = await derive({ derivation: "weeks_on_benefit", params: { from: 0, to: 12 } });
    expect(all[A].value).toBe(4); // 0, 1, 2, 10
    const sa = await derive({ derivation: "weeks_on_benefit", params: { from: 0, to: 12, benefit_types: ["social_assistance"] } });
    expect(sa[A].value).toBe(1); // 10
    const b = await derive({ derivation: "weeks_on_benefit", params: { from: 0, to: 4, benefit_types: ["social_assistance"] } });
    expect(b[B].value).toBe(4); // 0, 1, 3, 4: in week 2 B1 outranks B2
    const g = await derive({ derivation: "weeks_on_benefit", params: { from: 0, to: 4 } });
    expect(g[G].value).toBe(1);
  });
});

describe("time_to_self_support", () => {
  it("finds the first spell of m weeks and censors where the data end", async () => {
    const m4 = await derive({ derivation: "time_to_self_support", params: { min_weeks: 4 } });
    expect(m4[A]).toMatchObject({ value: 3, event: 1, reason: null });
    // B: run 5..6, emigrated in week 7: censored at 7 - 4 = 3.
    expect(m4[B]).toMatchObject({ value: 3, event: 0, reason: "emigrated" });
    expect(m4[Cc]).toMatchObject({ value: null, event: null, reason: "before_extract" });
    expect(m4[D]).toMatchObject({ value: null, event: null, reason: "not_in_extract" });
    // E: unknown code in week 2 ends observation; 2 - 4 < 0, followed too briefly.
    expect(m4[E]).toMatchObject({ value: null, event: null, reason: "unknown_code" });
    // G: never self-supporting before 2021-W01; run 5..15 (11 weeks) starts at 5.
    expect(m4[G]).toMatchObject({ value: 5, event: 1 });
  });

  it("censors at the end of data, at a horizon and at withdrawal", async () => {
    const m7 = await derive({ derivation: "time_to_self_support", params: { min_weeks: 7 } });
    // A: runs 3..8 (6) and 11..15 (5); data end after 15: censored at 16 - 7 = 9.
    expect(m7[A]).toMatchObject({ value: 9, event: 0, reason: "end_of_data" });
    const hz = await derive({ derivation: "time_to_self_support", params: { min_weeks: 7, horizon: 5 } });
    expect(hz[A]).toMatchObject({ value: 5, event: 0, reason: "horizon" });
    const hz4 = await derive({ derivation: "time_to_self_support", params: { min_weeks: 4, horizon: 5 } });
    expect(hz4[A]).toMatchObject({ value: 3, event: 1 });
    const from6 = await derive({ derivation: "time_to_self_support", params: { min_weeks: 2, from: 6 } });
    expect(from6[Cc]).toMatchObject({ value: 8, event: 1 }); // 8..9, before withdrawal in 10
    const from6m3 = await derive({ derivation: "time_to_self_support", params: { min_weeks: 3, from: 6 } });
    // C: withdrawn in week 10, so 10 - 3 = 7; 7 >= 6.
    expect(from6m3[Cc]).toMatchObject({ value: 7, event: 0, reason: "withdrawn" });
    const from3 = await derive({ derivation: "time_to_self_support", params: { min_weeks: 4, from: 3 } });
    expect(from3[E]).toMatchObject({ value: 3, event: 1 });
    const m2 = await derive({ derivation: "time_to_self_support", params: { min_weeks: 2 } });
    expect(m2[B]).toMatchObject({ value: 5, event: 1 });
  });
});

describe("retention", () => {
  it("reads week e + 13 after the programme end", async () => {
    const r = await derive({ derivation: "retention", params: { weeks_after: 13 } });
    expect(r[A]).toMatchObject({ value: 1, reason: null }); // e = 2, week 15: S
    expect(r[B]).toMatchObject({ value: null, reason: "no_programme_end" });
    expect(r[E]).toMatchObject({ value: null, reason: "dead" }); // e = 2, week 15 after death in 12
    const r8 = await derive({ derivation: "retention", params: { weeks_after: 8 } });
    expect(r8[A]).toMatchObject({ value: 0 }); // week 10: B2
  });

  it("reads week w0 + p + weeks_after for everyone when the planned programme length p is given", async () => {
    const r = await derive({ derivation: "retention", params: { weeks_after: 4, programme_weeks: 2 } });
    expect(r[A]).toMatchObject({ value: 1, reason: null }); // week 6: empty, self-supporting
    expect(r[B]).toMatchObject({ value: 1, reason: null }); // week 6: empty (X only from 7); no recorded end needed
    expect(r[E]).toMatchObject({ value: 1, reason: null }); // week 6: empty
    const r8 = await derive({ derivation: "retention", params: { weeks_after: 8, programme_weeks: 2 } });
    expect(r8[A]).toMatchObject({ value: 0 }); // week 10: B2
    expect(r8[B]).toMatchObject({ value: null, reason: "emigrated" });
  });
});

describe("education_started", () => {
  it("needs a week of education after a week without", async () => {
    const e = await derive({ derivation: "education_started", params: { from: 0, to: 12 } });
    expect(e[A]).toMatchObject({ value: 1, reason: null });
    expect(e[B]).toMatchObject({ value: null, reason: "emigrated" });
    expect(e[G]).toMatchObject({ value: 1 }); // starts again in week 3
    const early = await derive({ derivation: "education_started", params: { from: 0, to: 1 } });
    expect(early[G]).toMatchObject({ value: 0, reason: null }); // in education since week -1
    expect(early[A]).toMatchObject({ value: 0 });
    const c = await derive({ derivation: "education_started", params: { from: 6, to: 9 } });
    expect(c[Cc]).toMatchObject({ value: 0, reason: null });
  });
});

describe("provenance and repeats", () => {
  it("stores provenance, and a repeated import and derivation change nothing", async () => {
    const spec: OutcomeSpec[] = [
      { name: "ss52", derivation: "self_supporting_at_week", params: { week: 3 } },
      { name: "tts", derivation: "time_to_self_support", params: { min_weeks: 4 } },
    ];
    const first = await deriveOutcomes(db.connection, { trial: "t", participants: PARTICIPANTS, outcomes: spec });
    expect(first.outcomes[1]).toMatchObject({ participants: 6, withValue: 3, events: 2 });
    expect(first.outcomes[1].reasons).toEqual({ emigrated: 1, before_extract: 1, not_in_extract: 1, unknown_code: 1 });
    const snapshot = async () =>
      (await db.connection.runAndReadAll("SELECT * FROM register_outcomes WHERE outcome IN ('ss52', 'tts') ORDER BY ALL")).getRows();
    const before = await snapshot();
    const weeksBefore = (await db.connection.runAndReadAll("SELECT count(*)::INTEGER FROM register_weeks")).getRows()[0][0];
    const again = await importRegister(db.connection, {
      trial: "t", file: `${files.dir}/long.csv`, codebook: testCodebook(), participants: PARTICIPANTS.map((p) => p.pseudonym), personKey: { kind: "pseudonym" },
    });
    expect(again.alreadyImported).toBe(true);
    expect(again.importNo).toBe(report.importNo);
    expect((await db.connection.runAndReadAll("SELECT count(*)::INTEGER FROM register_weeks")).getRows()[0][0]).toBe(weeksBefore);
    await deriveOutcomes(db.connection, { trial: "t", participants: PARTICIPANTS, outcomes: spec });
    expect(await snapshot()).toEqual(before);
    const row = (
      await db.connection.runAndReadAll("SELECT derivation, derivation_version, params_json, extract_sha256, codebook_sha256, imported_at FROM register_outcomes WHERE outcome = 'tts' LIMIT 1")
    ).getRows()[0];
    expect(row).toEqual(["time_to_self_support", 1, '{"from":0,"min_weeks":4}', report.extractSha256, testCodebook().sha256, "2026-01-02T03:04:05.000Z"]);
  });

  it("refuses unknown derivations and bad parameters, naming the outcome", async () => {
    await expect(deriveOutcomes(db.connection, { trial: "t", participants: PARTICIPANTS, outcomes: [{ name: "x", derivation: "nope" as never }] })).rejects.toThrow(/outcome "x": unknown derivation/);
    await expect(
      deriveOutcomes(db.connection, { trial: "t", participants: PARTICIPANTS, outcomes: [{ name: "w", derivation: "weeks_on_benefit", params: { from: 5, to: 1 } }] }),
    ).rejects.toThrow(DeriveError);
    await expect(deriveOutcomes(db.connection, { trial: "none", participants: PARTICIPANTS, outcomes: [] })).rejects.toThrow(/no register import/);
    const badDate = [{ pseudonym: A, enrolledOn: "2020-12-09", programmeEndOn: "23/12/2020" }];
    await expect(deriveOutcomes(db.connection, { trial: "t", participants: badDate, outcomes: [] })).rejects.toThrow(/programmeEndOn is not a date/);
    await expect(deriveOutcomes(db.connection, { trial: "t", participants: [PARTICIPANTS[0], PARTICIPANTS[0]], outcomes: [] })).rejects.toThrow(/listed twice/);
  });
});
