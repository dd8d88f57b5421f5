/**
 * Enrollment: eligibility, pseudonym, allocation exactly once, and the commit that makes it real.
 *
 * Everything that needs no shared state (CPR check, pseudonym, covariates, eligibility) runs in the
 * request. Then the request joins its trial's commit queue. The queue hands a batch of requests to
 * `commitBatch`, which runs alone per trial: it recognizes repeats (already enrolled, or earlier in
 * the same batch), checks the trial is open and the site within its window and cap, allocates with
 * the trial's allocator in arrival order, and appends the new enrollments with their audit entries
 * in ONE store write. Only after that write does any caller hear an arm. If the write fails, the
 * cached trial state (allocator, known pseudonyms, counts) is dropped and rebuilt from the store,
 * so an allocation that was never committed is never handed out nor counted.
 */
import { Allocator, DesignInputError, trialDesignOf } from "../../analysis/design/index.ts";
import { checkEligibility, validateCovariates, siteOpen, validateProtocolData, type CovariateValue, type Protocol } from "../../protocols/index.ts";
import type { AuditDraft } from "../audit.ts";
import { ageOn, parseCpr, type Cpr as ParsedCpr } from "../cpr.ts";
import { ApiError, bilingual } from "../errors.ts";
import { participantIds, type PseudonymKey } from "../pseudonym.ts";
import { CommitQueue, CommitQueueFullError } from "../store/commit-queue.ts";
import { ALL_SITES, type EnrollmentRecord, type Store, type TrialRecord } from "../store/store.ts";
import type { Principal } from "../tokens.ts";

export interface EnrollRequest {
  cpr: string;
  site: string;
  target_group?: string;
  covariates: Record<string, CovariateValue>;
  consent: boolean;
}

/** What the caller hears: never the CPR, never the pseudonym. */
export interface ParticipantView {
  participant_id: string;
  arm: string;
  sequence: number;
  site: string;
  stratum: string | null;
  protocol_version: number;
  enrolled_at: string;
  repeat: boolean;
}

export type EnrollResult = { ok: true; participant: ParticipantView } | { ok: false; error: ApiError };

interface Pending {
  pseudonym: string;
  publicId: string;
  site: string;
  covariates: Record<string, CovariateValue>;
  principal: Principal;
  at: string;
}

/** The in-memory state of one trial, rebuilt from the store whenever in doubt. */
interface TrialState {
  record: TrialRecord;
  protocol: Protocol;
  version: number;
  allocator: Allocator;
  /**
   * Everyone enrolled, by pseudonym, as a repeat sees them (no baseline: a trial's whole roster
   * stays in memory, and its baselines were most of it).
   */
  known: Map<string, ParticipantView>;
  siteCounts: Map<string, number>;
}

export function protocolOfVersion(record: TrialRecord, version?: number): { protocol: Protocol; version: number } {
  const v = version === undefined ? record.versions[record.versions.length - 1] : record.versions.find((x) => x.version === version);
  if (!v) throw new Error(`trial ${record.id} has no protocol version ${version}`);
  const parsed = validateProtocolData(JSON.parse(v.protocolJson));
  if (!parsed.ok) throw new Error(`trial ${record.id} version ${v.version}: stored protocol no longer validates`);
  return { protocol: parsed.protocol, version: v.version };
}

export const view = (r: EnrollmentRecord, repeat: boolean): ParticipantView => ({
  participant_id: r.publicId,
  arm: r.arm,
  sequence: r.sequence,
  site: r.site,
  stratum: r.stratum,
  protocol_version: r.protocolVersion,
  enrolled_at: r.enrolledAt,
  repeat,
});


/** Rows of a bulk upload per queue item (and at most per commit). */
export const BULK_CHUNK = 5000;
/** Rows checked between two yields to the event loop in a bulk upload. */
const YIELD_EVERY = 500;

/**
 * Lets waiting I/O (a chunk's COMMIT finishing) run, then goes on: setImmediate where the runtime
 * has it (Node's setTimeout waits at least a millisecond, idle), else setTimeout.
 */
