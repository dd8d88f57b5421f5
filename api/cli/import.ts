import { dirname } from "node:path";
import { parseArgs } from "node:util";
import type { CliIO } from "./main.ts";
import { progressBar } from "./progress.ts";

const USAGE =
  "usage: virker import register --trial <id> --file <extract.csv|.parquet> [--codebook <file.yaml>]\n" +
  "                              [--person-key cpr|pseudonym] [--layout long|wide] [--db data/virker.duckdb]\n";

/**
 * `virker import register`: imports a register extract into a trial and derives the trial's
 * register outcomes, on the database file directly (run it while the server is stopped; with the
 * server running, use `POST /v1/trials/{trial}/registers`). Prints the import report as JSON.
 */
export async function importCommand(args: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== "register") {
    io.err(USAGE);
    return 1;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      trial: { type: "string" },
      file: { type: "string" },
      codebook: { type: "string" },
      "person-key": { type: "string", default: "cpr" },
      layout: { type: "string" },
      db: { type: "string", default: "data/virker.duckdb" },
    },
    strict: true,
  });
  const personKey = values["person-key"];
  if (!values.trial || !values.file || (personKey !== "cpr" && personKey !== "pseudonym") || (values.layout && values.layout !== "long" && values.layout !== "wide")) {
    io.err(USAGE);
    return 1;
  }
  const [{ loadPseudonymKey }, { keyFingerprint }, { openDuckDbStore }, register, { importForTrial }] = await Promise.all([
    import("../keys-node.ts"),
    import("../pseudonym.ts"),
    import("../store/duckdb.ts"),
    import("../register/index.ts"),
    import("../register/trial-import.ts"),
  ]);
  const codebook = await register.loadCodebookFile(values.codebook ?? register.DEFAULT_CODEBOOK_PATH);
  const store = await openDuckDbStore({ path: values.db!, warn: (m) => io.err(`${m}\n`) });
  try {
    const trial = await store.getTrial(values.trial);
    if (!trial) {
      io.err(`no trial ${values.trial} in ${values.db} (forsøget findes ikke)\n`);
      return 1;
    }
    const { key } = loadPseudonymKey({ keyFile: `${dirname(values.db!)}/pseudonym.key`, warn: (m) => io.err(`${m}\n`) });
    await store.bindKeyFingerprint(keyFingerprint(key));
    const connection = await store.connect();
    const bar = progressBar(io, process.stderr.isTTY === true);
    const phases = { hash: "hashing the extract", read: "reading", resolve: "resolving codes", store: "storing weeks" } as const;
    try {
      const result = await importForTrial({
        store,
        connection,
        key,
        trial,
        file: values.file,
        codebook,
        personKey,
        layout: values.layout as "long" | "wide" | undefined,
        actor: { tokenId: null, role: "system" },
        now: () => new Date(),
        onImportProgress: (e) => bar.update(phases[e.phase], e.fraction),
        onDeriveProgress: (e) => bar.update(`deriving ${e.outcome}`.slice(0, 24), e.total === 0 ? 1 : e.done / e.total),
      });
      bar.done();
      io.out(`${JSON.stringify(result, null, 2)}\n`);
      const r = result.import;
      io.err(
        `${r.alreadyImported ? "already imported; nothing changed" : `import ${r.importNo}`}: ${r.records} records, ` +
          `${r.participants.inExtract} of ${r.participants.total} participants found, ${r.persons.notInTrial} persons outside the trial, ` +
          `${r.unknownCodes.length} unknown code(s)\n`,
      );
      return 0;
    } catch (e) {
      bar.done();
      if (e instanceof register.RegisterImportError || e instanceof register.DeriveError || e instanceof register.CodebookError) {
        io.err(`${e.message}\n`);
        return 1;
      }
      throw e;
    } finally {
      connection.closeSync();
    }
  } finally {
    await store.close();
  }
}
