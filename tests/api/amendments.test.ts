/**
 * An amendment may change what does not decide allocations (contact, texts, site windows, new
 * sites of a stratified trial) and nothing that does: arms, ratios, the design, and the sites of a
 * stepped wedge over sites, whose order fixes each site's step (a new or moved site would make the
 * earlier allocations fail to replay, and the trial could not enroll again).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { harness, type Harness } from "./harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h.close();
});

type ProtocolJson = { sites: { id: string; name: string; enrollment: { from: string; to: string } }[]; contact: { name: string } };

async function register(id: string): Promise<ProtocolJson> {
  expect((await h.request("/v1/trials", { method: "POST", token: h.tokens.agency, json: { protocol_id: id } })).status).toBe(201);
  expect((await h.request(`/v1/trials/${id}/open`, { method: "POST", token: h.tokens.agency })).status).toBe(200);
  return (await (await h.request(`/v1/protocols/${id}`)).json()).protocol as ProtocolJson;
}

const amend = (id: string, protocol: ProtocolJson, reason: string) => h.request(`/v1/trials/${id}/amendments`, { method: "POST", token: h.tokens.agency, json: { protocol, reason } });

describe("amendments of a stepped wedge over sites", () => {
  const T = "volunteer-mentors";
  it("refuse a new site or a new order of the sites, naming what cannot change", async () => {
    const protocol = await register(T);
    const added = { ...protocol, sites: [...protocol.sites, { ...protocol.sites[0], id: "101", name: "København" }] };
    const res = await amend(T, added, "a ninth municipality joins");
    expect(res.status).toBe(422);
    expect((await res.json()).error.message).toMatch(/stepped wedge over sites\) the sites cannot change/);
    const reordered = { ...protocol, sites: [protocol.sites[1], protocol.sites[0], ...protocol.sites.slice(2)] };
    expect((await amend(T, reordered, "swap two steps")).status).toBe(422);
  });

  it("accept a change that leaves the sites and their order as they are", async () => {
    const { protocol } = (await (await h.request(`/v1/protocols/${T}`)).json()) as { protocol: ProtocolJson };
    const renamed = { ...protocol, contact: { ...protocol.contact, name: "Ny kontakt" }, sites: protocol.sites.map((s, i) => (i === 0 ? { ...s, name: `${s.name} Kommune` } : s)) };
    expect((await amend(T, renamed, "new contact; full municipality name")).status).toBe(201);
    const summary = await (await h.request(`/v1/trials/${T}`)).json();
    expect(summary.protocol_version).toBe(2);
  });
});

describe("amendments of a stratified trial", () => {
  it("accept a new site (it adds a stratum, not a change to earlier allocations)", async () => {
    const T = "ips-severe-mental-illness";
    const protocol = await register(T);
    const added = { ...protocol, sites: [...protocol.sites, { ...protocol.sites[0], id: "147", name: "Frederiksberg" }] };
    const res = await amend(T, added, "Frederiksberg joins");
    expect(res.status).toBe(201);
  });
});
