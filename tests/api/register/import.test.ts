import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { pseudonymKey, pseudonymize } from "../../../api/pseudonym.ts";
import { deriveOutcomes, readRegisterOutcome } from "../../../api/register/derive.ts";
import { importRegister, RegisterImportError, type ImportProgress, type RegisterImportOptions } from "../../../api/register/import.ts";
import { memoryDb, ps, tempDir, testCodebook, type Db } from "./fixtures.ts";

const KEY = pseudonymKey("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
// Synthetic CPR numbers (valid dates, not real people).
const CPR1 = "0102034005";
const CPR2 = "1508901234";
const P1 = pseudonymize(KEY, CPR1);
const P2 = pseudonymize(KEY, CPR2);

let db: Db;
let files: ReturnType<typeof tempDir>;
beforeAll(() => {
  files = tempDir();
});
afterAll(() => files.remove());
beforeEach(async () => {
  db = await memoryDb();
});
afterEach(() => db.close());

function options(file: string, extra: Partial<RegisterImportOptions> = {}): RegisterImportOptions {
  return { trial: "t", file, codebook: testCodebook(), participants: [P1, P2], personKey: { kind: "cpr", key: KEY.bytes }, ...extra };
}

async function failure(promise: Promise<unknown>): Promise<RegisterImportError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(RegisterImportError);
    return err as RegisterImportError;
  }
  throw new Error("expected the import to fail");
}

async function weeks(): Promise<[string, string, number, string | null][]> {
  const r = await db.connection.runAndReadAll(
    `SELECT p.pseudonym, w.week, w.category, k.code FROM register_weeks w JOIN register_persons p USING (import_no, person)
     LEFT JOIN register_codes k USING (import_no, code_id) ORDER BY p.pseudonym, w.week`,
  );
  return r.getRows().map((x) => [String(x[0]), String(x[1]), Number(x[2]), x[3] === null ? null : String(x[3])]);
}

describe("CPR numbers become the trial's pseudonyms in DuckDB", () => {
  it("matches api/pseudonym.ts for both CPR spellings and stores no CPR", async () => {
    const file = files.write("cpr.csv", `cpr,week,code\n010203-4005,2024-W07,B1\n${CPR1},2024-W08,B2\n150890-1234,2024-W07,S\n`);
    const report = await importRegister(db.connection, options(file));
    expect(report.persons).toEqual({ inExtract: 2, inTrial: 2, notInTrial: 0 });
    const persons = (await db.connection.runAndReadAll("SELECT pseudonym FROM register_persons ORDER BY pseudonym")).getRows().map((r) => r[0]);
    expect(persons).toEqual([P1, P2].sort());
    // Nothing in any table holds the CPR digits.
    const dump = JSON.stringify((await db.connection.runAndReadAll("SELECT * FROM register_weeks")).getRows(), (_, v) => (typeof v === "bigint" ? String(v) : v))
      + JSON.stringify((await db.connection.runAndReadAll("SELECT * FROM register_imports")).getRows());
    expect(dump).not.toContain("0102034005");
    expect(dump).not.toContain("1508901234");
    const temps = (await db.connection.runAndReadAll("SELECT count(*)::INTEGER FROM duckdb_tables() WHERE temporary")).getRows()[0][0];
    expect(temps).toBe(0);
  });

  it("names the row of a malformed CPR without repeating it", async () => {
    const file = files.write("badcpr.csv", `cpr,week,code\n${CPR1},2024-W07,B1\n01020-34005x,2024-W07,B1\n`);
    const err = await failure(importRegister(db.connection, options(file)));
    expect(err.issues).toEqual([{ row: 2, column: "cpr", message: expect.stringMatching(/not a CPR number/) }]);
    expect(err.message).not.toContain("01020-34005x");
  });
});

