/**
 * What the participant routes share: the trial and its current protocol, the caller's read scope
 * (a municipality sees its own site only), finding one participant inside that scope, and turning a
 * store refusal into the fitting 4xx.
 */
import type { Protocol } from "../../protocols/index.ts";
import { actorOf, type Deps } from "../context.ts";
import { protocolOfVersion } from "../enrollment/service.ts";
import { ApiError, notFound } from "../errors.ts";
import { PUBLIC_ID_RE } from "../pseudonym.ts";
import { ALL_SITES, participantScope, siteScope, StoreError, type AuditEntry, type EnrollmentRecord, type ReadScope, type TrialBatch, type TrialRecord } from "../store/store.ts";
import type { Principal } from "../tokens.ts";

/** The caller's read scope: own site for a municipality, everything for the agency and researchers. */
export const scopeOf = (principal: Principal): ReadScope => (principal.role === "municipality" ? siteScope(principal.site!) : ALL_SITES);

/** The caller's read scope narrowed to one participant: a page or check about one person reads that person's rows only. */
export const participantScopeOf = (principal: Principal, publicId: string): ReadScope => participantScope(scopeOf(principal), publicId);

/** The trial and its current protocol; 404 if there is no such trial. */
export async function trialWithProtocol(deps: Deps, trialId: string): Promise<{ record: TrialRecord; protocol: Protocol; version: number }> {
  const record = await deps.store.getTrial(trialId);
  if (!record) throw notFound(`forsøget ${trialId} / trial ${trialId}`);
  return { record, ...protocolOfVersion(record) };
}

/**
 * One participant the caller may see. Another site's participant is "not found" to a municipality:
 * the answer must not tell whether the id exists elsewhere.
 */
export async function participantInScope(deps: Deps, trialId: string, principal: Principal, publicId: string): Promise<EnrollmentRecord> {
  const found = PUBLIC_ID_RE.test(publicId) ? await deps.store.findEnrollment(trialId, { publicId }, scopeOf(principal)) : null;
  if (!found) throw notFound(`deltageren ${publicId} / participant ${publicId}`);
  return found;
}

export const participantTarget = (trialId: string, publicId: string) => `trial:${trialId}/participant:${publicId}`;

/** Audits a read of one participant's person-level data (a page or an API answer), at the server's time. */
export async function auditParticipantRead(deps: Deps, principal: Principal, trialId: string, publicId: string, action = "participant.read"): Promise<void> {
  await deps.store.appendAudit(trialId, [{ at: deps.clock().toISOString(), ...actorOf(principal), action, target: participantTarget(trialId, publicId), reason: null }]);
}

/** `store.append`, with the store's refusals as API errors (never a 500 for a caller's data). */
export async function appendBatch(deps: Deps, trialId: string, batch: TrialBatch): Promise<AuditEntry[]> {
  try {
    return await deps.store.append(trialId, batch);
  } catch (error) {
    if (!(error instanceof StoreError)) throw error;
    switch (error.code) {
      case "personal_data":
        throw new ApiError(422, "unprocessable", "teksten indeholder noget, der ligner et CPR-nummer; skriv den uden / the text contains a CPR-shaped number; leave it out");
      case "not_found":
        throw notFound("deltageren / the participant");
      case "duplicate":
      case "conflict":
        throw new ApiError(409, "conflict", "i konflikt med det, der allerede er gemt / conflicts with what is already stored");
      case "too_large":
        throw new ApiError(413, "payload_too_large", "for mange rækker på én gang / too many rows at once");
      case "invalid":
        throw new ApiError(400, "bad_request", `ugyldige data / invalid data: ${error.message}`);
      default:
        throw error;
    }
  }
}
