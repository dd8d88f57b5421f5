import type { CliIO } from "./main.ts";

/** A one-line progress bar on a terminal; on anything else, one line per finished phase. */
export function progressBar(io: CliIO, tty: boolean): { update(label: string, fraction: number): void; done(): void } {
  let current = "";
  let shown = -1;
  return {
    update(label, fraction) {
      const pct = Math.max(0, Math.min(100, Math.floor(fraction * 100)));
      if (label !== current) {
        if (current && !tty) io.err(`${current} 100%\n`);
        if (current && tty) io.err("\n");
        current = label;
        shown = -1;
      }
      if (!tty || pct === shown) return;
      shown = pct;
      const width = 30;
      const filled = Math.round((pct / 100) * width);
      io.err(`\r${label.padEnd(24)} [${"#".repeat(filled)}${" ".repeat(width - filled)}] ${String(pct).padStart(3)}%`);
    },
    done() {
      if (current) io.err(tty ? "\n" : `${current} 100%\n`);
      current = "";
    },
  };
}
