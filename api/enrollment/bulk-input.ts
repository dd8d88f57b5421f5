/**
 * Reads a bulk enrollment upload into enrollment requests, one per data row, in file order.
 *
 * CSV (`text/csv`): a header row, then one citizen per line. Columns: `cpr`, `site`, `consent`
 * (true/false, 1/0, ja/nej, yes/no), optionally `target_group`, and one column per protocol
 * covariate named by its id. Values are read by the covariate's type (number, integer, boolean
 * true/false/1/0, category and date as text); an empty cell is a missing value. RFC 4180 quoting.
 * An unknown or missing column refuses the whole file (400); a bad cell is that row's error.
 *
 * NDJSON (`application/x-ndjson`): one JSON object per line, the same shape as a single enrollment
 * request. Blank lines are skipped; a line that is not valid is that row's error.
 *
 * Rows are numbered from 1 (the first data row; the CSV header is not counted).
 */
import type { CovariateValue, Protocol } from "../../protocols/index.ts";
import { ApiError, type ErrorIssue } from "../errors.ts";
import type { EnrollRequest } from "./service.ts";

export type BulkRow = { row: number; request: EnrollRequest } | { row: number; error: ApiError };

/** Most rows in one upload. */
export const MAX_BULK_ROWS = 1_000_000;

const TRUE = new Set(["true", "1", "ja", "yes", "sand"]);
const FALSE = new Set(["false", "0", "nej", "no", "falsk"]);

/** Splits CSV text into rows of cells (RFC 4180: quotes, doubled quotes, CRLF or LF). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const n = text.length;
  while (i < n) {
    let value: string;
    if (text.charCodeAt(i) === 34) {
      // quoted cell
      let out = "";
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q === -1) throw new ApiError(400, "bad_request", "CSV: et citationstegn lukkes aldrig / CSV: a quote is never closed");
        out += text.slice(j, q);
        if (text.charCodeAt(q + 1) === 34) {
          out += '"';
          j = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      value = out;
    } else {
      let j = i;
      while (j < n) {
        const ch = text.charCodeAt(j);
        if (ch === 44 || ch === 10 || ch === 13) break;
        j++;
      }
      value = text.slice(i, j);
      i = j;
    }
    row.push(value);
    const ch = text.charCodeAt(i);
    if (ch === 44) {
      i++;
      if (i === n) row.push("");
    } else if (ch === 13 || ch === 10 || i >= n) {
      rows.push(row);
      row = [];
      if (ch === 13 && text.charCodeAt(i + 1) === 10) i += 2;
      else i++;
    } else {
      throw new ApiError(400, "bad_request", `CSV: tegn efter et citeret felt i række ${rows.length + 1} / CSV: text after a quoted cell in line ${rows.length + 1}`);
    }
  }
  if (row.length > 0) rows.push(row);
  return rows;
}

/**
 * Text from the file shown back (a column name, a zod message naming a key) with long digit runs
 * hidden: a file without its header row would otherwise echo a CPR number as a "column name".
 */
export const scrub = (text: string): string => (text.length > 80 ? `${text.slice(0, 80)}…` : text).replace(/\d[\d-]{4,}\d/g, "…");

const rowError = (row: number, issues: ErrorIssue[]) =>
  new ApiError(
    400,
    "bad_request",
    `række ${row} er ugyldig / row ${row} is invalid`,
    issues.map((i) => ({ ...i, path: scrub(i.path), message: scrub(i.message) })),
  );

