/**
 * Checks a recorded outcome value against the protocol's outcome definition, for sites that
 * record outcomes and for data sets that carry them:
 *
 *   binary         0 or 1 (true/false accepted)
 *   continuous     a finite number
 *   count          a non-negative integer
 *   time_to_event  { time: number >= 0, event: 0 or 1 } (1 = the event happened, 0 = censored)
 *
 * Outcomes with `source: register` are derived from register extracts and cannot be recorded.
 */
import type { Label, Protocol } from "./schema.ts";

export type OutcomeValueCheck = { ok: true; value: number | { time: number; event: 0 | 1 } } | { ok: false; message: Label };

const show = (x: unknown): string => JSON.stringify(x) ?? String(x);

function binary(v: unknown): 0 | 1 | undefined {
  return v === 1 || v === true ? 1 : v === 0 || v === false ? 0 : undefined;
}

/** Checks one recorded value of outcome `outcomeId`; returns the normalized value or a message. */
export function checkOutcomeValue(protocol: Protocol, outcomeId: string, value: unknown): OutcomeValueCheck {
  const outcome = protocol.outcomes.find((o) => o.id === outcomeId);
  const bad = (da: string, en: string): OutcomeValueCheck => ({ ok: false, message: { da: `${outcomeId}: ${da}`, en: `${outcomeId}: ${en}` } });
  if (!outcome) return bad("ikke et effektmål i protokollen", "not an outcome of the protocol");
  if (outcome.source.type === "register")
    return bad(`afledes af registerdata (${outcome.source.derivation}) og kan ikke indberettes`, `is derived from register data (${outcome.source.derivation}) and cannot be recorded`);
  switch (outcome.type) {
    case "binary": {
      const b = binary(value);
      return b === undefined ? bad(`forventede 0 eller 1, fik ${show(value)}`, `expected 0 or 1, got ${show(value)}`) : { ok: true, value: b };
    }
    case "continuous":
      return typeof value === "number" && Number.isFinite(value) ? { ok: true, value } : bad(`forventede et tal, fik ${show(value)}`, `expected a number, got ${show(value)}`);
    case "count":
      return typeof value === "number" && Number.isInteger(value) && value >= 0
        ? { ok: true, value }
        : bad(`forventede et ikke-negativt heltal, fik ${show(value)}`, `expected a non-negative integer, got ${show(value)}`);
    case "time_to_event": {
      const v = value as { time?: unknown; event?: unknown } | null;
      const time = v && typeof v === "object" ? v.time : undefined;
      const event = v && typeof v === "object" ? binary(v.event) : undefined;
      if (typeof time !== "number" || !Number.isFinite(time) || time < 0 || event === undefined)
        return bad(`forventede {time: tal >= 0, event: 0 eller 1}, fik ${show(value)}`, `expected {time: number >= 0, event: 0 or 1}, got ${show(value)}`);
      return { ok: true, value: { time, event } };
    }
  }
}
