/** The design view of a protocol: its arms, its design and its sites. */
import { designArms, type Protocol } from "../../protocols/index.ts";
import type { TrialDesign } from "./coder.ts";

export function trialDesignOf(protocol: Protocol): TrialDesign {
  return { arms: designArms(protocol), design: protocol.design, sites: protocol.sites.map((s) => s.id) };
}
