import { readFile } from "node:fs/promises";
import { formatProblem, loadProtocol, protocolJsonSchema } from "../../protocols/index.ts";
import type { CliIO } from "./main.ts";

const USAGE = "usage: virker protocol validate <file...>\n       virker protocol hash <file>\n       virker protocol schema\n";

async function load(file: string) {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "filen findes ikke / file not found" : `kan ikke læses / cannot be read: ${(error as Error).message}`;
    return { ok: false as const, problems: [`${file}:1:1: ${reason}`] };
  }
  const result = loadProtocol(text, file);
  return result.ok ? result : { ok: false as const, problems: result.problems.map(formatProblem) };
}

/**
 * `virker protocol validate <file...>`: checks every file and lists every problem of every file
 * (`file:line:col path: message`); exit 0 when all are valid, 1 otherwise.
 * `virker protocol hash <file>`: prints the protocol hash (SHA-256 of its canonical JSON).
 * `virker protocol schema`: prints the format as JSON Schema, for editors.
 */
export async function protocol(args: string[], io: CliIO): Promise<number> {
  const [sub, ...files] = args;
  if (sub === "validate") {
    if (files.length === 0) {
      io.err(USAGE);
      return 1;
    }
    let failed = 0;
    for (const file of files) {
      const result = await load(file);
      if (result.ok) io.out(`${file}: ok ${result.hash}\n`);
      else {
        failed++;
        io.err(result.problems.map((p) => `${p}\n`).join(""));
      }
    }
    if (failed > 0) io.err(`${failed} af ${files.length} protokoller er ugyldige / ${failed} of ${files.length} protocols are invalid\n`);
    return failed > 0 ? 1 : 0;
  }
  if (sub === "hash") {
    if (files.length !== 1) {
      io.err(USAGE);
      return 1;
    }
    const result = await load(files[0]!);
    if (!result.ok) {
      io.err(result.problems.map((p) => `${p}\n`).join(""));
      return 1;
    }
    io.out(`${result.hash}\n`);
    return 0;
  }
  if (sub === "schema" && files.length === 0) {
    io.out(`${JSON.stringify(protocolJsonSchema(), null, 2)}\n`);
    return 0;
  }
  io.err(sub === undefined || sub === "--help" || sub === "-h" ? USAGE : `virker protocol: unknown subcommand: ${sub}\n${USAGE}`);
  return sub === "--help" || sub === "-h" ? 0 : 1;
}
