/**
 * `GET /app/trials/:trial`: the trial page for the agency (researchers may read it too).
 *
 * Enrollment per site and arm over time (a small SVG chart drawn here, plus the same numbers as a
 * table), the seed commitment, the protocol's hash and version, amendments with their reasons and
 * the status history. No outcomes: those belong to the published analysis, not to a running trial.
 * The numbers come from the API (`GET /v1/trials/{trial}` and its enrollment list, audited there).
 */
import type { Hono } from "hono";
import type { Protocol } from "../../protocols/index.ts";
import { protocolOfVersion, type ParticipantView } from "../enrollment/service.ts";
import type { TrialRecord } from "../store/store.ts";
import { callApi } from "./api-call.ts";
import { Bi, Layout, Lbl } from "./layout.tsx";
import { PageError, requireSession, type ApiApp, type PageEnv } from "./page-context.ts";

interface TrialSummary {
  id: string;
  status: string;
  protocol_id: string;
  protocol_version: number;
  protocol_hash: string;
  seed_commitment: string;
  created_at: string;
  amendments: { version: number; protocol_hash: string; reason: string | null; at: string }[];
  enrolled: number;
  enrolled_by_site_and_arm?: { site: string; arm: string; n: number }[];
}

/** Colours for arms, distinguishable for common colour-vision deficiencies (Okabe–Ito). */
const ARM_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000"];

const DAY_MS = 86_400_000;
const dayOf = (iso: string) => Date.parse(`${iso.slice(0, 10)}T00:00:00Z`);

export interface EnrollmentPoint {
  site: string;
  arm: string;
  enrolled_at: string;
}

/**
 * Cumulative enrollment by arm, one small panel per site, on a shared time axis and a shared
 * count axis (so that panels compare). Pure: same input, same SVG.
 */
export function EnrollmentChart(props: { protocol: Protocol; points: EnrollmentPoint[]; sites: string[] }) {
  const { protocol, points } = props;
  const arms = protocol.arms.map((a) => a.id);
  const colour = (arm: string) => ARM_COLOURS[Math.max(0, arms.indexOf(arm)) % ARM_COLOURS.length];
  if (points.length === 0) return null;
  const days = points.map((p) => dayOf(p.enrolled_at));
  const t0 = Math.min(...days);
  const t1 = Math.max(t0 + DAY_MS, Math.max(...days) + DAY_MS);
  const counts = new Map<string, number>();
  for (const p of points) counts.set(`${p.site}\u0000${p.arm}`, (counts.get(`${p.site}\u0000${p.arm}`) ?? 0) + 1);
  const yMax = Math.max(1, ...counts.values());
  const W = 280;
  const H = 130;
  const m = { l: 34, r: 8, t: 22, b: 22 };
  const x = (t: number) => m.l + ((t - t0) / (t1 - t0)) * (W - m.l - m.r);
  const y = (n: number) => H - m.b - (n / yMax) * (H - m.t - m.b);
  const fmt = (v: number) => (Math.round(v * 10) / 10).toString();
  const siteName = (id: string) => protocol.sites.find((s) => s.id === id)?.name ?? id;
  const path = (site: string, arm: string) => {
    const ts = points.filter((p) => p.site === site && p.arm === arm).map((p) => dayOf(p.enrolled_at)).sort((a, b) => a - b);
    if (ts.length === 0) return null;
    let d = `M${fmt(x(t0))},${fmt(y(0))}`;
    ts.forEach((t, i) => {
      d += `H${fmt(x(t))}V${fmt(y(i + 1))}`;
    });
    return d + `H${fmt(x(t1))}`;
  };
  const iso = (t: number) => new Date(t).toISOString().slice(0, 10);
  return (
    <figure>
      <div style="display:flex;flex-wrap:wrap;gap:.5rem">
        {props.sites.map((site) => (
          <svg
            xmlns="http://www.w3.org/2000/svg"
            width={W}
            height={H}
            viewBox={`0 0 ${W} ${H}`}
            role="img"
            aria-label={`Indskrevne over tid, ${siteName(site)} / Enrolled over time, ${siteName(site)}`}
            font-family="system-ui, sans-serif"
            font-size="10"
          >
            <text x={m.l} y={13} font-weight="600" font-size="11">
              {siteName(site)}
            </text>
            <line x1={m.l} x2={W - m.r} y1={y(0)} y2={y(0)} stroke="#8c959f" />
            <line x1={m.l} x2={m.l} y1={y(0)} y2={y(yMax)} stroke="#8c959f" />
            <text x={m.l - 4} y={y(0) + 3} text-anchor="end">
              0
            </text>
            <text x={m.l - 4} y={y(yMax) + 3} text-anchor="end">
              {yMax}
            </text>
            <text x={m.l} y={H - 6}>
              {iso(t0)}
            </text>
            <text x={W - m.r} y={H - 6} text-anchor="end">
              {iso(t1 - DAY_MS)}
            </text>
            {arms.map((arm) => {
              const d = path(site, arm);
              return d === null ? null : <path d={d} fill="none" stroke={colour(arm)} stroke-width="2" data-arm={arm} />;
            })}
          </svg>
        ))}
      </div>
      <figcaption>
        <Bi da="Kumuleret antal indskrevne pr. arm og sted:" en="Cumulative enrollment by arm and site:" />{" "}
        {protocol.arms.map((a) => (
          <span style="margin-right:1rem;white-space:nowrap">
            <svg width="14" height="10" aria-hidden="true">
              <rect width="14" height="10" fill={colour(a.id)} />
            </svg>{" "}
            <Lbl label={a.label} />
          </span>
        ))}
      </figcaption>
    </figure>
  );
}

