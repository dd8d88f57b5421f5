import { parseArgs } from "node:util";
import { openDuckDbStore } from "../store/duckdb.ts";
import { ROLES, type Role } from "../store/store.ts";
import { createToken } from "../tokens.ts";
import type { CliIO } from "./main.ts";

const USAGE = "usage: virker token create --role agency|municipality|researcher [--site <id>] --name <who> [--db data/virker.duckdb]\n";

/**
 * `virker token create`: creates a bearer token in the database and prints it once; only its
 * SHA-256 is stored. Run it while the server is stopped (the database has one writer).
 */
export async function token(args: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== "create") {
    io.err(USAGE);
    return 1;
  }
  const { values } = parseArgs({
    args: rest,
    options: { role: { type: "string" }, site: { type: "string" }, name: { type: "string" }, db: { type: "string", default: "data/virker.duckdb" } },
    strict: true,
  });
  if (!values.role || !ROLES.includes(values.role as Role) || !values.name) {
    io.err(USAGE);
    return 1;
  }
  const role = values.role as Role;
  if (role === "municipality" && !values.site) {
    io.err("--site is required for a municipality token (en kommune-token skal have et sted)\n");
    return 1;
  }
  if (role !== "municipality" && values.site) {
    io.err(`--site is only for municipality tokens; a ${role} token has no site\n`);
    return 1;
  }
  const store = await openDuckDbStore({ path: values.db!, warn: (m) => io.err(`${m}\n`) });
  try {
    const { token: secret, record } = await createToken(store, {
      role,
      site: values.site ?? null,
      name: values.name,
      at: new Date().toISOString(),
      actor: { tokenId: null, role: "system" },
    });
    io.out(`${secret}\n`);
    io.err(`token ${record.id} (${role}${record.site ? `, site ${record.site}` : ""}, ${record.name}) created; it is shown only this once\n`);
    return 0;
  } finally {
    await store.close();
  }
}