const yieldToEvents = (): Promise<void> =>
  new Promise((resolve) => {
    const immediate = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;
    if (immediate !== undefined) immediate(resolve);
    else setTimeout(resolve, 0);
  });

export class EnrollmentService {
  private readonly states = new Map<string, Promise<TrialState>>();
  /**
   * Items are groups: one request of the single route is a group of one, a chunk of a bulk upload
   * a group of up to `BULK_CHUNK`. A commit takes groups in arrival order up to `maxBatchRows` rows,
   * so single requests and bulk uploads share one allocation order per trial.
   */
  private readonly queue: CommitQueue<Pending[], EnrollResult[]>;

  constructor(
    private readonly store: Store,
    private readonly key: PseudonymKey,
    private readonly clock: () => Date,
    options: { maxBatch?: number; maxQueued?: number; maxBatchRows?: number; gatherMs?: number } = {},
  ) {
    // Each enrollment writes two rows (the enrollment and its audit entry).
    const maxWeight = options.maxBatchRows ?? Math.max(1, Math.min(BULK_CHUNK, Math.floor(store.limits.maxBatchRows / 2)));
    this.queue = new CommitQueue({
      commit: (trialId, groups) => this.commitGroups(trialId, groups),
      maxBatch: options.maxBatch,
      maxQueued: options.maxQueued,
      weight: (group) => group.length,
      maxWeight,
      // See CommitQueueOptions.gatherMs: keeps batches whole under steady concurrent load. The
      // callers answered by one commit come back one by one as the server parses and checks their
      // requests (a few hundred µs each), so a batch of eight needs a few milliseconds to gather;
      // at 2 ms batches at 8 connections held about six (bench/enroll.ts).
      gatherMs: options.gatherMs ?? 8,
    });
  }

  /** Forgets a trial's cached state (after an amendment or a status change). */
  invalidate(trialId: string): void {
    this.states.delete(trialId);
  }

  async close(): Promise<void> {
    await this.queue.close();
  }

  private state(trialId: string): Promise<TrialState> {
    let s = this.states.get(trialId);
    if (!s) {
      s = this.loadState(trialId);
      this.states.set(trialId, s);
      s.catch(() => this.states.delete(trialId));
    }
    return s;
  }

  private async loadState(trialId: string): Promise<TrialState> {
    const record = await this.store.getTrial(trialId);
    if (!record) throw new ApiError(404, "not_found", `forsøget ${trialId} findes ikke / trial ${trialId} not found`);
    const { protocol, version } = protocolOfVersion(record);
    const history = await this.store.loadAllocationHistory(trialId);
    // Every allocation replays under the design it was made with: amendments may not change the
    // design (checked at amendment), so the current protocol's design serves for all.
    const allocator = Allocator.replay(
      trialDesignOf(protocol),
      record.seed,
      history.map((e) => ({ site: e.site, covariates: e.baseline, enrolled_at: e.enrolledAt, arm: e.arm })),
    );
    const known = new Map<string, ParticipantView>();
    const siteCounts = new Map<string, number>();
    for (const e of history) {
      known.set(e.pseudonym, view(e, true));
      siteCounts.set(e.site, (siteCounts.get(e.site) ?? 0) + 1);
    }
    return { record, protocol, version, allocator, known, siteCounts };
  }

  /**
   * Checks a request against the protocol without touching shared state; returns what the queue
   * needs, or the 400/403/422 the caller gets.
   */
  private async prepare(trialId: string, principal: Principal, input: EnrollRequest): Promise<Pending> {
    const now = this.clock();
    const cpr = this.precheck(principal, input, now);
    const { protocol } = await this.state(trialId);
    return this.finish(trialId, protocol, principal, input, cpr, now);
  }

