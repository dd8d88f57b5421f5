/**
 * One participant of the caseworker's own site (municipality tokens):
 *
 *   GET  /app/trials/:trial/participants/:id                the receipt: arm and what it means for
 *                                                           the citizen, withdrawal and outcome forms
 *   POST /app/trials/:trial/participants/:id/withdrawal     → the API's withdrawal route
 *   POST /app/trials/:trial/participants/:id/outcomes       → the API's outcome route
 *   POST /app/trials/:trial/participants/:id/progression    → the API's progression route (progression.tsx)
 *
 * Another site's participant is "not found". Reading a participant is audited; the writes are
 * the API's (same rules, same audit entries), with its refusals shown beside the fields.
 */
import type { Context, Hono } from "hono";
import type { Arm, Outcome, Protocol } from "../../protocols/index.ts";
import { ApiError } from "../errors.ts";
import { auditParticipantRead, participantInScope, participantScopeOf } from "../routes/participant-access.ts";
import type { EnrollmentRecord, TrialRecord } from "../store/store.ts";
import { callApi } from "./api-call.ts";
import { FieldError, formStrings, type FieldErrors, type FormValues } from "./baseline-form.tsx";
import { ApiText, Bi, Csrf, Layout, Lbl, Notice } from "./layout.tsx";
import { PageError, requireSession, type ApiApp, type PageEnv } from "./page-context.ts";
import { progressionPages, progressionViewOf, ProgressionSection, type ProgressionView } from "./progression.tsx";
import type { Session } from "./session.ts";
import { armOf, ArmName, dateTime, noStore, siteTrial, TrialHeading } from "./site-trial.tsx";

/** What the arm means for the citizen: its description and what its cost covers. */
function ArmMeaning(props: { arm: Arm | undefined }) {
  const arm = props.arm;
  if (!arm) return null;
  return (
    <dl class="facts">
      {arm.description ? (
        <>
          <dt>
            <Bi da="Hvad det betyder" en="What it means" />
          </dt>
          <dd>
            <Lbl label={arm.description} />
          </dd>
        </>
      ) : null}
      <dt>
        <Bi da="Indsatsen dækker" en="The programme covers" />
      </dt>
      <dd>
        <Lbl label={arm.cost.covers} />
      </dd>
    </dl>
  );
}

