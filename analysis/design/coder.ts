/**
 * Turns participants (site, baseline covariates, enrollment date) into the integer codes the
 * design engines work on, in order of first appearance, so that the live allocator and the batch
 * re-randomizer code the same data the same way.
 */
import type { Design, DesignArm } from "../../protocols/design-schema.ts";
import type { CodedParticipant } from "./engine.ts";

/** What a design needs to know about a trial. */
export interface TrialDesign {
  arms: readonly DesignArm[];
  design: Design;
  /** The trial's site ids: the units of a stepped wedge over sites. */
  sites?: readonly string[];
  /** The units of a stepped wedge over a covariate (e.g. team ids), when the unit is not `site`. */
  units?: readonly string[];
}

export interface DesignParticipant {
  id?: string;
  site: string;
  covariates?: Readonly<Record<string, unknown>>;
  /** Enrollment date or time (ISO 8601), needed by the stepped wedge. */
  enrolled_at?: string;
}

/** A participant the design cannot place: names the participant's row and the variable. */
export class DesignInputError extends Error {
  override name = "DesignInputError";
  constructor(
    message: string,
    readonly variable: string,
  ) {
    super(message);
  }
}

const DAY_MS = 86_400_000;

function valueOf(p: DesignParticipant, variable: string): string {
  const raw = variable === "site" ? p.site : p.covariates?.[variable];
  if (raw === undefined || raw === null || raw === "") {
    throw new DesignInputError(`missing value for ${variable}; the design needs it (mangler værdi for ${variable})`, variable);
  }
  return String(raw);
}

/** Codes participants one at a time; keeps the dictionaries of strata, levels and units. */
export class ParticipantCoder {
  readonly stratumVars: readonly string[];
  readonly factorVars: readonly string[];
  readonly unitVar: string | null;
  readonly strata = new Map<string, number>();
  readonly levels: Map<string, number>[];
  readonly units = new Map<string, number>();
  private readonly fixedUnits: boolean;
  private readonly startMs: number;
  private readonly periodMs: number;
  private readonly periods: number;

  constructor(trial: TrialDesign) {
    const d = trial.design;
    this.stratumVars = d.type === "stratified" || d.type === "cluster" ? d.strata : [];
    this.factorVars = d.type === "minimization" ? d.factors.map((f) => f.covariate) : [];
    this.unitVar = d.type === "cluster" || d.type === "stepped_wedge" ? d.unit : null;
    this.levels = this.factorVars.map(() => new Map());
    this.fixedUnits = d.type === "stepped_wedge";
    if (d.type === "stepped_wedge") {
      const units = d.unit === "site" ? trial.sites : trial.units;
      if (!units || units.length === 0) throw new Error(`stepped wedge over ${d.unit} needs the list of its units`);
      if (units.length < d.steps) throw new Error(`stepped wedge has ${d.steps} steps but only ${units.length} units`);
      units.forEach((u, i) => this.units.set(u, i));
      this.startMs = Date.parse(`${d.start}T00:00:00Z`);
      this.periodMs = d.period_weeks * 7 * DAY_MS;
      this.periods = d.periods;
    } else {
      this.startMs = this.periodMs = this.periods = 0;
    }
  }

  /** The factor level counts so far (for the minimization engine's table). */
  factorLevelCounts(): number[] {
    return this.levels.map((m) => m.size);
  }

  /** Codes one participant into `out` (levels at `out.levelOffset`); returns its stratum label. */
  code(p: DesignParticipant, out: CodedParticipant & { levels: number[] | Int32Array }): string | null {
    let label: string | null = null;
    if (this.stratumVars.length > 0) {
      label = this.stratumVars.map((v) => `${v}=${valueOf(p, v)}`).join("|");
      let s = this.strata.get(label);
      if (s === undefined) this.strata.set(label, (s = this.strata.size));
      out.stratum = s;
    } else {
      out.stratum = 0;
    }
    for (let f = 0; f < this.factorVars.length; f++) {
      const value = valueOf(p, this.factorVars[f]);
      const map = this.levels[f];
      let l = map.get(value);
      if (l === undefined) map.set(value, (l = map.size));
      out.levels[out.levelOffset + f] = l;
    }
    if (this.unitVar !== null) {
      const value = valueOf(p, this.unitVar);
      let u = this.units.get(value);
      if (u === undefined) {
        if (this.fixedUnits) throw new DesignInputError(`unknown ${this.unitVar}: ${value} is not one of the stepped wedge's units (ukendt enhed)`, this.unitVar);
        this.units.set(value, (u = this.units.size));
      }
      out.unit = u;
      const unitLabel = `${this.unitVar}=${value}`;
      label = label === null ? unitLabel : `${label}|${unitLabel}`;
    }
    if (this.fixedUnits) {
      const at = p.enrolled_at === undefined ? NaN : Date.parse(p.enrolled_at);
      if (Number.isNaN(at)) throw new DesignInputError("missing or invalid enrolled_at; the stepped wedge needs the enrollment date (mangler tilmeldingsdato)", "enrolled_at");
      const period = Math.floor((at - this.startMs) / this.periodMs);
      if (period < 0 || period >= this.periods) {
        throw new DesignInputError(`enrolled_at ${p.enrolled_at} is outside the stepped wedge's ${this.periods} periods (uden for forsøgets perioder)`, "enrolled_at");
      }
      out.period = period;
      label = `${label}|period=${period + 1}`;
    }
    return label;
  }
}
