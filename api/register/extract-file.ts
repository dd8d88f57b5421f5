/**
 * The extract file itself: its hash, its CSV dialect and columns, its layout (long or wide), the
 * SQL that reads ISO weeks from it, and the errors it can cause. Errors never contain a CPR number.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, stat } from "node:fs/promises";
import { validWeekSql, weekIndex, weekIndexSql, WEEK_LABEL_SQL_RE } from "./iso-week.ts";
import { sqlIdent, sqlString } from "./schema.ts";
import { RegisterImportError, type ImportIssue } from "./import-error.ts";

export { redactCpr, RegisterImportError, type ImportIssue } from "./import-error.ts";

/** Column names, when they differ from the usual ones (see {@link COLUMN_NAMES}). */
export interface ColumnOptions {
  person?: string;
  week?: string;
  year?: string;
  code?: string;
}

/** Column names recognised without configuration (case-insensitive). */
export const COLUMN_NAMES = {
  person: ["cpr", "pnr", "cpr_nr", "cprnr", "person", "person_id", "pseudonym", "id"],
  week: ["week", "year_week", "yearweek", "iso_week", "uge", "aar_uge", "aaruge"],
  year: ["year", "aar", "år", "isoyear"],
  code: ["code", "status", "kode", "ydelse", "status_code", "branche"],
} as const;

/** A wide-layout week column: optional letters/underscore, 4-digit year, optional separator and W, week. */
const WIDE_COLUMN_RE = /^[A-Za-z_]*?(\d{4})[-_]?[Ww]?(\d{1,2})$/;

/**
 * `read_csv` with the dialect fixed from the header line: the delimiter is the most frequent of
 * `,` `;` tab `|` in it, and every column is text. A row with too many or too few fields is then
 * an error naming its line, never a reason to guess another dialect.
 */
export async function csvSource(path: string): Promise<string> {
  const { delimiter, names } = await csvHeader(path);
  if (names.length === 0 || names.some((n) => n === "")) {
    throw new RegisterImportError("the extract's header row is empty or has an unnamed column (overskriftsrækken mangler navne)", [
      { row: 0, column: "(header)", message: `got ${JSON.stringify(names.join(delimiter))}` },
    ]);
  }
  const columns = `{${names.map((n) => `${sqlString(n)}: 'VARCHAR'`).join(", ")}}`;
  return `read_csv(${sqlString(path)}, header = true, auto_detect = false, delim = ${sqlString(delimiter)}, quote = '"', escape = '"', columns = ${columns})`;
}

/** The delimiter and column names of a CSV file's first line. */
export async function csvHeader(path: string): Promise<{ delimiter: string; names: string[] }> {
  const handle = await open(path, "r");
  try {
    const buffer = Buffer.alloc(65536);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const line = buffer.subarray(0, bytesRead).toString("utf8").split(/\r?\n/)[0];
    let best = ",";
    let bestCount = 0;
    for (const d of [",", ";", "\t", "|"]) {
      const count = line.split(d).length - 1;
      if (count > bestCount) {
        best = d;
        bestCount = count;
      }
    }
    const names = line.replace(/^\uFEFF/, "").split(best).map((n) => n.trim().replace(/^"(.*)"$/, "$1").replaceAll('""', '"'));
    return { delimiter: best, names };
  } finally {
    await handle.close();
  }
}

/** SHA-256 of a file, streamed, with progress. */
export async function fileSha256(path: string, onProgress?: (fraction: number) => void): Promise<string> {
  const size = (await stat(path)).size;
  const hash = createHash("sha256");
  let done = 0;
  let lastReport = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    done += (chunk as Buffer).length;
    if (onProgress && (done - lastReport > 64 << 20 || done === size)) {
      lastReport = done;
      onProgress(size === 0 ? 1 : done / size);
    }
  }
  return hash.digest("hex");
}

export type Shape =
  | { layout: "long"; person: string; code: string; week: string; year?: undefined; ignored: string[] }
  | { layout: "long"; person: string; code: string; week: string; year: string; ignored: string[] }
  | { layout: "wide"; person: string; weeks: { column: string; week: number }[]; ignored: string[] };

function pick(names: string[], wanted: string | undefined, candidates: readonly string[], role: string): string | undefined {
  if (wanted !== undefined) {
    if (!names.includes(wanted)) {
      throw new RegisterImportError(`the extract has no ${role} column ${JSON.stringify(wanted)} (kolonnen findes ikke)`, [
        { column: wanted, message: `missing; columns are ${names.map((n) => JSON.stringify(n)).join(", ")}` },
      ]);
    }
    return wanted;
  }
  return names.find((n) => candidates.includes(n.toLowerCase()));
}

