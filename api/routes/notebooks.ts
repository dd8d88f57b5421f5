/**
 * `/notebooks/`: the static notebooks site (knowledge bank, business case, trial design), as built
 * by `npm run notebooks:build` into `notebooks/dist` (or the folder in `VIRKER_NOTEBOOKS_DIR`).
 *
 * The folder is fixed when the app is built; its files are read on each request, so a rebuild
 * shows at once. When the folder has no index.html
 * the answer is a 404 page saying how to build it. A path is served only if every segment is a
 * plain name (no `..`, `.`, backslash, NUL or empty segment after decoding), so nothing outside
 * the folder can be reached. Framework's clean URLs are honoured: `/notebooks/vidensbank` serves
 * `vidensbank.html`, a folder serves its `index.html`.
 *
 * The file system is reached by a dynamic import of `node:fs/promises`, so the app stays
 * runtime-neutral: on a runtime without a file system the site is simply "not built".
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../context.ts";

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  json: "application/json; charset=utf-8",
  csv: "text/csv; charset=utf-8",
  txt: "text/plain; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
  woff2: "font/woff2",
  map: "application/json; charset=utf-8",
};

/** The site may load only from this server: a page that tries anything else is blocked. */
const CSP =
  "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'self'";

export interface NotebookRouteOptions {
  /** The build folder; default `VIRKER_NOTEBOOKS_DIR`, else `notebooks/dist` under the working directory. */
  root?: string;
}

/** The plain path segments of a request path below /notebooks/, or null if any is not a plain name. */
export function safeSegments(rest: string): string[] | null {
  const out: string[] = [];
  const raw = rest.split("/");
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === "" && i === raw.length - 1) break; // trailing slash
    let s: string;
    try {
      s = decodeURIComponent(raw[i]);
    } catch {
      return null;
    }
    if (s === "" || s === "." || s === ".." || /[\\/\0]/.test(s) || s.startsWith(".")) return null;
    out.push(s);
  }
  return out;
}

function notBuiltPage(root: string): string {
  return `<!doctype html>
<html lang="da"><head><meta charset="utf-8"><title>virker notebooks: ikke bygget / not built</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem}code{background:#f3f3f3;padding:0 .25em}</style></head>
<body><h1>Notebooks er ikke bygget</h1>
<p>Sitet med vidensbanken, business casen og forsøgsdesign er statiske filer, som skal bygges først:
<code>npm run notebooks:build</code> (læser evidenspakker fra <code>data/evidence/</code> eller
<code>--evidence MAPPE</code>) og genstart ikke nødvendig.</p>
<p lang="en"><strong>The notebooks are not built.</strong> The knowledge bank, business case and trial
design site are static files built by <code>npm run notebooks:build</code> (reads evidence packages
from <code>data/evidence/</code> or <code>--evidence DIR</code>); no restart needed.</p>
<p>Forventet mappe / expected folder: <code>${root.replace(/[<>&]/g, "")}</code></p></body></html>`;
}

type FsPromises = typeof import("node:fs/promises");

async function fileSystem(): Promise<FsPromises | null> {
  try {
    return await import("node:fs/promises");
  } catch {
    return null;
  }
}

function defaultRoot(): string {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.VIRKER_NOTEBOOKS_DIR || "notebooks/dist";
}

export function notebookRoutes(app: OpenAPIHono<AppEnv>, options: NotebookRouteOptions = {}): void {
  const root = (options.root ?? defaultRoot()).replace(/\/+$/, "");
  const serve = async (c: Context<AppEnv>) => {
    const fs = await fileSystem();
    const notBuilt = () => c.html(notBuiltPage(root), 404);
    if (fs === null) return notBuilt();
    const read = async (path: string) => {
      try {
        const stat = await fs.stat(path);
        return stat.isFile() ? await fs.readFile(path) : null;
      } catch {
        return null;
      }
    };
    // Built means an index.html (looked up, not read, for every asset).
    const built = await fs.stat(`${root}/index.html`).then((st) => st.isFile(), () => false);
    if (!built) return notBuilt();

    const rest = c.req.path.slice("/notebooks/".length);
    const segments = safeSegments(rest);
    if (segments === null) return c.text("ugyldig sti / invalid path", 400);
    const base = segments.length ? `${root}/${segments.join("/")}` : root;
    const candidates = rest === "" || rest.endsWith("/") ? [`${base}/index.html`] : [base, `${base}.html`, `${base}/index.html`];
    for (const path of candidates) {
      const body = await read(path);
      if (body === null) continue;
      const ext = path.slice(path.lastIndexOf(".") + 1).toLowerCase();
      c.header("content-type", TYPES[ext] ?? "application/octet-stream");
      c.header("content-security-policy", CSP);
      // Framework's hashed assets (`_npm`, `_node`, `_observablehq`, `_file`, `_import`) never change.
      c.header("cache-control", /\.[0-9a-f]{8}\.[a-z0-9]+$/.test(path) ? "public, max-age=31536000, immutable" : "no-cache");
      return c.body(new Uint8Array(body));
    }
    return c.html(
      `<!doctype html><html lang="da"><head><meta charset="utf-8"><title>Ikke fundet / Not found</title></head><body><p>Siden findes ikke. / The page does not exist.</p><p><a href="/notebooks/">/notebooks/</a></p></body></html>`,
      404,
    );
  };
  app.get("/notebooks", (c) => c.redirect("/notebooks/", 301));
  app.get("/notebooks/", serve);
  app.get("/notebooks/*", serve);
}
