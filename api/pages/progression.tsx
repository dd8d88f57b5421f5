/**
 * Progression on the participant page (municipality tokens; the trial's protocol has a
 * `progression` instrument):
 *
 *   - a chart of the citizen's own factors over time, one small panel per factor and one for the
 *     total, upwards always closer to work or education, to show the citizen (Danish first);
 *   - the measurements in force as a table (corrections applied);
 *   - a short form per conversation: the day, who scored, one choice per factor with its anchors.
 *
 *   POST /app/trials/:trial/participants/:id/progression   → the API's progression route
 *
 * The form posts through the API with the caseworker's token, so the API's rules (own site, scale,
 * dates, withdrawal) and audit entries are the only ones; its refusals are shown beside the fields.
 */
import type { Context, Hono } from "hono";
import type { Protocol } from "../../protocols/index.ts";
import type { Progression, ProgressionFactor } from "../../protocols/progression-schema.ts";
import type { Deps } from "../context.ts";
import { participantProgression, type ProgressionView } from "../routes/progression.ts";
import { scopeOf } from "../routes/participant-access.ts";
import type { EnrollmentRecord } from "../store/store.ts";
import { callApi } from "./api-call.ts";
import { FieldError, formStrings, type FieldErrors, type FormValues } from "./baseline-form.tsx";
import { Bi, Csrf, Lbl, Notice } from "./layout.tsx";
import { requireSession, type ApiApp, type PageEnv } from "./page-context.ts";
import type { Session } from "./session.ts";
import { siteTrial } from "./site-trial.tsx";

export type { ProgressionView };

/** How the participant page is shown again (with the form's values and the API's refusals). */
export type ShowParticipant = (
  c: Context<PageEnv>,
  session: Session,
  extra: { values?: FormValues; errors?: FieldErrors; banner?: string; status?: 200 | 400 | 404 | 409 | 422 },
) => Promise<Response>;

const SCORED_BY_LABEL = {
  together: { da: "Sammen", en: "Together" },
  caseworker: { da: "Sagsbehandleren", en: "The caseworker" },
  citizen: { da: "Borgeren", en: "The citizen" },
} as const;

/** The participant's measurements in force (null when the protocol has no instrument). */
export async function progressionViewOf(deps: Deps, trialId: string, protocol: Protocol, session: Session, participant: EnrollmentRecord): Promise<ProgressionView | null> {
  if (!protocol.progression) return null;
  const scope = scopeOf(session.principal);
  const [rows, withdrawals] = await Promise.all([deps.store.listOutcomes(trialId, scope), deps.store.listWithdrawals(trialId, scope)]);
  const own = withdrawals.filter((w) => w.publicId === participant.publicId).map((w) => w.effective).sort();
  return participantProgression(protocol.progression, participant, rows, own[0] ?? null);
}

const field = (name: string) => `progression-${name}`;

function errAttrs(name: string, errors: FieldErrors) {
  return errors[name] !== undefined ? { "aria-describedby": `f-${name}-error`, "aria-invalid": "true" } : {};
}

/** A factor's score oriented so that up is closer to work: the chart's vertical position, 0 to 1. */
function height(f: Pick<ProgressionFactor, "scale" | "direction">, v: number): number {
  const { min, max } = f.scale;
  return f.direction === "lower" ? (max - v) / (max - min) : (v - min) / (max - min);
}

const fmt = (v: number) => (Math.round(v * 10) / 10).toString();
/** A panel title that fits its width (the whole label is the panel's aria-label). */
const short = (s: string) => (s.length > 31 ? `${s.slice(0, 30).trimEnd()}…` : s);

/**
 * Small multiples: one panel per factor and one for the total, on a shared time axis in weeks
 * from enrollment; up is closer to work or education on every panel (a factor scored the other
 * way round has its axis turned). A missing score leaves a gap in the line.
 */
