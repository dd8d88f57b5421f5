/**
 * The jobcentre's enrollment pages (municipality tokens, own site only):
 *
 *   GET  /app/trials/:trial/enroll          the baseline form, from the protocol
 *   POST /app/trials/:trial/enroll          → the API's enrollment; 303 to the participant's receipt
 *   GET  /app/trials/:trial/participants    the site's own participants, paged
 *
 * Every write goes through the API with the caseworker's token (api-call.ts). The CPR number lives
 * only in the POST that carries it: the answer to a successful enrollment is a redirect to a page
 * that knows the participant by id, and a form with problems is the only page that may show the
 * number again (what the caseworker just typed), never stored, never cached.
 */
import type { Context, Hono } from "hono";
import type { ParticipantView } from "../enrollment/service.ts";
import type { ErrorIssue } from "../errors.ts";
import { scopeOf } from "../routes/participant-access.ts";
import type { TrialRecord } from "../store/store.ts";
import type { Protocol } from "../../protocols/index.ts";
import { callApi } from "./api-call.ts";
import { EnrollmentFields, ErrorSummary, formStrings, readEnrollmentForm, type FieldErrors, type FormValues } from "./baseline-form.tsx";
import { ApiText, Bi, Csrf, Layout, Notice } from "./layout.tsx";
import { PageError, requireSession, type ApiApp, type PageEnv } from "./page-context.ts";
import type { Session } from "./session.ts";
import { ArmName, noStore, siteTrial, TrialHeading } from "./site-trial.tsx";

/** Participants per page of the list. */
export const PAGE_SIZE = 25;

const ELIGIBILITY_KINDS = new Set(["site", "target_group", "age", "inclusion", "exclusion"]);

function EnrollPage(props: {
  session: Session;
  record: TrialRecord;
  protocol: Protocol;
  values: FormValues;
  errors: FieldErrors;
  banner?: { da: string; en: string } | string;
  failures?: ErrorIssue[];
}) {
  const { session, record, protocol, errors } = props;
  const problems = Object.keys(errors).length;
  return (
    <Layout title={{ da: "Indskriv en borger", en: "Enroll a citizen" }} session={session}>
      <TrialHeading protocol={protocol} record={record} />
      {props.failures && props.failures.length > 0 ? (
        <Notice tone="bad" id="ineligible">
          <h2 style="margin-top:0">
            <Bi da="Borgeren opfylder ikke forsøgets kriterier" en="The citizen is not eligible" />
          </h2>
          <p>
            <Bi da="Borgeren er ikke indskrevet. Disse kriterier er ikke opfyldt:" en="The citizen has not been enrolled. These criteria are not met:" />
          </p>
          <ul>
            {props.failures.map((f) => (
              <li data-rule={f.path}>
                <ApiText text={f.message} />
              </li>
            ))}
          </ul>
        </Notice>
      ) : null}
      {props.banner !== undefined ? (
        <Notice tone="bad">{typeof props.banner === "string" ? <ApiText text={props.banner} /> : <Bi da={props.banner.da} en={props.banner.en} />}</Notice>
      ) : null}
      {problems > 0 ? (
        <Notice tone="bad" id="problems">
          <Bi da={`Formularen har ${problems} fejl; se ved felterne.`} en={`The form has ${problems} problem(s); see beside the fields.`} />
          <ErrorSummary protocol={protocol} errors={errors} />
        </Notice>
      ) : null}
      {record.status !== "open" ? (
        <Notice tone="bad">
          <Bi da={`Forsøget er ikke åbent for indskrivning (${record.status}).`} en={`The trial is not open for enrollment (${record.status}).`} />
        </Notice>
      ) : (
        <form method="post" action={`/app/trials/${record.id}/enroll`} novalidate>
          <Csrf session={session} />
          <p class="hint">
            <Bi da="Felter med * skal udfyldes." en="Fields marked * are required." />
          </p>
          <EnrollmentFields protocol={protocol} values={props.values} errors={errors} />
          <button type="submit">
            <Bi da="Indskriv og tildel arm" en="Enroll and allocate" />
          </button>
        </form>
      )}
      <p>
        <a href={`/app/trials/${record.id}/participants`}>
          <Bi da="Stedets deltagere" en="This site's participants" />
        </a>
      </p>
    </Layout>
  );
}