describe("files that are not what they claim", () => {
  it("names the line of a ragged CSV row and masks the CPR DuckDB quotes", async () => {
    const file = files.write("ragged.csv", `cpr,week,code\n${CPR1},2024-W07,B1\n${CPR2},2024-W07\n`);
    const err = await failure(importRegister(db.connection, options(file)));
    expect(err.issues).toEqual([{ row: 2, column: "(row)", message: "expected 3 fields, found 2" }]);
    expect(err.message).not.toContain(CPR2);
    expect(err.message).toContain("[CPR]");
  });

  it("reads a semicolon-separated file and a Parquet file whose CPR column lost its leading zero", async () => {
    const semi = files.write("semi.csv", `cpr;week;code\n${CPR1};2024-W07;B1\n`);
    expect((await importRegister(db.connection, options(semi))).persons).toEqual({ inExtract: 1, inTrial: 1, notInTrial: 0 });
    const pq = `${files.dir}/numeric.parquet`;
    await db.connection.run(`COPY (SELECT 102034005::BIGINT AS cpr, '2024-W08' AS week, 'B1' AS code) TO '${pq}' (FORMAT parquet)`);
    const report = await importRegister(db.connection, options(pq, { trial: "t2" }));
    expect(report.persons).toEqual({ inExtract: 1, inTrial: 1, notInTrial: 0 });
  });
});

describe("malformed weeks and codes", () => {
  it("names row and column of a week that does not exist or is not a week", async () => {
    // 2023 has 52 ISO weeks; 2020 has 53.
    const file = files.write("badweek.csv", `cpr,week,code\n${CPR1},2020-W53,B1\n${CPR1},2023-W53,B1\n${CPR2},last week,B1\n`);
    const err = await failure(importRegister(db.connection, options(file)));
    expect(err.issues.map((i) => [i.row, i.column])).toEqual([[2, "week"], [3, "week"]]);
    expect(err.issues[0].message).toContain('"2023-W53"');
  });

  it("names row and column of a missing or malformed code", async () => {
    const file = files.write("badcode.csv", `cpr,week,code\n${CPR1},2024-W07,B1\n${CPR1},2024-W08,\n${CPR2},2024-W07,B 1\n`);
    const err = await failure(importRegister(db.connection, options(file)));
    expect(err.issues).toEqual([
      { row: 2, column: "code", message: expect.stringMatching(/missing code/) },
      { row: 3, column: "code", message: expect.stringMatching(/"B 1" does not match/) },
    ]);
  });

  it("names a wide column that is not a real week and a bad cell by row and column", async () => {
    const bad = files.write("widebad.csv", `cpr,y_2021_52,y_2021_53\n${CPR1},B1,B1\n`);
    const err = await failure(importRegister(db.connection, options(bad)));
    expect(err.issues).toEqual([{ column: "y_2021_53", message: expect.stringMatching(/2021 has no week 53/) }]);
    const cell = files.write("widecell.csv", `cpr,y_2021_51,y_2021_52\n${CPR1},B1,B1\n${CPR2},S,B!\n`);
    const err2 = await failure(importRegister(db.connection, options(cell)));
    expect(err2.issues).toEqual([{ row: 2, column: "y_2021_52", message: expect.stringMatching(/"B!"/) }]);
  });

  it("writes nothing when the extract is refused", async () => {
    const file = files.write("refused.csv", `cpr,week,code\n${CPR1},2024-W99,B1\n`);
    await failure(importRegister(db.connection, options(file)));
    expect((await db.connection.runAndReadAll("SELECT count(*)::INTEGER FROM register_imports")).getRows()[0][0]).toBe(0);
  });
});

