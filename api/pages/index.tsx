/**
 * The pages under `/app`: server-rendered HTML for people, plain forms that work without
 * JavaScript, inline CSS, nothing loaded from elsewhere (the Content-Security-Policy forbids it).
 *
 *   GET  /app                  start page: the trials you may work with
 *   GET  /app/sign-in          paste your token; POST signs in (cookie), POST /app/sign-out signs out
 *   /app/trials/:trial/...     enrollment and participants (municipality; enrollment.tsx)
 *   GET  /app/trials/:trial    the trial page (agency, researcher; trial.tsx)
 *   GET  /app/evidence         published evidence packages (public; evidence.tsx)
 *
 * Every POST except sign-in needs the session's CSRF token (403 without it). Pages never answer
 * with JSON; problems are pages too, with the status they deserve.
 */
import { Hono, type Context } from "hono";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";
import { protocolOfVersion } from "../enrollment/service.ts";
import { authenticate } from "../tokens.ts";
import { enrollmentPages } from "./enrollment.tsx";
import { evidencePage } from "./evidence.tsx";
import { participantPages } from "./participant.tsx";
import { Bi, Layout, Lbl, Notice } from "./layout.tsx";
import { PageError, requireSession, type ApiApp, type PageEnv } from "./page-context.ts";
import { CSRF_FIELD, csrfValid, endSession, sessionOf, startSession, type Session } from "./session.ts";
import { trialPage } from "./trial.tsx";

/** No script at all, styles inline only, forms post only here, never framed. */
export const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

function ProblemPage(props: { session: Session | null; status: number; da: string; en: string }) {
  return (
    <Layout title={{ da: "Det gik ikke", en: "That did not work" }} session={props.session}>
      <Notice tone="bad">
        <Bi da={props.da} en={props.en} />
      </Notice>
      {props.status === 401 ? (
        <p>
          <a href="/app/sign-in">
            <Bi da="Log ind" en="Sign in" />
          </a>
        </p>
      ) : (
        <p>
          <a href="/app">
            <Bi da="Til forsiden" en="To the start page" />
          </a>
        </p>
      )}
    </Layout>
  );
}

function SignInPage(props: { error?: boolean }) {
  return (
    <Layout title={{ da: "Log ind", en: "Sign in" }} session={null}>
      <p>
        <Bi
          da="Indsæt den token, du har fået udleveret. Den gemmes i en cookie, som kun denne side kan læse, indtil du logger ud."
          en="Paste the token you were given. It is kept in a cookie only these pages can read, until you sign out."
        />
      </p>
      {props.error ? (
        <Notice tone="bad">
          <span id="f-token-error">
            <Bi da="Tokenen er ugyldig eller tilbagekaldt." en="The token is invalid or revoked." />
          </span>
        </Notice>
      ) : null}
      <form method="post" action="/app/sign-in">
        <div class="field">
          <label for="f-token">
            <Bi da="Token" en="Token" />
          </label>
          <input
            type="password"
            id="f-token"
            name="token"
            autocomplete="off"
            spellcheck={false}
            required
            {...(props.error ? { "aria-invalid": "true", "aria-describedby": "f-token-error" } : {})}
          />
        </div>
        <button type="submit">
          <Bi da="Log ind" en="Sign in" />
        </button>
      </form>
    </Layout>
  );
}

async function HomePage(props: { c: Context<PageEnv>; session: Session }) {
  const { c, session } = props;
  const deps = c.var.deps;
  const trials = [];
  for (const id of await deps.store.listTrialIds()) {
    const record = await deps.store.getTrial(id);
    if (!record) continue;
    const { protocol } = protocolOfVersion(record);
    if (session.principal.role === "municipality" && !protocol.sites.some((s) => s.id === session.principal.site)) continue;
    trials.push({ record, protocol });
  }
  const isSite = session.principal.role === "municipality";
  const statusName = { registered: ["registreret", "registered"], open: ["åbent", "open"], closed: ["lukket", "closed"] } as const;
  return (
    <Layout title={{ da: "Forsøg", en: "Trials" }} session={session}>
      {trials.length === 0 ? (
        <p>
          <Bi da="Ingen forsøg her endnu." en="No trials here yet." />
        </p>
      ) : (
        <ul id="trials">
          {trials.map(({ record, protocol }) => (
            <li>
              <strong>
                <Lbl label={protocol.title} />
              </strong>{" "}
              (<Bi da={statusName[record.status][0]} en={statusName[record.status][1]} />){" "}
              {isSite ? (
                <>
                  {record.status === "open" ? (
                    <a href={`/app/trials/${record.id}/enroll`}>
                      <Bi da="Indskriv en borger" en="Enroll a citizen" />
                    </a>
                  ) : null}{" "}
                  <a href={`/app/trials/${record.id}/participants`}>
                    <Bi da="Deltagere" en="Participants" />
                  </a>
                </>
              ) : (
                <a href={`/app/trials/${record.id}`}>
                  <Bi da="Forsøgets side" en="Trial page" />
                </a>
              )}
            </li>
          ))}
        </ul>
      )}
    </Layout>
  );
}

