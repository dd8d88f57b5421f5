/**
 * Parquet export in Node: DuckDB (in memory) writes the data set with `COPY ... TO` into a
 * temporary file, which is streamed back and removed once the stream has been read or cancelled.
 * Numeric columns are DOUBLE, all others VARCHAR (missing = NULL), in the data set's column order.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import type { AnalysisDataSet } from "./analysis-set.ts";
import type { ParquetWriter } from "./export-format.ts";

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

export const nodeParquetWriter: ParquetWriter = async (data: AnalysisDataSet) => {
  const dir = await mkdtemp(join(tmpdir(), "virker-export-"));
  const file = join(dir, "dataset.parquet");
  try {
    const instance = await DuckDBInstance.create(":memory:");
    const connection = await instance.connect();
    try {
      const cols = data.names.map((name) => ({ name, column: data.columns.get(name)!, numeric: data.numeric.has(name) }));
      await connection.run(`CREATE TABLE dataset (${cols.map((c) => `${quoteIdent(c.name)} ${c.numeric ? "DOUBLE" : "VARCHAR"}`).join(", ")})`);
      const appender = await connection.createAppender("dataset");
      for (let i = 0; i < data.rows; i++) {
        for (const c of cols) {
          const v = c.column[i];
          if (v === null || v === undefined || (typeof v === "number" && Number.isNaN(v))) appender.appendNull();
          else if (c.numeric) appender.appendDouble(v as number);
          else appender.appendVarchar(v as string);
        }
        appender.endRow();
      }
      appender.flushSync();
      appender.closeSync();
      await connection.run(`COPY dataset TO '${file.replaceAll("'", "''")}' (FORMAT parquet)`);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const stream = createReadStream(file);
  const cleanup = () => void rm(dir, { recursive: true, force: true });
  stream.once("close", cleanup);
  return Readable.toWeb(stream) as unknown as ReadableStream<Uint8Array>;
};