function Facts(props: { summary: TrialSummary; record: TrialRecord; protocol: Protocol }) {
  const { summary: s, record } = props;
  return (
    <dl class="facts">
      <dt>
        <Bi da="Status" en="Status" />
      </dt>
      <dd id="status">{s.status}</dd>
      <dt>
        <Bi da="Protokol" en="Protocol" />
      </dt>
      <dd>
        <code>{s.protocol_id}</code>, <Bi da={`version ${s.protocol_version}`} en={`version ${s.protocol_version}`} />
      </dd>
      <dt>
        <Bi da="Protokollens hash (SHA-256)" en="Protocol hash (SHA-256)" />
      </dt>
      <dd>
        <code id="protocol-hash">{s.protocol_hash}</code>
      </dd>
      <dt>
        <Bi da="Seed-forpligtelse, sha256(seed)" en="Seed commitment, sha256(seed)" />
      </dt>
      <dd>
        <code id="seed-commitment">{s.seed_commitment}</code>
        <span class="hint">
          <Bi
            da="Seedet offentliggøres i evidenspakken; enhver kan da genberegne hver tildeling."
            en="The seed is revealed in the evidence package; anyone can then re-derive every allocation."
          />
        </span>
      </dd>
      <dt>
        <Bi da="Registreret" en="Registered" />
      </dt>
      <dd>{s.created_at.slice(0, 10)}</dd>
      <dt>
        <Bi da="Indskrevne i alt" en="Enrolled in all" />
      </dt>
      <dd id="enrolled">{s.enrolled}</dd>
      <dt>
        <Bi da="Statusændringer" en="Status changes" />
      </dt>
      <dd>
        {record.statusHistory.length === 0
          ? "–"
          : record.statusHistory.map((h) => (
              <div>
                {h.at.slice(0, 10)}: {h.status}
                {h.reason ? ` (${h.reason})` : ""}
              </div>
            ))}
      </dd>
    </dl>
  );
}

