import { parseArgs } from "node:util";
import type { CliIO } from "./main.ts";

/**
 * `virker serve [--db PATH] [--port 8787] [--protocols DIR] [--codebook FILE]`: serves the API on an
 * embedded DuckDB file, offering the protocols in DIR (default: the shipped ones) and reading register
 * extracts with the code book FILE (default: the shipped one). SIGINT/SIGTERM close cleanly.
 */
export async function serve(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { port: { type: "string", default: "8787" }, db: { type: "string", default: "data/virker.duckdb" }, protocols: { type: "string" }, codebook: { type: "string" } },
    strict: true,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --port; not an integer in [0, 65535]: ${values.port}`);
  const { startNodeServer } = await import("../node.ts");
  const server = await startNodeServer({ port, hostname: "127.0.0.1", db: values.db, protocols: values.protocols, codebook: values.codebook });
  io.out(`virker serving on http://127.0.0.1:${server.port}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => void server.close().then(resolve, resolve);
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  return 0;
}
