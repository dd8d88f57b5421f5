import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../api/cli/main.ts";
import { allocateAll, trialDesignOf } from "../../analysis/design/index.ts";
import { loadProtocol } from "../../protocols/index.ts";

async function run(args: string[]) {
  let out = "";
  let err = "";
  const code = await main(args, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

const dir = mkdtempSync(join(tmpdir(), "virker-allocate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SEED = "0123456789abcdef".repeat(4);
const ips = "protocols/ips-severe-mental-illness.yaml";
const mentor = "protocols/mentor-youth.yaml";

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const sites = (() => {
  const loaded = loadProtocol(readFileSync(ips, "utf8"), ips);
  if (!loaded.ok) throw new Error("the shipped IPS protocol must load");
  return loaded.protocol.sites.map((s) => s.id);
})();
const participants = write("people.csv", ["id,site", ...Array.from({ length: 60 }, (_, i) => `P${String(i + 1).padStart(3, "0")},${sites[i % sites.length]}`)].join("\n") + "\n");

describe("virker allocate", () => {
  it("writes id, arm, stratum and sequence, byte-identical on a second run", async () => {
    const out1 = join(dir, "a1.csv");
    const out2 = join(dir, "a2.csv");
    expect((await run(["allocate", "--protocol", ips, "--seed", SEED, "--participants", participants, "--out", out1])).code).toBe(0);
    expect((await run(["allocate", "--protocol", ips, "--seed", SEED, "--participants", participants, "--out", out2])).code).toBe(0);
    const a = readFileSync(out1);
    expect(a.equals(readFileSync(out2))).toBe(true);
    const lines = a.toString().trim().split("\n");
    expect(lines[0]).toBe("id,arm,stratum,sequence");
    expect(lines).toHaveLength(61);
    expect(lines[1]).toMatch(new RegExp(`^P001,[a-z_-]+,site=${sites[0]},1$`));
  });

  it("agrees with the designs' own allocateAll for the protocol and seed", async () => {
    const { code, out } = await run(["allocate", "--protocol", ips, "--seed", SEED, "--participants", participants]);
    expect(code).toBe(0);
    const loaded = loadProtocol(readFileSync(ips, "utf8"), ips);
    if (!loaded.ok) throw new Error("load");
    const expected = allocateAll(
      trialDesignOf(loaded.protocol),
      SEED,
      Array.from({ length: 60 }, (_, i) => ({ id: `P${String(i + 1).padStart(3, "0")}`, site: sites[i % sites.length] })),
    );
    expect(out.trim().split("\n").slice(1)).toEqual(expected.map((r) => `${r.id},${r.arm},${r.stratum},${r.sequence}`));
  });

  it("gives other arms with another seed", async () => {
    const a = await run(["allocate", "--protocol", ips, "--seed", SEED, "--participants", participants]);
    const b = await run(["allocate", "--protocol", ips, "--seed", "f".repeat(64), "--participants", participants]);
    expect(a.out).not.toBe(b.out);
  });

  it("names the row and column of an unknown site", async () => {
    const bad = write("bad-site.csv", `id,site\nA,${sites[0]}\nB,999\n`);
    const { code, err } = await run(["allocate", "--protocol", ips, "--seed", SEED, "--participants", bad]);
    expect(code).toBe(1);
    expect(err).toMatch(/bad-site\.csv:3: column site: unknown site "999"/);
  });

  it("names the row and column of a covariate the design needs but the row lacks", async () => {
    const loaded = loadProtocol(readFileSync(mentor, "utf8"), mentor);
    if (!loaded.ok) throw new Error("the shipped mentor protocol must load");
    const site = loaded.protocol.sites[0].id;
    const bad = write("bad-cov.csv", `id,site,age_band,education\nA,${site},18-24,none\nB,${site},,none\n`);
    const { code, err } = await run(["allocate", "--protocol", mentor, "--seed", SEED, "--participants", bad]);
    expect(code).toBe(1);
    expect(err).toMatch(/bad-cov\.csv:3: column age_band: missing value for age_band/);
  });

  it("refuses a bad seed", async () => {
    const { code, err } = await run(["allocate", "--protocol", ips, "--seed", "1234", "--participants", participants]);
    expect(code).toBe(1);
    expect(err).toMatch(/--seed: invalid seed/);
  });
});
