/** Shared helpers for the register tests: a temp folder, an in-memory DuckDB, a small code book. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { parseCodebook, type Codebook } from "../../../api/register/codebook.ts";

export interface Db {
  connection: DuckDBConnection;
  close(): void;
}

export async function memoryDb(): Promise<Db> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  return {
    connection,
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

export function tempDir(): { dir: string; write(name: string, text: string): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "virker-register-"));
  return {
    dir,
    write(name, text) {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Codes: B1 unemployment (50), B2 social assistance (40), E education (30), L leave (20), S self-supporting (0), X emigrated (100), D dead (101). */
export function testCodebook(gap: "self_supporting" | "missing" = "self_supporting"): Codebook {
  return parseCodebook({
    name: "test",
    version: 1,
    gap,
    codes: {
      B1: { category: "benefit", benefit_type: "unemployment", priority: 50 },
      B2: { category: "benefit", benefit_type: "social_assistance", priority: 40 },
      E: { category: "education", priority: 30 },
      L: { category: "other_absence", priority: 20 },
      S: { category: "self_supporting", priority: 0 },
      X: { category: "emigrated", priority: 100 },
      D: { category: "dead", priority: 101 },
    },
  });
}

/** A pseudonym-shaped key made of one repeated hex digit. */
export function ps(ch: string): string {
  return ch.repeat(64);
}
