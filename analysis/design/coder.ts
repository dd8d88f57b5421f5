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
  enrolled_at?: string | null;
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

/** The participant variables a design reads (`site` or covariate ids): strata, minimization factors, the unit. */
export function designVariables(d: Design): { strata: readonly string[]; factors: readonly string[]; unit: string | null } {
  return {
    strata: d.type === "stratified" || d.type === "cluster" ? d.strata : [],
    factors: d.type === "minimization" ? d.factors.map((f) => f.covariate) : [],
    unit: d.type === "cluster" || d.type === "stepped_wedge" ? d.unit : null,
  };
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
    ({ strata: this.stratumVars, factors: this.factorVars, unit: this.unitVar } = designVariables(d));
    this.levels = this.factorVars.map(() => new Map());
    this.fixedUnits = d.type === "stepped_wedge";
    if (d.type === "stepped_wedge") {
      const units = d.unit === "site" ? trial.sites : trial.units;
      if (!units || units.length === 0) throw new Error(`stepped wedge over ${d.unit} needs the list of its units (stepped wedge kræver listen over enheder)`);
      if (units.length < d.steps) throw new Error(`stepped wedge has ${d.steps} steps but only ${units.length} units (flere trin end enheder)`);
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

  /**
   * Codes one participant into `out` (levels at `out.levelOffset`); returns its stratum label.
   * Every value is checked before anything is recorded, so a participant the design cannot place
   * leaves the coder as it was.
   */
  code(p: DesignParticipant, out: CodedParticipant & { levels: number[] | Int32Array }): string | null {
    const strataValues = this.stratumVars.map((v) => valueOf(p, v));
    const factorValues = this.factorVars.map((v) => valueOf(p, v));
    const unitValue = this.unitVar === null ? null : valueOf(p, this.unitVar);
    if (unitValue !== null && this.fixedUnits && !this.units.has(unitValue)) {
      throw new DesignInputError(`unknown ${this.unitVar}: ${unitValue} is not one of the stepped wedge's units (ukendt enhed)`, this.unitVar!);
    }
    let period = 0;
    if (this.fixedUnits) {
      const at = p.enrolled_at === undefined || p.enrolled_at === null ? NaN : Date.parse(p.enrolled_at);
      if (Number.isNaN(at)) throw new DesignInputError("missing or invalid enrolled_at; the stepped wedge needs the enrollment date (mangler eller ugyldig tilmeldingsdato)", "enrolled_at");
      period = Math.floor((at - this.startMs) / this.periodMs);
      if (period < 0 || period >= this.periods) {
        throw new DesignInputError(`enrolled_at ${p.enrolled_at} is outside the stepped wedge's ${this.periods} periods (tilmeldingsdatoen ligger uden for forsøgets perioder)`, "enrolled_at");
      }
    }

    let label: string | null = null;
    if (this.stratumVars.length > 0) {
      label = this.stratumVars.map((v, i) => `${v}=${strataValues[i]}`).join("|");
      out.stratum = indexOf(this.strata, label);
    } else {
      out.stratum = 0;
    }
    for (let f = 0; f < this.factorVars.length; f++) out.levels[out.levelOffset + f] = indexOf(this.levels[f], factorValues[f]);
    if (unitValue !== null) {
      out.unit = indexOf(this.units, unitValue);
      const unitLabel = `${this.unitVar}=${unitValue}`;
      label = label === null ? unitLabel : `${label}|${unitLabel}`;
    }
    if (this.fixedUnits) {
      out.period = period;
      label = `${label}|period=${period + 1}`;
    }
    return label;
  }

  /** The dictionaries, in order of first appearance (JSON). */
  save(): CoderState {
    return { strata: [...this.strata.keys()], levels: this.levels.map((m) => [...m.keys()]), units: [...this.units.keys()] };
  }

  /** Restores the dictionaries saved by `save`. */
  load(state: CoderState): void {
    if (!Array.isArray(state?.strata) || !Array.isArray(state.levels) || !Array.isArray(state.units) || state.levels.length !== this.levels.length) {
      throw new Error("invalid allocator state: the coder's dictionaries do not fit the design");
    }
    if (this.fixedUnits && (state.units.length !== this.units.size || state.units.some((u, i) => this.units.get(u) !== i))) {
      throw new Error("invalid allocator state: the stepped wedge's units differ from the trial's");
    }
    fill(this.strata, state.strata);
    state.levels.forEach((values, f) => fill(this.levels[f], values));
    fill(this.units, state.units);
  }
}

/** The coder's dictionaries as JSON: each list in order of first appearance. */
export interface CoderState {
  strata: string[];
  levels: string[][];
  units: string[];
}

function indexOf(map: Map<string, number>, value: string): number {
  let i = map.get(value);
  if (i === undefined) map.set(value, (i = map.size));
  return i;
}

function fill(map: Map<string, number>, values: readonly string[]): void {
  map.clear();
  for (const v of values) {
    if (typeof v !== "string" || map.has(v)) throw new Error("invalid allocator state: a dictionary holds a non-string or repeated value");
    map.set(v, map.size);
  }
}
