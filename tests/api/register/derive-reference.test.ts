/**
 * The SQL derivations against a plain loop over each person's weeks, on seeded random extracts
 * with conflicts, unknown codes, emigration, death, withdrawal, late entry and both gap rules.
 * The loop follows the rules as documented in api/register/derive.ts, week by week.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deriveOutcomes, readRegisterOutcome, type OutcomeSpec, type RegisterParticipant } from "../../../api/register/derive.ts";
import { importRegister } from "../../../api/register/import.ts";
import { weekIndex, weekIndexOfDate, weekLabel } from "../../../api/register/iso-week.ts";
import { memoryDb, tempDir, testCodebook, type Db } from "./fixtures.ts";

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Cat = "benefit" | "self_supporting" | "education" | "other_absence" | "emigrated" | "dead" | "missing" | "unknown";
const CODES: Record<string, { cat: Cat; prio: number; type?: string }> = {
  B1: { cat: "benefit", prio: 50, type: "unemployment" },
  B2: { cat: "benefit", prio: 40, type: "social_assistance" },
  E: { cat: "education", prio: 30 },
  L: { cat: "other_absence", prio: 20 },
  S: { cat: "self_supporting", prio: 0 },
  X: { cat: "emigrated", prio: 100 },
  D: { cat: "dead", prio: 101 },
};

interface Person {
  id: string;
  weeks: Map<number, string[]>;
}

interface Case {
  csv: string;
  participants: RegisterParticipant[];
  persons: Map<string, Person>;
  last: number;
}

function makeCase(seed: number): Case {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  const start = weekIndex(2020, 40)!; // spans 2020-W53
  const span = 40;
  const persons = new Map<string, Person>();
  const lines = ["pseudonym,week,code"];
  const participants: RegisterParticipant[] = [];
  const monday = (w: number) => new Date(Date.UTC(1970, 0, 5) + w * 7 * 86_400_000).toISOString().slice(0, 10);
  for (let i = 0; i < 60; i++) {
    const id = (i.toString(16).padStart(2, "0") + "ab").repeat(16);
    const p: Person = { id, weeks: new Map() };
    const enter = rnd() < 0.2 ? start + Math.floor(rnd() * 15) : start;
    let state = pick(["B1", "B2", "S", "E"]);
    for (let w = enter; w < start + span; w++) {
      if (rnd() < 0.2) state = pick(["B1", "B2", "S", "S", "S", "E", "L"]);
      const r = rnd();
      let codes: string[] = [];
      if (r < 0.01) codes = ["X"];
      else if (r < 0.015) codes = ["D"];
      else if (r < 0.03) codes = ["ZZ"];
      else if (state === "S" && rnd() < 0.6) codes = []; // empty week: a gap
      else codes = [state];
      if (rnd() < 0.05) codes.push(pick(["B1", "B2", "E", "S", "ZZ"]));
      if (w === enter && codes.length === 0) codes = ["S"];
      if (codes.length > 0) p.weeks.set(w, codes);
      for (const c of codes) lines.push(`${id},${weekLabel(w)},${c}`);
    }
    if (i < 55) {
      persons.set(id, p);
      const w0 = start + 2 + Math.floor(rnd() * 10);
      participants.push({
        pseudonym: id,
        enrolledOn: monday(w0),
        withdrawnOn: rnd() < 0.15 ? monday(w0 + 3 + Math.floor(rnd() * 20)) : null,
        programmeEndOn: rnd() < 0.8 ? monday(w0 + Math.floor(rnd() * 15)) : null,
      });
    }
  }
  // Participants with no rows.
  for (let i = 0; i < 3; i++) participants.push({ pseudonym: `${i}`.repeat(64), enrolledOn: monday(start + 5) });
  // The last week of the extract: the largest week anyone has a row in.
  let last = -Infinity;
  for (const line of lines.slice(1)) {
    const wk = line.split(",")[1];
    last = Math.max(last, weekIndex(Number(wk.slice(0, 4)), Number(wk.slice(6)))!);
  }
  return { csv: lines.join("\n"), participants, persons, last };
}

interface Row {
  value: number | null;
  event: number | null;
  reason: string | null;
}

/** The plain-loop derivation of one outcome for one participant. */
function reference(c: Case, gap: "self_supporting" | "missing", part: RegisterParticipant, spec: OutcomeSpec): Row {
  const p = c.persons.get(part.pseudonym);
  const w0 = weekIndexOfDate(part.enrolledOn);
  const wd = part.withdrawnOn ? weekIndexOfDate(part.withdrawnOn) : null;
  const we = part.programmeEndOn ? weekIndexOfDate(part.programmeEndOn) : null;
  const params = spec.params as Record<string, number | string[]>;
  const none = (reason: string): Row => ({ value: null, event: null, reason });
  if (p === undefined || p.weeks.size === 0) {
    if (spec.derivation === "retention" && we === null) return none("no_programme_end");
    return none("not_in_extract");
  }
  const first = Math.min(...p.weeks.keys());
  const last = c.last;
  const cat = (t: number): Cat | null => {
    if (t < first || t > last) return null;
    const codes = p.weeks.get(t);
    if (!codes) return gap;
    const known = codes.filter((x) => x in CODES).sort((a, b) => CODES[b].prio - CODES[a].prio || (a < b ? -1 : 1));
    return known.length ? CODES[known[0]].cat : "unknown";
  };
  const type = (t: number): string | undefined => {
    const codes = (p.weeks.get(t) ?? []).filter((x) => x in CODES).sort((a, b) => CODES[b].prio - CODES[a].prio || (a < b ? -1 : 1));
    return codes.length ? CODES[codes[0]].type : undefined;
  };
  let exit: number | null = null;
  let exitCat: Cat | null = null;
  for (let t = Math.max(w0, first); t <= last; t++) {
    const k = cat(t);
    if (k === "emigrated" || k === "dead") {
      exit = t;
      exitCat = k;
      break;
    }
  }
  const endObs = Math.min(last + 1, wd ?? Infinity, exit ?? Infinity);
  const weekReason = (t: number): string | null => {
    if (t < first) return "before_extract";
    if (wd !== null && t >= wd) return "withdrawn";
    if (exit !== null && t >= exit) return exitCat!;
    if (t > last) return "after_extract";
    const k = cat(t);
    return k === "missing" ? "missing_week" : k === "unknown" ? "unknown_code" : null;
  };
  const windowReason = (lo: number, hi: number): string | null => {
    if (lo < first) return "before_extract";
    if (wd !== null && hi >= wd) return "withdrawn";
    if (exit !== null && hi >= exit) return exitCat!;
    if (hi > last) return "after_extract";
    for (let t = lo; t <= hi; t++) {
      const k = cat(t);
      if (k === "missing") return "missing_week";
      if (k === "unknown") return "unknown_code";
    }
    return null;
  };
  switch (spec.derivation) {
    case "self_supporting_at_week":
    case "retention": {
      if (spec.derivation === "retention" && we === null) return none("no_programme_end");
      const t = spec.derivation === "retention" ? we! + (params.weeks_after as number) : w0 + (params.week as number);
      const reason = weekReason(t);
      return reason ? none(reason) : { value: cat(t) === "self_supporting" ? 1 : 0, event: null, reason: null };
    }
    case "weeks_self_supporting":
    case "weeks_on_benefit": {
      const lo = w0 + (params.from as number);
      const hi = w0 + (params.to as number);
      const reason = windowReason(lo, hi);
      if (reason) return none(reason);
      let n = 0;
      const types = params.benefit_types as string[] | undefined;
      for (let t = lo; t <= hi; t++) {
        if (spec.derivation === "weeks_self_supporting" ? cat(t) === "self_supporting" : cat(t) === "benefit" && (!types || types.includes(type(t)!))) n++;
      }
      return { value: n, event: null, reason: null };
    }
    case "education_started": {
      const lo = w0 + (params.from as number);
      const hi = w0 + (params.to as number);
      for (let t = lo; t <= hi && t < endObs; t++) {
        if (cat(t) === "education" && !(t - 1 < endObs && cat(t - 1) === "education")) return { value: 1, event: null, reason: null };
      }
      const reason = windowReason(lo, hi);
      return reason ? none(reason) : { value: 0, event: null, reason: null };
    }
    case "time_to_self_support": {
      const m = params.min_weeks as number;
      const f = (params.from as number | undefined) ?? 0;
      const s0 = w0 + f;
      if (s0 < first) return none("before_extract");
      let gapWeek: number | null = null;
      for (let t = s0; t <= last; t++) {
        const k = cat(t);
        if (k === "missing" || k === "unknown") {
          gapWeek = t;
          break;
        }
      }
      const hz = params.horizon === undefined ? Infinity : w0 + (params.horizon as number) + m;
      const stop = Math.min(endObs, gapWeek ?? Infinity, hz);
      let run = 0;
      for (let t = s0; t < stop; t++) {
        run = cat(t) === "self_supporting" ? run + 1 : 0;
        if (run === m) return { value: t - m + 1 - w0, event: 1, reason: null };
      }
      const cause =
        stop === hz ? "horizon" : stop === wd ? "withdrawn" : stop === exit ? exitCat! : stop === gapWeek ? (cat(gapWeek!) === "missing" ? "missing_week" : "unknown_code") : "end_of_data";
      const cens = stop - m - w0;
      return cens >= f ? { value: cens, event: 0, reason: cause } : none(cause);
    }
  }
}

