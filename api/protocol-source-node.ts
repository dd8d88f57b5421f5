/** The shipped protocols (protocols/*.yaml), read from disk once at start-up. */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { formatProblem, loadProtocol } from "../protocols/index.ts";
import type { ProtocolEntry, ProtocolSource } from "./context.ts";

export const SHIPPED_PROTOCOLS = fileURLToPath(new URL("../protocols/", import.meta.url));

export function protocolsFromFolder(folder = SHIPPED_PROTOCOLS): ProtocolSource {
  const entries = new Map<string, ProtocolEntry>();
  for (const name of readdirSync(folder).filter((f) => f.endsWith(".yaml")).sort()) {
    const file = join(folder, name);
    const source = readFileSync(file, "utf8");
    const loaded = loadProtocol(source, file);
    if (!loaded.ok) throw new Error(`shipped protocol ${file} is invalid:\n${loaded.problems.map(formatProblem).join("\n")}`);
    entries.set(loaded.protocol.id, { id: loaded.protocol.id, hash: loaded.hash, protocol: loaded.protocol, source });
  }
  return { list: () => [...entries.values()], get: (id) => entries.get(id) };
}
