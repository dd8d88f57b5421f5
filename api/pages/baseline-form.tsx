/**
 * The enrollment form generated from a protocol: target group, one input per baseline covariate
 * (the input fits the type: number with min/max, integer, yes/no, category with its levels, date),
 * CPR number and consent. Labels are Danish first with English alongside; a field with a problem
 * says so beside it, linked with `aria-describedby`.
 *
 * `readEnrollmentForm` turns the posted form into the API's enrollment body and collects every
 * problem the protocol's own checks find (`validateCovariates`, `parseCpr`), so that the caseworker
 * sees them all at once. The enrollment itself, with eligibility and allocation, is the API's.
 */
import type { Child } from "hono/jsx";
import { parseCpr } from "../cpr.ts";
import { bilingual } from "../errors.ts";
import { categoryLevels, TARGET_GROUPS, validateCovariates, type Covariate, type CovariateValue, type Label, type Protocol } from "../../protocols/index.ts";
import { ApiText, Bi, Lbl } from "./layout.tsx";

/** Raw form values by field name, as posted (strings only). */
export type FormValues = Record<string, string>;
/** Problems by field name, each a bilingual `"<da> / <en>"` text. */
export type FieldErrors = Record<string, string>;

export const covariateField = (id: string) => `c_${id}`;
export const fieldId = (name: string) => `f-${name}`;
const errorId = (name: string) => `f-${name}-error`;

/** The target groups a protocol admits (all known ones when it names none). */
export function targetGroupsOf(protocol: Protocol): string[] {
  return protocol.population.target_groups ?? Object.keys(TARGET_GROUPS);
}

const groupLabel = (g: string): Label => TARGET_GROUPS[g as keyof typeof TARGET_GROUPS] ?? { da: g, en: g };

/** Props that tie an input to its error text, when it has one. */
function described(name: string, errors: FieldErrors, hint?: string) {
  const ids = [hint, errors[name] !== undefined ? errorId(name) : undefined].filter((x) => x !== undefined);
  return {
    ...(ids.length > 0 ? { "aria-describedby": ids.join(" ") } : {}),
    ...(errors[name] !== undefined ? { "aria-invalid": "true" } : {}),
  };
}

export function FieldError(props: { name: string; errors: FieldErrors }) {
  const text = props.errors[props.name];
  return text === undefined ? null : (
    <span class="error" id={errorId(props.name)}>
      <ApiText text={text} />
    </span>
  );
}

const Required = () => (
  <span class="required" title="skal udfyldes / required">
    {" *"}
  </span>
);

function LabelText(props: { label: Label; required: boolean; extra?: Child }) {
  return (
    <>
      <Lbl label={props.label} />
      {props.extra}
      {props.required ? <Required /> : null}
    </>
  );
}

function levelsOf(c: Extract<Covariate, { type: "category" }>): { value: string; label: Label | null }[] {
  return c.levels.map((l) => (typeof l === "string" ? { value: l, label: null } : { value: l.value, label: l.label }));
}

