/**
 * Progression on the participant page (municipality tokens; the trial's protocol has a
 * `progression` instrument):
 *
 *   - a chart of the citizen's own factors over time (progression-chart.tsx), to show the citizen;
 *   - the measurements in force as a table (corrections applied);
 *   - a short form per conversation: the day, who scored, one choice per factor with its anchors.
 *
 *   POST /app/trials/:trial/participants/:id/progression   → the API's progression route
 *   GET  /app/trials/:trial/participants/:id/progression/:measurement
 *                                                          the form to correct one measurement
 *                                                          (its answers filled in, a reason asked)
 *
 * The form posts through the API with the caseworker's token, so the API's rules (own site, scale,
 * dates, withdrawal) and audit entries are the only ones; its refusals are shown beside the fields.
 */
import type { Context, Hono } from "hono";
import type { Protocol } from "../../protocols/index.ts";
import type { Progression } from "../../protocols/progression-schema.ts";
import type { Deps } from "../context.ts";
import { ApiError } from "../errors.ts";
import { participantProgression, type ProgressionView } from "../routes/progression.ts";
import { auditParticipantRead, participantInScope, participantScopeOf } from "../routes/participant-access.ts";
import type { EnrollmentRecord, TrialRecord } from "../store/store.ts";
import { callApi } from "./api-call.ts";
import { FieldError, formStrings, type FieldErrors, type FormValues } from "./baseline-form.tsx";
import { ApiText, Bi, Csrf, Layout, Lbl, Notice } from "./layout.tsx";
import { fmt, ProgressionChart } from "./progression-chart.tsx";
import { PageError, requireSession, type ApiApp, type PageEnv } from "./page-context.ts";
import type { Session } from "./session.ts";
import { noStore, siteTrial, TrialHeading } from "./site-trial.tsx";

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
  const scope = participantScopeOf(session.principal, participant.publicId);
  const [rows, withdrawals] = await Promise.all([deps.store.listOutcomes(trialId, scope), deps.store.listWithdrawals(trialId, scope)]);
  const own = withdrawals.map((w) => w.effective).sort();
  return participantProgression(protocol.progression, participant, rows, own[0] ?? null);
}

const field = (name: string) => `progression-${name}`;

function errAttrs(name: string, errors: FieldErrors) {
  return errors[name] !== undefined ? { "aria-describedby": `f-${name}-error`, "aria-invalid": "true" } : {};
}

function MeasurementTable(props: { progression: Progression; view: { measurements: MeasurementViewRow[] }; correctHref?: (id: string) => string }) {
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
          {props.correctHref ? (
            <th scope="col">
              <Bi da="Rettelse" en="Correction" />
            </th>
          ) : null}
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
            {props.correctHref ? (
              <td>
                <a href={props.correctHref(x.id)}>
                  <Bi da="Ret" en="Correct" />
                </a>
              </td>
            ) : null}
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
  const { progression, view } = props;
  const { instrument } = progression;
  // The form's own values only (the page's other forms use other names).
  const values = props.values.form === "progression" ? props.values : {};
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
          <MeasurementTable progression={progression} view={view} correctHref={(id) => `/app/trials/${props.trialId}/participants/${props.participant.publicId}/progression/${id}`} />
        </>
      )}
      <ProgressionForm {...props} values={values} />
    </>
  );
}

type MeasurementViewRow = ProgressionView["measurements"][number];

/**
 * The form for one conversation; with `correcting`, the form for its correction: the earlier
 * measurement's answers filled in, its id sent as `corrects`, and a reason required.
 */
