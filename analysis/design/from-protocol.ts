/**
 * The design view of a protocol: its arms, its design and its site ids. Typed structurally, so any
 * loaded protocol fits and the design code does not pull in the protocol loader (YAML, zod) at
 * run time.
 */
import type { Design } from "../../protocols/design-schema.ts";
import type { TrialDesign } from "./coder.ts";

/** The parts of a protocol the designs read. */
export interface ProtocolDesignView {
  arms: readonly { id: string; ratio: number; control: boolean }[];
  design: Design;
  sites: readonly { id: string }[];
}

export function trialDesignOf(protocol: ProtocolDesignView): TrialDesign {
  return { arms: protocol.arms.map((a) => ({ id: a.id, ratio: a.ratio, control: a.control })), design: protocol.design, sites: protocol.sites.map((s) => s.id) };
}