function ParticipantPage(props: {
  session: Session;
  record: TrialRecord;
  protocol: Protocol;
  participant: EnrollmentRecord;
  result?: string;
  withdrawals: { effective: string; reason: string; at: string }[];
  values: FormValues;
  errors: FieldErrors;
  banner?: string;
  done?: string;
  today: string;
  progression: ProgressionView | null;
}) {
  const { session, record, protocol, participant: p, errors, values } = props;
  const arm = armOf(protocol, p.arm);
  const siteOutcomes = protocol.outcomes.filter((o) => o.source.type === "site");
  const today = props.today;
  return (
    <Layout title={{ da: "Deltager", en: "Participant" }} session={session}>
      <TrialHeading protocol={protocol} record={record} />
      {props.result === "new" ? (
        <Notice tone="good" id="receipt">
          <Bi da="Borgeren er indskrevet og har fået tildelt en arm." en="The citizen has been enrolled and allocated." />
        </Notice>
      ) : props.result === "repeat" ? (
        <Notice id="receipt">
          <strong>
            <Bi da="Allerede indskrevet (gentagelse)." en="Already enrolled (a repeat)." />
          </strong>{" "}
          <Bi da="Borgeren beholder den arm, der blev tildelt første gang; der er ikke trukket lod igen." en="The citizen keeps the arm allocated the first time; nothing was re-randomized." />
        </Notice>
      ) : null}
      {props.done === "withdrawal" ? (
        <Notice tone="good">
          <Bi da="Udtrædelsen er registreret." en="The withdrawal has been recorded." />
        </Notice>
      ) : props.done === "outcome" ? (
        <Notice tone="good">
          <Bi da="Effektmålet er registreret." en="The outcome has been recorded." />
        </Notice>
      ) : null}
      {props.banner !== undefined ? (
        <Notice tone="bad">
          <ApiText text={props.banner} />
        </Notice>
      ) : null}
      <p class="arm" id="arm" data-arm={p.arm}>
        <ArmName protocol={protocol} arm={p.arm} />
      </p>
      <ArmMeaning arm={arm} />
      <dl class="facts">
        <dt>
          <Bi da="Deltager-id" en="Participant id" />
        </dt>
        <dd>
          <code id="participant-id">{p.publicId}</code>
        </dd>
        <dt>
          <Bi da="Løbenummer" en="Sequence" />
        </dt>
        <dd id="sequence">{p.sequence}</dd>
        <dt>
          <Bi da="Indskrevet" en="Enrolled" />
        </dt>
        <dd>
          <time datetime={p.enrolledAt}>{dateTime(p.enrolledAt)}</time>
        </dd>
        <dt>
          <Bi da="Sted" en="Site" />
        </dt>
        <dd>{protocol.sites.find((s) => s.id === p.site)?.name ?? p.site}</dd>
        <dt>
          <Bi da="Protokolversion" en="Protocol version" />
        </dt>
        <dd>{p.protocolVersion}</dd>
      </dl>
      <p class="hint">
        <Bi da="Notér deltager-id'et i borgerens sag; CPR-nummeret gemmes ikke her." en="Note the participant id in the citizen's case file; the CPR number is not kept here." />
      </p>

      <h2 id="withdrawal-heading">
        <Bi da="Udtrædelse" en="Withdrawal" />
      </h2>
      {props.withdrawals.length > 0 ? (
        <ul>
          {props.withdrawals.map((w) => (
            <li>
              <Bi da={`Udtrådt med virkning fra ${w.effective}`} en={`Withdrawn with effect from ${w.effective}`} />: {w.reason}
            </li>
          ))}
        </ul>
      ) : (
        <p>
          <Bi da="Ingen udtrædelse registreret. Deltageren bliver i analysen (intention-to-treat) under alle omstændigheder." en="No withdrawal recorded. The participant stays in the analysis (intention to treat) either way." />
        </p>
      )}
      <form method="post" action={`/app/trials/${record.id}/participants/${p.publicId}/withdrawal`} aria-labelledby="withdrawal-heading" novalidate>
        <Csrf session={session} />
        <div class="field">
          <label for="f-effective">
            <Bi da="Gælder fra" en="Effective from" />
            <span class="required"> *</span>
          </label>
          <input type="date" id="f-effective" name="effective" value={values.effective ?? today} min={p.enrolledAt.slice(0, 10)} required {...errAttrs("effective", errors)} />
          <FieldError name="effective" errors={errors} />
        </div>
        <div class="field">
          <label for="f-reason">
            <Bi da="Årsag" en="Reason" />
            <span class="required"> *</span>
          </label>
          <span class="hint" id="f-reason-hint">
            <Bi da="Skriv ikke CPR-numre eller navne." en="Do not write CPR numbers or names." />
          </span>
          <textarea id="f-reason" name="reason" rows={2} cols={50} required {...errAttrs("reason", errors, "f-reason-hint")}>
            {values.reason ?? ""}
          </textarea>
          <FieldError name="reason" errors={errors} />
        </div>
        <button type="submit">
          <Bi da="Registrér udtrædelse" en="Record withdrawal" />
        </button>
      </form>

      {siteOutcomes.length > 0 ? (
        <>
          <h2>
            <Bi da="Effektmål" en="Outcomes" />
          </h2>
          {siteOutcomes.map((o) => (
            <OutcomeForm session={session} trialId={record.id} participant={p} outcome={o} values={values} errors={errors} today={today} />
          ))}
        </>
      ) : null}
      {protocol.progression && props.progression ? (
        <ProgressionSection session={session} trialId={record.id} participant={p} progression={protocol.progression} view={props.progression} values={values} errors={errors} done={props.done} today={today} />
      ) : null}
      <p>
        <a href={`/app/trials/${record.id}/participants`}>
          <Bi da="Alle stedets deltagere" en="All of this site's participants" />
        </a>{" "}
        ·{" "}
        <a href={`/app/trials/${record.id}/enroll`}>
          <Bi da="Indskriv en ny borger" en="Enroll another citizen" />
        </a>
      </p>
    </Layout>
  );
}

