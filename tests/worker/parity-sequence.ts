/**
 * One enrollment sequence, replayed through the Node server (DuckDB) and through the Worker
 * (Durable Objects): the same tokens drawn from the same seeded bytes, the same fixed clock, the
 * same trial seed, the same people in the same order. Both must give byte-identical allocations
 * and audit chains (parity.global-setup.ts runs the Node side before the Worker tests compare).
 */
import { cprFor, seededBytes } from "../fixtures.ts";
import type { AuditEntry } from "../../api/audit.ts";


export { cprFor, seededBytes };

export const PARITY_SEED = 20260601;
export const PARITY_TRIAL = "ips-parity";

/** The tokens, made in this order from the seeded bytes (before the trial's seed is drawn). */
export const PARITY_TOKENS = [
  { key: "agency", role: "agency", name: "STAR" },
  { key: "researcher", role: "researcher", name: "Forsker" },
  { key: "kbh", role: "municipality", site: "101", name: "Jobcenter København" },
  { key: "aarhus", role: "municipality", site: "751", name: "Jobcenter Aarhus" },
] as const;


/** An eligible IPS enrollment for person n at a site, with covariates that vary with n. */
export function ipsEnrollment(n: number, site: string) {
  return {
    cpr: cprFor(n),
    site,
    target_group: "kontanthjaelp_aktivitetsparat",
    covariates: {
      diagnosis: n % 3 === 0 ? "schizophrenia_spectrum" : "bipolar",
      wants_ordinary_work: true,
      hours_ordinary_work: 0,
      female: n % 2 === 0,
      age_band: ["18-29", "30-44", "45-64"][n % 3],
      education: ["basic", "upper_secondary", "higher"][(n >> 1) % 3],
      worked_last_5y: n % 5 === 0,
      weeks_on_benefit_prior_52: 10 + (n % 40),
    },
    consent: true,
  };
}

/** The sequence: 48 people over two sites, with three of them coming back (repeats). */
export const PARITY_STEPS: Array<{ person: number; token: "kbh" | "aarhus"; site: string }> = [
  ...Array.from({ length: 48 }, (_, i) => (i % 3 === 2 ? { person: i, token: "aarhus" as const, site: "751" } : { person: i, token: "kbh" as const, site: "101" })),
  { person: 4, token: "kbh", site: "101" },
  { person: 5, token: "aarhus", site: "751" },
  { person: 30, token: "kbh", site: "101" },
];

export interface ParityRecord {
  seedCommitment: string;
  allocations: Array<{ status: number; participant_id: string; sequence: number; site: string; arm: string; stratum: string | null; repeat: boolean }>;
  audit: AuditEntry[];
}

type Requester = (path: string, init: { method?: string; token?: string; json?: unknown }) => Promise<Response>;

/** Runs the sequence through an app (after its tokens exist): register, open, enroll, read the chain. */
export async function runParitySequence(request: Requester, tokens: Record<string, string>): Promise<ParityRecord> {
  const reg = await request("/v1/trials", { method: "POST", token: tokens.agency, json: { protocol_id: "ips-severe-mental-illness", trial_id: PARITY_TRIAL } });
  if (reg.status !== 201) throw new Error(`register: ${reg.status} ${await reg.text()}`);
  const { seed_commitment: seedCommitment } = (await reg.json()) as { seed_commitment: string };
  const open = await request(`/v1/trials/${PARITY_TRIAL}/open`, { method: "POST", token: tokens.agency });
  if (open.status !== 200) throw new Error(`open: ${open.status} ${await open.text()}`);
  const allocations: ParityRecord["allocations"] = [];
  for (const step of PARITY_STEPS) {
    const res = await request(`/v1/trials/${PARITY_TRIAL}/enrollments`, { method: "POST", token: tokens[step.token], json: ipsEnrollment(step.person, step.site) });
    const body = (await res.json()) as ParityRecord["allocations"][number];
    allocations.push({ status: res.status, participant_id: body.participant_id, sequence: body.sequence, site: body.site, arm: body.arm, stratum: body.stratum, repeat: body.repeat });
  }
  const log = await request(`/v1/trials/${PARITY_TRIAL}/audit`, { token: tokens.researcher });
  const { entries } = (await log.json()) as { entries: AuditEntry[] };
  return { seedCommitment, allocations, audit: entries };
}
