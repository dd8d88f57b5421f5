/**
 * Node-only: where the pseudonym key comes from.
 *
 * 1. `VIRKER_PSEUDONYM_KEY` (hex or base64 of at least 32 bytes), for deployments that inject secrets;
 * 2. otherwise a key file (default `data/pseudonym.key`), created on first run with 32 random bytes
 *    and mode 0600, with a warning: whoever loses that file can no longer recognize repeat
 *    enrollments, so it must be backed up, and it must be kept apart from database copies.
 *
 * The Worker entry point reads the key from a Worker secret instead and never imports this module.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { pseudonymKey, type PseudonymKey } from "./pseudonym.ts";

export const PSEUDONYM_KEY_ENV = "VIRKER_PSEUDONYM_KEY";
export const DEFAULT_KEY_FILE = "data/pseudonym.key";

export interface LoadedKey {
  key: PseudonymKey;
  source: "env" | "file" | "created";
  /** The key file used or created; absent when the key came from the environment. */
  path?: string;
}

/**
 * Loads the pseudonym key from the environment or the key file, creating the file when neither exists.
 * @param options.env environment to read (default `process.env`).
 * @param options.keyFile key file path (default `data/pseudonym.key`).
 * @param options.warn receives the bilingual warning when a new key file is created (default `console.warn`).
 * @throws {PseudonymKeyError} when the configured key is too short or malformed.
 */
export function loadPseudonymKey(options: {
  env?: Record<string, string | undefined>;
  keyFile?: string;
  warn?: (message: string) => void;
} = {}): LoadedKey {
  const env = options.env ?? process.env;
  const keyFile = options.keyFile ?? DEFAULT_KEY_FILE;
  const warn = options.warn ?? ((m: string) => console.warn(m));
  const fromEnv = env[PSEUDONYM_KEY_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== "") return { key: pseudonymKey(fromEnv), source: "env" };
  if (existsSync(keyFile)) return { key: pseudonymKey(readFileSync(keyFile, "utf8")), source: "file", path: keyFile };
  mkdirSync(dirname(keyFile), { recursive: true });
  const hex = randomBytes(32).toString("hex");
  // "wx": never overwrite a key file that appeared in the meantime.
  writeFileSync(keyFile, `${hex}\n`, { mode: 0o600, flag: "wx" });
  warn(
    `ADVARSEL: ${PSEUDONYM_KEY_ENV} er ikke sat; en ny pseudonymnøgle er skrevet til ${keyFile}. ` +
      "Tag sikkerhedskopi af den og opbevar den adskilt fra databasen: uden den kan gentagne tilmeldinger ikke genkendes.\n" +
      `WARNING: ${PSEUDONYM_KEY_ENV} is not set; a new pseudonym key was written to ${keyFile}. ` +
      "Back it up and keep it apart from the database: without it, repeat enrollments cannot be recognized.",
  );
  return { key: pseudonymKey(hex), source: "created", path: keyFile };
}