function errAttrs(name: string, errors: FieldErrors, hint?: string) {
  const ids = [hint, errors[name] !== undefined ? `f-${name}-error` : undefined].filter((x) => x !== undefined);
  return { ...(ids.length ? { "aria-describedby": ids.join(" ") } : {}), ...(errors[name] !== undefined ? { "aria-invalid": "true" } : {}) };
}

/** One form per outcome the site records; the value's input fits the outcome's type. */
function OutcomeForm(props: { session: Session; trialId: string; participant: EnrollmentRecord; outcome: Outcome; values: FormValues; errors: FieldErrors; today: string }) {
  const { outcome: o, errors, values } = props;
  const mine = values.outcome === o.id;
  const v = (k: string) => (mine ? values[k] : undefined);
  const f = (k: string) => `${o.id}-${k}`;
  const heading = `outcome-${o.id}`;
  return (
    <form method="post" action={`/app/trials/${props.trialId}/participants/${props.participant.publicId}/outcomes`} aria-labelledby={heading} novalidate>
      <h3 id={heading}>
        <Lbl label={o.label} />
      </h3>
      <Csrf session={props.session} />
      <input type="hidden" name="outcome" value={o.id} />
      {o.type === "binary" ? (
        <fieldset class="choice" role="radiogroup" {...errAttrs(f("value"), errors)}>
          <legend>
            <Bi da="Resultat" en="Result" />
            <span class="required"> *</span>
          </legend>
          <label>
            <input type="radio" name="value" value="1" checked={v("value") === "1"} required /> <Bi da="Ja" en="Yes" />
          </label>
          <label>
            <input type="radio" name="value" value="0" checked={v("value") === "0"} required /> <Bi da="Nej" en="No" />
          </label>
          <FieldError name={f("value")} errors={errors} />
        </fieldset>
      ) : o.type === "time_to_event" ? (
        <>
          <div class="field">
            <label for={`f-${f("time")}`}>
              <Bi da={`Tid (${o.unit ?? "uger"})`} en={`Time (${o.unit ?? "weeks"})`} />
              <span class="required"> *</span>
            </label>
            <input type="number" id={`f-${f("time")}`} name="time" min="0" step="any" value={v("time") ?? ""} required {...errAttrs(f("value"), errors)} />
          </div>
          <fieldset class="choice" role="radiogroup">
            <legend>
              <Bi da="Hændelsen indtraf" en="The event happened" />
              <span class="required"> *</span>
            </legend>
            <label>
              <input type="radio" name="event" value="1" checked={v("event") === "1"} required /> <Bi da="Ja" en="Yes" />
            </label>
            <label>
              <input type="radio" name="event" value="0" checked={v("event") === "0"} required /> <Bi da="Nej (censureret)" en="No (censored)" />
            </label>
          </fieldset>
          <FieldError name={f("value")} errors={errors} />
        </>
      ) : (
        <div class="field">
          <label for={`f-${f("value")}`}>
            <Bi da="Værdi" en="Value" />
            <span class="required"> *</span>
          </label>
          <input type="number" id={`f-${f("value")}`} name="value" step={o.type === "count" ? "1" : "any"} min={o.type === "count" ? "0" : undefined} value={v("value") ?? ""} required {...errAttrs(f("value"), errors)} />
          <FieldError name={f("value")} errors={errors} />
        </div>
      )}
      <div class="field">
        <label for={`f-${f("observed_at")}`}>
          <Bi da="Observeret den" en="Observed on" />
          <span class="required"> *</span>
        </label>
        <input type="date" id={`f-${f("observed_at")}`} name="observed_at" value={v("observed_at") ?? props.today} required {...errAttrs(f("observed_at"), errors)} />
        <FieldError name={f("observed_at")} errors={errors} />
      </div>
      <button type="submit">
        <Bi da="Registrér effektmål" en="Record outcome" />
      </button>
    </form>
  );
}

/** The outcome value the API expects, from the form (the API checks it against the protocol). */
function outcomeValue(o: Outcome, form: FormValues): unknown {
  const num = (s: string | undefined) => (s === undefined || s.trim() === "" ? s : Number.isFinite(Number(s.replace(",", "."))) ? Number(s.replace(",", ".")) : s);
  if (o.type === "time_to_event") return { time: num(form.time), event: num(form.event) };
  return num(form.value);
}

