import { storeContract } from "../api/store/contract.ts";
import { durableHarness } from "./store-harness.ts";

storeContract("Durable Objects (SQLite) in workerd", durableHarness);