export function ProgressionChart(props: { progression: Progression; view: ProgressionView }) {
  const { instrument } = props.progression;
  const ms = props.view.measurements;
  if (ms.length === 0) return null;
  const W = 240;
  const H = 120;
  const m = { l: 26, r: 10, t: 24, b: 22 };
  const lastWeek = Math.max(1, ...ms.map((x) => x.day / 7));
  const x = (day: number) => m.l + (day / 7 / lastWeek) * (W - m.l - m.r);
  const y = (h: number) => H - m.b - h * (H - m.t - m.b);
  const panels: { id: string; label: { da: string; en: string }; top: number; bottom: number; points: { day: number; h: number; v: number }[] }[] = [];
  for (const f of instrument.factors) {
    const points = ms.flatMap((x) => (x.scores[f.id] === undefined ? [] : [{ day: x.day, v: x.scores[f.id]!, h: height(f, x.scores[f.id]!) }]));
    const [top, bottom] = f.direction === "lower" ? [f.scale.min, f.scale.max] : [f.scale.max, f.scale.min];
    panels.push({ id: f.id, label: f.label, top, bottom, points });
  }
  const totals = ms.flatMap((x) => (x.total === null ? [] : [x]));
  const ids = instrument.total.factors ?? instrument.factors.map((f) => f.id);
  const inTotal = instrument.factors.filter((f) => ids.includes(f.id));
  const lo = inTotal.reduce((s, f) => s + f.scale.min, 0) / (instrument.total.method === "mean" ? inTotal.length : 1);
  const hi = inTotal.reduce((s, f) => s + f.scale.max, 0) / (instrument.total.method === "mean" ? inTotal.length : 1);
  panels.push({ id: "total", label: instrument.total.label, top: hi, bottom: lo, points: totals.map((t) => ({ day: t.day, v: t.total!, h: (t.total! - lo) / (hi - lo) })) });
  return (
    <figure id="progression-chart">
      <div style="display:flex;flex-wrap:wrap;gap:.5rem">
        {panels.map((p) => (
          <svg
            xmlns="http://www.w3.org/2000/svg"
            width={W}
            height={H}
            viewBox={`0 0 ${W} ${H}`}
            role="img"
            aria-label={`${p.label.da} over tid / ${p.label.en} over time`}
            font-family="system-ui, sans-serif"
            font-size="10"
            data-factor={p.id}
          >
            <text x={4} y={13} font-weight="600" font-size="11">
              {short(p.label.da)}
            </text>
            <line x1={m.l} x2={W - m.r} y1={y(0)} y2={y(0)} stroke="#8c959f" />
            <line x1={m.l} x2={m.l} y1={y(0)} y2={y(1)} stroke="#8c959f" />
            <text x={m.l - 4} y={y(1) + 3} text-anchor="end">
              {fmt(p.top)}
            </text>
            <text x={m.l - 4} y={y(0) + 3} text-anchor="end">
              {fmt(p.bottom)}
            </text>
            <text x={m.l} y={H - 6}>
              uge 0
            </text>
            <text x={W - m.r} y={H - 6} text-anchor="end">
              {`uge ${fmt(lastWeek)}`}
            </text>
            {p.points.length > 1 ? (
              <path d={p.points.map((q, i) => `${i === 0 ? "M" : "L"}${fmt(x(q.day))},${fmt(y(q.h))}`).join("")} fill="none" stroke="#0072B2" stroke-width="2" />
            ) : null}
            {p.points.map((q) => (
              <circle cx={fmt(x(q.day))} cy={fmt(y(q.h))} r="3" fill="#0072B2">
                <title>{`${fmt(q.v)} (dag ${q.day} / day ${q.day})`}</title>
              </circle>
            ))}
          </svg>
        ))}
      </div>
      <figcaption>
        <Bi
          da="Borgerens egne scorer over tid, i uger fra indskrivningen. Opad er altid tættere på arbejde eller uddannelse."
          en="The citizen's own scores over time, in weeks from enrollment. Up is always closer to work or education."
        />
      </figcaption>
    </figure>
  );
}

