/**
 * `GET /app/evidence`: the public index of published evidence packages, each with its one-line
 * "what works for whom" finding and a link to its report. Reads the API's `GET /v1/evidence` as the
 * public (no token); where the server publishes no packages (yet), the page says so.
 */
import type { Hono } from "hono";
import type { Label } from "../../protocols/index.ts";
import { callApi } from "./api-call.ts";
import { Bi, Layout, Lbl } from "./layout.tsx";
import type { ApiApp, PageEnv } from "./page-context.ts";

/** One package as the index shows it. */
export interface EvidenceEntry {
  id: string;
  trial: string | null;
  title: Label | null;
  finding: Label | null;
  publishedAt: string | null;
}

const asLabel = (v: unknown): Label | null => {
  if (typeof v === "string" && v !== "") return { da: v, en: v };
  if (v && typeof v === "object" && typeof (v as Label).da === "string" && typeof (v as Label).en === "string") return v as Label;
  return null;
};
const asText = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);

/** The packages in an answer of `GET /v1/evidence`, read leniently (unknown fields are ignored). */
export function evidenceEntries(body: unknown): EvidenceEntry[] {
  const list = Array.isArray(body) ? body : body && typeof body === "object" ? ((body as Record<string, unknown>).packages ?? (body as Record<string, unknown>).evidence) : undefined;
  if (!Array.isArray(list)) return [];
  const out: EvidenceEntry[] = [];
  for (const item of list) {
    if (!item || typeof item !== "object") continue;
    const r = item as Record<string, unknown>;
    const id = asText(r.id) ?? asText(r.package_id);
    if (id === null || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(id)) continue;
    out.push({
      id,
      trial: asText(r.trial) ?? asText(r.trial_id),
      title: asLabel(r.title),
      finding: asLabel(r.finding) ?? asLabel(r.headline) ?? asLabel(r.summary),
      publishedAt: asText(r.published_at),
    });
  }
  return out;
}

export function evidencePage(pages: Hono<PageEnv>, api: ApiApp): void {
  pages.get("/evidence", async (c) => {
    const answer = await callApi<unknown>(api, null, "GET", "/v1/evidence");
    const entries = answer.error === null ? evidenceEntries(answer.body) : [];
    return c.html(
      <Layout title={{ da: "Publiceret evidens", en: "Published evidence" }} session={c.var.session}>
        <p>
          <Bi
            da="Hver pakke er uforanderlig og signeret: data, det afslørede seed, analysen og rapporten. Enhver kan efterprøve den."
            en="Each package is immutable and signed: data, the revealed seed, the analysis and the report. Anyone can verify it."
          />
        </p>
        {entries.length === 0 ? (
          <p id="no-evidence">
            <Bi da="Der er ikke publiceret nogen evidenspakker endnu." en="No evidence packages have been published yet." />
          </p>
        ) : (
          <ul id="evidence">
            {entries.map((e) => (
              <li>
                <a href={`/v1/evidence/${encodeURIComponent(e.id)}/report.html`}>{e.title ? <Lbl label={e.title} /> : <code>{e.id}</code>}</a>
                {e.trial ? (
                  <>
                    {" "}
                    · <code>{e.trial}</code>
                  </>
                ) : null}
                {e.publishedAt ? <> · {e.publishedAt.slice(0, 10)}</> : null}
                {e.finding ? (
                  <div>
                    <Lbl label={e.finding} />
                  </div>
                ) : null}
              </li>
            ))}
          </ul>
        )}
      </Layout>,
    );
  });
}
