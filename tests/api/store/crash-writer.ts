/**
 * Child process for the crash test in `duckdb.test.ts`: opens the store at argv[2], registers trial
 * t1 if needed, then appends enrollments through the commit queue forever, printing `ack <sequence>`
 * for each one only after its commit has resolved. The test kills it with SIGKILL.
 */
import { openDuckDbStore } from "../../../api/store/duckdb.ts";
import { CommitQueue } from "../../../api/store/commit-queue.ts";
import { enrollmentOf } from "./contract.ts";

const path = process.argv[2];
const store = await openDuckDbStore({ path, warn: () => undefined });
const at = "2027-01-01T00:00:00.000Z";
if ((await store.getTrial("t1")) === null) {
  await store.createTrial(
    { id: "t1", seed: "aa".repeat(32), seedCommitment: "bb".repeat(32), protocolHash: "cc".repeat(32), protocolJson: "{}", at },
    [{ at, tokenId: null, role: "system", action: "trial.create", target: "trial:t1", reason: null }],
  );
}
let next = await store.countEnrollments("t1", { kind: "all" });
const queue = new CommitQueue<number, number>({
  maxBatch: 32,
  commit: async (trialId, people) => {
    const rows = people.map((p) => enrollmentOf(trialId, next + people.indexOf(p), "aarhus", p));
    await store.append(trialId, {
      enrollments: rows,
      audit: rows.map((r) => ({ at, tokenId: "tok-x", role: "municipality" as const, action: "enrollment.create", target: `participant:${r.publicId}`, reason: null })),
    });
    next += rows.length;
    return rows.map((r) => r.sequence);
  },
});
process.stdout.write("ready\n");
let person = next;
// 16 concurrent clients, each waiting for its acknowledgement before sending the next.
await Promise.all(
  Array.from({ length: 16 }, async () => {
    for (;;) {
      const sequence = await queue.submit("t1", person++);
      process.stdout.write(`ack ${sequence}\n`);
    }
  }),
);