const SPECS: OutcomeSpec[] = [
  { name: "at0", derivation: "self_supporting_at_week", params: { week: 0 } },
  { name: "at9", derivation: "self_supporting_at_week", params: { week: 9 } },
  { name: "at35", derivation: "self_supporting_at_week", params: { week: 35 } },
  { name: "ss", derivation: "weeks_self_supporting", params: { from: 0, to: 12 } },
  { name: "ben", derivation: "weeks_on_benefit", params: { from: 2, to: 10 } },
  { name: "ben_sa", derivation: "weeks_on_benefit", params: { from: 0, to: 8, benefit_types: ["social_assistance"] } },
  { name: "tts2", derivation: "time_to_self_support", params: { min_weeks: 2 } },
  { name: "tts4", derivation: "time_to_self_support", params: { min_weeks: 4, from: 1 } },
  { name: "tts3h", derivation: "time_to_self_support", params: { min_weeks: 3, horizon: 8 } },
  { name: "ret", derivation: "retention", params: { weeks_after: 13 } },
  { name: "ret4", derivation: "retention", params: { weeks_after: 4 } },
  { name: "edu", derivation: "education_started", params: { from: 0, to: 10 } },
];

let files: ReturnType<typeof tempDir>;
beforeAll(() => {
  files = tempDir();
});
afterAll(() => files.remove());

