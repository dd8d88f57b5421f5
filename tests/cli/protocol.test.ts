import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../api/cli/main.ts";
import { loadProtocol } from "../../protocols/index.ts";

async function run(args: string[]) {
  let out = "";
  let err = "";
  const code = await main(args, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

const dir = mkdtempSync(join(tmpdir(), "virker-protocol-"));
const veteran = readFileSync("protocols/examples/veteran.yaml", "utf8");
const bad1 = join(dir, "bad1.yaml");
writeFileSync(bad1, veteran.replace("    ratio: 1\n    control: true", "    ratio: 0\n    control: true").replace("rmst_tau: 365", "rmst_tau: -1"));
const bad2 = join(dir, "bad2.yaml");
writeFileSync(bad2, veteran.replace("primary_outcome: survival", "primary_outcome: death"));

describe("virker protocol", () => {
  it("validate: exit 0 and one ok line with the hash per valid file", async () => {
    const { code, out, err } = await run(["protocol", "validate", "protocols/mentor-youth.yaml", "protocols/examples/veteran.yaml"]);
    expect(code).toBe(0);
    expect(err).toBe("");
    expect(out.trim().split("\n")).toHaveLength(2);
    expect(out).toMatch(/^protocols\/mentor-youth\.yaml: ok [0-9a-f]{64}$/m);
  });

  it("validate: exit 1, every problem of every file as file:line:col path: message", async () => {
    const { code, out, err } = await run(["protocol", "validate", bad1, "protocols/brobygning.yaml", bad2]);
    expect(code).toBe(1);
    expect(out).toMatch(/brobygning\.yaml: ok/);
    const lines = err.trim().split("\n");
    expect(lines.filter((l) => l.startsWith(`${bad1}:`))).toHaveLength(2);
    expect(lines.some((l) => l.startsWith(`${bad1}:`) && / arms\[0\]\.ratio: /.test(l))).toBe(true);
    expect(lines.some((l) => l.startsWith(`${bad1}:`) && / analysis\.outcomes\.survival\.rmst_tau: /.test(l))).toBe(true);
    expect(lines.some((l) => new RegExp(`^${bad2.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:\\d+:\\d+ analysis\\.primary_outcome: `).test(l))).toBe(true);
    expect(lines.at(-1)).toBe("2 af 3 protokoller er ugyldige / 2 of 3 protocols are invalid");
    expect(err).not.toMatch(/\n\s+at /); // no stack trace
  });

  it("validate: a missing file is a problem, not a crash", async () => {
    const { code, err } = await run(["protocol", "validate", join(dir, "nope.yaml")]);
    expect(code).toBe(1);
    expect(err).toContain("nope.yaml:1:1: filen findes ikke / file not found");
  });

  it("hash: prints the protocol hash", async () => {
    const { code, out } = await run(["protocol", "hash", "protocols/examples/veteran.yaml"]);
    expect(code).toBe(0);
    const r = loadProtocol(veteran, "v");
    expect(r.ok && out).toBe(`${r.ok ? r.hash : ""}\n`);
  });

  it("hash: an invalid file exits 1 with its problems", async () => {
    const { code, out, err } = await run(["protocol", "hash", bad2]);
    expect(code).toBe(1);
    expect(out).toBe("");
    expect(err).toContain("analysis.primary_outcome");
  });

  it("usage errors exit 1", async () => {
    expect((await run(["protocol"])).code).toBe(1);
    expect((await run(["protocol", "validate"])).code).toBe(1);
    expect((await run(["protocol", "hash", "a", "b"])).code).toBe(1);
    const unknown = await run(["protocol", "frobnicate"]);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain("unknown subcommand: frobnicate");
  });
});

describe("virker protocol schema", () => {
  it("prints the format as JSON Schema: strict objects, the required top-level keys", async () => {
    const { code, out } = await run(["protocol", "schema"]);
    expect(code).toBe(0);
    const schema = JSON.parse(out);
    expect(schema.$schema).toMatch(/json-schema\.org/);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(expect.arrayContaining(["id", "version", "title", "arms", "design", "sites", "outcomes", "analysis"]));
    expect(schema.properties.design.oneOf ?? schema.properties.design.anyOf).toHaveLength(6);
  });
});
