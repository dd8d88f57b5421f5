/**
 * The register code book: how a weekly status code in a register extract (DREAM-style) maps to a
 * category the derivations understand.
 *
 * Categories:
 *   benefit          a public benefit that week; `benefit_type` says which (unemployment, social
 *                    assistance, sickness, ...). "Weeks on benefit" counts these.
 *   self_supporting  no public benefit that week (selvforsørgende)
 *   education        in education on a student grant (SU)
 *   other_absence    leave, pension and other statuses that are neither benefit nor self-support
 *   emigrated        left the country: censors time-to-event outcomes, no information after
 *   dead             died: censors time-to-event outcomes, no information after
 *
 * A register can hold only one status per person-week; where an extract holds several for the
 * same person-week, the code with the highest `priority` wins, as DREAM itself overwrites codes by
 * priority. Equal priorities are broken by the smaller code (string order) so the result never
 * depends on row order.
 *
 * `gap` says what a week without any code means inside a person's observed span: DREAM leaves a
 * week empty when no benefit was paid, so the DREAM convention is `self_supporting`; `missing`
 * treats such a week as unobserved.
 *
 * The code book's identity is the SHA-256 of its canonical JSON (keys sorted, defaults filled in),
 * so re-formatting the YAML or re-ordering codes does not change it.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { parseDocument } from "yaml";
import { z } from "zod";

export const CATEGORIES = ["benefit", "self_supporting", "education", "other_absence", "emigrated", "dead"] as const;
export type Category = (typeof CATEGORIES)[number];

/** Codes in an extract must look like this unless the code book says otherwise. */
export const DEFAULT_CODE_PATTERN = "^[0-9A-Za-z_.-]{1,16}$";

const label = z.object({ da: z.string().min(1), en: z.string().min(1) }).strict();

const codeEntry = z
  .object({
    category: z.enum(CATEGORIES),
    benefit_type: z.string().regex(/^[a-z][a-z0-9_]*$/, "benefit_type must be snake_case").optional(),
    priority: z.number().int(),
    label: label.optional(),
    /** True when the mapping is an example, not checked against the register's documentation. */
    illustrative: z.boolean().default(false),
  })
  .strict()
  .superRefine((entry, ctx) => {
    if (entry.category === "benefit" && entry.benefit_type === undefined) {
      ctx.addIssue({ code: "custom", path: ["benefit_type"], message: "a benefit code needs a benefit_type" });
    }
    if (entry.category !== "benefit" && entry.benefit_type !== undefined) {
      ctx.addIssue({ code: "custom", path: ["benefit_type"], message: `benefit_type is only for category benefit, not ${entry.category}` });
    }
  });

export const codebookSchema = z
  .object({
    name: z.string().min(1),
    version: z.union([z.string().min(1), z.number()]).transform(String),
    description: z.string().optional(),
    gap: z.enum(["self_supporting", "missing"]).default("self_supporting"),
    code_pattern: z
      .string()
      .default(DEFAULT_CODE_PATTERN)
      .refine((p) => {
        try {
          new RegExp(p);
          return true;
        } catch {
          return false;
        }
      }, "code_pattern is not a valid regular expression"),
    codes: z
      .record(z.string(), codeEntry)
      .refine((codes) => Object.keys(codes).length > 0, "a code book needs at least one code"),
  })
  .strict()
  .superRefine((book, ctx) => {
    const re = new RegExp(book.code_pattern);
    for (const code of Object.keys(book.codes)) {
      if (!re.test(code)) ctx.addIssue({ code: "custom", path: ["codes", code], message: `code ${JSON.stringify(code)} does not match code_pattern ${book.code_pattern}` });
    }
  });

export type CodeEntry = z.output<typeof codeEntry>;
export type CodebookData = z.output<typeof codebookSchema>;

/** A validated code book with its canonical hash. */
export interface Codebook extends CodebookData {
  /** SHA-256 of the canonical JSON, lowercase hex. */
  readonly sha256: string;
}

export interface CodebookIssue {
  path: string;
  message: string;
  line?: number;
}

export class CodebookError extends Error {
  readonly issues: CodebookIssue[];
  constructor(source: string, issues: CodebookIssue[]) {
    const list = issues.map((i) => `${i.path || "(root)"}${i.line ? ` (line ${i.line})` : ""}: ${i.message}`).join("; ");
    super(`invalid code book ${source}: ${list} (ugyldig kodebog)`);
    this.name = "CodebookError";
    this.issues = issues;
  }
}

/** JSON with object keys sorted at every level; arrays keep their order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

/**
 * Validates a parsed code book.
 * @throws {CodebookError} naming the path of every problem.
 */
export function parseCodebook(input: unknown, source = "(object)"): Codebook {
  const result = codebookSchema.safeParse(input);
  if (!result.success) {
    throw new CodebookError(
      source,
      result.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message })),
    );
  }
  const data = result.data;
  return { ...data, sha256: bytesToHex(sha256(utf8ToBytes(canonicalJson(data)))) };
}

/**
 * Parses and validates a YAML code book; problems name the path and, where known, the line.
 * @throws {CodebookError}
 */
export function loadCodebook(yamlText: string, source = "(text)"): Codebook {
  const doc = parseDocument(yamlText, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new CodebookError(
      source,
      doc.errors.map((e) => ({ path: "", message: e.message.split("\n")[0], line: e.linePos?.[0]?.line })),
    );
  }
  // Codes are strings even when they look like numbers ("111"), so YAML numbers as keys are kept as written.
  const value = doc.toJS({ mapAsMap: false });
  try {
    return parseCodebook(value, source);
  } catch (err) {
    if (!(err instanceof CodebookError)) throw err;
    const withLines = err.issues.map((issue) => {
      const node = issue.path === "" ? undefined : doc.getIn(issue.path.split("."), true);
      const range = (node as { range?: [number, number, number] } | undefined)?.range;
      if (range === undefined) return issue;
      const line = yamlText.slice(0, range[0]).split("\n").length;
      return { ...issue, line };
    });
    throw new CodebookError(source, withLines);
  }
}

/** The code book's codes as rows, highest priority first (the order used to resolve conflicts). */
export function codeRows(book: Codebook): { code: string; category: Category; benefitType: string | null; priority: number }[] {
  return Object.entries(book.codes)
    .map(([code, e]) => ({ code, category: e.category, benefitType: e.benefit_type ?? null, priority: e.priority }))
    .sort((a, b) => b.priority - a.priority || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
}