export function enrollmentPages(pages: Hono<PageEnv>, api: ApiApp): void {
  const renderEnroll = (c: Context<PageEnv>, status: 200 | 400 | 409 | 422 | 403 | 503, props: Parameters<typeof EnrollPage>[0]) => {
    noStore(c);
    return c.html(<EnrollPage {...props} />, status);
  };

  pages.get("/trials/:trial/enroll", async (c) => {
    const session = requireSession(c.var.session, "municipality");
    const { record, protocol } = await siteTrial(c, session, c.req.param("trial"));
    return renderEnroll(c, 200, { session, record, protocol, values: {}, errors: {} });
  });

  pages.post("/trials/:trial/enroll", async (c) => {
    const session = requireSession(c.var.session, "municipality");
    const { record, protocol } = await siteTrial(c, session, c.req.param("trial"));
    const values = formStrings(await c.req.parseBody());
    const form = readEnrollmentForm(protocol, values, c.var.deps.clock());
    const base = { session, record, protocol, values };
    if (Object.keys(form.errors).length > 0) return renderEnroll(c, 400, { ...base, errors: form.errors });
    const answer = await callApi<ParticipantView>(api, session.token, "POST", `/v1/trials/${record.id}/enrollments`, { ...form.body, site: session.principal.site });
    if (answer.error === null) {
      const p = answer.body;
      return c.redirect(`/app/trials/${record.id}/participants/${p.participant_id}?result=${p.repeat ? "repeat" : "new"}`, 303);
    }
    const issues = answer.error.issues ?? [];
    const failures = issues.filter((i) => i.code !== undefined && ELIGIBILITY_KINDS.has(i.code));
    if (failures.length > 0) return renderEnroll(c, 422, { ...base, errors: {}, failures });
    // Field problems the API found (it checks the same things, and more).
    const errors: FieldErrors = {};
    for (const i of issues) {
      const m = /^covariates\.(.+)$/.exec(i.path);
      if (m) errors[`c_${m[1]}`] = i.message;
      else if (i.path === "cpr" || i.path === "consent" || i.path === "target_group") errors[i.path] = i.message;
    }
    const status = ([400, 403, 409, 422, 503] as const).find((s) => s === answer.status) ?? 400;
    return renderEnroll(c, status, { ...base, errors, banner: answer.error.message });
  });

  pages.get("/trials/:trial/participants", async (c) => {
    const session = requireSession(c.var.session, "municipality");
    const { record, protocol } = await siteTrial(c, session, c.req.param("trial"));
    const afterText = c.req.query("after");
    const after = afterText !== undefined && /^\d{1,15}$/.test(afterText) ? Number(afterText) : undefined;
    const answer = await callApi<{ participants: ParticipantView[] }>(
      api,
      session.token,
      "GET",
      `/v1/trials/${record.id}/enrollments?limit=${PAGE_SIZE + 1}${after !== undefined ? `&after=${after}` : ""}`,
    );
    if (answer.error !== null) throw new PageError(answer.status === 403 ? 403 : 400, answer.error.message, answer.error.message);
    const rows = answer.body.participants.slice(0, PAGE_SIZE);
    const more = answer.body.participants.length > PAGE_SIZE;
    const withdrawn = new Set((await c.var.deps.store.listWithdrawals(record.id, scopeOf(session.principal))).map((w) => w.publicId));
    const total = await c.var.deps.store.countEnrollments(record.id, scopeOf(session.principal));
    noStore(c);
    return c.html(
      <Layout title={{ da: "Stedets deltagere", en: "This site's participants" }} session={session}>
        <TrialHeading protocol={protocol} record={record} />
        <p>
          <Bi da={`${total} deltagere i alt på dit sted.`} en={`${total} participants in all at your site.`} />{" "}
          <a href={`/app/trials/${record.id}/enroll`}>
            <Bi da="Indskriv en borger" en="Enroll a citizen" />
          </a>
        </p>
        {rows.length === 0 ? (
          <p>
            <Bi da="Ingen deltagere her." en="No participants here." />
          </p>
        ) : (
          <table id="participants">
            <caption class="hint">
              <Bi da="I indskrivningsrækkefølge" en="In order of enrollment" />
            </caption>
            <thead>
              <tr>
                <th scope="col">
                  <Bi da="Løbenr." en="Seq." />
                </th>
                <th scope="col">
                  <Bi da="Deltager-id" en="Participant id" />
                </th>
                <th scope="col">
                  <Bi da="Arm" en="Arm" />
                </th>
                <th scope="col">
                  <Bi da="Indskrevet" en="Enrolled" />
                </th>
                <th scope="col">
                  <Bi da="Status" en="Status" />
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((p) => (
                <tr>
                  <td class="num">{p.sequence}</td>
                  <td>
                    <a href={`/app/trials/${record.id}/participants/${p.participant_id}`}>
                      <code>{p.participant_id}</code>
                    </a>
                  </td>
                  <td>
                    <ArmName protocol={protocol} arm={p.arm} />
                  </td>
                  <td>{p.enrolled_at.slice(0, 10)}</td>
                  <td>{withdrawn.has(p.participant_id) ? <Bi da="Udtrådt" en="Withdrawn" /> : <Bi da="Aktiv" en="Active" />}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <nav aria-label="Sider">
          {after !== undefined ? (
            <a href={`/app/trials/${record.id}/participants`}>
              <Bi da="Første side" en="First page" />
            </a>
          ) : null}{" "}
          {more ? (
            <a href={`/app/trials/${record.id}/participants?after=${rows[rows.length - 1].sequence}`} rel="next">
              <Bi da="Næste side" en="Next page" />
            </a>
          ) : null}
        </nav>
      </Layout>,
    );
  });

}
