/**
 * The Node server's evidence wiring: a signing key created beside the database (mode 0600) and
 * served at /v1/keys, the same key on the next start, and packages kept in evidence/ beside it.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startNodeServer } from "../../api/node.ts";

const dir = mkdtempSync(join(tmpdir(), "virker-node-evidence-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("Node server evidence wiring", () => {
  it("creates the signing key beside the database, serves it, and keeps it across restarts", async () => {
    const db = join(dir, "virker.duckdb");
    const env = process.env.VIRKER_SIGNING_KEY;
    delete process.env.VIRKER_SIGNING_KEY;
    const warn = console.warn;
    console.warn = () => {};
    try {
      const keyOf = async () => {
        const server = await startNodeServer({ port: 0, hostname: "127.0.0.1", db, keyFile: join(dir, "pseudonym.key") });
        try {
          const keys = await (await fetch(`http://127.0.0.1:${server.port}/v1/keys`)).json();
          const list = await (await fetch(`http://127.0.0.1:${server.port}/v1/evidence`)).json();
          expect(list).toEqual({ packages: [] });
          return keys.keys[0].public_key as string;
        } finally {
          await server.close();
        }
      };
      const first = await keyOf();
      const file = join(dir, "signing-key.jwk");
      expect(existsSync(file)).toBe(true);
      expect(statSync(file).mode & 0o077).toBe(0);
      expect(JSON.parse(readFileSync(file, "utf8")).x).toBe(first);
      expect(await keyOf()).toBe(first);
    } finally {
      console.warn = warn;
      if (env !== undefined) process.env.VIRKER_SIGNING_KEY = env;
    }
  }, 60_000);
});