function ProgressionForm(props: {
  session: Session;
  trialId: string;
  participant: EnrollmentRecord;
  progression: Progression;
  values: FormValues;
  errors: FieldErrors;
  today: string;
  correcting?: MeasurementViewRow;
}) {
  const { progression, errors, correcting } = props;
  const { instrument } = progression;
  const earlier: FormValues = correcting
    ? { date: correcting.date, scored_by: correcting.scored_by, ...Object.fromEntries(Object.entries(correcting.scores).map(([f, v]) => [`score_${f}`, String(v)])) }
    : {};
  const values = props.values.form === "progression" ? props.values : earlier;
  const scoredBy = values.scored_by ?? "together";
  return (
    <form method="post" action={`/app/trials/${props.trialId}/participants/${props.participant.publicId}/progression`} aria-labelledby="progression-form-heading" novalidate>
      <h3 id="progression-form-heading">
        {correcting ? <Bi da={`Ret målingen fra ${correcting.date}`} en={`Correct the measurement of ${correcting.date}`} /> : <Bi da="Ny måling (samtale)" en="New measurement (conversation)" />}
      </h3>
      <Csrf session={props.session} />
      <input type="hidden" name="form" value="progression" />
      {correcting ? <input type="hidden" name="corrects" value={correcting.id} /> : null}
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
        const choices = Array.from({ length: f.scale.max - f.scale.min + 1 }, (_, i) => f.scale.min + i);
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
            {choices.map((v) => {
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
      {correcting ? (
        <div class="field">
          <label for={`f-${field("reason")}`}>
            <Bi da="Årsag til rettelsen" en="Reason for the correction" />
            <span class="required"> *</span>
          </label>
          <span class="hint" id={`f-${field("reason")}-hint`}>
            <Bi da="Skriv ikke CPR-numre eller navne. Den tidligere måling bevares." en="Do not write CPR numbers or names. The earlier measurement is kept." />
          </span>
          <textarea id={`f-${field("reason")}`} name="reason" rows={2} cols={50} required {...errAttrs(field("reason"), errors)}>
            {values.reason ?? ""}
          </textarea>
          <FieldError name={field("reason")} errors={errors} />
        </div>
      ) : (
        <p class="hint">
          <Bi da="En faktor, der ikke blev talt om, kan springes over. Skriv ingen noter her." en="A factor that was not discussed may be left out. No notes here." />
        </p>
      )}
      <button type="submit">{correcting ? <Bi da="Registrér rettelsen" en="Record the correction" /> : <Bi da="Registrér måling" en="Record measurement" />}</button>
    </form>
  );
}

/** The page for correcting one measurement: what was recorded, and the form filled in with it. */
function CorrectionPage(props: {
  session: Session;
  record: TrialRecord;
  protocol: Protocol;
  progression: Progression;
  participant: EnrollmentRecord;
  measurement: MeasurementViewRow;
  values: FormValues;
  errors: FieldErrors;
  banner?: string;
  today: string;
}) {
  const { record, participant: p, measurement } = props;
  return (
    <Layout title={{ da: "Ret en progressionsmåling", en: "Correct a progression measurement" }} session={props.session}>
      <TrialHeading protocol={props.protocol} record={record} />
      {props.banner !== undefined ? (
        <Notice tone="bad">
          <ApiText text={props.banner} />
        </Notice>
      ) : null}
      <p>
        <Bi da="Deltager" en="Participant" />: <code id="participant-id">{p.publicId}</code>
      </p>
      <MeasurementTable progression={props.progression} view={{ measurements: [measurement] }} />
      <ProgressionForm
        session={props.session}
        trialId={record.id}
        participant={p}
        progression={props.progression}
        values={props.values}
        errors={props.errors}
        today={props.today}
        correcting={measurement}
      />
      <p>
        <a href={`/app/trials/${record.id}/participants/${p.publicId}`}>
          <Bi da="Tilbage til deltageren" en="Back to the participant" />
        </a>
      </p>
    </Layout>
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
  /** The correction page of one measurement in force, of the caseworker's own site; audited. */
  const correctionPage = async (c: Context<PageEnv>, session: Session, measurementId: string, extra: { values?: FormValues; errors?: FieldErrors; banner?: string; status?: 200 | 400 | 404 | 409 | 422 } = {}) => {
    const deps = c.var.deps;
    const { record, protocol } = await siteTrial(c, session, c.req.param("trial")!);
    const missing = () => new PageError(404, "Målingen findes ikke for en deltager på dit sted", "No such measurement of a participant at your site");
    if (!protocol.progression) throw missing();
    const participant = await participantInScope(deps, record.id, session.principal, c.req.param("id")!).catch((error: unknown) => {
      if (error instanceof ApiError) throw missing();
      throw error;
    });
    const view = (await progressionViewOf(deps, record.id, protocol, session, participant))!;
    const measurement = view.measurements.find((m) => m.id === measurementId);
    if (!measurement) throw missing();
    await auditParticipantRead(deps, session.principal, record.id, participant.publicId);
    noStore(c);
    return c.html(
      <CorrectionPage
        session={session}
        record={record}
        protocol={protocol}
        progression={protocol.progression}
        participant={participant}
        measurement={measurement}
        values={extra.values ?? {}}
        errors={extra.errors ?? {}}
        banner={extra.banner}
        today={deps.clock().toISOString().slice(0, 10)}
      />,
      extra.status ?? 200,
    );
  };

  pages.get("/trials/:trial/participants/:id/progression/:measurement", async (c) => correctionPage(c, requireSession(c.var.session, "municipality"), c.req.param("measurement")));

  pages.post("/trials/:trial/participants/:id/progression", async (c) => {
    const session = requireSession(c.var.session, "municipality");
    const { record, protocol } = await siteTrial(c, session, c.req.param("trial"));
    const id = c.req.param("id");
    const values: FormValues = { ...formStrings(await c.req.parseBody()), form: "progression" };
    if (!protocol.progression) return show(c, session, { values, banner: "forsøgets protokol har intet progressionsværktøj / the trial's protocol has no progression instrument", status: 422 });
    const corrects = (values.corrects ?? "").trim();
    const answer = await callApi(api, session.token, "POST", `/v1/trials/${record.id}/progression`, {
      participant_id: id,
      date: (values.date ?? "").trim(),
      scored_by: values.scored_by ?? "",
      scores: scoresOf(protocol.progression, values),
      ...(corrects !== "" ? { corrects } : {}),
      ...((values.reason ?? "").trim() !== "" ? { reason: values.reason!.trim() } : {}),
    });
    if (answer.error === null) return c.redirect(`/app/trials/${record.id}/participants/${id}?done=progression`, 303);
    if (answer.status === 404) return show(c, session, { status: 404, banner: answer.error.message });
    const errors: FieldErrors = {};
    for (const i of answer.error.issues ?? []) {
      const m = /^measurements\.0\.(date|scored_by|scores|reason)(?:\.([a-z][a-z0-9_]*))?$/.exec(i.path);
      if (!m) continue;
      errors[field(m[1] === "scores" && m[2] !== undefined ? `score_${m[2]}` : m[1]!)] = i.message;
    }
    if (answer.status === 422 && Object.keys(errors).length === 0 && /CPR/.test(answer.error.message)) {
      // The reason held a CPR-shaped number: say so beside it, and do not show the text back.
      errors[field("reason")] = answer.error.message;
      delete values.reason;
    }
    const status = ([400, 404, 409, 422] as const).find((x) => x === answer.status) ?? 400;
    // A refused `corrects` (unknown, or corrected already) has no field of its own: it is the banner.
    const aboutCorrects = answer.error.issues?.find((i) => i.path === "measurements.0.corrects");
    const extra = { values, errors, banner: aboutCorrects?.message ?? answer.error.message, status };
    // The participant page's withdrawal form also has a `reason`: it must not get this one.
    const { reason: _reason, ...pageValues } = values;
    const onParticipantPage = () => show(c, session, { ...extra, values: pageValues });
    if (corrects === "") return onParticipantPage();
    // A refused correction comes back on its own page while the measurement is in force there.
    return correctionPage(c, session, corrects, extra).catch((error: unknown) => {
      if (error instanceof PageError && error.status === 404) return onParticipantPage();
      throw error;
    });
  });
}
