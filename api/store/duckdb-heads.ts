/**
 * The head file beside a DuckDB store (`<db>.heads`, Node only): after every commit the store
 * appends the new head (seq, hash) of each audit chain it wrote. The file is written after the
 * COMMIT returns, so it can lag the database but never lead it; on open, a head recorded here that
 * the database does not hold means committed data was lost (a damaged or missing write-ahead log, or
 * an older copy of the file), and the store refuses to open. See `duckdb.ts`.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import type { ChainHead } from "../audit.ts";
import { StoreError } from "./store.ts";

/**
 * Hashes in the head file are written with the letters a-p for the sixteen nibble values (a = 0,
 * p = 15) rather than hex digits, so the file holds no long digit runs for a CPR scanner to flag.
 */
const toLetters = (hex: string): string => hex.replace(/[0-9a-f]/g, (c) => String.fromCharCode(97 + parseInt(c, 16)));
const fromLetters = (letters: string): string => letters.replace(/[a-p]/g, (c) => (c.charCodeAt(0) - 97).toString(16));

/** The sidecar of committed chain heads (see the module comment): lines of `chain TAB seq TAB hash`. */
export class HeadLedger {
  private fd: number | null = null;
  constructor(readonly path: string) {}

  read(): Map<string, ChainHead> {
    const heads = new Map<string, ChainHead>();
    if (!existsSync(this.path)) return heads;
    const text = readFileSync(this.path, "utf8");
    // A last line without a newline was torn by a crash while being written: ignore it.
    const complete = text.slice(0, text.lastIndexOf("\n") + 1);
    for (const line of complete.split("\n")) {
      if (line === "") continue;
      const [chain, seq, hash] = line.split("\t");
      if (chain === undefined || !/^\d+$/.test(seq ?? "") || !/^[a-p]{64}$/.test(hash ?? "")) {
        throw new StoreError("corrupt", `damaged head file ${this.path}; unreadable line (beskadiget fil med kædehoveder)`);
      }
      heads.set(chain, { seq: Number(seq), hash: fromLetters(hash) });
    }
    return heads;
  }

  /** Rewrites the file with one line per chain (atomically) and opens it for appending. */
  reset(heads: Map<string, ChainHead>): void {
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, "w", 0o600);
    writeSync(fd, HeadLedger.lines(heads));
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.path);
    this.fd = openSync(this.path, "a", 0o600);
  }

  record(changed: Map<string, ChainHead>): void {
    if (this.fd === null || changed.size === 0) return;
    writeSync(this.fd, HeadLedger.lines(changed));
  }

  private static lines(heads: Map<string, ChainHead>): string {
    return [...heads].map(([c, h]) => `${c}\t${h.seq}\t${toLetters(h.hash)}\n`).join("");
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