/** The rows of a CSV upload. */
export function csvRows(text: string, protocol: Protocol): BulkRow[] {
  const lines = parseCsv(text);
  if (lines.length === 0) throw new ApiError(400, "bad_request", "filen er tom / the file is empty");
  const header = lines[0].map((h) => h.trim());
  const covariates = new Map(protocol.covariates.map((c) => [c.id, c]));
  const known = new Set(["cpr", "site", "consent", "target_group", ...covariates.keys()]);
  const unknown = header.filter((h) => !known.has(h));
  const missing = ["cpr", "site", "consent"].filter((h) => !header.includes(h));
  const duplicated = header.filter((h, k) => header.indexOf(h) !== k);
  if (unknown.length || missing.length || duplicated.length) {
    const issues: ErrorIssue[] = [
      ...unknown.map((h) => ({ path: `header.${scrub(h)}`, message: `ukendt kolonne ${JSON.stringify(scrub(h))} (kolonne ${header.indexOf(h) + 1}) / unknown column ${JSON.stringify(scrub(h))} (column ${header.indexOf(h) + 1})`, code: "unknown_column" })),
      ...missing.map((h) => ({ path: `header.${h}`, message: `kolonnen ${h} mangler (første linje skal være kolonnenavne) / column ${h} is missing (the first line must name the columns)`, code: "missing_column" })),
      ...duplicated.map((h) => ({ path: `header.${scrub(h)}`, message: `kolonnen ${h} står to gange / column ${h} appears twice`, code: "duplicate_column" })),
    ];
    throw new ApiError(400, "bad_request", "CSV-filens kolonner passer ikke til protokollen / the CSV columns do not fit the protocol", issues);
  }
  if (lines.length - 1 > MAX_BULK_ROWS) throw new ApiError(413, "payload_too_large", `højst ${MAX_BULK_ROWS} rækker / at most ${MAX_BULK_ROWS} rows`);
  const cpr = header.indexOf("cpr");
  const site = header.indexOf("site");
  const consent = header.indexOf("consent");
  const target = header.indexOf("target_group");
  const covariateCols = header.flatMap((h, k) => {
    const c = covariates.get(h);
    return c ? [{ k, id: h, type: c.type }] : [];
  });
  const out: BulkRow[] = [];
  for (let r = 1; r < lines.length; r++) {
    const cells = lines[r];
    if (cells.length === 1 && cells[0] === "") continue; // a blank line
    const row = out.length + 1;
    if (cells.length !== header.length) {
      out.push({ row, error: rowError(row, [{ path: `row.${row}`, message: `${cells.length} felter, forventede ${header.length} / ${cells.length} cells, expected ${header.length}`, code: "cell_count" }]) });
      continue;
    }
    const issues: ErrorIssue[] = [];
    const consentText = cells[consent].trim().toLowerCase();
    const consentValue = TRUE.has(consentText) ? true : FALSE.has(consentText) ? false : undefined;
    if (consentValue === undefined) issues.push({ path: "consent", message: "forventede true/false / expected true/false", code: "invalid_type" });
    const values: Record<string, CovariateValue> = {};
    for (const c of covariateCols) {
      const raw = cells[c.k].trim();
      if (raw === "") continue;
      if (c.type === "number" || c.type === "integer") {
        const v = Number(raw);
        values[c.id] = Number.isFinite(v) ? v : raw;
      } else if (c.type === "boolean") {
        const t = raw.toLowerCase();
        values[c.id] = TRUE.has(t) ? true : FALSE.has(t) ? false : raw;
      } else values[c.id] = raw;
    }
    if (issues.length > 0) {
      out.push({ row, error: rowError(row, issues) });
      continue;
    }
    const tg = target === -1 ? "" : cells[target].trim();
    out.push({
      row,
      request: { cpr: cells[cpr].trim(), site: cells[site].trim(), ...(tg !== "" ? { target_group: tg } : {}), covariates: values, consent: consentValue! },
    });
  }
  return out;
}

/** The rows of an NDJSON upload; `check` validates one object as a single enrollment request. */
export function ndjsonRows(text: string, check: (value: unknown) => { ok: true; request: EnrollRequest } | { ok: false; issues: ErrorIssue[] }): BulkRow[] {
  const out: BulkRow[] = [];
  let start = 0;
  const n = text.length;
  while (start < n) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = n;
    const line = text.slice(start, end).trim();
    start = end + 1;
    if (line === "") continue;
    const row = out.length + 1;
    if (row > MAX_BULK_ROWS) throw new ApiError(413, "payload_too_large", `højst ${MAX_BULK_ROWS} rækker / at most ${MAX_BULK_ROWS} rows`);
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      out.push({ row, error: rowError(row, [{ path: `row.${row}`, message: "ikke gyldig JSON / not valid JSON", code: "invalid_json" }]) });
      continue;
    }
    const checked = check(value);
    out.push(checked.ok ? { row, request: checked.request } : { row, error: rowError(row, checked.issues) });
  }
  if (out.length === 0) throw new ApiError(400, "bad_request", "filen er tom / the file is empty");
  return out;
}