export function trialPage(pages: Hono<PageEnv>, api: ApiApp): void {
  pages.get("/trials/:trial", async (c) => {
    const session = requireSession(c.var.session, "agency", "researcher");
    const trialId = c.req.param("trial");
    const record = /^[a-z0-9][a-z0-9-]{0,63}$/.test(trialId) ? await c.var.deps.store.getTrial(trialId) : null;
    if (!record) throw new PageError(404, "Forsøget findes ikke", "No such trial");
    const { protocol } = protocolOfVersion(record);
    const summary = await callApi<TrialSummary>(api, session.token, "GET", `/v1/trials/${trialId}`);
    if (summary.error !== null) throw new PageError(404, summary.error.message, summary.error.message);
    // Every allocation's site, arm and time, in pages of the API's largest size.
    const points: EnrollmentPoint[] = [];
    let after: number | undefined;
    for (;;) {
      const page = await callApi<{ participants: ParticipantView[] }>(api, session.token, "GET", `/v1/trials/${trialId}/enrollments?limit=10000${after !== undefined ? `&after=${after}` : ""}`);
      if (page.error !== null) throw new PageError(403, page.error.message, page.error.message);
      for (const p of page.body.participants) points.push({ site: p.site, arm: p.arm, enrolled_at: p.enrolled_at });
      if (page.body.participants.length < 10000) break;
      after = page.body.participants[page.body.participants.length - 1].sequence;
    }
    const s = summary.body;
    const sites = protocol.sites.map((x) => x.id);
    const cells = new Map((s.enrolled_by_site_and_arm ?? []).map((x) => [`${x.site}\u0000${x.arm}`, x.n]));
    c.header("cache-control", "no-store");
    return c.html(
      <Layout title={protocol.title} session={session}>
        <p>
          <code>{record.id}</code> · <Lbl label={protocol.population.description} />
        </p>
        <Facts summary={s} record={record} protocol={protocol} />
        <h2>
          <Bi da="Indskrivning pr. sted og arm" en="Enrollment by site and arm" />
        </h2>
        {points.length === 0 ? (
          <p>
            <Bi da="Ingen indskrevet endnu." en="Nobody enrolled yet." />
          </p>
        ) : (
          <EnrollmentChart protocol={protocol} points={points} sites={sites} />
        )}
        <table id="by-site-and-arm">
          <thead>
            <tr>
              <th scope="col">
                <Bi da="Sted" en="Site" />
              </th>
              {protocol.arms.map((a) => (
                <th scope="col" class="num">
                  <Lbl label={a.label} />
                </th>
              ))}
              <th scope="col" class="num">
                <Bi da="I alt" en="Total" />
              </th>
            </tr>
          </thead>
          <tbody>
            {protocol.sites.map((site) => (
              <tr>
                <th scope="row">
                  {site.name} <span class="hint">({site.id})</span>
                </th>
                {protocol.arms.map((a) => (
                  <td class="num">{cells.get(`${site.id}\u0000${a.id}`) ?? 0}</td>
                ))}
                <td class="num">{protocol.arms.reduce((n, a) => n + (cells.get(`${site.id}\u0000${a.id}`) ?? 0), 0)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <h2>
          <Bi da="Ændringer af protokollen" en="Protocol amendments" />
        </h2>
        {s.amendments.length === 0 ? (
          <p>
            <Bi da="Ingen ændringer." en="No amendments." />
          </p>
        ) : (
          <table id="amendments">
            <thead>
              <tr>
                <th scope="col">
                  <Bi da="Version" en="Version" />
                </th>
                <th scope="col">
                  <Bi da="Dato" en="Date" />
                </th>
                <th scope="col">
                  <Bi da="Begrundelse" en="Reason" />
                </th>
                <th scope="col">
                  <Bi da="Hash" en="Hash" />
                </th>
              </tr>
            </thead>
            <tbody>
              {s.amendments.map((a) => (
                <tr>
                  <td>{a.version}</td>
                  <td>{a.at.slice(0, 10)}</td>
                  <td>{a.reason ?? ""}</td>
                  <td>
                    <code>{a.protocol_hash}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <p class="hint">
          <Bi
            da="Effektmål vises ikke her: de hører til den forhåndsregistrerede analyse i den publicerede evidenspakke."
            en="Outcomes are not shown here: they belong to the pre-registered analysis in the published evidence package."
          />
        </p>
      </Layout>,
    );
  });
}
