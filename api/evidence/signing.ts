/**
 * Ed25519 signatures over evidence-package manifests, through Web Crypto only (the same code in
 * Node and in a Worker). The private key is a JWK kept outside the database, like the pseudonym
 * key (Node: `signing-key-node.ts`; a Worker: a secret). The public key is served at `/v1/keys`.
 */

export interface Signer {
  /** First 16 hex digits of SHA-256 of the raw public key. */
  keyId: string;
  /** The raw 32-byte public key, base64url. */
  publicKey: string;
  sign(bytes: Uint8Array): Promise<string>;
}

const b64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const fromB64url = (text: string) => Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));

export async function sha256Hex(bytes: Uint8Array | string): Promise<string> {
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data as BufferSource));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A new Ed25519 private key as a JWK (it carries the public part `x`). */
export async function generateSigningJwk(): Promise<JsonWebKey> {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  // Cast: the Workers runtime types return ArrayBuffer | JsonWebKey for every format.
  return (await crypto.subtle.exportKey("jwk", pair.privateKey)) as JsonWebKey;
}

/** A signer from an Ed25519 private JWK. @throws if the JWK is not an Ed25519 private key. */
export async function signerFromJwk(jwk: JsonWebKey): Promise<Signer> {
  if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || typeof jwk.d !== "string" || typeof jwk.x !== "string") {
    throw new Error("signing key: expected an Ed25519 private JWK (kty OKP, crv Ed25519, d and x)");
  }
  const key = await crypto.subtle.importKey("jwk", { kty: "OKP", crv: "Ed25519", d: jwk.d, x: jwk.x }, { name: "Ed25519" }, false, ["sign"]);
  const raw = fromB64url(jwk.x);
  return {
    keyId: (await sha256Hex(raw)).slice(0, 16),
    publicKey: jwk.x,
    sign: async (bytes) => b64url(new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, key, bytes as BufferSource))),
  };
}

/** Whether `signature` (base64url) is `publicKey`'s (raw, base64url) Ed25519 signature of `bytes`. */
export async function verifyEd25519(publicKey: string, signature: string, bytes: Uint8Array): Promise<boolean> {
  try {
    const key = await crypto.subtle.importKey("raw", fromB64url(publicKey) as BufferSource, { name: "Ed25519" }, false, ["verify"]);
    return await crypto.subtle.verify({ name: "Ed25519" }, key, fromB64url(signature) as BufferSource, bytes as BufferSource);
  } catch {
    return false;
  }
}
