import { pseudonymKey } from "../pseudonym.ts";
import { generateSigningJwk, signerFromJwk } from "../evidence/signing.ts";
import type { CliIO } from "./main.ts";

const USAGE = "usage: virker key create signing|pseudonym\n";

/**
 * `virker key create`: prints a new key on stdout, nothing else, so it can be piped into a secret
 * store (`| npx wrangler secret put VIRKER_SIGNING_KEY`) or a file. `signing` is an Ed25519 private
 * key as JWK JSON (evidence packages; the Node server's key file holds the same); `pseudonym` is
 * 32 random bytes as hex (VIRKER_PSEUDONYM_KEY). Nothing is stored: keep the printed key safe.
 */
export async function key(args: string[], io: CliIO): Promise<number> {
  const [sub, kind, ...rest] = args;
  if (sub !== "create" || rest.length > 0 || (kind !== "signing" && kind !== "pseudonym")) {
    io.err(USAGE);
    return 1;
  }
  if (kind === "pseudonym") {
    const hex = Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, "0")).join("");
    pseudonymKey(hex); // the form the servers accept
    io.out(`${hex}\n`);
    io.err("pseudonym key created (32 random bytes, hex); it is shown only this once / pseudonymnøgle oprettet; den vises kun denne ene gang\n");
    return 0;
  }
  const jwk = await generateSigningJwk();
  const signer = await signerFromJwk(jwk);
  io.out(`${JSON.stringify({ kty: jwk.kty, crv: jwk.crv, d: jwk.d, x: jwk.x })}\n`);
  io.err(`signing key ${signer.keyId} created (public key ${signer.publicKey}); it is shown only this once / signeringsnøgle oprettet; den vises kun denne ene gang\n`);
  return 0;
}
