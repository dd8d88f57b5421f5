/**
 * The analysis data set as files: CSV text here (runtime-neutral), Parquet through an injected
 * writer (`ParquetWriter`; the Node server's is `parquet-node.ts`, written by DuckDB).
 *
 * CSV: a header row of the column names, one line per participant, `,`-separated, `\n`-terminated;
 * numbers as JavaScript prints them, missing values empty, text quoted (RFC 4180) only when it holds
 * a comma, a quote, a line break or leading/trailing space.
 */
import type { AnalysisDataSet } from "./analysis-set.ts";

/** Writes a data set as Parquet and hands back its bytes as a stream (temporary files removed when the stream ends). */
export type ParquetWriter = (data: AnalysisDataSet) => Promise<ReadableStream<Uint8Array>>;

const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;

function cell(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isNaN(v) ? "" : String(v);
  return NEEDS_QUOTES.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

/** The data set as CSV text. */
export function datasetCsv(data: AnalysisDataSet): string {
  const cols = data.names.map((n) => data.columns.get(n)!);
  const lines: string[] = [data.names.map(cell).join(",")];
  for (let i = 0; i < data.rows; i++) {
    let line = "";
    for (let j = 0; j < cols.length; j++) line += (j === 0 ? "" : ",") + cell(cols[j][i]);
    lines.push(line);
  }
  return lines.join("\n") + "\n";
}
