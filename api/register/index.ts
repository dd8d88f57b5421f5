/**
 * Register outcomes: the public surface for the route `POST /v1/trials/{trial}/registers` and the
 * CLI `virker import register`.
 *
 * A caller (1) loads a code book, (2) imports an extract for a trial with the pseudonyms of its
 * participants, (3) derives the protocol's register outcomes with the participants' enrollment,
 * withdrawal and programme end dates, all on one DuckDB connection, one import at a time per
 * connection (the import uses connection-local temporary tables and its own transaction).
 *
 * @example
 *   const codebook = await loadCodebookFile(DEFAULT_CODEBOOK_PATH);
 *   const report = await importRegister(connection, { trial, file, codebook, participants: pseudonyms,
 *     personKey: { kind: "cpr", key: key.bytes }, onProgress });
 *   const derived = await deriveOutcomes(connection, { trial, participants, outcomes });
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { loadCodebook, type Codebook } from "./codebook.ts";

export { CATEGORIES, CodebookError, codebookSchema, loadCodebook, parseCodebook, type Category, type Codebook } from "./codebook.ts";
export {
  DERIVATION_NAMES,
  DERIVATION_VERSION,
  DeriveError,
  derivationSchemas,
  deriveOutcomes,
  parseDerivationParams,
  readRegisterOutcome,
  type DerivationName,
  type DeriveOptions,
  type DeriveReport,
  type DerivedOutcomeSummary,
  type OutcomeSpec,
  type RegisterOutcomeRow,
  type RegisterParticipant,
} from "./derive.ts";
export {
  fileSha256,
  importRegister,
  RegisterImportError,
  type ImportIssue,
  type ImportProgress,
  type PersonKey,
  type RegisterImportOptions,
  type RegisterImportReport,
} from "./import.ts";
export { parseWeekLabel, weekIndex, weekIndexOfDate, weekLabel } from "./iso-week.ts";
export { ensureRegisterSchema } from "./schema.ts";

/** The shipped DREAM-style code book (its mappings are illustrative; see the file). */
export const DEFAULT_CODEBOOK_PATH = fileURLToPath(new URL("./default-codebook.yaml", import.meta.url));

/** Reads and validates a YAML code book file; errors name the file, the path and the line. */
export async function loadCodebookFile(path: string): Promise<Codebook> {
  return loadCodebook(await readFile(path, "utf8"), path);
}
