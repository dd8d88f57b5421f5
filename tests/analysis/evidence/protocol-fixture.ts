/** A small protocol for the evidence tests, written as YAML and loaded through the real loader. */
import { loadProtocol, type Protocol } from "../../../protocols/index.ts";

export interface FixtureOptions {
  sites?: string[];
  outcomes?: string;
  analysisOutcomes?: string;
  covariates?: string;
  subgroups?: string;
  extraAnalysis?: string;
  economics?: string;
  costs?: [number, number];
  design?: string;
}

export function fixtureProtocol(options: FixtureOptions = {}): Protocol {
  const sites = (options.sites ?? ["s1"]).map((s) => `  - { id: "${s}", name: Site ${s}, enrollment: { from: "2024-01-01" } }`).join("\n");
  const [treatCost, controlCost] = options.costs ?? [0, 0];
  const text = `id: fixture
version: 1
title: { da: Testforsøg, en: Test trial }
sponsor: Test
contact: { name: Test, email: test@virker.example }
population:
  description: { da: Alle, en: Everyone }
arms:
  - id: treat
    label: { da: Indsats, en: Intervention }
    ratio: 1
    cost: { dkk_per_participant: ${treatCost}, covers: { da: Indsats, en: Intervention } }
  - id: control
    label: { da: Sædvanlig indsats, en: Usual services }
    ratio: 1
    control: true
    cost: { dkk_per_participant: ${controlCost}, covers: { da: Intet, en: Nothing } }
design:
${options.design ?? "  type: simple"}
sites:
${sites}
covariates:
${options.covariates ?? "  []"}
outcomes:
${options.outcomes ?? `  - { id: y, label: { da: Y, en: Y }, type: continuous, source: { type: site }, role: primary, benefit: higher }`}
subgroups:
${options.subgroups ?? "  []"}
analysis:
  primary_outcome: y
  outcomes:
${options.analysisOutcomes ?? "    y: { estimators: [difference_in_means] }"}
  multiplicity: [holm, bh]
${options.extraAnalysis ?? ""}
${options.economics ?? ""}
`;
  const loaded = loadProtocol(text, "fixture.yaml");
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems, null, 1));
  return loaded.protocol;
}
