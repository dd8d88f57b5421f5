/**
 * The `Store` contract: the same vitest cases for every adapter (DuckDB in Node now, the Durable
 * Object in workerd later). An adapter's test file calls `storeContract(name, makeHarness)`.
 *
 * Optional harness abilities (reopen, raw contents, tampering) are used where the adapter offers
 * them; the cases that need them are skipped otherwise, by name, so the gap is visible.
 */
import { describe, expect, it } from "vitest";
import { verifyChain, type AuditDraft } from "../../../api/audit.ts";
import { pseudonymize, pseudonymKey, publicParticipantId } from "../../../api/pseudonym.ts";
import { authenticate, createToken, revokeToken } from "../../../api/tokens.ts";
import {
  ALL_SITES,
  participantScope,
  siteScope,
  StoreError,
  type EnrollmentRecord,
  type NewTrial,
  type Store,
  type StoreErrorCode,
} from "../../../api/store/store.ts";

export interface StoreHarness {
  store: Store;
  /** Closes the store and opens it again on the same data. */
  reopen?: () => Promise<Store>;
  /** The bytes of everything the adapter has persisted so far (for privacy scans). */
  rawContents?: () => Promise<Uint8Array[]>;
  /**
   * Changes one field of one stored audit row behind the store's back and returns the store to use
   * afterwards (adapters may need to close and reopen around the change).
   */
  tamperAudit?: (chain: string, seq: number, field: "action" | "target", value: string) => Promise<Store>;
  dispose: () => Promise<void>;
}

export const CPR_SHAPED = /\d{6}-?\d{4}/;
const CPR_SHAPED_GLOBAL = /\d{6}-?\d{4}/g;

const KEY = pseudonymKey("5f".repeat(32));
const T0 = Date.UTC(2027, 2, 1, 9, 0, 0);
const at = (i: number) => new Date(T0 + i * 1000).toISOString();

/** Deterministic CPR-like ten-digit strings (valid dates, 7th digit 0-3: born 1900-1999). */
export function cprOf(i: number): string {
  const day = String((i % 28) + 1).padStart(2, "0");
  const month = String((Math.floor(i / 28) % 12) + 1).padStart(2, "0");
  const year = String(60 + (Math.floor(i / 336) % 40)).padStart(2, "0");
  const serial = String(1000 + (i % 3000)).padStart(4, "0");
  return `${day}${month}${year}${serial}`;
}

const draft = (action: string, target: string, i = 0, reason: string | null = null): AuditDraft => ({
  at: at(i), tokenId: "tok-test-0000-0000-0001", role: "municipality", action, target, reason,
});

function newTrial(id: string, i = 0): NewTrial {
  return {
    id,
    seed: "a1".repeat(32),
    seedCommitment: "b2".repeat(32),
    protocolHash: "c3".repeat(32),
    protocolJson: JSON.stringify({ id, arms: ["control", "ips"], sites: ["aarhus", "odense", "kolding"] }),
    at: at(i),
  };
}

export function enrollmentOf(trialId: string, sequence: number, site: string, personIndex = sequence): EnrollmentRecord {
  const pseudonym = pseudonymize(KEY, cprOf(personIndex));
  return {
    sequence,
    pseudonym,
    publicId: publicParticipantId(KEY, trialId, pseudonym),
    site,
    arm: sequence % 2 === 0 ? "control" : "ips",
    stratum: `${site}|${sequence % 3 === 0 ? "under-30" : "30-plus"}`,
    protocolVersion: 1,
    baseline: { age: 20 + (sequence % 40), months_unemployed: sequence % 24, education: "vocational", note: `født ${sequence % 7}` },
    enrolledAt: at(sequence),
  };
}

const SITES = ["aarhus", "odense", "kolding"];

async function expectStoreError(p: Promise<unknown>, code: StoreErrorCode): Promise<StoreError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(StoreError);
    expect((e as StoreError).code).toBe(code);
    expect((e as Error).message).not.toMatch(CPR_SHAPED);
    return e as StoreError;
  }
  throw new Error(`expected StoreError ${code}, but the call succeeded`);
}

async function enrollBatches(store: Store, trialId: string, batches: number, perBatch: number, from = 0): Promise<EnrollmentRecord[]> {
  const all: EnrollmentRecord[] = [];
  let seq = from;
  for (let b = 0; b < batches; b++) {
    const rows = Array.from({ length: perBatch }, () => {
      const e = enrollmentOf(trialId, seq, SITES[seq % SITES.length]);
      seq += 1;
      return e;
    });
    await store.append(trialId, { enrollments: rows, audit: rows.map((r) => draft("enrollment.create", `participant:${r.publicId}`, r.sequence)) });
    all.push(...rows);
  }
  return all;
}