/** One covariate's input. */
function CovariateInput(props: { covariate: Covariate; values: FormValues; errors: FieldErrors }) {
  const c = props.covariate;
  const name = covariateField(c.id);
  const value = props.values[name] ?? "";
  const req = c.required;
  switch (c.type) {
    case "number":
    case "integer": {
      const hintId = c.unit !== undefined || c.min !== undefined || c.max !== undefined ? `${fieldId(name)}-hint` : undefined;
      const range = [c.min !== undefined ? `min. ${c.min}` : null, c.max !== undefined ? `maks. ${c.max}` : null].filter((x) => x !== null).join(", ");
      return (
        <div class="field">
          <label for={fieldId(name)}>
            <LabelText label={c.label} required={req} />
          </label>
          {hintId !== undefined ? (
            <span class="hint" id={hintId}>
              {[c.type === "integer" ? "heltal" : "tal", range, c.unit].filter((x) => x).join("; ")}
            </span>
          ) : null}
          <input
            type="number"
            id={fieldId(name)}
            name={name}
            value={value}
            step={c.type === "integer" ? "1" : "any"}
            min={c.min !== undefined ? String(c.min) : undefined}
            max={c.max !== undefined ? String(c.max) : undefined}
            inputmode={c.type === "integer" ? "numeric" : "decimal"}
            required={req}
            {...described(name, props.errors, hintId)}
          />
          <FieldError name={name} errors={props.errors} />
        </div>
      );
    }
    case "boolean":
      return (
        <fieldset class="choice" role="radiogroup" {...described(name, props.errors)}>
          <legend>
            <LabelText label={c.label} required={req} />
          </legend>
          {[
            ["true", "Ja", "Yes"],
            ["false", "Nej", "No"],
          ].map(([v, da, en], i) => (
            <label>
              <input type="radio" id={i === 0 ? fieldId(name) : undefined} name={name} value={v} checked={value === v} required={req} /> <Bi da={da} en={en} />
            </label>
          ))}
          <FieldError name={name} errors={props.errors} />
        </fieldset>
      );
    case "category":
      return (
        <div class="field">
          <label for={fieldId(name)}>
            <LabelText label={c.label} required={req} />
          </label>
          <select id={fieldId(name)} name={name} required={req} {...described(name, props.errors)}>
            <option value="">Vælg … (choose)</option>
            {levelsOf(c).map((l) => (
              <option value={l.value} selected={value === l.value}>
                {l.label === null ? l.value : `${l.label.da} (${l.label.en})`}
              </option>
            ))}
          </select>
          <FieldError name={name} errors={props.errors} />
        </div>
      );
    case "date":
      return (
        <div class="field">
          <label for={fieldId(name)}>
            <LabelText label={c.label} required={req} />
          </label>
          <input type="date" id={fieldId(name)} name={name} value={value} min={c.min} max={c.max} required={req} {...described(name, props.errors)} />
          <FieldError name={name} errors={props.errors} />
        </div>
      );
  }
}

/**
 * The form's problems as a list of links to their fields, in the order of the form, so that a
 * keyboard or screen-reader user can go straight to each one.
 */
export function ErrorSummary(props: { protocol: Protocol; errors: FieldErrors }) {
  const order = ["cpr", "target_group", ...props.protocol.covariates.map((c) => covariateField(c.id)), "consent"];
  const names = [...order.filter((n) => props.errors[n] !== undefined), ...Object.keys(props.errors).filter((n) => !order.includes(n))];
  const labelOf = (n: string): Label =>
    n === "cpr"
      ? { da: "CPR-nummer", en: "CPR number" }
      : n === "target_group"
        ? { da: "Målgruppe", en: "Target group" }
        : n === "consent"
          ? { da: "Samtykke", en: "Consent" }
          : (props.protocol.covariates.find((c) => covariateField(c.id) === n)?.label ?? { da: n, en: n });
  return (
    <ul>
      {names.map((n) => (
        <li>
          <a href={`#${fieldId(n)}`}>
            <Lbl label={labelOf(n)} />
          </a>
        </li>
      ))}
    </ul>
  );
}

/** The whole enrollment form's fields (the caller supplies `<form>`, CSRF and the submit button). */
export function EnrollmentFields(props: { protocol: Protocol; values: FormValues; errors: FieldErrors }) {
  const { protocol, values, errors } = props;
  const groups = targetGroupsOf(protocol);
  const groupsRequired = protocol.population.target_groups !== undefined;
  return (
    <>
      <div class="field">
        <label for={fieldId("cpr")}>
          <LabelText label={{ da: "CPR-nummer", en: "CPR number" }} required={true} />
        </label>
        <span class="hint" id={`${fieldId("cpr")}-hint`}>
          DDMMÅÅ-SSSS. Bruges kun til at genkende borgeren og gemmes aldrig.{" "}
          <span lang="en">Used only to recognise the citizen; never stored.</span>
        </span>
        <input
          type="text"
          id={fieldId("cpr")}
          name="cpr"
          value={values.cpr ?? ""}
          autocomplete="off"
          spellcheck={false}
          inputmode="numeric"
          maxlength={11}
          required
          {...described("cpr", errors, `${fieldId("cpr")}-hint`)}
        />
        <FieldError name="cpr" errors={errors} />
      </div>
      <div class="field">
        <label for={fieldId("target_group")}>
          <LabelText label={{ da: "Målgruppe", en: "Target group" }} required={groupsRequired} />
        </label>
        <select id={fieldId("target_group")} name="target_group" required={groupsRequired} {...described("target_group", errors)}>
          <option value="">Vælg … (choose)</option>
          {groups.map((g) => (
            <option value={g} selected={values.target_group === g}>
              {`${groupLabel(g).da} (${groupLabel(g).en})`}
            </option>
          ))}
        </select>
        <FieldError name="target_group" errors={errors} />
      </div>
      <h2>
        <Bi da="Baggrundsoplysninger" en="Baseline" />
      </h2>
      {protocol.covariates.map((c) => (
        <CovariateInput covariate={c} values={values} errors={errors} />
      ))}
      <div class="field">
        <label>
          <input type="checkbox" id={fieldId("consent")} name="consent" value="yes" checked={values.consent === "yes"} required {...described("consent", errors)} />{" "}
          <Bi da="Borgeren har givet informeret samtykke til at deltage i forsøget" en="The citizen has given informed consent to take part in the trial" />
          <Required />
        </label>
        <FieldError name="consent" errors={errors} />
      </div>
    </>
  );
}

