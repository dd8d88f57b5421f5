/**
 * The protocol hash of a trial version, recomputed by a reader from the package files alone, for
 * both kinds of version (protocols/README.md, "Identity"):
 *
 * - version 1, registered from a protocol file: the hash is the file's identity — SHA-256 of the
 *   canonical JSON of the YAML document as written (defaults not applied), what
 *   `virker protocol hash <file>` prints. The package carries the file as protocol.yaml;
 *   protocol.json (the frozen protocol, defaults applied) does not give this hash by itself.
 * - an amendment, sent as a JSON document: the hash is SHA-256 of the frozen protocol's canonical
 *   JSON, byte for byte the package's protocol.json (without its final newline).
 *
 * Both packages, downloaded as served, also pass `virker verify`.
 */
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { main } from "../../api/cli/main.ts";
import { canonicalJson } from "../../protocols/index.ts";
import { enrollIpsTrial, evidenceApp, type EvidenceApp } from "./evidence-app.ts";

const T = "/v1/trials/ips-severe-mental-illness";
const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");
let e: EvidenceApp;
const root = mkdtempSync(join(tmpdir(), "virker-protocol-hash-"));

beforeAll(async () => {
  e = await evidenceApp();
  await enrollIpsTrial(e, 24);
}, 60_000);
afterAll(async () => {
  await e.close();
  rmSync(root, { recursive: true, force: true });
});

/** Runs the analysis, downloads every file of the draft as served; returns its folder and text reader. */
async function draftPackage(): Promise<{ dir: string; text: (path: string) => string | null; hash: string }> {
  const res = await e.request(`${T}/analyses`, { method: "POST", token: e.tokens.researcher, json: { draws: 50 } });
  expect(res.status).toBe(201);
  const pkg = (await res.json()) as { id: string; files: { path: string }[] };
  const dir = join(root, pkg.id);
  for (const path of [...pkg.files.map((f) => f.path), "manifest.json", "signature.json"]) {
    const r = await e.request(`/v1/evidence/${pkg.id}/${path}`, { token: e.tokens.researcher });
    expect(r.status, path).toBe(200);
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), new Uint8Array(await r.arrayBuffer()));
  }
  const text = (path: string) => (pkg.files.some((f) => f.path === path) ? readFileSync(join(dir, path), "utf8") : null);
  return { dir, text, hash: JSON.parse(text("evidence.json")!).protocol.hash };
}

async function verifies(dir: string): Promise<void> {
  let out = "";
  let err = "";
  const code = await main(["verify", dir, "--key", e.signer.publicKey], { out: (t) => void (out += t), err: (t) => void (err += t) });
  expect(err).toBe("");
  expect(code, out).toBe(0);
}

describe("protocol hash, recomputed from the package", () => {
  it("version 1: SHA-256 of the registered file's canonical JSON as written, the file being protocol.yaml", async () => {
    const summary = await (await e.request(T)).json();
    const pkg = await draftPackage();
    expect(pkg.hash).toBe(summary.protocol_hash);
    const yaml = pkg.text("protocol.yaml");
    expect(yaml).toBe(readFileSync("protocols/ips-severe-mental-illness.yaml", "utf8"));
    expect(sha256(canonicalJson(parse(yaml!)))).toBe(pkg.hash);
    // The same as the CLI's hash of the shipped file.
    let out = "";
    await main(["protocol", "hash", "protocols/ips-severe-mental-illness.yaml"], { out: (t) => void (out += t), err: () => {} });
    expect(out.trim()).toBe(pkg.hash);
    // protocol.json is the frozen protocol with its defaults written out: another hash, which is
    // why a first version's package carries the file.
    expect(sha256(pkg.text("protocol.json")!.trimEnd())).not.toBe(pkg.hash);
    await verifies(pkg.dir);
  }, 60_000);

  it("version 1 whose protocol file was since edited or taken off the server: the package carries the file as registered", async () => {
    const registered = readFileSync("protocols/ips-severe-mental-illness.yaml", "utf8");
    const offered = e.app.deps.protocols;
    const entry = offered.get("ips-severe-mental-illness")!;
    const edited = { ...entry, source: registered.replace(/^title:.*$/m, 'title: { da: "Ændret", en: "Edited" }'), hash: "0".repeat(64) };
    try {
      for (const now of [{ list: () => [edited], get: (id: string) => (id === edited.id ? edited : undefined) }, { list: () => [], get: () => undefined }]) {
        e.app.deps.protocols = now;
        const pkg = await draftPackage();
        expect(pkg.text("protocol.yaml")).toBe(registered);
        await verifies(pkg.dir);
      }
    } finally {
      e.app.deps.protocols = offered;
    }
  }, 60_000);

  it("an amendment: SHA-256 of protocol.json, the frozen protocol's canonical JSON", async () => {
    const { protocol } = await (await e.request("/v1/protocols/ips-severe-mental-illness")).json();
    const amended = { ...protocol, contact: { ...protocol.contact, name: "Ny kontaktperson" } };
    const res = await e.request(`${T}/amendments`, { method: "POST", token: e.tokens.agency, json: { protocol: amended, reason: "ny kontaktperson / new contact person" } });
    expect(res.status).toBe(201);
    const summary = await res.json();
    expect(summary.protocol_version).toBe(2);
    const pkg = await draftPackage();
    expect(pkg.hash).toBe(summary.protocol_hash);
    expect(pkg.hash).toBe(summary.amendments[0].protocol_hash);
    expect(pkg.text("protocol.yaml")).toBeNull();
    const json = pkg.text("protocol.json")!;
    expect(json.endsWith("}\n")).toBe(true);
    expect(sha256(json.slice(0, -1))).toBe(pkg.hash);
    expect(JSON.parse(json).contact.name).toBe("Ny kontaktperson");
    await verifies(pkg.dir);
  }, 60_000);
});
