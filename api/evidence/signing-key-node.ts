/**
 * Node-only: where the evidence signing key comes from, kept apart from the database like the
 * pseudonym key (api/keys-node.ts).
 *
 * 1. `VIRKER_SIGNING_KEY`: an Ed25519 private key as JWK JSON, for deployments that inject secrets;
 * 2. otherwise a key file (default `data/signing-key.jwk`), created on first run (mode 0600) with
 *    a bilingual warning: packages signed with a lost key can still be verified with the public
 *    key they carry, but new packages will be signed by a new key.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { generateSigningJwk, signerFromJwk, type Signer } from "./signing.ts";

export const SIGNING_KEY_ENV = "VIRKER_SIGNING_KEY";

/** A signing key that is not an Ed25519 private JWK; the message names where it came from, never its content. */
export class SigningKeyError extends Error {
  override name = "SigningKeyError";
}

async function signerFrom(text: string, where: string): Promise<Signer> {
  try {
    return await signerFromJwk(JSON.parse(text) as JsonWebKey);
  } catch {
    throw new SigningKeyError(
      `signeringsnøglen i ${where} er ugyldig (forventede en privat Ed25519-nøgle som JWK, se \`virker key create signing\`) / ` +
        `the signing key in ${where} is invalid (expected an Ed25519 private key as JWK JSON, see \`virker key create signing\`)`,
    );
  }
}
export const DEFAULT_SIGNING_KEY_FILE = "data/signing-key.jwk";

export async function loadSigningKey(options: { env?: Record<string, string | undefined>; keyFile?: string; warn?: (m: string) => void } = {}): Promise<{ signer: Signer; source: "env" | "file" | "created"; path?: string }> {
  const env = options.env ?? process.env;
  const keyFile = options.keyFile ?? DEFAULT_SIGNING_KEY_FILE;
  const warn = options.warn ?? ((m: string) => console.warn(m));
  const fromEnv = env[SIGNING_KEY_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== "") return { signer: await signerFrom(fromEnv, SIGNING_KEY_ENV), source: "env" };
  if (existsSync(keyFile)) return { signer: await signerFrom(readFileSync(keyFile, "utf8"), keyFile), source: "file", path: keyFile };
  mkdirSync(dirname(keyFile), { recursive: true });
  const jwk = await generateSigningJwk();
  writeFileSync(keyFile, `${JSON.stringify(jwk)}\n`, { mode: 0o600, flag: "wx" });
  warn(
    `ADVARSEL: ${SIGNING_KEY_ENV} er ikke sat; en ny signeringsnøgle til evidenspakker er skrevet til ${keyFile}. Tag sikkerhedskopi og opbevar den adskilt fra databasen.\n` +
      `WARNING: ${SIGNING_KEY_ENV} is not set; a new evidence signing key was written to ${keyFile}. Back it up and keep it apart from the database.`,
  );
  return { signer: await signerFromJwk(jwk), source: "created", path: keyFile };
}