/** A form number: digits with `.` or a Danish decimal comma; anything else stays text (and fails validation by name). */
function formNumber(s: string): number | string {
  const t = s.trim().replace(/\s/g, "");
  if (/^[+-]?(\d+([.,]\d*)?|[.,]\d+)$/.test(t)) return Number(t.replace(",", "."));
  return s;
}

/** The value of one covariate from its form text; undefined = not given. */
function covariateValue(c: Covariate, raw: string | undefined): CovariateValue | undefined {
  if (raw === undefined || raw.trim() === "") return undefined;
  switch (c.type) {
    case "number":
    case "integer":
      return formNumber(raw);
    case "boolean":
      return raw === "true" ? true : raw === "false" ? false : raw;
    default:
      return raw.trim();
  }
}

export interface EnrollmentForm {
  /** The body for `POST /v1/trials/{trial}/enrollments` (site and CPR filled in by the caller). */
  body: { cpr: string; target_group?: string; covariates: Record<string, CovariateValue>; consent: boolean };
  errors: FieldErrors;
}


/** Reads a posted enrollment form; `errors` holds every problem found before asking the API. */
export function readEnrollmentForm(protocol: Protocol, values: FormValues, today: Date): EnrollmentForm {
  const errors: FieldErrors = {};
  const covariates: Record<string, CovariateValue> = {};
  for (const c of protocol.covariates) {
    const v = covariateValue(c, values[covariateField(c.id)]);
    if (v !== undefined) covariates[c.id] = v;
  }
  for (const p of validateCovariates(protocol, covariates)) {
    const c = protocol.covariates.find((x) => x.id === p.covariate);
    // The protocol's message starts with the covariate id; the page shows the label instead.
    const strip = (s: string) => s.replace(new RegExp(`^${p.covariate}: `), "");
    errors[covariateField(p.covariate)] = c ? `${strip(p.message.da)} / ${strip(p.message.en)}` : bilingual(p.message);
  }
  const cpr = (values.cpr ?? "").trim();
  if (cpr === "") errors.cpr = "skriv borgerens CPR-nummer / enter the citizen's CPR number";
  else {
    const parsed = parseCpr(cpr, { today });
    if (!parsed.ok) errors.cpr = parsed.error.message;
  }
  const group = (values.target_group ?? "").trim();
  if (group === "" && protocol.population.target_groups !== undefined) errors.target_group = "vælg borgerens målgruppe / choose the citizen's target group";
  else if (group !== "" && !targetGroupsOf(protocol).includes(group)) errors.target_group = "vælg en af de viste målgrupper / choose one of the target groups shown";
  const consent = values.consent === "yes";
  if (!consent) errors.consent = "borgeren skal give samtykke, før der kan indskrives / the citizen must consent before enrollment";
  return { body: { cpr, ...(group !== "" ? { target_group: group } : {}), covariates, consent }, errors };
}

/** Only the string fields of a parsed form body (files are not expected anywhere in the pages). */
export function formStrings(body: Record<string, unknown>): FormValues {
  const out: FormValues = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === "string") out[k] = v;
  return out;
}
