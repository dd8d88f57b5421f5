/**
 * The plan analyses a trial as it was randomized: by stratum for stratified designs
 * (`difference_in_means(..., blocks =)`) and by cluster for cluster designs (`clusters =`, CR2, also
 * for `lm_lin`). Expected values are estimatr 1.0's on the NSW data with an imposed design:
 *
 *   d$treat <- as.integer(d$arm == "training")
 *   difference_in_means(re78 ~ treat, blocks = interaction(black, married), data = d)
 *   difference_in_means(employed78 ~ treat, blocks = interaction(black, married), data = d)
 *   # teams of 15 in file order within each arm: t1..t13 training, t14..t31 control
 *   difference_in_means(re78 ~ treat, clusters = team, data = d)
 *   lm_lin(re78 ~ treat, covariates = ~ age + educ + black + hisp + married + nodegr + re74 + re75, clusters = team, data = d)
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runPlan, type DataSet } from "../../analysis/plan.ts";
import { readTable } from "../../api/datasets/table.ts";
import { loadProtocol, type Protocol } from "../../protocols/index.ts";
import { expectClose } from "./estimators/csv.ts";

const FILE = "protocols/examples/nsw-lalonde.yaml";
const DATA = "../shared/reference/lalonde_nsw.csv";

function protocolWith(design: string, extraCovariate = ""): Protocol {
  let text = readFileSync(FILE, "utf8").replace(/design:\n  type: simple\n/, `design:\n${design}`);
  if (extraCovariate) text = text.replace("covariates:\n", `covariates:\n${extraCovariate}`);
  const loaded = loadProtocol(text, FILE);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  return loaded.protocol;
}

async function nsw(): Promise<DataSet & { arm: (string | null)[] }> {
  const table = await readTable(DATA);
  const arm = table.columns.get("arm") as (string | null)[];
  return { rows: table.rows, columns: table.columns, arm };
}

const find = (evidence: ReturnType<typeof runPlan>, outcome: string, estimator: string) =>
  evidence.results.find((r) => r.outcome === outcome && r.estimator === estimator && r.subgroup === null)!;

function expectR(row: { estimate: number; std_error: number | null; df: number | null; p_value: number | null; ci_lower: number | null; ci_upper: number | null }, r: number[]) {
  expectClose(row.estimate, r[0]);
  expectClose(row.std_error!, r[1]);
  expectClose(row.df!, r[2]);
  expectClose(row.p_value!, r[3]);
  expectClose(row.ci_lower!, r[4]);
  expectClose(row.ci_upper!, r[5]);
}

describe("analysis that follows the design", () => {
  it("stratified design: difference in means and risk difference by stratum (estimatr blocks =)", async () => {
    const protocol = protocolWith("  type: stratified\n  strata: [black, married]\n  block_sizes: [4]\n");
    const evidence = runPlan(protocol, await nsw(), { draws: 0 });
    expectR(find(evidence, "re78", "difference_in_means"), [1830.8092871111, 666.2835643611, 437, 0.0062480541, 521.2906836102, 3140.3278906121]);
    expectR(find(evidence, "employed78", "risk_difference"), [0.1138455376, 0.0426921696, 437, 0.0079451887, 0.0299380344, 0.1977530408]);
  });

  it("cluster design: CR2 with Bell–McCaffrey df for difference in means and Lin's estimator (estimatr clusters =)", async () => {
    const levels = Array.from({ length: 31 }, (_, k) => `t${k + 1}`);
    const protocol = protocolWith(
      "  type: cluster\n  unit: team\n",
      `  - { id: team, type: category, levels: [${levels.join(", ")}], label: { da: Hold, en: Team } }\n`,
    );
    const data = await nsw();
    const team: string[] = new Array(data.rows);
    let next = 0;
    for (const arm of ["training", "control"]) {
      const rows = data.arm.flatMap((a, i) => (a === arm ? [i] : []));
      rows.forEach((i, k) => (team[i] = `t${next + Math.floor(k / 15) + 1}`));
      next += Math.ceil(rows.length / 15);
    }
    const columns = new Map(data.columns);
    columns.set("team", team);
    const evidence = runPlan(protocol, { rows: data.rows, columns }, { draws: 0 });
    expectR(find(evidence, "re78", "difference_in_means"), [1794.3430848753, 657.8024501147, 25.020057508, 0.0114886466, 439.6286460501, 3149.0575237004]);
    expectR(find(evidence, "re78", "lm_lin"), [1621.5836237967, 627.4721775233, 23.434961383, 0.0164427815, 324.8903253868, 2918.2769222066]);
  });

  it("a subgroup level where the outcome is the same in both arms loses its row, not the subgroup", async () => {
    const protocol = protocolWith("  type: simple\n");
    const data = await nsw();
    const nodegr = data.columns.get("nodegr")!;
    const columns = new Map(data.columns);
    // Everyone with a degree (nodegr = 0) employed in 1978, in both arms.
    columns.set("employed78", (data.columns.get("employed78") as Float64Array).map((v, i) => (nodegr[i] === 0 ? 1 : v)));
    const evidence = runPlan(protocol, { rows: data.rows, columns }, { draws: 0 });
    const rows = evidence.results.filter((r) => r.outcome === "employed78" && r.subgroup?.variable === "nodegr");
    expect(rows.map((r) => r.subgroup!.level)).toEqual(["1"]);
    expect(evidence.heterogeneity.some((h) => h.outcome === "employed78" && h.variable === "nodegr")).toBe(true);
    expect(evidence.warnings).toContainEqual(expect.stringMatching(/^subgroup nodegr \(training vs control\): employed78: subgroup nodegr = 0: the outcome is 1 for everyone treated and 1 for everyone in control \(difference 0\)/));
  });

  it("says so when the data lack the design's strata column, and analyses without it", async () => {
    const protocol = protocolWith("  type: stratified\n  strata: [black, married]\n  block_sizes: [4]\n");
    const data = await nsw();
    const columns = new Map(data.columns);
    columns.delete("married");
    const evidence = runPlan({ ...protocol, analysis: { ...protocol.analysis, adjustment_covariates: ["age"] } }, { rows: data.rows, columns }, { draws: 0 });
    expect(evidence.warnings.some((w) => /no married column/.test(w))).toBe(true);
    // Unblocked: estimatr::difference_in_means(re78 ~ treat) = 1794.343 (the reference value).
    expectClose(find(evidence, "re78", "difference_in_means").estimate, 1794.3430848753);
  });
});
