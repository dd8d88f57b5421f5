import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { verifyPackage } from "../evidence/verify.ts";
import type { CliIO } from "./main.ts";

const USAGE = "usage: virker verify <package-dir> [--key <public key, base64url>]\n";

async function filesOf(dir: string): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name);
    files.set(relative(dir, path).split("\\").join("/"), new Uint8Array(await readFile(path)));
  }
  return files;
}

/**
 * `--key <value>` as `--key=<value>`: a base64url key begins with "-" one time in 64, and parseArgs
 * refuses an option value that looks like an option.
 */
function keyJoined(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--key" && i + 1 < args.length) out.push(`--key=${args[++i]}`);
    else out.push(args[i]);
  }
  return out;
}

/**
 * `virker verify <package-dir>`: checks the manifest and its signature, re-derives every
 * allocation from the revealed seed and the protocol's design, re-runs the analysis from the
 * package's data and compares every number (api/evidence/verify.ts). Prints each mismatch and
 * exits 1 if there is any. `--key` pins the signing key (as served at /v1/keys).
 */
export async function verify(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({ args: keyJoined(args), options: { key: { type: "string" } }, allowPositionals: true, strict: true });
  if (positionals.length !== 1) {
    io.err(USAGE);
    return 1;
  }
  const result = await verifyPackage(await filesOf(positionals[0]), { trustedPublicKey: values.key });
  for (const note of result.notes) io.out(`${note}\n`);
  for (const problem of result.problems) io.err(`mismatch: ${problem}\n`);
  io.out(result.ok ? "OK: pakken er intakt og hvert tal genberegnet / the package is intact and every number re-derived\n" : `FEJL / FAILED: ${result.problems.length} mismatch(es)\n`);
  return result.ok ? 0 : 1;
}
