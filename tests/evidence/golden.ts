/**
 * Golden files for what people look at: compares `actual` with tests/golden/evidence/<name>.
 * On a mismatch writes `<name>-changed.<ext>` beside the golden file and fails; a missing golden
 * file is written locally (review and commit it) but is an error in CI.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";

const DIR = "tests/golden/evidence";

export function expectGolden(name: string, actual: string): void {
  const path = join(DIR, name);
  const changed = path.replace(/(\.[a-z]+)$/, "-changed$1");
  if (!existsSync(path)) {
    if (process.env.CI) throw new Error(`golden file ${path} is missing (in CI it must be committed)`);
    writeFileSync(path, actual);
    return;
  }
  const golden = readFileSync(path, "utf8");
  if (golden === actual) {
    rmSync(changed, { force: true });
    return;
  }
  writeFileSync(changed, actual);
  expect.fail(`${path} changed; the new rendering is in ${changed} (replace the golden file if the change is intended)`);
}