export function participantPages(pages: Hono<PageEnv>, api: ApiApp): void {
  /** Loads one participant of the caseworker's own site (another site's is "not found"), audited. */
  const participantPage = async (c: Context<PageEnv>, session: Session, extra: { values?: FormValues; errors?: FieldErrors; banner?: string; status?: 200 | 400 | 404 | 409 | 422 } = {}) => {
    const deps = c.var.deps;
    const { record, protocol } = await siteTrial(c, session, c.req.param("trial")!);
    const id = c.req.param("id")!;
    const participant = await participantInScope(deps, record.id, session.principal, id).catch((error: unknown) => {
      if (!(error instanceof ApiError)) throw error;
      throw new PageError(404, "Deltageren findes ikke på dit sted", "No such participant at your site");
    });
    await auditParticipantRead(deps, session.principal, record.id, participant.publicId);
    const withdrawals = await deps.store.listWithdrawals(record.id, participantScopeOf(session.principal, participant.publicId));
    noStore(c);
    return c.html(
      <ParticipantPage
        session={session}
        record={record}
        protocol={protocol}
        participant={participant}
        result={c.req.query("result")}
        done={c.req.query("done")}
        withdrawals={withdrawals}
        values={extra.values ?? {}}
        errors={extra.errors ?? {}}
        banner={extra.banner}
        today={deps.clock().toISOString().slice(0, 10)}
        progression={await progressionViewOf(deps, record.id, protocol, session, participant)}
      />,
      extra.status ?? 200,
    );
  };

  pages.get("/trials/:trial/participants/:id", async (c) => participantPage(c, requireSession(c.var.session, "municipality")));

  const statusOf = (s: number) => ([400, 404, 409, 422] as const).find((x) => x === s) ?? 400;

  pages.post("/trials/:trial/participants/:id/withdrawal", async (c) => {
    const session = requireSession(c.var.session, "municipality");
    const { record } = await siteTrial(c, session, c.req.param("trial"));
    const id = c.req.param("id");
    const values = formStrings(await c.req.parseBody());
    const answer = await callApi(api, session.token, "POST", `/v1/trials/${record.id}/withdrawals`, {
      participant_id: id,
      effective: (values.effective ?? "").trim(),
      reason: (values.reason ?? "").trim(),
    });
    if (answer.error === null) return c.redirect(`/app/trials/${record.id}/participants/${id}?done=withdrawal`, 303);
    const errors: FieldErrors = {};
    for (const i of answer.error.issues ?? []) if (i.path === "effective" || i.path === "reason") errors[i.path] = i.message;
    if (answer.status === 422 && Object.keys(errors).length === 0 && /CPR/.test(answer.error.message)) errors.reason = answer.error.message;
    return participantPage(c, session, { values, errors, banner: answer.error.message, status: statusOf(answer.status) });
  });

  pages.post("/trials/:trial/participants/:id/outcomes", async (c) => {
    const session = requireSession(c.var.session, "municipality");
    const { record, protocol } = await siteTrial(c, session, c.req.param("trial"));
    const id = c.req.param("id");
    const values = formStrings(await c.req.parseBody());
    const outcome = protocol.outcomes.find((o) => o.id === values.outcome && o.source.type === "site");
    if (!outcome) return participantPage(c, session, { values, banner: "ukendt effektmål / unknown outcome", status: 400 });
    // The API checks the value against the protocol's outcome type and the participant's dates.
    const answer = await callApi(api, session.token, "POST", `/v1/trials/${record.id}/outcomes`, {
      values: [{ participant_id: id, outcome: outcome.id, value: outcomeValue(outcome, values), observed_at: (values.observed_at ?? "").trim() }],
    });
    if (answer.error === null) return c.redirect(`/app/trials/${record.id}/participants/${id}?done=outcome`, 303);
    const errors: FieldErrors = {};
    for (const i of answer.error.issues ?? []) {
      const m = /^values\.0\.(value|observed_at)$/.exec(i.path);
      if (m) errors[`${outcome.id}-${m[1]}`] = i.message;
    }
    return participantPage(c, session, { values, errors, banner: answer.error.message, status: statusOf(answer.status) });
  });

  progressionPages(pages, api, participantPage);
}