describe.each([
  [1, "self_supporting"],
  [2, "missing"],
  [3, "self_supporting"],
  [4, "missing"],
] as const)("seeded extract %i, gap: %s", (seed, gap) => {
  let db: Db;
  const c = makeCase(seed);
  beforeAll(async () => {
    db = await memoryDb();
    const file = files.write(`random-${seed}.csv`, c.csv);
    await importRegister(db.connection, {
      trial: "r", file, codebook: testCodebook(gap), participants: c.participants.map((p) => p.pseudonym), personKey: { kind: "pseudonym" },
    });
    await deriveOutcomes(db.connection, { trial: "r", participants: c.participants, outcomes: SPECS });
  });
  afterAll(() => db.close());

  it.each(SPECS.map((s) => [s.name, s] as const))("%s matches the plain loop", async (_name, spec) => {
    const got = await readRegisterOutcome(db.connection, "r", spec.name);
    const byId = new Map(got.map((r) => [r.pseudonym, { value: r.value, event: r.event, reason: r.reason }]));
    for (const part of c.participants) {
      expect({ id: part.pseudonym.slice(0, 4), ...byId.get(part.pseudonym) }).toEqual({ id: part.pseudonym.slice(0, 4), ...reference(c, gap, part, spec) });
    }
  });
});

describe("the seeded extracts exercise every rule", () => {
  it("reach every reason and both event states", async () => {
    const seen = new Set<string>();
    for (const [seed, gap] of [[1, "self_supporting"], [2, "missing"]] as const) {
      const c = makeCase(seed);
      for (const part of c.participants) for (const spec of SPECS) {
        const r = reference(c, gap, part, spec);
        seen.add(r.reason ?? (r.event === 1 ? "event" : "value"));
      }
    }
    expect([...seen].sort()).toEqual(
      ["after_extract", "before_extract", "dead", "emigrated", "end_of_data", "event", "horizon", "missing_week", "no_programme_end", "not_in_extract", "unknown_code", "value", "withdrawn"],
    );
  });
});
