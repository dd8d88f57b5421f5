/**
 * A small IPS trial through the Worker's API (worker-harness.ts): registered and opened by the
 * agency, `perSite` people enrolled at each of the sites 101 and 751 by their own municipality, the
 * primary outcome recorded for about nine in ten (a seeded draw, higher in the IPS arms).
 */
import { fastStream, uniform } from "../../analysis/design/index.ts";
import { ipsEnrollment } from "./parity-sequence.ts";
import { request } from "./worker-harness.ts";

export async function expectStatus(res: Response | Promise<Response>, status: number): Promise<Response> {
  const r = await res;
  if (r.status !== status) throw new Error(`${r.status} (expected ${status}): ${await r.text()}`);
  return r;
}

export interface IpsTrial {
  /** Participant ids per site, in order of enrollment. */
  participants: { "101": string[]; "751": string[] };
  /** The person numbers (cprFor) enrolled. */
  people: number[];
}

/** `firstPerson` numbers the people (cprFor): site 101 gets firstPerson.., site 751 firstPerson + 500... */
export async function runIpsTrial(trialId: string, tokens: { agency: string; kbh: string; aarhus: string }, options: { perSite: number; firstPerson: number; seed: number }): Promise<IpsTrial> {
  const trial = `/v1/trials/${trialId}`;
  await expectStatus(request("/v1/trials", { token: tokens.agency, json: { protocol_id: "ips-severe-mental-illness", trial_id: trialId } }), 201);
  await expectStatus(request(`${trial}/open`, { method: "POST", token: tokens.agency }), 200);
  const rng = fastStream(options.seed);
  const out: IpsTrial = { participants: { "101": [], "751": [] }, people: [] };
  for (const [site, token, offset] of [["101", tokens.kbh, 0], ["751", tokens.aarhus, 500]] as const) {
    const values: { participant_id: string; outcome: string; value: number; observed_at: string }[] = [];
    for (let i = 0; i < options.perSite; i++) {
      const person = options.firstPerson + offset + i;
      const res = await expectStatus(request(`${trial}/enrollments`, { token, json: ipsEnrollment(person, site) }), 201);
      const { participant_id, arm } = (await res.json()) as { participant_id: string; arm: string };
      out.participants[site].push(participant_id);
      out.people.push(person);
      if (uniform(rng) < 0.9) values.push({ participant_id, outcome: "work_or_education_78w", value: uniform(rng) < (arm === "usual" ? 0.4 : 0.6) ? 1 : 0, observed_at: "2026-06-01" });
    }
    await expectStatus(request(`${trial}/outcomes`, { token, json: { values } }), 201);
  }
  return out;
}
