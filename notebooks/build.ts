/**
 * Builds the notebooks site into static files, offline:
 *
 *     npm run notebooks:build [-- --evidence DIR] [--out DIR]
 *
 * `--evidence` is the folder of published evidence packages (default `data/evidence/`, or
 * `VIRKER_EVIDENCE_DIR`), one sub-folder per package with its `evidence.json`, `protocol.json` and
 * `manifest.json`; `--out` the output folder (default `notebooks/dist`, which `virker serve` offers
 * at /notebooks/). The data loader's cached output is removed first, so the site always shows the
 * packages in the folder as they are now; Framework's cache of bundled modules is kept. The output
 * folder is replaced.
 */
import { spawn } from "node:child_process";
import { build } from "esbuild";
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "..");

export interface BuildOptions {
  evidence?: string;
  out?: string;
  /** Print Framework's output (default: only on failure). */
  verbose?: boolean;
}

export interface BuildResult {
  out: string;
  evidence: string;
  ms: number;
}

export async function buildNotebooks(options: BuildOptions = {}): Promise<BuildResult> {
  const evidence = resolve(options.evidence ?? process.env.VIRKER_EVIDENCE_DIR ?? resolve(repo, "data/evidence"));
  const out = resolve(options.out ?? resolve(here, "dist"));
  rmSync(resolve(here, "src/.observablehq/cache/data"), { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
  const bin = resolve(repo, "node_modules/.bin");
  const started = performance.now();
  await bundleLibraries();
  const log: string[] = [];
  const code = await new Promise<number | null>((done, fail) => {
    const child = spawn(process.execPath, [resolve(repo, "node_modules/@observablehq/framework/dist/bin/observable.js"), "build"], {
      cwd: here,
      env: { ...process.env, VIRKER_EVIDENCE_DIR: evidence, VIRKER_NOTEBOOKS_OUT: out, PATH: `${bin}${delimiter}${process.env.PATH ?? ""}`, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const take = (chunk: Buffer) => {
      if (options.verbose) process.stdout.write(chunk);
      else log.push(chunk.toString());
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.on("error", fail);
    child.on("close", done);
  });
  if (code !== 0) throw new Error(`notebooks build failed (exit ${code}):\n${log.join("").split("\n").slice(-40).join("\n")}`);
  return { out, evidence, ms: performance.now() - started };
}

/** The browser modules build.ts makes in src/_lib/, by name, from their entry points. */
const LIBRARIES = {
  // analysis/ unchanged, everything the pages compute with (the design page, the business case).
  analysis: resolve(here, "browser-analysis.ts"),
  // Only the meta-analysis, for the knowledge bank, which needs nothing else from analysis/.
  "meta-analysis": resolve(repo, "analysis/estimators/meta-analysis.ts"),
  // The Plot marks the pages draw with, with the parts of d3 they use, as one module.
  plot: resolve(here, "browser-plot.ts"),
};

/**
 * Bundles the browser modules of LIBRARIES into src/_lib/ (ES modules; code they share goes to
 * `chunk-<hash>.js` files they import). Framework 1.13 follows only `.js` specifiers in local
 * modules, while analysis/ imports its files as `.ts`: bundling sidesteps that without touching
 * analysis/. Plot is bundled too, because Framework resolves it into some thirty d3 modules, each a
 * request the page waits for; one module loads faster (bench/notebooks.ts).
 */
export async function bundleLibraries(): Promise<void> {
  const outdir = resolve(here, "src/_lib");
  const result = await build({
    entryPoints: LIBRARIES,
    outdir,
    bundle: true,
    splitting: true,
    chunkNames: "chunk-[hash]",
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    legalComments: "none",
    logLevel: "silent",
    write: false,
  });
  // Each file is written beside and renamed, so a build reading it never sees half a file; the
  // chunks are content-addressed, and written before the entries that import them.
  mkdirSync(outdir, { recursive: true });
  const files = [...result.outputFiles].sort((a, b) => Number(basename(b.path).startsWith("chunk-")) - Number(basename(a.path).startsWith("chunk-")));
  for (const file of files) {
    const tmp = `${file.path}.${process.pid}.tmp`;
    writeFileSync(tmp, file.contents);
    renameSync(tmp, file.path);
  }
  const current = new Set(files.map((f) => basename(f.path)));
  for (const name of readdirSync(outdir)) if (name.startsWith("chunk-") && name.endsWith(".js") && !current.has(name)) rmSync(join(outdir, name), { force: true });
}

function argument(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildNotebooks({ evidence: argument("--evidence"), out: argument("--out"), verbose: true }).then(
    (r) => console.log(`notebooks: built ${r.out} from ${r.evidence} in ${(r.ms / 1000).toFixed(1)} s`),
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    },
  );
}