export function storeContract(name: string, makeHarness: () => Promise<StoreHarness>): void {
  const withStore = (fn: (h: StoreHarness) => Promise<void>) => async () => {
    const h = await makeHarness();
    try {
      await fn(h);
    } finally {
      await h.dispose();
    }
  };

  describe(`Store contract: ${name}`, () => {
    describe("trials", () => {
      it("registers a trial with its first protocol version and audit entry", withStore(async ({ store }) => {
        const audit = await store.createTrial(newTrial("ips-2027"), [draft("trial.create", "trial:ips-2027")]);
        expect(audit).toHaveLength(1);
        expect(audit[0]).toMatchObject({ chain: "ips-2027", seq: 1, action: "trial.create" });
        const t = await store.getTrial("ips-2027");
        expect(t).toMatchObject({ id: "ips-2027", seed: "a1".repeat(32), seedCommitment: "b2".repeat(32), status: "registered" });
        expect(t?.versions).toEqual([
          { version: 1, protocolHash: "c3".repeat(32), protocolJson: newTrial("ips-2027").protocolJson, reason: null, at: at(0), source: null },
        ]);
        expect(await store.getTrial("nope")).toBeNull();
        expect(await store.listTrialIds()).toEqual(["ips-2027"]);
      }));

      it("keeps the registered protocol file with version 1 (not with amendments), and refuses one holding a CPR-shaped number", withStore(async ({ store }) => {
        const source = "id: t1\ntitle: { da: \"Forsøg\", en: \"Trial\" }  # æøå\n";
        await store.createTrial({ ...newTrial("t1"), protocolSource: source }, [draft("trial.create", "trial:t1")]);
        await store.amendTrial("t1", { protocolHash: "d4".repeat(32), protocolJson: "{\"v\":2}", reason: "r", at: at(5) }, [draft("trial.amend", "trial:t1", 5, "r")]);
        expect((await store.getTrial("t1"))?.versions.map((v) => v.source)).toEqual([source, null]);
        await expectStoreError(store.createTrial({ ...newTrial("t2"), protocolSource: "# contact 010190-1234\n" }, [draft("trial.create", "trial:t2")]), "personal_data");
        expect(await store.getTrial("t2")).toBeNull();
      }));

      it("refuses a second trial with the same id", withStore(async ({ store }) => {
        await store.createTrial(newTrial("t1"), [draft("trial.create", "trial:t1")]);
        await expectStoreError(store.createTrial(newTrial("t1"), [draft("trial.create", "trial:t1")]), "duplicate");
        expect((await store.readAudit("t1")).length).toBe(1);
      }));

      it("amends (new version with a reason) and records status changes append-only", withStore(async ({ store }) => {
        await store.createTrial(newTrial("t1"), [draft("trial.create", "trial:t1")]);
        const a = await store.amendTrial(
          "t1",
          { protocolHash: "d4".repeat(32), protocolJson: "{\"v\":2}", reason: "added a site", at: at(5) },
          [draft("trial.amend", "trial:t1", 5, "added a site")],
        );
        expect(a.version).toBe(2);
        await store.setTrialStatus("t1", { status: "open", reason: null, at: at(6) }, [draft("trial.open", "trial:t1", 6)]);
        await store.setTrialStatus("t1", { status: "closed", reason: "target reached", at: at(7) }, [draft("trial.close", "trial:t1", 7)]);
        const t = await store.getTrial("t1");
        expect(t?.versions.map((v) => [v.version, v.reason])).toEqual([[1, null], [2, "added a site"]]);
        expect(t?.status).toBe("closed");
        expect(t?.statusHistory.map((s) => s.status)).toEqual(["open", "closed"]);
        expect(verifyChain(await store.readAudit("t1"))).toMatchObject({ ok: true, count: 4 });
        await expectStoreError(
          store.amendTrial("nope", { protocolHash: "d4".repeat(32), protocolJson: "{}", reason: "r", at: at(1) }, [draft("trial.amend", "trial:nope")]),
          "not_found",
        );
      }));
    });

    describe("enrollments", () => {
      it("appends a batch with its audit entries and reads it back", withStore(async ({ store }) => {
        await store.createTrial(newTrial("t1"), [draft("trial.create", "trial:t1")]);
        const rows = [0, 1, 2, 3, 4].map((s) => enrollmentOf("t1", s, SITES[s % 3]));
        const audit = await store.append("t1", {
          enrollments: rows,
          audit: rows.map((r) => draft("enrollment.create", `participant:${r.publicId}`, r.sequence)),
        });
        expect(audit.map((e) => e.seq)).toEqual([2, 3, 4, 5, 6]);
        expect(await store.listEnrollments("t1", ALL_SITES)).toEqual(rows);
        expect(await store.loadAllocationHistory("t1")).toEqual(rows);
        expect(await store.findEnrollment("t1", { pseudonym: rows[3].pseudonym }, ALL_SITES)).toEqual(rows[3]);
        expect(await store.findEnrollment("t1", { publicId: rows[2].publicId }, ALL_SITES)).toEqual(rows[2]);
        expect(await store.findEnrollment("t1", { pseudonym: pseudonymize(KEY, cprOf(999)) }, ALL_SITES)).toBeNull();
        expect(await store.countEnrollments("t1", ALL_SITES)).toBe(5);
        expect(await store.listEnrollments("t1", ALL_SITES, { after: 1, limit: 2 })).toEqual(rows.slice(2, 4));
        expect(await store.auditHead("t1")).toEqual({ seq: 6, hash: audit[4].hash });
      }));

      it("refuses a batch for an unknown trial", withStore(async ({ store }) => {
        const e = enrollmentOf("nope", 0, "aarhus");
        await expectStoreError(store.append("nope", { enrollments: [e], audit: [draft("enrollment.create", "x")] }), "not_found");
      }));

      it("refuses a write without an audit entry", withStore(async ({ store }) => {
        await store.createTrial(newTrial("t1"), [draft("trial.create", "trial:t1")]);
        await expectStoreError(store.append("t1", { enrollments: [enrollmentOf("t1", 0, "aarhus")], audit: [] }), "invalid");
        expect(await store.countEnrollments("t1", ALL_SITES)).toBe(0);
      }));

      for (const [what, clash] of [
        ["pseudonym", (e: EnrollmentRecord) => ({ ...enrollmentOf("t1", 50, "odense", 1), sequence: 50, publicId: e.publicId + "-x" })],
        ["sequence", () => enrollmentOf("t1", 1, "odense", 77)],
        ["public id", (e: EnrollmentRecord) => ({ ...enrollmentOf("t1", 51, "odense", 78), publicId: e.publicId })],
      ] as const) {
        it(`enforces unique (trial, ${what}): a batch with a duplicate fails as a whole`, withStore(async ({ store }) => {
          await store.createTrial(newTrial("t1"), [draft("trial.create", "trial:t1")]);
          const first = [0, 1, 2].map((s) => enrollmentOf("t1", s, "aarhus"));
          await store.append("t1", { enrollments: first, audit: [draft("enrollment.create", "batch")] });
          const head = await store.auditHead("t1");
          const fresh = enrollmentOf("t1", 10, "kolding", 500);
          const dup = clash(first[1]);
          await expectStoreError(
            store.append("t1", { enrollments: [fresh, dup], audit: [draft("enrollment.create", "a"), draft("enrollment.create", "b")] }),
            "duplicate",
          );
          expect(await store.listEnrollments("t1", ALL_SITES)).toEqual(first);
          expect(await store.auditHead("t1")).toEqual(head);
          // The store is still usable, and the next write continues the chain.
          await store.append("t1", { enrollments: [fresh], audit: [draft("enrollment.create", "c")] });
          expect(verifyChain(await store.readAudit("t1"))).toMatchObject({ ok: true, count: 3 });
        }));
      }

      it("refuses duplicates inside one batch", withStore(async ({ store }) => {
        await store.createTrial(newTrial("t1"), [draft("trial.create", "trial:t1")]);
        const a = enrollmentOf("t1", 0, "aarhus");
        await expectStoreError(store.append("t1", { enrollments: [a, { ...a, sequence: 1, publicId: "p-x" }], audit: [draft("e.c", "x")] }), "duplicate");
        await expectStoreError(store.append("t1", { enrollments: [a, { ...enrollmentOf("t1", 0, "aarhus", 9) }], audit: [draft("e.c", "x")] }), "duplicate");
        expect(await store.countEnrollments("t1", ALL_SITES)).toBe(0);
      }));

      it("the same person may be in two trials (with different public ids)", withStore(async ({ store }) => {
        await store.createTrial(newTrial("t1"), [draft("trial.create", "trial:t1")]);
        await store.createTrial(newTrial("t2"), [draft("trial.create", "trial:t2")]);
        const a = enrollmentOf("t1", 0, "aarhus", 42);
        const b = enrollmentOf("t2", 0, "aarhus", 42);
        expect(a.pseudonym).toBe(b.pseudonym);
        expect(a.publicId).not.toBe(b.publicId);
        await store.append("t1", { enrollments: [a], audit: [draft("enrollment.create", "a")] });
        await store.append("t2", { enrollments: [b], audit: [draft("enrollment.create", "b")] });
        expect(await store.countEnrollments("t2", ALL_SITES)).toBe(1);
      }));

      it("serializes concurrent writers: 60 appends at once all land, each chain verifies", withStore(async ({ store }) => {
        await store.createTrial(newTrial("t1"), [draft("trial.create", "trial:t1")]);
        await store.createTrial(newTrial("t2"), [draft("trial.create", "trial:t2")]);
        await Promise.all(
          Array.from({ length: 60 }, (_, i) => {
            const trial = i % 2 === 0 ? "t1" : "t2";
            const e = enrollmentOf(trial, i, SITES[i % 3]);
            return store.append(trial, { enrollments: [e], audit: [draft("enrollment.create", `participant:${e.publicId}`, i)] });
          }),
        );
        expect(await store.countEnrollments("t1", ALL_SITES)).toBe(30);
        expect(verifyChain(await store.readAudit("t1"))).toMatchObject({ ok: true, count: 31 });
        expect(verifyChain(await store.readAudit("t2"))).toMatchObject({ ok: true, count: 31 });
      }));

      it("reads alongside writes see only whole batches", withStore(async ({ store }) => {
        await store.createTrial(newTrial("t1"), [draft("trial.create", "trial:t1")]);
        const writes = Array.from({ length: 20 }, (_, b) => {
          const rows = [0, 1, 2].map((k) => enrollmentOf("t1", b * 3 + k, SITES[k]));
          return store.append("t1", { enrollments: rows, audit: [draft("enrollment.create", `batch:${b}`)] });
        });
        const reads = Array.from({ length: 40 }, () => store.countEnrollments("t1", ALL_SITES));
        const counts = await Promise.all(reads);
        await Promise.all(writes);
        for (const n of counts) expect(n % 3).toBe(0);
        expect(await store.countEnrollments("t1", ALL_SITES)).toBe(60);
      }));

      it("refuses a batch over the adapter's limit", withStore(async ({ store }) => {
        await store.createTrial(newTrial("t1"), [draft("trial.create", "trial:t1")]);
        const n = store.limits.maxBatchRows;
        if (n > 200_000) return; // too large to build here; the shared validation is the same code
        const rows = Array.from({ length: n }, (_, s) => enrollmentOf("t1", s, "aarhus"));
        await expectStoreError(store.append("t1", { enrollments: rows, audit: [draft("enrollment.create", "bulk")] }), "too_large");
      }));
    });

    describe("corrections, withdrawals, error flags, outcomes", () => {
      it("append-only rows refer to enrolled participants and are read back in order", withStore(async ({ store }) => {
        await store.createTrial(newTrial("t1"), [draft("trial.create", "trial:t1")]);
        const [a, b] = await enrollBatches(store, "t1", 1, 2);
        await store.append("t1", {
          baselineCorrections: [{ publicId: a.publicId, baseline: { age: 31 }, reason: "typo in age", at: at(10) }],
          withdrawals: [{ publicId: b.publicId, effective: "2027-04-01", reason: "moved away", at: at(11) }],
          errorFlags: [{ publicId: a.publicId, reason: "was under 18 at enrollment", at: at(12) }],
          outcomes: [
            { publicId: a.publicId, outcome: "employed", timePoint: "week-52", value: true, observedAt: "2028-03-01", source: "register", recordedAt: at(13) },
            { publicId: a.publicId, outcome: "hours", timePoint: null, value: 12.5, observedAt: at(13), source: "site", recordedAt: at(13) },
          ],
          audit: [draft("participant.update", "batch", 10, "register import 2028-03")],
        });
        await store.append("t1", {
          baselineCorrections: [{ publicId: a.publicId, baseline: { age: 32 }, reason: "second fix", at: at(20) }],
          audit: [draft("baseline.correct", `participant:${a.publicId}`, 20, "second fix")],
        });
        expect((await store.listBaselineCorrections("t1", ALL_SITES)).map((c) => c.baseline)).toEqual([{ age: 31 }, { age: 32 }]);
        expect(await store.listWithdrawals("t1", ALL_SITES)).toEqual([
          { publicId: b.publicId, effective: "2027-04-01", reason: "moved away", at: at(11) },
        ]);
        expect(await store.listErrorFlags("t1", ALL_SITES)).toHaveLength(1);
        expect((await store.listOutcomes("t1", ALL_SITES)).map((o) => o.value)).toEqual([true, 12.5]);
        // The allocation history keeps the baseline as entered.
        expect((await store.loadAllocationHistory("t1"))[0].baseline).toEqual(a.baseline);
      }));

      it("takes a register import of thousands of outcome values in one batch", withStore(async ({ store }) => {
        await store.createTrial(newTrial("t1"), [draft("trial.create", "trial:t1")]);
        // 3,000 people, in batches the adapter accepts (each enrollment carries its own audit entry).
        const perBatch = Math.min(3000, Math.floor(store.limits.maxBatchRows / 2));
        const people = await enrollBatches(store, "t1", Math.ceil(3000 / perBatch), perBatch);
        const outcomes = people.flatMap((p) =>
          ["week-26", "week-52"].map((timePoint) => ({
            publicId: p.publicId, outcome: "employed", timePoint, value: p.sequence % 2 === 0, observedAt: "2028-03-01", source: "register" as const, recordedAt: at(9),
          })),
        );
        for (let i = 0; i < outcomes.length; i += store.limits.maxBatchRows - 1) {
          await store.append("t1", { outcomes: outcomes.slice(i, i + store.limits.maxBatchRows - 1), audit: [draft("outcome.import", "register-extract", 9)] });
        }
        const stored = await store.listOutcomes("t1", ALL_SITES);
        expect(stored).toHaveLength(outcomes.length);
        expect(stored.filter((o) => o.value === true)).toHaveLength(outcomes.filter((o) => o.value).length);
      }));

      it("refuses rows about an unknown participant, atomically", withStore(async ({ store }) => {
        await store.createTrial(newTrial("t1"), [draft("trial.create", "trial:t1")]);
        const [a] = await enrollBatches(store, "t1", 1, 1);
        const other = enrollmentOf("t2", 0, "aarhus", 5);
        await expectStoreError(
          store.append("t1", {
            withdrawals: [
              { publicId: a.publicId, effective: "2027-04-01", reason: "r", at: at(2) },
              { publicId: other.publicId, effective: "2027-04-01", reason: "r", at: at(2) },
            ],
            audit: [draft("participant.withdraw", "x")],
          }),
          "not_found",
        );
        expect(await store.listWithdrawals("t1", ALL_SITES)).toEqual([]);
        // A participant enrolled in the same batch may be referred to.
        const fresh = enrollmentOf("t1", 1, "odense", 6);
        await store.append("t1", {
          enrollments: [fresh],
          errorFlags: [{ publicId: fresh.publicId, reason: "enrolled twice by mistake", at: at(3) }],
          audit: [draft("enrollment.create", "y")],
        });
        expect(await store.listErrorFlags("t1", ALL_SITES)).toHaveLength(1);
      }));
    });

    describe("site scoping", () => {
      it("a site scope sees only its own participants, in every participant read", withStore(async ({ store }) => {
        await store.createTrial(newTrial("t1"), [draft("trial.create", "trial:t1")]);
        const rows = await enrollBatches(store, "t1", 3, 10);
        await store.append("t1", {
          withdrawals: rows.map((r) => ({ publicId: r.publicId, effective: "2027-05-01", reason: "r", at: at(100) })),
          outcomes: rows.map((r) => ({
            publicId: r.publicId, outcome: "employed", timePoint: "week-26", value: r.sequence % 2 === 0, observedAt: "2027-09-01", source: "site" as const, recordedAt: at(101),
          })),
          baselineCorrections: rows.map((r) => ({ publicId: r.publicId, baseline: { age: 40 }, reason: "r", at: at(102) })),
          errorFlags: rows.map((r) => ({ publicId: r.publicId, reason: "r", at: at(103) })),
          audit: [draft("participant.update", "all")],
        });
        for (const site of SITES) {
          const scope = siteScope(site);
          const mine = rows.filter((r) => r.site === site);
          const mineIds = new Set(mine.map((r) => r.publicId));
          expect(await store.listEnrollments("t1", scope)).toEqual(mine);
          expect(await store.countEnrollments("t1", scope)).toBe(mine.length);
          for (const list of [
            await store.listWithdrawals("t1", scope),
            await store.listOutcomes("t1", scope),
            await store.listBaselineCorrections("t1", scope),
            await store.listErrorFlags("t1", scope),
          ]) {
            expect(list).toHaveLength(mine.length);
            for (const row of list) expect(mineIds.has(row.publicId)).toBe(true);
          }
          const foreign = rows.find((r) => r.site !== site)!;
          expect(await store.findEnrollment("t1", { pseudonym: foreign.pseudonym }, scope)).toBeNull();
          expect(await store.findEnrollment("t1", { publicId: foreign.publicId }, scope)).toBeNull();
          expect(await store.findEnrollment("t1", { publicId: mine[0].publicId }, scope)).toEqual(mine[0]);
        }
        expect(await store.listEnrollments("t1", siteScope("nowhere"))).toEqual([]);

        // One participant's rows: within its site, none through another site, everyone's through "all".
        const one = rows[4];
        const other = SITES.find((s) => s !== one.site)!;
        for (const scope of [participantScope(siteScope(one.site), one.publicId), participantScope(ALL_SITES, one.publicId)]) {
          expect(await store.listEnrollments("t1", scope)).toEqual([one]);
          expect(await store.countEnrollments("t1", scope)).toBe(1);
          for (const list of [
            await store.listWithdrawals("t1", scope),
            await store.listOutcomes("t1", scope),
            await store.listBaselineCorrections("t1", scope),
            await store.listErrorFlags("t1", scope),
          ]) {
            expect(list.map((r) => r.publicId)).toEqual([one.publicId]);
          }
          expect(await store.findEnrollment("t1", { publicId: one.publicId }, scope)).toEqual(one);
          expect(await store.findEnrollment("t1", { publicId: rows[5].publicId }, scope)).toBeNull();
        }
        const elsewhere = participantScope(siteScope(other), one.publicId);
        expect(await store.listEnrollments("t1", elsewhere)).toEqual([]);
        expect(await store.listOutcomes("t1", elsewhere)).toEqual([]);
        expect(await store.listWithdrawals("t1", elsewhere)).toEqual([]);
      }));

      it("refuses a malformed scope instead of reading everything", withStore(async ({ store }) => {
        await store.createTrial(newTrial("t1"), [draft("trial.create", "trial:t1")]);
        await expectStoreError(store.listEnrollments("t1", { kind: "site" } as never), "invalid");
        await expectStoreError(store.listEnrollments("t1", undefined as never), "invalid");
        await expectStoreError(store.listOutcomes("t1", { kind: "all", participant: "" }), "invalid");
        await expectStoreError(store.listOutcomes("t1", { kind: "all", participant: 7 } as never), "invalid");
      }));
    });

    describe("audit chain", () => {
      it("verifies after many batches of varying size, across trials and the registry", withStore(async ({ store }) => {
        await store.createTrial(newTrial("t1"), [draft("trial.create", "trial:t1")]);
        await store.createTrial(newTrial("t2"), [draft("trial.create", "trial:t2")]);
        let seq = 0;
        for (let b = 0; b < 120; b++) {
          const size = 1 + ((b * 7) % 13);
          const trial = b % 3 === 0 ? "t2" : "t1";
          const rows = Array.from({ length: size }, () => enrollmentOf(trial, seq++, SITES[seq % 3]));
          await store.append(trial, { enrollments: rows, audit: rows.map((r) => draft("enrollment.create", `participant:${r.publicId}`, r.sequence)) });
          if (b % 10 === 0) await store.appendAudit(trial, [draft("enrollment.read", "list", b, "monthly report")]);
        }
        await createToken(store, { role: "researcher", name: "Analyst", at: at(1), actor: { tokenId: null, role: "system" } });
        const t1 = await store.readAudit("t1");
        const t2 = await store.readAudit("t2");
        const v1 = verifyChain(t1);
        expect(v1.ok).toBe(true);
        expect(verifyChain(t2).ok).toBe(true);
        expect(t1.length + t2.length).toBe(2 + seq + 12);
        expect(verifyChain(await store.readAudit("registry"))).toMatchObject({ ok: true, count: 1 });
        // Paging gives the same chain.
        const firstHalf = await store.readAudit("t1", { limit: 100 });
        const rest = await store.readAudit("t1", { after: 100 });
        expect([...firstHalf, ...rest]).toEqual(t1);
        expect(verifyChain(rest, { after: { seq: 100, hash: firstHalf[99].hash } }).ok).toBe(true);
        expect(await store.auditHead("t1")).toEqual(v1.ok ? v1.head : null);
      }));

      it("refuses audit for an unknown trial's chain", withStore(async ({ store }) => {
        await expectStoreError(store.appendAudit("nope", [draft("enrollment.read", "x")]), "not_found");
      }));

      it("detects tampering with one stored audit row at that row", withStore(async (h) => {
        if (h.tamperAudit === undefined) return;
        await h.store.createTrial(newTrial("t1"), [draft("trial.create", "trial:t1")]);
        await enrollBatches(h.store, "t1", 20, 5);
        expect(verifyChain(await h.store.readAudit("t1")).ok).toBe(true);
        const store = await h.tamperAudit("t1", 57, "action", "enrollment.delete");
        const v = verifyChain(await store.readAudit("t1"));
        expect(v.ok).toBe(false);
        if (!v.ok) expect(v.firstBroken).toMatchObject({ seq: 57, problem: "hash" });
      }));
    });

    describe("tokens", () => {
      it("creates, finds by hash, revokes; all recorded in the registry chain", withStore(async ({ store }) => {
        const actor = { tokenId: null, role: "system" as const };
        const m = await createToken(store, { role: "municipality", site: "aarhus", name: "Jobcenter Aarhus", at: at(1), actor });
        const r = await createToken(store, { role: "researcher", name: "VIVE", at: at(2), actor });
        expect(m.token).not.toBe(r.token);
        expect(await authenticate(store, m.token)).toEqual({ tokenId: m.record.id, role: "municipality", site: "aarhus", name: "Jobcenter Aarhus" });
        expect(await authenticate(store, r.token)).toMatchObject({ role: "researcher", site: null });
        expect(await authenticate(store, `${m.token.slice(0, -1)}${m.token.endsWith("A") ? "B" : "A"}`)).toBeNull();
        const listed = await store.listTokens();
        expect(listed.map((t) => t.id).sort()).toEqual([m.record.id, r.record.id].sort());
        for (const t of listed) expect(JSON.stringify(t)).not.toContain(m.token.slice(4));
        await revokeToken(store, m.record.id, { reason: "staff left", at: at(3), actor });
        expect(await authenticate(store, m.token)).toBeNull();
        expect(await store.getToken(m.record.id)).toMatchObject({ revokedAt: at(3), revokeReason: "staff left" });
        await expectStoreError(store.revokeToken(m.record.id, { reason: "again", at: at(4) }, [draft("token.revoke", "x")]), "conflict");
        await expectStoreError(store.revokeToken("tok-none", { reason: "x", at: at(4) }, [draft("token.revoke", "x")]), "not_found");
        const chain = await store.readAudit("registry");
        expect(chain.map((e) => e.action)).toEqual(["token.create", "token.create", "token.revoke"]);
        expect(verifyChain(chain).ok).toBe(true);
      }));

      it("refuses a municipality token without a site and a site on other roles", withStore(async ({ store }) => {
        const base = { tokenId: null, role: "system" as const };
        await expect(createToken(store, { role: "municipality", name: "x", at: at(1), actor: base })).rejects.toThrow(/site/);
        await expect(createToken(store, { role: "agency", site: "aarhus", name: "x", at: at(1), actor: base })).rejects.toThrow(/site/);
        expect(await store.listTokens()).toEqual([]);
      }));
    });

    describe("pseudonym key binding", () => {
      it("binds the first fingerprint and refuses another", withStore(async (h) => {
        await h.store.bindKeyFingerprint("11".repeat(32));
        await h.store.bindKeyFingerprint("11".repeat(32));
        await expectStoreError(h.store.bindKeyFingerprint("22".repeat(32)), "key_mismatch");
        if (h.reopen !== undefined) {
          const again = await h.reopen();
          await expectStoreError(again.bindKeyFingerprint("22".repeat(32)), "key_mismatch");
          await again.bindKeyFingerprint("11".repeat(32));
        }
      }));
    });

    describe("durability", () => {
      it("reopening gives everything back", withStore(async (h) => {
        if (h.reopen === undefined) return;
        await h.store.createTrial(newTrial("t1"), [draft("trial.create", "trial:t1")]);
        const rows = await enrollBatches(h.store, "t1", 7, 9);
        await h.store.append("t1", {
          outcomes: [{ publicId: rows[0].publicId, outcome: "employed", timePoint: "week-52", value: 1, observedAt: "2028-03-01", source: "register", recordedAt: at(99) }],
          audit: [draft("outcome.record", "batch")],
        });
        const { token } = await createToken(h.store, { role: "agency", name: "STAR", at: at(1), actor: { tokenId: null, role: "system" } });
        const before = {
          trial: await h.store.getTrial("t1"),
          enrollments: await h.store.listEnrollments("t1", ALL_SITES),
          outcomes: await h.store.listOutcomes("t1", ALL_SITES),
          audit: await h.store.readAudit("t1"),
          registry: await h.store.readAudit("registry"),
        };
        const store = await h.reopen();
        expect(await store.getTrial("t1")).toEqual(before.trial);
        expect(await store.listEnrollments("t1", ALL_SITES)).toEqual(before.enrollments);
        expect(await store.listOutcomes("t1", ALL_SITES)).toEqual(before.outcomes);
        expect(await store.readAudit("t1")).toEqual(before.audit);
        expect(await store.readAudit("registry")).toEqual(before.registry);
        expect(await authenticate(store, token)).toMatchObject({ role: "agency" });
        // The chain continues where it stopped.
        await enrollBatches(store, "t1", 1, 3, rows.length);
        expect(verifyChain(await store.readAudit("t1"))).toMatchObject({ ok: true, count: 1 + rows.length + 1 + 3 });
      }));
    });

    describe("privacy", () => {
      it("refuses CPR-shaped text in every free-text field, without echoing it", withStore(async ({ store }) => {
        await store.createTrial(newTrial("t1"), [draft("trial.create", "trial:t1")]);
        const [a] = await enrollBatches(store, "t1", 1, 1);
        const cpr = "010190-1234";
        const e = enrollmentOf("t1", 5, "aarhus", 5);
        const attempts: Array<() => Promise<unknown>> = [
          () => store.append("t1", { enrollments: [{ ...e, baseline: { cpr } }], audit: [draft("enrollment.create", "x")] }),
          () => store.append("t1", { enrollments: [{ ...e, baseline: { note: `cpr ${cpr.replace("-", "")}` } }], audit: [draft("enrollment.create", "x")] }),
          () => store.append("t1", { enrollments: [{ ...e, publicId: cpr }], audit: [draft("enrollment.create", "x")] }),
          () => store.append("t1", { enrollments: [{ ...e, stratum: cpr }], audit: [draft("enrollment.create", "x")] }),
          () => store.append("t1", { enrollments: [{ ...e, site: cpr.replace("-", "") }], audit: [draft("enrollment.create", "x")] }),
          () => store.append("t1", { enrollments: [e], audit: [draft("enrollment.create", `participant:${cpr}`)] }),
          () => store.append("t1", { enrollments: [e], audit: [draft("enrollment.create", "x", 0, `asked by ${cpr}`)] }),
          () => store.append("t1", { withdrawals: [{ publicId: a.publicId, effective: "2027-04-01", reason: cpr, at: at(1) }], audit: [draft("w", "x")] }),
          () => store.append("t1", {
            outcomes: [{ publicId: a.publicId, outcome: "employed", timePoint: null, value: cpr, observedAt: "2027-04-01", source: "site", recordedAt: at(1) }],
            audit: [draft("o", "x")],
          }),
          () => store.appendAudit("t1", [draft("enrollment.read", cpr)]),
          () => createToken(store, { role: "researcher", name: `Analyst ${cpr}`, at: at(1), actor: { tokenId: null, role: "system" } }),
        ];
        for (const attempt of attempts) await expectStoreError(attempt(), "personal_data");
        // A CPR typed into a field with a fixed format is refused as malformed, and not echoed.
        for (const attempt of [
          () => store.appendAudit("t1", [{ ...draft("x", "y"), action: cpr }]),
          () => store.appendAudit("t1", [{ ...draft("x", "y"), at: cpr }]),
          () => store.appendAudit("t1", [{ ...draft("x", "y"), role: cpr as never }]),
          () => store.append("t1", { enrollments: [{ ...e, enrolledAt: cpr }], audit: [draft("enrollment.create", "x")] }),
          () => store.append("t1", { withdrawals: [{ publicId: a.publicId, effective: cpr, reason: "r", at: at(1) }], audit: [draft("w", "x")] }),
        ]) {
          await expectStoreError(attempt(), "invalid");
        }
        // Ids looked up, not stored, are not echoed either.
        await expectStoreError(store.appendAudit(cpr, [draft("x", "y")]), "personal_data");
        await expectStoreError(store.append(cpr, { audit: [draft("x", "y")] }), "personal_data");
        await expectStoreError(store.revokeToken(cpr, { reason: "r", at: at(1) }, [draft("token.revoke", "x")]), "not_found");
        // A CPR passed where a pseudonym belongs is refused as malformed.
        await expectStoreError(
          store.append("t1", { enrollments: [{ ...e, pseudonym: cpr }], audit: [draft("enrollment.create", "x")] }),
          "invalid",
        );
        await expectStoreError(store.findEnrollment("t1", { pseudonym: "0101901234" }, ALL_SITES), "invalid");
        // Ten digits in a row inside a hash or a 32-hex random id are not a CPR; outside one they are.
        const packageId = "ev-0123456789abcdef0123456789abcdef";
        const hash = `${"a".repeat(20)}1234567890${"b".repeat(34)}`;
        await store.appendAudit("t1", [draft("evidence.publish", `trial:t1/evidence:${packageId}`, 0, `extract sha256 ${hash}`)]);
        await expectStoreError(store.appendAudit("t1", [draft("x", "evidence:ev-0101901234abc")]), "personal_data");
        expect(await store.countEnrollments("t1", ALL_SITES)).toBe(1);
      }));

      it("no CPR-shaped string reaches what the store persists", withStore(async (h) => {
        if (h.rawContents === undefined) return;
        await h.store.createTrial(newTrial("t1"), [draft("trial.create", "trial:t1")]);
        const rows = await enrollBatches(h.store, "t1", 40, 25);
        await h.store.append("t1", {
          outcomes: rows.map((r) => ({
            publicId: r.publicId, outcome: "employed", timePoint: "week-52", value: r.sequence % 3 === 0, observedAt: "2028-03-01", source: "register" as const, recordedAt: at(5),
          })),
          audit: [draft("outcome.import", "register-extract-2028-03", 5, "weekly import")],
        });
        await createToken(h.store, { role: "municipality", site: "aarhus", name: "Jobcenter Aarhus", at: at(1), actor: { tokenId: null, role: "system" } });
        // Refused attempts must not leave traces either.
        await h.store.append("t1", { enrollments: [{ ...enrollmentOf("t1", 5000, "aarhus", 5000), baseline: { x: "010190-1234" } }], audit: [draft("e.c", "x")] }).catch(() => undefined);
        const latin1 = new TextDecoder("latin1");
        const texts = (await h.rawContents()).map((bytes) => latin1.decode(bytes));
        expect(texts.reduce((n, t) => n + t.length, 0)).toBeGreaterThan(0);
        for (const t of texts) expect(t.match(CPR_SHAPED_GLOBAL) ?? []).toEqual([]);
      }));
    });
  });
}
