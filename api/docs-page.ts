/**
 * The human API docs at /docs: a small page that fetches /openapi.json from this same server and
 * lists every route with its summary, parameters and responses. No external scripts or styles.
 */
export function docsPage(): string {
  return `<!doctype html>
<html lang="da">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>virker API</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #1a1a1a; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.1rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
.route { margin: 1rem 0; padding: .6rem .8rem; border-left: 4px solid #2b6cb0; background: #f7f9fc; }
.method { font-weight: 700; text-transform: uppercase; display: inline-block; width: 4.5rem; }
code { font-family: ui-monospace, monospace; font-size: .92em; }
.responses { color: #444; font-size: .9em; }
</style>
</head>
<body>
<h1>virker API</h1>
<p>Alle ruter, beskrevet af <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Kald med
<code>Authorization: Bearer &lt;token&gt;</code>; uden token er du offentligheden.<br>
<span lang="en">Every route, described by <a href="/openapi.json">/openapi.json</a>. Send
<code>Authorization: Bearer &lt;token&gt;</code>; without a token you are the public.</span></p>
<div id="routes">Indlæser… / Loading…</div>
<noscript><p>Denne side viser /openapi.json; åbn den direkte. / This page renders /openapi.json; open it directly.</p></noscript>
<script>
fetch("/openapi.json").then((r) => r.json()).then((doc) => {
  const byTag = new Map();
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const tag = (op.tags && op.tags[0]) || "other";
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push({ path, method, op });
    }
  }
  const root = document.getElementById("routes");
  root.textContent = "";
  for (const [tag, routes] of byTag) {
    const h = document.createElement("h2");
    h.textContent = tag;
    root.append(h);
    for (const { path, method, op } of routes) {
      const div = document.createElement("div");
      div.className = "route";
      const head = document.createElement("div");
      const m = document.createElement("span");
      m.className = "method";
      m.textContent = method;
      const p = document.createElement("code");
      p.textContent = path;
      head.append(m, p);
      const s = document.createElement("div");
      s.textContent = op.summary || "";
      const resp = document.createElement("div");
      resp.className = "responses";
      resp.textContent = "→ " + Object.entries(op.responses || {}).map(([code, r]) => code + " " + r.description).join(" · ");
      div.append(head, s, resp);
      root.append(div);
    }
  }
});
</script>
</body>
</html>`;
}
