/**
 * Loading a protocol from YAML text: parse keeping positions, validate the shape (schema.ts) and
 * the cross-field rules (cross-field.ts), and return either the typed protocol with its hash or
 * every problem found, each as `file:line:col path: message`.
 *
 * Pure: no file system, so Workers and browsers can load protocols; the CLI reads files.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from "yaml";
import { z } from "zod";
import { protocolHash, canonicalJson } from "./canonical.ts";
import { crossFieldIssues, type PathSegment } from "./cross-field.ts";
import { ProtocolSchema, type Protocol } from "./schema.ts";
import { bilingualErrors } from "./zod-messages.ts";

/** One problem in a protocol file. Line and column are 1-based. */
export interface ProtocolProblem {
  file: string;
  line: number;
  col: number;
  /** Path inside the document, e.g. `arms[2].ratio`; empty for the whole document. */
  path: string;
  message: string;
}

export type LoadResult =
  | {
      ok: true;
      /** Validated, defaults applied. */
      protocol: Protocol;
      /** SHA-256 of the canonical JSON of the document as written (see canonical.ts). */
      hash: string;
      canonical: string;
      /** The document as written, as plain data. */
      document: unknown;
    }
  | { ok: false; problems: ProtocolProblem[] };

/** `file:line:col path: message` (the path is left out for whole-document problems). */
export function formatProblem(p: ProtocolProblem): string {
  return `${p.file}:${p.line}:${p.col}${p.path ? ` ${p.path}` : ""}: ${p.message}`;
}

/** `arms[2].ratio`; keys that are not plain identifiers are quoted: `outcomes["a b"]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

const bilingual = bilingualErrors;

/** Keys whose value is a Danish/English label: an unknown key inside one is usually a split text. */
const LABEL_KEYS = new Set(["label", "title", "description", "covers", "hypothesis"]);

interface FlatIssue {
  path: PathSegment[];
  message: string;
  /** zod's "required key missing" (replaced by a cross-field message at the same path, if any). */
  missing?: boolean;
}

/** Flattens zod issues: unknown keys one per key, unions by their best-fitting branch. */
function flatten(issues: readonly z.core.$ZodIssue[], prefix: PathSegment[] = []): FlatIssue[] {
  const out: FlatIssue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...(issue.path as PathSegment[])];
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        // `{ da: a, b, en: c }` splits at the comma: the stray key is the tail of a text.
        const parent = path[path.length - 1];
        const inText = /\s/.test(key) || (typeof parent === "string" && LABEL_KEYS.has(parent));
        const hint = inText ? " (tekst med komma i { } skal i anførselstegn / text with a comma inside { } must be quoted)" : "";
        out.push({ path: [...path, key], message: `ukendt nøgle: ${JSON.stringify(key)}${hint} / unknown key: ${JSON.stringify(key)}` });
      }
    } else if (issue.code === "invalid_union" && issue.errors.length > 0) {
      // The branch that fits best: fewest problems, and not one that rejects the keys themselves.
      const score = (branch: readonly z.core.$ZodIssue[]) => branch.length + (branch.some((i) => i.code === "unrecognized_keys" && i.path.length === 0) ? 100 : 0);
      const best = [...issue.errors].sort((a, b) => score(a) - score(b))[0]!;
      out.push(...flatten(best, path));
    } else {
      const missing = issue.code === "invalid_type" && issue.message.includes("undefined");
      out.push({ path, message: issue.message, missing });
    }
  }
  return out;
}

/** The source offset of the node at `path`, or of the nearest enclosing node that exists. */
function offsetOf(doc: Document, path: readonly PathSegment[]): number {
  let node: unknown = doc.contents;
  let offset = (doc.contents as YamlNode | null)?.range?.[0] ?? 0;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      const key = pair.key as YamlNode;
      // A key whose value is the problem (unknown key, missing value) points at the key itself.
      offset = key.range?.[0] ?? offset;
      node = pair.value;
      if (node && (node as YamlNode).range) offset = (node as YamlNode).range![0];
      else break;
    } else if (isSeq(node) && typeof seg === "number" && node.items[seg]) {
      node = node.items[seg];
      offset = (node as YamlNode).range?.[0] ?? offset;
    } else break;
  }
  return offset;
}

/** For unknown keys the key itself is the place: its offset, not its value's. */
function keyOffset(doc: Document, path: readonly PathSegment[]): number | undefined {
  if (path.length === 0) return undefined;
  const parent = doc.getIn(path.slice(0, -1), true);
  if (!isMap(parent)) return undefined;
  const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(path[path.length - 1]));
  return pair ? (pair.key as YamlNode).range?.[0] : undefined;
}

/**
 * Loads a protocol from YAML text. `file` is only used in messages.
 * Never throws for bad input: every problem comes back in `problems`, ordered by position.
 */
export function loadProtocol(source: string, file = "<protocol>"): LoadResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => lineCounter.linePos(offset);
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => {
        const { line, col } = at(e.pos[0]);
        return { file, line, col, path: "", message: `YAML-fejl / YAML error: ${e.message.split("\n")[0]}` };
      }),
    };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    return { ok: false, problems: [{ file, line: 1, col: 1, path: "", message: `YAML-fejl / YAML error: ${error instanceof Error ? error.message : String(error)}` }] };
  }
  const parsed = ProtocolSchema.safeParse(data, { error: bilingual });
  const shape = parsed.success ? [] : flatten(parsed.error.issues);
  const cross = crossFieldIssues(data);
  const crossPaths = new Set(cross.map((i) => JSON.stringify(i.path)));
  const all: FlatIssue[] = [...shape.filter((i) => !(i.missing && crossPaths.has(JSON.stringify(i.path)))), ...cross];

  if (all.length === 0 && parsed.success) {
    return { ok: true, protocol: parsed.data, hash: protocolHash(data), canonical: canonicalJson(data), document: data };
  }
  const seen = new Set<string>();
  const problems: (ProtocolProblem & { offset: number })[] = [];
  for (const issue of all) {
    const offset = (issue.message.startsWith("ukendt nøgle") ? keyOffset(doc, issue.path) : undefined) ?? offsetOf(doc, issue.path);
    const { line, col } = at(offset);
    const problem = { file, line, col, path: formatPath(issue.path), message: issue.message, offset };
    const key = formatProblem(problem);
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
  }
  problems.sort((a, b) => a.offset - b.offset);
  return { ok: false, problems: problems.map(({ offset: _offset, ...p }) => p) };
}

/** Validates a protocol already in memory (e.g. JSON from an API request); problems carry no position. */
export function validateProtocolData(data: unknown): { ok: true; protocol: Protocol; hash: string } | { ok: false; issues: { path: string; message: string }[] } {
  const parsed = ProtocolSchema.safeParse(data, { error: bilingual });
  const shape = parsed.success ? [] : flatten(parsed.error.issues);
  const cross = crossFieldIssues(data);
  const crossPaths = new Set(cross.map((i) => JSON.stringify(i.path)));
  const all = [...shape.filter((i) => !(i.missing && crossPaths.has(JSON.stringify(i.path)))), ...cross];
  if (all.length === 0 && parsed.success) return { ok: true, protocol: parsed.data, hash: protocolHash(data) };
  return { ok: false, issues: all.map((i) => ({ path: formatPath(i.path), message: i.message })) };
}
