/**
 * `virker key create`: a signing key the servers accept (it signs, and the signature verifies with
 * the public half it prints), a pseudonym key of 32 bytes; a new key every time.
 */
import { describe, expect, it } from "vitest";
import { main } from "../../api/cli/main.ts";
import { signerFromJwk, verifyEd25519 } from "../../api/evidence/signing.ts";
import { loadSigningKey, SigningKeyError } from "../../api/evidence/signing-key-node.ts";
import { pseudonymKey } from "../../api/pseudonym.ts";

async function run(args: string[]) {
  let out = "";
  let err = "";
  const code = await main(args, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

describe("virker key create", () => {
  it("signing: one line of Ed25519 private JWK that VIRKER_SIGNING_KEY accepts, and its public key on stderr", async () => {
    const { code, out, err } = await run(["key", "create", "signing"]);
    expect(code).toBe(0);
    expect(out.endsWith("\n")).toBe(true);
    expect(out.trim().split("\n")).toHaveLength(1);
    const jwk = JSON.parse(out) as JsonWebKey;
    expect(Object.keys(jwk).sort()).toEqual(["crv", "d", "kty", "x"]);
    const { signer, source } = await loadSigningKey({ env: { VIRKER_SIGNING_KEY: out }, keyFile: "/nonexistent/never-written.jwk" });
    expect(source).toBe("env");
    expect(signer.publicKey).toBe(jwk.x);
    expect(err).toContain(`public key ${jwk.x}`);
    expect(err).toContain(`signing key ${signer.keyId}`);
    const message = new TextEncoder().encode("manifest");
    const signature = await (await signerFromJwk(jwk)).sign(message);
    expect(await verifyEd25519(jwk.x!, signature, message)).toBe(true);
    expect(JSON.parse((await run(["key", "create", "signing"])).out).d).not.toBe(jwk.d);
  });

  it("a signing key that is not an Ed25519 private JWK is refused naming where it came from, never its content", async () => {
    const secret = '{"kty":"OKP","crv":"Ed25519","x":"not-a-key-secretvalue"}';
    for (const env of [{ VIRKER_SIGNING_KEY: secret }, { VIRKER_SIGNING_KEY: "secretvalue{" }]) {
      const error = await loadSigningKey({ env, keyFile: "/nonexistent/never-written.jwk" }).catch((e: unknown) => e as Error);
      expect(error).toBeInstanceOf(SigningKeyError);
      expect((error as Error).message).toMatch(/VIRKER_SIGNING_KEY er ugyldig|i VIRKER_SIGNING_KEY er ugyldig/);
      expect((error as Error).message).toMatch(/expected an Ed25519 private key as JWK JSON/);
      expect((error as Error).message).not.toContain("secretvalue");
    }
  });

  it("pseudonym: 64 hex digits the pseudonym key accepts, different each time", async () => {
    const a = await run(["key", "create", "pseudonym"]);
    const b = await run(["key", "create", "pseudonym"]);
    expect(a.code).toBe(0);
    expect(a.out).toMatch(/^[0-9a-f]{64}\n$/);
    expect(() => pseudonymKey(a.out.trim())).not.toThrow();
    expect(a.out).not.toBe(b.out);
  });

  it("anything else: the usage and exit 1", async () => {
    for (const args of [["key"], ["key", "create"], ["key", "create", "rsa"], ["key", "make", "signing"], ["key", "create", "signing", "extra"]]) {
      const { code, out, err } = await run(args);
      expect(code).toBe(1);
      expect(out).toBe("");
      expect(err).toContain("usage: virker key create");
    }
  });
});
