/**
 * The README's shell commands, as a reader would copy them: every line of every ```sh block, with
 * `\` continuations joined and a trailing `# comment` removed. The walkthrough test runs each one
 * (or names who does), so the README cannot promise a command that does not work.
 */
import { spawn } from "node:child_process";

export function readmeCommands(markdown: string): string[] {
  const commands: string[] = [];
  let inBlock = false;
  let pending = "";
  for (const line of markdown.split("\n")) {
    if (!inBlock) {
      inBlock = line.trim() === "```sh";
      continue;
    }
    if (line.trim().startsWith("```")) {
      inBlock = false;
      continue;
    }
    const joined = pending + line;
    if (joined.trimEnd().endsWith("\\")) {
      pending = joined.trimEnd().slice(0, -1).trimEnd() + " ";
      continue;
    }
    pending = "";
    const command = stripComment(joined).trim();
    if (command !== "") commands.push(command.replace(/\s+/g, " "));
  }
  return commands;
}

/** Removes a `#` comment that starts after whitespace outside quotes. */
function stripComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote !== null) {
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"' || ch === "`") {
      quote = ch;
    } else if (ch === "#" && (i === 0 || /\s/.test(line[i - 1]))) {
      return line.slice(0, i);
    }
  }
  return line;
}

export interface ShellResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one command line in bash; never throws on a non-zero exit (the caller asserts). */
export function shell(command: string, options: { cwd: string; env?: Record<string, string>; timeoutMs?: number }): Promise<ShellResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", command], { cwd: options.cwd, env: { ...process.env, ...options.env, TZ: "UTC" }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** Starts a long-running command and resolves with its first stdout match of `ready`; `stop()` ends its process group. */
export function startShell(command: string, options: { cwd: string; env?: Record<string, string>; ready: RegExp; timeoutMs?: number }): Promise<{ match: RegExpMatchArray; output: () => string; stop: () => Promise<void> }> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", `exec ${command}`], { cwd: options.cwd, env: { ...process.env, ...options.env, TZ: "UTC" }, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let output = "";
    let settled = false;
    const exited = new Promise<void>((r) => child.on("close", () => r()));
    const stop = async () => {
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {
        return;
      }
      const killer = setTimeout(() => {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          // already gone
        }
      }, 10_000);
      await exited;
      clearTimeout(killer);
    };
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      void stop();
      reject(new Error(`not ready within ${options.timeoutMs ?? 60_000} ms: ${command}\n${output}`));
    }, options.timeoutMs ?? 60_000);
    const onData = (d: Buffer) => {
      output += d;
      const match = output.match(options.ready);
      if (match && !settled) {
        settled = true;
        clearTimeout(timer);
        resolve({ match, output: () => output, stop });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", (d: Buffer) => (output += d));
    child.on("close", (code) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new Error(`exited ${code} before it was ready: ${command}\n${output}`));
    });
  });
}
