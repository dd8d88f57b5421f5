/**
 * "For whom" never overclaims: on simulated trials with a known truth (one pre-specified subgroup
 * truly modifies the primary effect, no other does), the evidence's "for whom" statements call a
 * subgroup difference a difference only for the true modifier, and every statement about another
 * subgroup says there is no evidence that the effect differs; where the modifier is large, the
 * evidence finds it. Seeds pinned; large trials so the primary contrasts are well estimated.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildEvidence } from "../../../analysis/evidence/package.ts";
import { simulateTrial } from "../../../analysis/simulate/index.ts";
import { loadProtocol, type Protocol } from "../../../protocols/index.ts";

function protocol(id: string): Protocol {
  const loaded = loadProtocol(readFileSync(`protocols/${id}.yaml`, "utf8"), id);
  if (!loaded.ok) throw new Error(`protocols/${id}.yaml must load`);
  return loaded.protocol;
}

// `finds`: whether this seed's trial is expected to find the true modifier on the primary outcome
// after Holm (brobygning's gender difference is large; the others are modest at these sizes).
describe.each([
  ["ips-severe-mental-illness", 2400, 11, false],
  ["mentor-youth", 4000, 12, false],
  ["brobygning", 2400, 13, true],
])("%s", (id, n, seed, finds) => {
  it("claims a subgroup difference only for the true modifier", () => {
    const p = protocol(id);
    const trial = simulateTrial(p, { n, seed });
    const evidence = buildEvidence(p, trial.dataSet, { draws: 0 });
    const statements = evidence.for_whom ?? [];
    expect(statements.length).toBeGreaterThan(0);
    for (const s of statements) {
      if (s.differs) expect(s.variable).toBe(trial.truth.modifier.variable);
      if (!s.differs) expect(s.text.en).toMatch(/no evidence/);
    }
    if (finds) {
      const found = statements.find((s) => s.outcome === p.analysis.primary_outcome && s.variable === trial.truth.modifier.variable);
      expect(found?.differs).toBe(true);
      expect(found?.text.en).not.toMatch(/no evidence/);
    }
  }, 60_000);
});
