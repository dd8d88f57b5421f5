import { describe, expect, it } from "vitest";
import { checkOutcomeValue, type Protocol } from "../../protocols/index.ts";
import { baseProtocol, load } from "./fixtures.ts";

function protocol(): Protocol {
  const doc = baseProtocol();
  doc.outcomes.push(
    { id: "sessions", label: { da: "Samtaler", en: "Sessions" }, type: "count", source: { type: "site" }, role: "secondary", benefit: "higher" },
    { id: "employed", label: { da: "I job", en: "Employed" }, type: "binary", source: { type: "site" }, role: "secondary", benefit: "higher" },
    { id: "job_time", label: { da: "Tid", en: "Time" }, type: "time_to_event", source: { type: "site" }, role: "secondary", benefit: "lower" },
  );
  doc.analysis.outcomes.sessions = { estimators: ["difference_in_means"] };
  doc.analysis.outcomes.employed = { estimators: ["risk_difference"] };
  doc.analysis.outcomes.job_time = { estimators: ["kaplan_meier", "logrank"] };
  const r = load(doc);
  if (!r.ok) throw new Error(r.problems.map((p) => `${p.path}: ${p.message}`).join("\n"));
  return r.protocol;
}

describe("checkOutcomeValue", () => {
  const p = protocol();
  it("accepts values of the outcome's type, normalized", () => {
    expect(checkOutcomeValue(p, "earnings", -12.5)).toEqual({ ok: true, value: -12.5 });
    expect(checkOutcomeValue(p, "sessions", 0)).toEqual({ ok: true, value: 0 });
    expect(checkOutcomeValue(p, "employed", true)).toEqual({ ok: true, value: 1 });
    expect(checkOutcomeValue(p, "job_time", { time: 12, event: false })).toEqual({ ok: true, value: { time: 12, event: 0 } });
  });
  it("refuses values of the wrong type, naming outcome and value", () => {
    const en = (id: string, v: unknown) => {
      const r = checkOutcomeValue(p, id, v);
      return r.ok ? "ok" : r.message.en;
    };
    expect(en("earnings", "12")).toBe('earnings: expected a number, got "12"');
    expect(en("sessions", 1.5)).toBe("sessions: expected a non-negative integer, got 1.5");
    expect(en("sessions", -1)).toBe("sessions: expected a non-negative integer, got -1");
    expect(en("employed", 2)).toBe("employed: expected 0 or 1, got 2");
    expect(en("job_time", { time: -1, event: 1 })).toContain("expected {time: number >= 0, event: 0 or 1}");
    expect(en("nope", 1)).toBe("nope: not an outcome of the protocol");
  });
  it("register-derived outcomes cannot be recorded", () => {
    const r = checkOutcomeValue(p, "education_started", 1);
    expect(r).toEqual({
      ok: false,
      message: {
        da: "education_started: afledes af registerdata (education_started) og kan ikke indberettes",
        en: "education_started: is derived from register data (education_started) and cannot be recorded",
      },
    });
  });
});
