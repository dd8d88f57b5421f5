/**
 * How the cross-field rules read a protocol document: defensively, since every rule runs on the
 * document as written even when the schema found shape problems elsewhere (a field of the wrong
 * shape is the schema's problem, not a rule's). Messages are Danish, then English.
 */
export type PathSegment = string | number;
export interface RuleIssue {
  path: PathSegment[];
  message: string;
}

export type Obj = Record<string, unknown>;
export const isObj = (x: unknown): x is Obj => typeof x === "object" && x !== null && !Array.isArray(x);
export const obj = (x: unknown): Obj => (isObj(x) ? x : {});
export const arr = (x: unknown): unknown[] => (Array.isArray(x) ? x : []);
export const str = (x: unknown): string | undefined => (typeof x === "string" ? x : undefined);
export const num = (x: unknown): number | undefined => (typeof x === "number" && Number.isFinite(x) ? x : undefined);
export const show = (x: unknown): string => JSON.stringify(x) ?? String(x);
export const msg = (da: string, en: string): string => `${da} / ${en}`;

export interface CovariateView {
  type: string;
  levels: string[];
}

/** Declared covariates by id (first declaration wins; duplicates are their own problem). */
export function covariates(doc: Obj): Map<string, CovariateView> {
  const map = new Map<string, CovariateView>();
  for (const c of arr(doc.covariates)) {
    const id = str(obj(c).id);
    if (id === undefined || map.has(id)) continue;
    const levels = arr(obj(c).levels).map((l) => (isObj(l) ? String(l.value) : String(l)));
    map.set(id, { type: str(obj(c).type) ?? "unknown", levels });
  }
  return map;
}
export const siteIds = (doc: Obj): string[] => arr(doc.sites).map((s) => str(obj(s).id)).filter((s): s is string => s !== undefined);

/** Ids that must be unique within a list. */
export function uniqueIds(list: unknown, path: string, what: [string, string]): RuleIssue[] {
  const seen = new Set<unknown>();
  const issues: RuleIssue[] = [];
  arr(list).forEach((item, i) => {
    const id = obj(item).id;
    if (id === undefined) return;
    if (seen.has(id)) issues.push({ path: [path, i, "id"], message: msg(`${what[0]} ${show(id)} er angivet mere end én gang`, `${what[1]} ${show(id)} is declared more than once`) });
    seen.add(id);
  });
  return issues;
}
