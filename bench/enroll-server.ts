/**
 * The Node server for `bench/enroll.ts --without-store-write`: the same app, protocols and DuckDB
 * store as `virker serve`, except that the store's batch write (enrollments with their audit entries)
 * is validated and then skipped: nothing is durable. A diagnostic, not a mode of the server: the
 * difference to the real run is what the DuckDB write costs per enrollment, the rest is what
 * everything else costs (HTTP, validation, pseudonyms, eligibility, allocation, group commit).
 *
 *     node --import tsx bench/enroll-server.ts --db FILE --protocols DIR
 */
import { parseArgs } from "node:util";
import { startNodeServer } from "../api/node.ts";
import { openDuckDbStore } from "../api/store/duckdb.ts";
import type { TrialBatch } from "../api/store/store.ts";
import { validateBatch } from "../api/store/validate.ts";

const { values } = parseArgs({ options: { db: { type: "string" }, protocols: { type: "string" } }, strict: true });
const real = await openDuckDbStore({ path: values.db! });
const store = new Proxy(real, {
  get(target, name) {
    if (name === "append") {
      return async (trialId: string, batch: TrialBatch) => {
        validateBatch(trialId, batch, target.limits);
        return [];
      };
    }
    const value = Reflect.get(target, name, target);
    return typeof value === "function" ? value.bind(target) : value;
  },
});
const server = await startNodeServer({ port: 0, hostname: "127.0.0.1", db: values.db, protocols: values.protocols, store });
console.log(`bench server (store write skipped) on http://127.0.0.1:${server.port}`);
process.once("SIGTERM", () => void server.close().then(() => process.exit(0)));
