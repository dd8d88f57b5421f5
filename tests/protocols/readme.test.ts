import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { formatProblem, loadProtocol } from "../../protocols/index.ts";

it("the annotated example in protocols/README.md is a valid protocol", () => {
  const readme = readFileSync("protocols/README.md", "utf8");
  const section = readme.slice(readme.indexOf("## The format, annotated"));
  const block = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
  const result = loadProtocol(block, "README.md");
  expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([]);
});