describe("layouts", () => {
  it("reads the wide DREAM-like layout across week 53, with empty cells as gaps and extra columns ignored", async () => {
    const file = files.write("wide.csv", `pnr,y_2020_52,2020W53,y_2021_01,kommune\n${CPR1},B1,,E,101\n${CPR2},,,,147\n1111111118,B1,B1,B1,101\n`);
    const report = await importRegister(db.connection, options(file));
    expect(report.layout).toBe("wide");
    expect(report.ignoredColumns).toEqual(["kommune"]);
    expect(report.firstWeek).toBe("2020-W52");
    expect(report.lastWeek).toBe("2021-W01");
    expect(report.persons).toEqual({ inExtract: 3, inTrial: 2, notInTrial: 1 });
    expect(report.recordsNotInTrial).toBe(3);
    // CPR2 has an empty row: in the register, self-supporting all three weeks.
    expect(report.personWeeks).toBe(6);
    expect(report.gapWeeks).toBe(4);
    const rows = await weeks();
    const p1 = rows.filter((r) => r[0] === P1).map((r) => [r[2], r[3]]);
    expect(p1).toEqual([[0, "B1"], [1, null], [2, "E"]]);
    expect(rows.filter((r) => r[0] === P2).map((r) => r[2])).toEqual([1, 1, 1]);
  });

  it("resolves a person on two wide rows by priority, as one person", async () => {
    // Week 2021-W51: B2 (40) and B1 (50) → B1; 2021-W52: B2 and empty → B2; 2022-W01: both empty → gap.
    const file = files.write("wide-dup.csv", `cpr,y_2021_51,y_2021_52,y_2022_01\n${CPR1},B2,B2,\n010203-4005,B1,,\n`);
    const report = await importRegister(db.connection, options(file));
    expect(report.persons).toEqual({ inExtract: 1, inTrial: 1, notInTrial: 0 });
    expect(report.conflicts).toEqual({ personWeeks: 1, records: 2 });
    expect([report.personWeeks, report.gapWeeks]).toEqual([3, 1]);
    expect((await weeks()).map((r) => r[3])).toEqual(["B1", "B2", null]);
  });

  it("reads year and week in two columns, and Parquet written by DuckDB, to the same weeks as CSV", async () => {
    const csv = files.write("long2.csv", `cpr,week,code\n${CPR1},2020-W53,B1\n${CPR1},2021-W01,S\n${CPR2},2021-W02,E\n`);
    await importRegister(db.connection, options(csv));
    const fromCsv = await weeks();
    const twoCols = files.write("yw.csv", `cpr,year,week,code\n${CPR1},2020,53,B1\n${CPR1},2021,1,S\n${CPR2},2021,2,E\n`);
    const db2 = await memoryDb();
    try {
      await importRegister(db2.connection, options(twoCols));
      const pq = `${files.dir}/long2.parquet`;
      await db2.connection.run(`COPY (SELECT * FROM read_csv('${csv}', all_varchar = true)) TO '${pq}' (FORMAT parquet)`);
      const db3 = await memoryDb();
      try {
        const r3 = await importRegister(db3.connection, options(pq));
        expect(r3.format).toBe("parquet");
        const rows = async (d: Db) =>
          (await d.connection.runAndReadAll(`SELECT p.pseudonym, w.week, w.category, k.code FROM register_weeks w JOIN register_persons p USING (import_no, person) LEFT JOIN register_codes k USING (import_no, code_id) ORDER BY ALL`)).getRows().map((x) => [String(x[0]), String(x[1]), Number(x[2]), x[3] === null ? null : String(x[3])]);
        expect(await rows(db2)).toEqual(fromCsv);
        expect(await rows(db3)).toEqual(fromCsv);
      } finally {
        db3.close();
      }
    } finally {
      db2.close();
    }
    // CPR1 from 2020-W53 to 2021-W02 (4 weeks; W02 is a gap), CPR2 only 2021-W02 (entered late).
    expect(fromCsv.filter((r) => r[0] === P1).map((r) => r[3])).toEqual(["B1", "S", null]);
    expect(fromCsv.filter((r) => r[0] === P2).map((r) => r[3])).toEqual(["E"]);
  });
});

