/**
 * The chart of one citizen's progression factors over time, for the caseworker to show the
 * citizen: small multiples, one panel per factor and one for the total, on a shared axis in weeks
 * from enrollment, up always closer to work or education. Server-rendered SVG, no script.
 */
import type { Progression, ProgressionFactor } from "../../protocols/progression-schema.ts";
import type { ProgressionView } from "../routes/progression.ts";
import { Bi } from "./layout.tsx";

/** A factor's score oriented so that up is closer to work: the chart's vertical position, 0 to 1. */
function height(f: Pick<ProgressionFactor, "scale" | "direction">, v: number): number {
  const { min, max } = f.scale;
  return f.direction === "lower" ? (max - v) / (max - min) : (v - min) / (max - min);
}

export const fmt = (v: number) => (Math.round(v * 10) / 10).toString();
/** A panel title that fits its width (the whole label is the panel's aria-label). */
const short = (s: string) => (s.length > 31 ? `${s.slice(0, 30).trimEnd()}…` : s);

/**
 * Small multiples: one panel per factor and one for the total, on a shared time axis in weeks
 * from enrollment; up is closer to work or education on every panel (a factor scored the other
 * way round has its axis turned). A missing score leaves a gap in the line.
 */
export function ProgressionChart(props: { progression: Progression; view: ProgressionView }) {
  const { instrument } = props.progression;
  const ms = props.view.measurements;
  if (ms.length === 0) return null;
  const W = 240;
  const H = 120;
  const m = { l: 26, r: 10, t: 24, b: 22 };
  const lastWeek = Math.max(1, ...ms.map((x) => x.day / 7));
  const x = (day: number) => m.l + (day / 7 / lastWeek) * (W - m.l - m.r);
  const y = (h: number) => H - m.b - h * (H - m.t - m.b);
  const panels: { id: string; label: { da: string; en: string }; top: number; bottom: number; points: { day: number; h: number; v: number }[] }[] = [];
  for (const f of instrument.factors) {
    const points = ms.flatMap((x) => (x.scores[f.id] === undefined ? [] : [{ day: x.day, v: x.scores[f.id]!, h: height(f, x.scores[f.id]!) }]));
    const [top, bottom] = f.direction === "lower" ? [f.scale.min, f.scale.max] : [f.scale.max, f.scale.min];
    panels.push({ id: f.id, label: f.label, top, bottom, points });
  }
  const totals = ms.flatMap((x) => (x.total === null ? [] : [x]));
  const ids = instrument.total.factors ?? instrument.factors.map((f) => f.id);
  const inTotal = instrument.factors.filter((f) => ids.includes(f.id));
  const lo = inTotal.reduce((s, f) => s + f.scale.min, 0) / (instrument.total.method === "mean" ? inTotal.length : 1);
  const hi = inTotal.reduce((s, f) => s + f.scale.max, 0) / (instrument.total.method === "mean" ? inTotal.length : 1);
  panels.push({ id: "total", label: instrument.total.label, top: hi, bottom: lo, points: totals.map((t) => ({ day: t.day, v: t.total!, h: (t.total! - lo) / (hi - lo) })) });
  return (
    <figure id="progression-chart">
      <div style="display:flex;flex-wrap:wrap;gap:.5rem">
        {panels.map((p) => (
          <svg
            xmlns="http://www.w3.org/2000/svg"
            width={W}
            height={H}
            viewBox={`0 0 ${W} ${H}`}
            role="img"
            aria-label={`${p.label.da} over tid / ${p.label.en} over time`}
            font-family="system-ui, sans-serif"
            font-size="10"
            data-factor={p.id}
          >
            <text x={4} y={13} font-weight="600" font-size="11">
              {short(p.label.da)}
            </text>
            <line x1={m.l} x2={W - m.r} y1={y(0)} y2={y(0)} stroke="#8c959f" />
            <line x1={m.l} x2={m.l} y1={y(0)} y2={y(1)} stroke="#8c959f" />
            <text x={m.l - 4} y={y(1) + 3} text-anchor="end">
              {fmt(p.top)}
            </text>
            <text x={m.l - 4} y={y(0) + 3} text-anchor="end">
              {fmt(p.bottom)}
            </text>
            <text x={m.l} y={H - 6}>
              uge 0
            </text>
            <text x={W - m.r} y={H - 6} text-anchor="end">
              {`uge ${fmt(lastWeek)}`}
            </text>
            {p.points.length > 1 ? (
              <path d={p.points.map((q, i) => `${i === 0 ? "M" : "L"}${fmt(x(q.day))},${fmt(y(q.h))}`).join("")} fill="none" stroke="#0072B2" stroke-width="2" />
            ) : null}
            {p.points.map((q) => (
              <circle cx={fmt(x(q.day))} cy={fmt(y(q.h))} r="3" fill="#0072B2">
                <title>{`${fmt(q.v)} (dag ${q.day} / day ${q.day})`}</title>
              </circle>
            ))}
          </svg>
        ))}
      </div>
      <figcaption>
        <Bi
          da="Borgerens egne scorer over tid, i uger fra indskrivningen. Opad er altid tættere på arbejde eller uddannelse."
          en="The citizen's own scores over time, in weeks from enrollment. Up is always closer to work or education."
        />
      </figcaption>
    </figure>
  );
}

