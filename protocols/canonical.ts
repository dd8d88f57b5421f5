/**
 * A protocol's identity: the SHA-256 of its canonical JSON.
 *
 * The canonical form is the protocol **as written** (defaults are not applied), as JSON with
 * object keys sorted by UTF-16 code unit order at every level, array order kept, no whitespace,
 * numbers and strings as `JSON.stringify` writes them. It is therefore unchanged by key order,
 * indentation, YAML flow or block style, quoting, comments and anchors, and changes with any value.
 *
 * Defaults are left out on purpose: a later version of the language may add or change a default,
 * and a trial's frozen protocol must keep its hash. The price is that writing a default out
 * (`control: false`) gives a different hash from leaving it out; both are valid protocols.
 *
 * A trial's versions (protocols/README.md, "The hash of a trial's protocol versions"): the first,
 * registered from a file, keeps that file's hash (the document as written); an amendment, sent as
 * JSON, is hashed as frozen, defaults applied, so its hash is SHA-256 of its package's
 * protocol.json. Both are `protocolHash` of a document: the difference is only which document.
 *
 * Runtime-neutral (@noble/hashes, no `node:` imports): the same hash in Node, Workers, browsers.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";

/** Canonical JSON of a JSON-like value (plain objects, arrays, strings, finite numbers, booleans, null). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError(`canonical JSON has no non-finite numbers: ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  throw new TypeError(`canonical JSON cannot hold a ${typeof value}`);
}

/** SHA-256 of the canonical JSON, 64 lowercase hex digits. */
export function protocolHash(document: unknown): string {
  return bytesToHex(sha256(utf8ToBytes(canonicalJson(document))));
}
