import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { differenceInMeansClustered } from "../../../analysis/estimators/difference-in-means-clustered.ts";
import { expectMatchesR, num, readCsv } from "./csv.ts";

const dir = "tests/reference/dim-clustered/";
const r = JSON.parse(readFileSync(`${dir}expected.json`, "utf8"));
const d = readCsv(`${dir}data.csv`);

describe("clustered difference in means against estimatr", () => {
  it("CR2 with Bell-McCaffrey df", () => {
    const est = differenceInMeansClustered(num(d.y), num(d.z), d.cl as string[]);
    expectMatchesR(est, r.clustered);
    expect(est.se_type).toBe("CR2");
  });
  it("a cluster holding both arms is refused", () => {
    expect(() => differenceInMeansClustered([1, 2, 3, 4, 5, 6], [0, 0, 1, 1, 0, 1], ["a", "a", "b", "b", "c", "c"])).toThrow(/cluster c holds both arms/);
  });
  it("an arm of one is refused", () => {
    expect(() => differenceInMeansClustered([1, 2, 3], [0, 0, 1], ["a", "a", "b"])).toThrow(/1 treated/);
  });
});