export function detectShape(names: string[], options: { layout?: "long" | "wide"; columns?: ColumnOptions }): Shape {
  const cols = options.columns ?? {};
  const person = pick(names, cols.person, COLUMN_NAMES.person, "person");
  if (person === undefined) {
    throw new RegisterImportError("no person column found (ingen personkolonne)", [
      { column: "(header)", message: `expected one of ${COLUMN_NAMES.person.join(", ")}; got ${names.join(", ")}` },
    ]);
  }
  const code = pick(names, cols.code, COLUMN_NAMES.code, "code");
  const week = pick(names, cols.week, COLUMN_NAMES.week, "week");
  const layout = options.layout ?? (code !== undefined && week !== undefined ? "long" : "wide");
  if (layout === "long") {
    if (code === undefined || week === undefined) {
      throw new RegisterImportError("long layout needs a week and a code column (lang form kræver uge- og kodekolonne)", [
        { column: "(header)", message: `got ${names.join(", ")}` },
      ]);
    }
    const year = pick(names, cols.year, COLUMN_NAMES.year, "year");
    const used = new Set([person, code, week, year].filter((x) => x !== undefined));
    const ignored = names.filter((n) => !used.has(n));
    return year === undefined ? { layout, person, code, week, ignored } : { layout, person, code, week, year, ignored };
  }
  const weeks: { column: string; week: number }[] = [];
  const ignored: string[] = [];
  const issues: ImportIssue[] = [];
  for (const name of names) {
    if (name === person) continue;
    const m = WIDE_COLUMN_RE.exec(name);
    if (m === null) {
      ignored.push(name);
      continue;
    }
    const index = weekIndex(Number(m[1]), Number(m[2]));
    if (index === null) issues.push({ column: name, message: `not an ISO week: year ${m[1]} has no week ${Number(m[2])}` });
    else weeks.push({ column: name, week: index });
  }
  const seen = new Map<number, string>();
  for (const w of weeks) {
    const before = seen.get(w.week);
    if (before !== undefined) issues.push({ column: w.column, message: `same week as column ${JSON.stringify(before)}` });
    seen.set(w.week, w.column);
  }
  if (issues.length > 0) throw new RegisterImportError("malformed week columns (ugyldige ugekolonner)", issues);
  if (weeks.length === 0) {
    throw new RegisterImportError("no week columns found (ingen ugekolonner)", [
      { column: "(header)", message: `expected columns like y_2024_07 or 2024W07; got ${names.join(", ")}` },
    ]);
  }
  return { layout: "wide", person, weeks, ignored };
}

export function yearWeekSql(shape: Extract<Shape, { layout: "long" }>, from: string): { y: string; w: string } {
  if (shape.year !== undefined) {
    return {
      y: `try_cast(trim(CAST(${from}${sqlIdent(shape.year)} AS VARCHAR)) AS INTEGER)`,
      w: `try_cast(trim(CAST(${from}${sqlIdent(shape.week)} AS VARCHAR)) AS INTEGER)`,
    };
  }
  const text = `trim(CAST(${from}${sqlIdent(shape.week)} AS VARCHAR))`;
  return {
    y: `try_cast(regexp_extract(${text}, ${sqlString(WEEK_LABEL_SQL_RE)}, 1) AS INTEGER)`,
    w: `try_cast(regexp_extract(${text}, ${sqlString(WEEK_LABEL_SQL_RE)}, 2) AS INTEGER)`,
  };
}

/** Week index when (y, w) is a real ISO week, else NULL. CASE keeps make_date away from bad years. */
export function weekOrNullSql(y: string, w: string): string {
  return `CASE WHEN ${y} BETWEEN 1000 AND 9999 AND ${w} BETWEEN 1 AND 53 THEN CASE WHEN ${validWeekSql(y, w)} THEN ${weekIndexSql(y, w)} END END`;
}

/**
 * Runs a step that reads the file; DuckDB's own parse errors (which may quote a line of the file)
 * become a RegisterImportError with CPR-shaped text masked.
 */
export async function readingFile<R>(run: () => Promise<R>): Promise<R> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof RegisterImportError) throw err;
    const text = (err instanceof Error ? err.message : String(err)).split("Possible fixes")[0].replace(/\s+/g, " ").trim();
    const line = /CSV Error on Line: (\d+)/.exec(text);
    const fields = /Expected Number of Columns: (\d+) Found: (\d+)/.exec(text);
    const issues: ImportIssue[] =
      line === null
        ? []
        : [{ row: Number(line[1]) - 1, column: "(row)", message: fields ? `expected ${fields[1]} fields, found ${fields[2]}` : text }];
    throw new RegisterImportError(`could not read the extract (udtrækket kunne ikke læses): ${text}`, issues);
  }
}
