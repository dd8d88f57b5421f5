// The notebooks site over published evidence packages. Offline build: every library is imported
// explicitly from node_modules, no global stylesheet (the default one links web fonts).
// VIRKER_NOTEBOOKS_OUT sets the output folder (default notebooks/dist); see build.ts.
export default {
  root: "src",
  output: process.env.VIRKER_NOTEBOOKS_OUT ?? "dist",
  title: "virker — hvad virker for hvem?",
  pages: [
    { name: "Vidensbank / Knowledge bank", path: "/vidensbank" },
    { name: "Business case", path: "/business-case" },
    { name: "Design det næste forsøg / Design the next trial", path: "/design" },
  ],
  globalStylesheets: [],
  search: false,
  linkify: false,
  footer: "virker — evidens fra publicerede evidenspakker / evidence from published evidence packages",
};