function MeasurementTable(props: { progression: Progression; view: ProgressionView }) {
  const { instrument } = props.progression;
  return (
    <table id="progression-measurements">
      <thead>
        <tr>
          <th scope="col">
            <Bi da="Dato" en="Date" />
          </th>
          <th scope="col">
            <Bi da="Scoret af" en="Scored by" />
          </th>
          {instrument.factors.map((f) => (
            <th scope="col" class="num">
              <Lbl label={f.label} />
            </th>
          ))}
          <th scope="col" class="num">
            <Lbl label={instrument.total.label} />
          </th>
        </tr>
      </thead>
      <tbody>
        {props.view.measurements.map((x) => (
          <tr data-measurement={x.id}>
            <td>
              {x.date}
              {x.corrects !== null ? (
                <span class="hint">
                  <Bi da="rettet" en="corrected" />
                </span>
              ) : null}
            </td>
            <td>
              <Lbl label={SCORED_BY_LABEL[x.scored_by]} />
            </td>
            {instrument.factors.map((f) => (
              <td class="num">{x.scores[f.id] ?? "–"}</td>
            ))}
            <td class="num">{x.total === null ? "–" : fmt(x.total)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The progression part of the participant page: chart, table and the form for a conversation. */
export function ProgressionSection(props: {
  session: Session;
  trialId: string;
  participant: EnrollmentRecord;
  progression: Progression;
  view: ProgressionView;
  values: FormValues;
  errors: FieldErrors;
  done?: string;
  today: string;
}) {
  const { progression, view, errors } = props;
  const { instrument } = progression;
  // The form's own values only (the page's other forms use other names).
  const values = props.values.form === "progression" ? props.values : {};
  const scoredBy = values.scored_by ?? "together";
  return (
    <>
      <h2 id="progression-heading">
        <Lbl label={instrument.title} />
      </h2>
      {props.done === "progression" ? (
        <Notice tone="good">
          <Bi da="Målingen er registreret." en="The measurement has been recorded." />
        </Notice>
      ) : null}
      {instrument.illustrative ? (
        <p class="hint">
          <Lbl label={instrument.source} />
        </p>
      ) : null}
      {view.measurements.length === 0 ? (
        <p id="progression-none">
          <Bi da="Ingen målinger endnu." en="No measurements yet." />
        </p>
      ) : (
        <>
          <ProgressionChart progression={progression} view={view} />
          <MeasurementTable progression={progression} view={view} />
        </>
      )}
      <form method="post" action={`/app/trials/${props.trialId}/participants/${props.participant.publicId}/progression`} aria-labelledby="progression-form-heading" novalidate>
        <h3 id="progression-form-heading">
          <Bi da="Ny måling (samtale)" en="New measurement (conversation)" />
        </h3>
        <Csrf session={props.session} />
        <input type="hidden" name="form" value="progression" />
        <div class="field">
          <label for={`f-${field("date")}`}>
            <Bi da="Samtalens dato" en="Date of the conversation" />
            <span class="required"> *</span>
          </label>
          <input type="date" id={`f-${field("date")}`} name="date" value={values.date ?? props.today} min={props.participant.enrolledAt.slice(0, 10)} max={props.today} required {...errAttrs(field("date"), errors)} />
          <FieldError name={field("date")} errors={errors} />
        </div>
        <fieldset class="choice" role="radiogroup" {...errAttrs(field("scored_by"), errors)}>
          <legend>
            <Bi da="Hvem scorede" en="Who scored" />
            <span class="required"> *</span>
          </legend>
          {(["together", "caseworker", "citizen"] as const).map((s) => (
            <label>
              <input type="radio" name="scored_by" value={s} checked={scoredBy === s} required /> <Lbl label={SCORED_BY_LABEL[s]} />
            </label>
          ))}
          <FieldError name={field("scored_by")} errors={errors} />
        </fieldset>
        <FieldError name={field("scores")} errors={errors} />
        {instrument.factors.map((f) => {
          const name = `score_${f.id}`;
          const values_ = Array.from({ length: f.scale.max - f.scale.min + 1 }, (_, i) => f.scale.min + i);
          return (
            <fieldset class="choice" role="radiogroup" data-factor={f.id} {...errAttrs(field(name), errors)}>
              <legend>
                <Lbl label={f.label} />
              </legend>
              {f.question ? (
                <span class="hint">
                  <Lbl label={f.question} />
                </span>
              ) : null}
              {values_.map((v) => {
                const anchor = f.scale.anchors.find((a) => a.value === v);
                return (
                  <label>
                    <input type="radio" name={name} value={String(v)} checked={values[name] === String(v)} /> <strong>{v}</strong>
                    {anchor ? (
                      <>
                        {" "}
                        <Lbl label={anchor.label} />
                      </>
                    ) : null}
                  </label>
                );
              })}
              <FieldError name={field(name)} errors={errors} />
            </fieldset>
          );
        })}
        <p class="hint">
          <Bi da="En faktor, der ikke blev talt om, kan springes over. Skriv ingen noter her." en="A factor that was not discussed may be left out. No notes here." />
        </p>
        <button type="submit">
          <Bi da="Registrér måling" en="Record measurement" />
        </button>
      </form>
    </>
  );
}

/** The form's scores as the API expects them: the chosen factors, as numbers where they are numbers. */
function scoresOf(progression: Progression, values: FormValues): Record<string, unknown> {
  const scores: Record<string, unknown> = {};
  for (const f of progression.instrument.factors) {
    const raw = (values[`score_${f.id}`] ?? "").trim();
    if (raw === "") continue;
    scores[f.id] = Number.isFinite(Number(raw)) ? Number(raw) : raw;
  }
  return scores;
}

export function progressionPages(pages: Hono<PageEnv>, api: ApiApp, show: ShowParticipant): void {
  pages.post("/trials/:trial/participants/:id/progression", async (c) => {
    const session = requireSession(c.var.session, "municipality");
    const { record, protocol } = await siteTrial(c, session, c.req.param("trial"));
    const id = c.req.param("id");
    const values: FormValues = { ...formStrings(await c.req.parseBody()), form: "progression" };
    if (!protocol.progression) return show(c, session, { values, banner: "forsøgets protokol har intet progressionsværktøj / the trial's protocol has no progression instrument", status: 422 });
    const answer = await callApi(api, session.token, "POST", `/v1/trials/${record.id}/progression`, {
      participant_id: id,
      date: (values.date ?? "").trim(),
      scored_by: values.scored_by ?? "",
      scores: scoresOf(protocol.progression, values),
    });
    if (answer.error === null) return c.redirect(`/app/trials/${record.id}/participants/${id}?done=progression`, 303);
    if (answer.status === 404) return show(c, session, { status: 404, banner: answer.error.message });
    const errors: FieldErrors = {};
    for (const i of answer.error.issues ?? []) {
      const m = /^measurements\.0\.(date|scored_by|scores)(?:\.([a-z][a-z0-9_]*))?$/.exec(i.path);
      if (!m) continue;
      errors[field(m[1] === "scores" && m[2] !== undefined ? `score_${m[2]}` : m[1]!)] = i.message;
    }
    const status = ([400, 404, 409, 422] as const).find((x) => x === answer.status) ?? 400;
    return show(c, session, { values, errors, banner: answer.error.message, status });
  });
}