describe("gaps, late entry and progress", () => {
  it("treats gaps as unobserved under gap: missing, and people who enter late from their first row", async () => {
    const file = files.write("gaps.csv", `pseudonym,week,code\n${ps("a")},2024-W01,B1\n${ps("a")},2024-W04,S\n${ps("b")},2024-W03,B1\n`);
    const report = await importRegister(db.connection, {
      trial: "g", file, codebook: testCodebook("missing"), participants: [ps("a"), ps("b")], personKey: { kind: "pseudonym" },
    });
    expect(report.personWeeks).toBe(4 + 2);
    expect(report.gapWeeks).toBe(3);
    const participants = [
      { pseudonym: ps("a"), enrolledOn: "2024-01-01" },
      { pseudonym: ps("b"), enrolledOn: "2024-01-01" },
    ];
    await deriveOutcomes(db.connection, { trial: "g", participants, outcomes: [{ name: "w1", derivation: "self_supporting_at_week", params: { week: 1 } }] });
    const out = await readRegisterOutcome(db.connection, "g", "w1");
    expect(out.map((r) => [r.value, r.reason])).toEqual([[null, "missing_week"], [null, "before_extract"]]);
  });

  it("extends the observed span to a declared coverage and refuses one that leaves records out", async () => {
    const file = files.write("cover.csv", `pseudonym,week,code\n${ps("a")},2024-W02,B1\n`);
    const base = { trial: "c", file, codebook: testCodebook(), participants: [ps("a")], personKey: { kind: "pseudonym" } } as const;
    const report = await importRegister(db.connection, { ...base, observedFrom: "extract-start", coverage: { first: "2024-W01", last: "2024-W05" } });
    expect([report.firstWeek, report.lastWeek, report.personWeeks, report.gapWeeks]).toEqual(["2024-W01", "2024-W05", 5, 4]);
    const wide = files.write("cover-wide.csv", `pseudonym,y_2024_02,y_2024_03\n${ps("a")},B1,\n`);
    const wideReport = await importRegister(db.connection, { ...base, trial: "cw", file: wide, coverage: { last: "2024-W05" } });
    expect([wideReport.firstWeek, wideReport.lastWeek, wideReport.personWeeks, wideReport.gapWeeks]).toEqual(["2024-W02", "2024-W05", 4, 3]);
    const db2 = await memoryDb();
    try {
      const err = await failure(importRegister(db2.connection, { ...base, coverage: { last: "2024-W01" } }));
      expect(err.issues).toEqual([{ column: "coverage.last", message: "2024-W01 leaves out records from 2024-W02" }]);
      await failure(importRegister(db2.connection, { ...base, coverage: { first: "2024-W60" } }));
    } finally {
      db2.close();
    }
  });

  it("reports progress through hash, read, resolve and store", async () => {
    const file = files.write("progress.csv", `cpr,week,code\n${CPR1},2024-W07,B1\n`);
    const events: ImportProgress[] = [];
    await importRegister(db.connection, options(file, { onProgress: (e) => events.push(e) }));
    const phases = [...new Set(events.map((e) => e.phase))];
    expect(phases).toEqual(["hash", "read", "resolve", "store"]);
    expect(events.at(-1)).toEqual({ phase: "store", fraction: 1 });
    expect(events.every((e) => e.fraction >= 0 && e.fraction <= 1)).toBe(true);
  });

  it("takes participants only as pseudonyms", async () => {
    const file = files.write("p.csv", `cpr,week,code\n${CPR1},2024-W07,B1\n`);
    await expect(importRegister(db.connection, options(file, { participants: [CPR1] }))).rejects.toThrow(/64 lowercase hex/);
  });

  it("says so when the file has no person column", async () => {
    const file = files.write("noperson.csv", `who,week,code\nx,2024-W07,B1\n`);
    const err = await failure(importRegister(db.connection, options(file)));
    expect(err.message).toMatch(/no person column/);
  });
});
