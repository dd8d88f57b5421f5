/**
 * Before the Worker tests: runs the parity sequence through the Node server on DuckDB and provides
 * what it gives to parity.worker.test.ts (`inject("nodeParity")`), which compares the Worker's
 * answers with it. The two servers are compared in the same run, never with a stored snapshot.
 */
import type { TestProject } from "vitest/node";
import { nodeParityRecord } from "./parity-node.ts";
import type { ParityRecord } from "./parity-sequence.ts";

declare module "vitest" {
  export interface ProvidedContext {
    nodeParity: ParityRecord;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  project.provide("nodeParity", await nodeParityRecord());
}
