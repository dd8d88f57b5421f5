/**
 * Entry point of the `virker` command: dispatches `virker <command> [subcommand] ...` to the
 * command modules. Every command returns its exit code; none calls process.exit, so tests can
 * run them in-process.
 */
export type Command = (args: string[], io: CliIO) => Promise<number>;

export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
}

const defaultIO: CliIO = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** Command table: loaded lazily so that `virker protocol validate` does not load DuckDB. */
const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {};

export function registerCommand(name: string, summary: string, load: () => Promise<Command>): void {
  commands[name] = { summary, load };
}

function usage(): string {
  const lines = Object.entries(commands)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, { summary }]) => `  virker ${name.padEnd(12)} ${summary}`);
  return `usage: virker <command> ...\n\ncommands:\n${lines.join("\n")}\n`;
}

export async function main(argv: string[], io: CliIO = defaultIO): Promise<number> {
  await import("./commands.ts");
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    io.out(usage());
    return name ? 0 : 1;
  }
  const entry = commands[name];
  if (!entry) {
    io.err(`virker: unknown command: ${name}\n\n${usage()}`);
    return 1;
  }
  try {
    const command = await entry.load();
    return await command(rest, io);
  } catch (error) {
    // Expected failures print a message; nothing prints a stack trace at a user.
    io.err(`virker ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