/** Whether a request comes from a page of another site (by `Origin`, or `Sec-Fetch-Site` where sent). */
function crossSite(c: Context): boolean {
  if (c.req.header("sec-fetch-site") === "cross-site") return true;
  const origin = c.req.header("origin");
  if (origin === undefined) return false;
  try {
    return new URL(origin).host !== new URL(c.req.url).host;
  } catch {
    return true; // "null" or garbage: not one of our pages
  }
}

/**
 * Registers the pages on the app (under `/app`). They call the API through `api`, by default the
 * app itself; a deployment that routes API requests elsewhere (e.g. a trial's Durable Object, the
 * single writer of its enrollments) passes the entry point that does so.
 */
export function pageRoutes(app: OpenAPIHono<AppEnv>, api: ApiApp = app): void {
  const pages = new Hono<PageEnv>();

  pages.onError((error, c) => {
    const session = c.var.session ?? null;
    c.header("cache-control", "no-store");
    if (error instanceof PageError) return c.html(<ProblemPage session={session} status={error.status} da={error.da} en={error.en} />, error.status);
    if (error instanceof ApiError) {
      const [da, en] = error.message.includes(" / ") ? error.message.split(" / ", 2) : [error.message, error.message];
      const status = error.status === 413 ? 413 : error.status === 404 || error.status === 403 || error.status === 409 ? error.status : 400;
      return c.html(<ProblemPage session={session} status={status} da={da} en={en} />, status);
    }
    console.error("virker: page error:", error instanceof Error ? error.name : typeof error);
    return c.html(<ProblemPage session={session} status={500} da="Intern fejl" en="Internal error" />, 500);
  });

  pages.use("*", async (c, next) => {
    c.header("content-security-policy", PAGE_CSP);
    // same-origin, not no-referrer: with no-referrer browsers send `Origin: null` on our own forms.
    c.header("referrer-policy", "same-origin");
    const session = await sessionOf(c, c.var.deps.store);
    c.set("session", session);
    // A form posted from another site is refused outright (sign-in included: nobody may be signed
    // in under someone else's token by a page elsewhere). Browsers send Origin with every POST.
    if (c.req.method === "POST" && crossSite(c)) {
      throw new PageError(403, "Formularen kommer ikke fra denne side", "The form did not come from these pages");
    }
    if (c.req.method === "POST" && c.req.path !== "/app/sign-in") {
      if (session === null) throw new PageError(401, "Log ind for at fortsætte", "Sign in to continue");
      const type = c.req.header("content-type") ?? "";
      const form = type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/form-data") ? await c.req.parseBody() : {};
      if (!csrfValid(session.token, form[CSRF_FIELD])) {
        throw new PageError(403, "Formularen er udløbet eller kommer ikke fra denne side; prøv igen", "The form has expired or did not come from these pages; try again");
      }
    }
    await next();
  });

  pages.get("/", async (c) => {
    if (c.var.session === null) return c.redirect("/app/sign-in", 303);
    return c.html(<HomePage c={c} session={requireSession(c.var.session, "agency", "municipality", "researcher")} />);
  });

  pages.get("/sign-in", (c) => (c.var.session !== null ? c.redirect("/app", 303) : c.html(<SignInPage />)));

  pages.post("/sign-in", async (c) => {
    const type = c.req.header("content-type") ?? "";
    const form = type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/form-data") ? await c.req.parseBody() : {};
    const token = typeof form.token === "string" ? form.token.trim() : "";
    if ((await authenticate(c.var.deps.store, token)) === null) return c.html(<SignInPage error />, 401);
    startSession(c, token);
    return c.redirect("/app", 303);
  });

  pages.post("/sign-out", (c) => {
    endSession(c);
    return c.redirect("/app/sign-in", 303);
  });

  enrollmentPages(pages, api);
  participantPages(pages, api);
  trialPage(pages, api);
  evidencePage(pages, api);
  pages.all("*", (c) => {
    throw new PageError(404, "Siden findes ikke", "No such page");
  });

  app.route("/app", pages);
}
