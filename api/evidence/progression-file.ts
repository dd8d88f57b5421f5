/**
 * `progression.csv`: the progression measurements an evidence package's `progression` section
 * was computed from, one row per measurement in force (corrections applied, measurements after a
 * withdrawal left out), so that `virker verify` can re-run the section.
 *
 *   participant_id   the participant's public id (as in allocations.csv and data.csv)
 *   day              days from the enrollment day to the conversation
 *   <factor id>...   the score of each of the instrument's factors as recorded; empty = not scored
 *
 * Person-level (one row per measurement of a pseudonymous participant): for researchers and the
 * agency only, like data.csv. The participants of the analysis (everyone randomized, with arm and
 * stratum) are those of allocations.csv, in allocation order: `progressionParticipants`.
 */
import type { Measurement, Participant } from "../../analysis/progression/panel.ts";
import type { Protocol } from "../../protocols/index.ts";
import { parseCsv } from "./csv.ts";

export const PROGRESSION_FILE = "progression.csv";

function factorIds(protocol: Protocol): string[] {
  const progression = protocol.progression;
  if (!progression) throw new Error(`protocol ${protocol.id}: no progression instrument`);
  return progression.instrument.factors.map((f) => f.id);
}

/** The analysis's participants from the allocation list (id, arm, stratum), in its order. */
export function progressionParticipants(allocations: readonly { participant_id: string; arm: string; stratum: string | null }[]): Participant[] {
  return allocations.map((a) => (a.stratum === null || a.stratum === "" ? { id: a.participant_id, arm: a.arm } : { id: a.participant_id, arm: a.arm, stratum: a.stratum }));
}

export function progressionCsv(protocol: Protocol, measurements: readonly Measurement[]): string {
  const factors = factorIds(protocol);
  const lines = measurements.map((m) => {
    for (const id of Object.keys(m.scores)) if (!factors.includes(id)) throw new Error(`progression measurement of ${m.participant}: unknown factor ${JSON.stringify(id)}`);
    const score = (id: string) => {
      const v = m.scores[id];
      return v === null || v === undefined ? "" : String(v);
    };
    return [m.participant, String(m.day), ...factors.map(score)].join(",");
  });
  return [["participant_id", "day", ...factors].join(","), ...lines].join("\n") + "\n";
}

/**
 * Reads `progression.csv` back. Errors name the row and column: a header that is not the
 * protocol's factors, a day or score that is not a number.
 */
export function readProgressionCsv(protocol: Protocol, text: string): Measurement[] {
  const factors = factorIds(protocol);
  const { header, rows } = parseCsv(text);
  const expected = ["participant_id", "day", ...factors];
  if (header.join(",") !== expected.join(",")) throw new Error(`${PROGRESSION_FILE}: header ${header.join(",")}, expected ${expected.join(",")}`);
  return rows.map((r, i) => {
    const number = (j: number) => {
      const v = Number(r[j]);
      if (r[j] === "" || !Number.isFinite(v)) throw new Error(`${PROGRESSION_FILE} row ${i + 2}, ${header[j]}: not a number: ${JSON.stringify(r[j] ?? "")}`);
      return v;
    };
    const scores: Record<string, number | null> = {};
    factors.forEach((id, k) => (scores[id] = r[k + 2] === "" || r[k + 2] === undefined ? null : number(k + 2)));
    return { participant: r[0], day: number(1), scores };
  });
}
