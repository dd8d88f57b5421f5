import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readTable } from "../../../api/datasets/table.ts";

const dir = mkdtempSync(join(tmpdir(), "virker-table-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("readTable", () => {
  it("reads the veteran reference trial into typed columns", async () => {
    const table = await readTable("../shared/reference/veteran.csv");
    expect(table.rows).toBe(137);
    expect(table.names).toEqual(["id", "arm", "celltype", "time", "status", "karno", "diagtime", "age", "prior"]);
    const time = table.columns.get("time");
    expect(time).toBeInstanceOf(Float64Array);
    expect(Array.from((time as Float64Array).slice(0, 2))).toEqual([72, 411]);
    expect(table.columns.get("arm")?.[0]).toBe("standard");
  });

  it("turns empty numeric cells into NaN and empty text cells into null", async () => {
    const file = join(dir, "gaps.csv");
    writeFileSync(file, "id,y,g\na,1.5,x\nb,,\nc,3,z\n");
    const table = await readTable(file);
    const y = table.columns.get("y") as Float64Array;
    expect(y[0]).toBe(1.5);
    expect(Number.isNaN(y[1])).toBe(true);
    expect(table.columns.get("g")).toEqual(["x", null, "z"]);
  });
});
