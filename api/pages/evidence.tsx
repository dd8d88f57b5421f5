/**
 * `GET /app/evidence`: the public index of published evidence packages, each with its one-line
 * "what works for whom" finding and a link to its report. Reads the API's `GET /v1/evidence` as the
 * public (no token); where the server publishes no packages (yet), the page says so.
 */
import type { Hono } from "hono";
import type { Label } from "../../protocols/index.ts";
import { protocolOfVersion } from "../enrollment/service.ts";
import { evidenceFinding } from "./finding.ts";
import { callApi } from "./api-call.ts";
import { Bi, Layout, Lbl } from "./layout.tsx";
import type { ApiApp, PageEnv } from "./page-context.ts";

/** One published package as the API lists it (`GET /v1/evidence`). */
export interface EvidenceEntry {
  id: string;
  trial: string;
  publishedAt: string | null;
}

/** The published packages in an answer of `GET /v1/evidence` (drafts and malformed entries dropped). */
export function evidenceEntries(body: unknown): EvidenceEntry[] {
  const list = body && typeof body === "object" ? (body as { packages?: unknown }).packages : undefined;
  if (!Array.isArray(list)) return [];
  const out: EvidenceEntry[] = [];
  for (const item of list) {
    if (!item || typeof item !== "object") continue;
    const r = item as Record<string, unknown>;
    if (typeof r.id !== "string" || !/^ev-[0-9a-f]{32}$/.test(r.id) || typeof r.trial !== "string" || r.status !== "published") continue;
    out.push({ id: r.id, trial: r.trial, publishedAt: typeof r.published_at === "string" ? r.published_at : null });
  }
  return out;
}

export function evidencePage(pages: Hono<PageEnv>, api: ApiApp): void {
  pages.get("/evidence", async (c) => {
    const answer = await callApi<unknown>(api, null, "GET", "/v1/evidence");
    const shown: { entry: EvidenceEntry; title: Label | null; finding: Label | null }[] = [];
    for (const entry of answer.error === null ? evidenceEntries(answer.body) : []) {
      const record = await c.var.deps.store.getTrial(entry.trial);
      const protocol = record ? protocolOfVersion(record).protocol : null;
      const evidence = await callApi<unknown>(api, null, "GET", `/v1/evidence/${entry.id}/evidence.json`);
      shown.push({ entry, title: protocol?.title ?? null, finding: protocol && evidence.error === null ? evidenceFinding(evidence.body, protocol) : null });
    }
    return c.html(
      <Layout title={{ da: "Publiceret evidens", en: "Published evidence" }} session={c.var.session}>
        <p>
          <Bi
            da="Hver pakke er uforanderlig og signeret: data, det afslørede seed, analysen og rapporten. Enhver kan efterprøve den."
            en="Each package is immutable and signed: data, the revealed seed, the analysis and the report. Anyone can verify it."
          />
        </p>
        {shown.length === 0 ? (
          <p id="no-evidence">
            <Bi da="Der er ikke publiceret nogen evidenspakker endnu." en="No evidence packages have been published yet." />
          </p>
        ) : (
          <ul id="evidence">
            {shown.map(({ entry, title, finding }) => (
              <li data-package={entry.id}>
                <a href={`/v1/evidence/${entry.id}/report.html`}>{title ? <Lbl label={title} /> : <code>{entry.trial}</code>}</a>
                {entry.publishedAt ? <> · {entry.publishedAt.slice(0, 10)}</> : null}
                <div class="finding">
                  {finding ? <Lbl label={finding} /> : <Bi da="Se rapporten." en="See the report." />}
                </div>
              </li>
            ))}
          </ul>
        )}
      </Layout>,
    );
  });
}
