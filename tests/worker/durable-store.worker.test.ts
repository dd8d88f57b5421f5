import { storeContract } from "../api/store/contract.ts";
import { durableHarness } from "./store-harness.ts";

storeContract("Durable Objects (SQLite) in workerd", () => durableHarness());

// The same contract with long reads split into RPC answers of 7 rows (5,000 by default), so that the
// joining of pages is exercised by every list and chain read.
storeContract("Durable Objects, RPC answers of 7 rows", () => durableHarness({ rpcPageSize: 7 }));
