/**
 * The register derivations of api/register/derive.ts, restated over one person's weekly history
 * in memory, so the simulator can put derived outcomes in its analysis data set and compute the
 * truth from complete potential histories. Same rules, same censoring (see derive.ts's module
 * comment); a test runs both on the same simulated extract through DuckDB and compares.
 *
 * A history here is an array of code indices (register-codes.ts) for weeks `first` .. `first +
 * length − 1` relative to the enrollment week (week 0); 255 = no record. The extract ends at
 * relative week `last`; every week from `first` to `last` without a record is self-supporting
 * (the code book's `gap: self_supporting`), but weeks at or after an emigration or death code are
 * not observed.
 */
import type { Outcome } from "../../protocols/index.ts";
import { CATEGORY_OF, C, type WeekCategory } from "./register-codes.ts";

export interface PersonWeeks {
  codes: Uint8Array;
  /** Relative week of codes[0] (the person's first record). */
  first: number;
  /** Relative week of the extract's last week. */
  last: number;
  /** Relative week of withdrawal (not observed from then on), or null. */
  withdrawal: number | null;
  /** Relative week of the programme's end, or null. */
  programmeEnd: number | null;
}

export interface DerivedValue {
  value: number | null;
  /** Time-to-event outcomes: 1 = event, 0 = censored. */
  event: number | null;
}

const INF = 2 ** 31 - 1;
// Local copies: hot loops below read them once per week.
const NONE: number = C.none;
const EMIGRATED: number = C.emigrated;
const DEAD: number = C.dead;
const CATEGORIES: readonly WeekCategory[] = CATEGORY_OF;

function category(p: PersonWeeks, t: number): WeekCategory {
  const i = t - p.first;
  const code = i >= 0 && i < p.codes.length ? p.codes[i] : C.none;
  return code === NONE ? "self_supporting" : CATEGORIES[code];
}

/** The first week not observed: end of extract, withdrawal, or emigration / death at or after week 0. */
export function endOfObservation(p: PersonWeeks): number {
  let exit = INF;
  for (let i = Math.max(0, -p.first); i < p.codes.length; i++) {
    const c = p.codes[i];
    if (c === EMIGRATED || c === DEAD) {
      exit = p.first + i;
      break;
    }
  }
  return Math.min(p.last + 1, p.withdrawal ?? INF, exit);
}

/** One outcome's value for one person, as derive.ts would store it. */
export function deriveOutcome(outcome: Outcome, p: PersonWeeks): DerivedValue {
  if (outcome.source.type !== "register") throw new TypeError(`outcome ${outcome.id} is not a register outcome`);
  const params = outcome.source.params as Record<string, number>;
  const end = endOfObservation(p);
  const observed = (t: number) => t >= p.first && t < end;
  const none: DerivedValue = { value: null, event: null };
  switch (outcome.source.derivation) {
    case "self_supporting_at_week":
    case "retention": {
      let t: number;
      if (outcome.source.derivation === "retention") {
        // With `programme_weeks`, at the planned end for everyone in every arm; else at the recorded end.
        const end = params.programme_weeks ?? p.programmeEnd;
        if (end === null || end === undefined) return none;
        t = end + (params.weeks_after ?? 13);
      } else t = params.week;
      return observed(t) ? { value: category(p, t) === "self_supporting" ? 1 : 0, event: null } : none;
    }
    case "weeks_self_supporting":
    case "weeks_on_benefit": {
      const { from, to } = params;
      if (!(observed(from) && observed(to))) return none;
      const want = outcome.source.derivation === "weeks_on_benefit" ? "benefit" : "self_supporting";
      let n = 0;
      for (let t = from; t <= to; t++) if (category(p, t) === want) n++;
      return { value: n, event: null };
    }
    case "education_started": {
      const { from, to } = params;
      const hi = Math.min(to, end - 1);
      const edu = (t: number) => observed(t) && category(p, t) === "education";
      for (let t = from; t <= hi; t++) if (edu(t) && !edu(t - 1)) return { value: 1, event: null };
      return observed(from) && observed(to) ? { value: 0, event: null } : none;
    }
    case "time_to_self_support": {
      const m = params.min_weeks;
      const f = params.from ?? 0;
      if (f < p.first) return none;
      const hz = params.horizon === undefined ? INF : params.horizon + m;
      const stop = Math.min(end, hz);
      let run = 0;
      for (let t = f; t < stop; t++) {
        run = category(p, t) === "self_supporting" ? run + 1 : 0;
        if (run === m) return { value: t - m + 1, event: 1 };
      }
      const c = stop - m;
      return c >= f ? { value: c, event: 0 } : none;
    }
  }
}