  /** The checks that need no trial state: own site, a real CPR, consent. */
  private precheck(principal: Principal, input: EnrollRequest, now: Date): ParsedCpr {
    if (principal.role !== "municipality" || principal.site !== input.site) {
      throw new ApiError(403, "forbidden", "du kan kun indskrive på dit eget sted / you can only enroll at your own site");
    }
    const cpr = parseCpr(input.cpr, { today: now });
    if (!cpr.ok) throw new ApiError(400, "bad_request", cpr.error.message, [{ path: "cpr", message: cpr.error.message, code: cpr.error.code }]);
    if (input.consent !== true) {
      throw new ApiError(422, "unprocessable", "samtykke mangler / consent is missing", [{ path: "consent", message: "borgeren skal give samtykke / the citizen must consent" }]);
    }
    return cpr.cpr;
  }

  /** The protocol's checks (covariates, eligibility) and the pseudonyms; synchronous. */
  private finish(trialId: string, protocol: Protocol, principal: Principal, input: EnrollRequest, cpr: ParsedCpr, now: Date): Pending {
    const covariateProblems = validateCovariates(protocol, input.covariates);
    if (covariateProblems.length > 0) {
      throw new ApiError(
        400,
        "bad_request",
        "baggrundsoplysningerne er ikke gyldige / the baseline values are not valid",
        covariateProblems.map((p) => ({ path: `covariates.${p.covariate}`, message: bilingual(p.message) })),
      );
    }
    const age = ageOn(cpr.birthDate, now);
    const failures = checkEligibility(protocol, { site: input.site, target_group: input.target_group, age, covariates: input.covariates });
    if (failures.length > 0) {
      throw new ApiError(
        422,
        "unprocessable",
        "borgeren opfylder ikke forsøgets kriterier / the citizen is not eligible",
        failures.map((f) => ({ path: f.rule, message: bilingual(f.message), code: f.kind })),
      );
    }
    const { pseudonym, publicId } = participantIds(this.key, trialId, cpr.normalized);
    const covariates = { ...input.covariates };
    if (input.target_group !== undefined) covariates.target_group = input.target_group;
    return { pseudonym, publicId, site: input.site, covariates, principal, at: now.toISOString() };
  }

  /** Enrolls one citizen: 201-style `repeat: false` or 200-style `repeat: true`, or an ApiError. */
  async enroll(trialId: string, principal: Principal, input: EnrollRequest): Promise<ParticipantView> {
    const pending = await this.prepare(trialId, principal, input);
    const [result] = await this.submit(trialId, [pending]);
    if (!result.ok) throw result.error;
    return result.participant;
  }

  /**
   * Enrolls many in the given order; one result per row, never throwing for a row's own problem.
   * Not atomic: rows are allocated and committed in chunks, each row on its own merits, so a bad row
   * does not stop the others; sending the same rows again is safe (a repeat gets its first arm).
   * While one chunk is being committed the next is checked.
   */
  async enrollMany(trialId: string, principal: Principal, rows: EnrollRequest[]): Promise<EnrollResult[]> {
    const results: EnrollResult[] = new Array(rows.length);
    const commits: Promise<void>[] = [];
    const { protocol } = await this.state(trialId);
    for (let start = 0; start < rows.length; start += BULK_CHUNK) {
      const group: Pending[] = [];
      const at: number[] = [];
      for (let i = start; i < Math.min(rows.length, start + BULK_CHUNK); i++) {
        // Yield now and then, so that the commits of earlier chunks (waiting on DuckDB) go ahead
        // while the rest is checked, instead of after it.
        if (i > 0 && i % YIELD_EVERY === 0) await yieldToEvents();
        try {
          const now = this.clock();
          group.push(this.finish(trialId, protocol, principal, rows[i], this.precheck(principal, rows[i], now), now));
          at.push(i);
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
          results[i] = { ok: false, error };
        }
      }
      if (group.length === 0) continue;
      commits.push(
        this.submit(trialId, group).then((done) => {
          for (let k = 0; k < done.length; k++) results[at[k]] = done[k];
        }),
      );
    }
    await Promise.all(commits);
    return results;
  }

