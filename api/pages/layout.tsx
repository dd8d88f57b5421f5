/**
 * The frame of every page: `lang="da"`, English alongside in spans marked `lang="en"`, inline CSS,
 * no script and nothing loaded from outside the server. The header names who is signed in and
 * offers sign-out (a form, so that it works without JavaScript and carries the CSRF token).
 */
import type { Child } from "hono/jsx";
import type { Label } from "../../protocols/index.ts";
import { CSRF_FIELD, type Session } from "./session.ts";

const CSS = `
:root { color-scheme: light; --ink: #1b1f24; --muted: #555e68; --line: #c9d1d9; --accent: #0b5cad; --bad: #a4161a; --good: #1f6f3f; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #fff; }
header { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; justify-content: space-between; padding: .75rem 1.5rem; border-bottom: 1px solid var(--line); background: #f6f8fa; }
header nav a { margin-right: 1rem; }
header form { margin: 0; }
main { max-width: 62rem; padding: 1rem 1.5rem 3rem; }
h1 { font-size: 1.6rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .75rem; }
a { color: var(--accent); }
a:focus, button:focus, input:focus, select:focus, textarea:focus { outline: 3px solid #f0b400; outline-offset: 2px; }
.en { color: var(--muted); font-size: .92em; }
.en::before { content: " / "; }
button .en, .notice .en { color: inherit; opacity: .85; }
.field { margin: 0 0 1rem; }
.field > label, fieldset legend { display: block; font-weight: 600; }
fieldset { border: 1px solid var(--line); border-radius: 4px; margin: 0 0 1rem; padding: .5rem .75rem; }
fieldset.choice label { font-weight: normal; margin-right: 1.25rem; }
input[type=text], input[type=number], input[type=date], input[type=password], select, textarea { font: inherit; padding: .35rem .5rem; border: 1px solid #8c959f; border-radius: 4px; min-width: 16rem; max-width: 100%; }
.required { color: var(--bad); }
.hint { color: var(--muted); font-size: .9em; display: block; }
.error { color: var(--bad); font-weight: 600; display: block; }
[aria-invalid=true] { border-color: var(--bad) !important; border-width: 2px !important; }
.notice { border-left: 4px solid var(--accent); background: #eef5fc; padding: .75rem 1rem; margin: 1rem 0; }
.notice.bad { border-color: var(--bad); background: #fcefef; }
.notice.good { border-color: var(--good); background: #eef8f1; }
button { font: inherit; padding: .45rem 1rem; border-radius: 4px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
button.quiet { background: #fff; color: var(--accent); }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { text-align: left; padding: .3rem .75rem .3rem 0; border-bottom: 1px solid var(--line); vertical-align: top; }
td.num, th.num { text-align: right; }
code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; font-size: .9em; overflow-wrap: anywhere; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
.arm { font-size: 1.4rem; font-weight: 700; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: .5rem; background: #fff; padding: .25rem .5rem; }
`;

/** Danish text with its English alongside, the English marked `lang="en"`. */
export function Bi(props: { da: Child; en: Child }) {
  // A name that is the same in both languages (e.g. "IPS") is said once.
  if (typeof props.da === "string" && props.da === props.en) return <>{props.da}</>;
  return (
    <>
      {props.da}
      <span lang="en" class="en">{props.en}</span>
    </>
  );
}

/** A protocol label (`{da, en}`) as Danish with English alongside. */
export const Lbl = (props: { label: Label }) => <Bi da={props.label.da} en={props.label.en} />;

/** The hidden field that carries the session's CSRF token. */
export const Csrf = (props: { session: Session }) => <input type="hidden" name={CSRF_FIELD} value={props.session.csrf} />;

const ROLE_NAMES: Record<string, Label> = {
  agency: { da: "Styrelse", en: "Agency" },
  municipality: { da: "Kommune", en: "Municipality" },
  researcher: { da: "Forsker", en: "Researcher" },
};

export function Layout(props: { title: Label; session: Session | null; children?: Child }) {
  const s = props.session;
  return (
    <html lang="da">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="same-origin" />
        <title>{`${props.title.da} · virker`}</title>
        <style dangerouslySetInnerHTML={{ __html: CSS }} />
      </head>
      <body>
        <a class="skip" href="#main">
          Gå til indholdet
        </a>
        <header>
          <nav aria-label="Hovedmenu">
            <a href="/app">
              <strong>virker</strong>
            </a>
            <a href="/app/evidence">
              <Bi da="Evidens" en="Evidence" />
            </a>
            {s === null ? (
              <a href="/app/sign-in">
                <Bi da="Log ind" en="Sign in" />
              </a>
            ) : null}
          </nav>
          {s !== null ? (
            <form method="post" action="/app/sign-out">
              <span>
                {s.principal.name} ({ROLE_NAMES[s.principal.role].da}
                {s.principal.site !== null ? `, sted ${s.principal.site}` : ""}){" "}
              </span>
              <Csrf session={s} />
              <button type="submit" class="quiet">
                <Bi da="Log ud" en="Sign out" />
              </button>
            </form>
          ) : null}
        </header>
        <main id="main">
          <h1>
            <Lbl label={props.title} />
          </h1>
          {props.children}
        </main>
      </body>
    </html>
  );
}

/** A notice box; `tone` colours it. Errors get role="alert" so that a screen reader announces them. */
export function Notice(props: { tone?: "info" | "bad" | "good"; id?: string; children?: Child }) {
  const tone = props.tone ?? "info";
  return (
    <div class={`notice ${tone === "info" ? "" : tone}`} id={props.id} role={tone === "bad" ? "alert" : "status"}>
      {props.children}
    </div>
  );
}

/** A bilingual API message `"<da> / <en>"` shown as Danish with the English marked. */
export function ApiText(props: { text: string }) {
  const i = props.text.indexOf(" / ");
  if (i < 0) return <>{props.text}</>;
  return <Bi da={props.text.slice(0, i)} en={props.text.slice(i + 3)} />;
}
