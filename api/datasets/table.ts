/**
 * Reads a flat data file (CSV or Parquet) into columns with DuckDB, which parses a million-row CSV
 * far faster than JavaScript would. Numeric columns become Float64Array (missing = NaN); all other
 * columns become arrays of strings (missing = null). The analysis engine takes these columns as
 * they are: no per-row objects.
 */
import { DuckDBInstance } from "@duckdb/node-api";

export type Column = Float64Array | (string | null)[];

export interface Table {
  rows: number;
  names: string[];
  columns: Map<string, Column>;
}

const NUMERIC = new Set(["TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "FLOAT", "DOUBLE", "DECIMAL"]);

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * Reads `path` (`.parquet` by extension, otherwise CSV with a header row). With `text: true` every
 * column is read as text, exactly as written (ids like `007` keep their zeros).
 */
export async function readTable(path: string, options: { text?: boolean } = {}): Promise<Table> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const source = path.toLowerCase().endsWith(".parquet")
      ? `read_parquet(${sqlString(path)})`
      : `read_csv(${sqlString(path)}, header = true, auto_detect = true${options.text ? ", all_varchar = true" : ""})`;
    const reader = await connection.runAndReadAll(`SELECT * FROM ${source}`);
    const names = reader.columnNames();
    const raw = reader.getColumnsJS();
    const columns = new Map<string, Column>();
    names.forEach((name, j) => {
      const typeName = String(reader.columnType(j)).replace(/\(.*$/, "");
      const values = raw[j];
      if (NUMERIC.has(typeName)) {
        const out = new Float64Array(values.length);
        for (let i = 0; i < values.length; i++) {
          const v = values[i];
          out[i] = v === null || v === undefined ? NaN : Number(v);
        }
        columns.set(name, out);
      } else {
        columns.set(name, values.map((v) => (v === null || v === undefined ? null : String(v))));
      }
    });
    return { rows: reader.currentRowCount, names, columns };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