  private async submit(trialId: string, group: Pending[]): Promise<EnrollResult[]> {
    try {
      return await this.queue.submit(trialId, group);
    } catch (error) {
      if (error instanceof CommitQueueFullError) {
        const full = new ApiError(503, "unavailable", "for mange tilmeldinger i kø; prøv igen / too many enrollments waiting; try again");
        return group.map(() => ({ ok: false, error: full }));
      }
      throw error;
    }
  }

  private async commitGroups(trialId: string, groups: Pending[][]): Promise<EnrollResult[][]> {
    const flat = await this.commitBatch(trialId, groups.length === 1 ? groups[0] : groups.flat());
    const out: EnrollResult[][] = [];
    let k = 0;
    for (const g of groups) {
      out.push(flat.slice(k, k + g.length));
      k += g.length;
    }
    return out;
  }

  private async commitBatch(trialId: string, items: Pending[]): Promise<EnrollResult[]> {
    const state = await this.state(trialId);
    const results: EnrollResult[] = [];
    const created: EnrollmentRecord[] = [];
    const audit: AuditDraft[] = [];
    const status = state.record.status;
    for (const item of items) {
      const actor = { tokenId: item.principal.tokenId, role: item.principal.role } as const;
      const known = state.known.get(item.pseudonym);
      if (known) {
        results.push({ ok: true, participant: { ...known } });
        audit.push({ at: item.at, ...actor, action: "enrollment.repeat", target: `trial:${trialId}/participant:${known.participant_id}`, reason: null });
        continue;
      }
      if (status !== "open") {
        results.push({ ok: false, error: new ApiError(409, "conflict", `forsøget er ikke åbent for indskrivning (${status}) / the trial is not open for enrollment (${status})`) });
        continue;
      }
      const open = siteOpen(state.protocol, item.site, item.at.slice(0, 10), state.siteCounts.get(item.site) ?? 0);
      if (!open.open) {
        results.push({ ok: false, error: new ApiError(409, "conflict", bilingual(open.message)) });
        continue;
      }
      let allocation;
      try {
        allocation = state.allocator.allocate({ site: item.site, covariates: item.covariates, enrolled_at: item.at });
      } catch (error) {
        if (!(error instanceof DesignInputError)) throw error;
        results.push({ ok: false, error: new ApiError(422, "unprocessable", error.message, [{ path: `covariates.${error.variable}`, message: error.message }]) });
        continue;
      }
      const record: EnrollmentRecord = {
        sequence: allocation.sequence,
        pseudonym: item.pseudonym,
        publicId: item.publicId,
        site: item.site,
        arm: allocation.arm,
        stratum: allocation.stratum,
        protocolVersion: state.version,
        baseline: item.covariates,
        enrolledAt: item.at,
      };
      state.known.set(item.pseudonym, view(record, true));
      state.siteCounts.set(item.site, (state.siteCounts.get(item.site) ?? 0) + 1);
      created.push(record);
      results.push({ ok: true, participant: view(record, false) });
      audit.push({ at: item.at, ...actor, action: "enrollment.create", target: `trial:${trialId}/participant:${record.publicId}`, reason: null });
    }
    if (audit.length > 0) {
      try {
        await this.store.append(trialId, { enrollments: created, audit });
      } catch (error) {
        // The allocator and maps ran ahead of the store: rebuild them from what is committed.
        this.invalidate(trialId);
        throw error;
      }
    }
    return results;
  }

  /** Counts by site and arm, for summaries (no individuals). */
  async counts(trialId: string): Promise<{ site: string; arm: string; n: number }[]> {
    const history = await this.store.listEnrollments(trialId, ALL_SITES);
    const m = new Map<string, number>();
    for (const e of history) m.set(`${e.site}\u0000${e.arm}`, (m.get(`${e.site}\u0000${e.arm}`) ?? 0) + 1);
    return [...m].map(([k, n]) => {
      const [site, arm] = k.split("\u0000");
      return { site, arm, n };
    });
  }
}
