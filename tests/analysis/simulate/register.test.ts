/**
 * The simulated register extract goes through the real import and derivations (api/register/,
 * DuckDB) and gives back exactly the register outcomes the simulator put in its data set, for
 * every derivation the shipped protocols use, with heavy withdrawal, emigration and death so the
 * censoring rules are exercised too.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, describe, expect, it } from "vitest";
import { parseCpr } from "../../../api/cpr.ts";
import { pseudonymize, pseudonymKey } from "../../../api/pseudonym.ts";
import { DEFAULT_CODEBOOK_PATH, deriveOutcomes, importRegister, loadCodebookFile, readRegisterOutcome } from "../../../api/register/index.ts";
import { loadProtocol, type Protocol } from "../../../protocols/index.ts";
import { scenarioFor, simulateTrial } from "../../../analysis/simulate/index.ts";

const dir = mkdtempSync(join(tmpdir(), "virker-simulate-register-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function protocol(id: string): Protocol {
  const loaded = loadProtocol(readFileSync(`protocols/${id}.yaml`, "utf8"), id);
  if (!loaded.ok) throw new Error(id);
  return loaded.protocol;
}

describe.each(["ips-severe-mental-illness", "mentor-youth", "brobygning", "volunteer-mentors"])("%s register outcomes", (id) => {
  it("are the same from DuckDB's import and derivation as in the simulated data set", async () => {
    const p = protocol(id);
    const scenario = scenarioFor(p);
    const sim = simulateTrial(p, { n: 120, seed: 21, scenario: { ...scenario, attrition: { ...scenario.attrition, withdrawal: 0.2, emigration: 0.1, death: 0.05 } } });
    const rows = sim.registerRows();
    const file = join(dir, `${id}.csv`);
    writeFileSync(file, `person,week,code\n${rows.map((r) => `${r.person},${r.week},${r.code}`).join("\n")}\n`);
    const key = pseudonymKey("ab".repeat(32));
    const pseudonymOf = (cpr: string) => {
      const parsed = parseCpr(cpr);
      if (!parsed.ok) throw new Error("not a CPR");
      return pseudonymize(key, parsed.cpr.normalized);
    };
    const instance = await DuckDBInstance.create(":memory:");
    const connection = await instance.connect();
    try {
      const participants = sim.observed.map((o) => ({
        pseudonym: pseudonymOf(o.participant.citizen.cpr),
        enrolledOn: o.enrolledOn,
        withdrawnOn: o.withdrawnOn,
        programmeEndOn: o.programmeEndOn,
      }));
      const report = await importRegister(connection, {
        trial: id,
        file,
        codebook: await loadCodebookFile(DEFAULT_CODEBOOK_PATH),
        participants: participants.map((x) => x.pseudonym),
        personKey: { kind: "cpr", key: key.bytes },
        now: () => new Date("2030-01-01T00:00:00Z"),
      });
      expect(report.participants.notInExtract).toBe(0);
      expect(report.unknownCodes).toEqual([]);
      const outcomes = p.outcomes.flatMap((o) => (o.source.type === "register" ? [{ name: o.id, derivation: o.source.derivation, params: o.source.params }] : []));
      expect(outcomes.length).toBeGreaterThan(0);
      await deriveOutcomes(connection, { trial: id, participants, outcomes });
      const index = new Map(participants.map((x, j) => [x.pseudonym, j]));
      let compared = 0, nulls = 0;
      for (const o of outcomes) {
        const stored = await readRegisterOutcome(connection, id, o.name);
        expect(stored).toHaveLength(participants.length);
        for (const row of stored) {
          const mine = sim.observed[index.get(row.pseudonym)!].outcomes[o.name];
          expect({ outcome: o.name, value: row.value, event: row.event }).toEqual({ outcome: o.name, value: mine.value, event: mine.event === null && row.event === null ? null : mine.event });
          compared++;
          if (row.value === null) nulls++;
        }
      }
      expect(compared).toBe(participants.length * outcomes.length);
      // The attrition above must have left some values unobserved, or censoring went untested.
      expect(nulls).toBeGreaterThan(0);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });
});
