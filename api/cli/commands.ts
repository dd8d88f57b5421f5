/** The command table. Each command lives in its own module and is loaded on use. */
import { registerCommand } from "./main.ts";

registerCommand("serve", "start the API on an embedded DuckDB file", async () => (await import("./serve.ts")).serve);
registerCommand("protocol", "validate protocol files or print a protocol hash", async () => (await import("./protocol.ts")).protocol);
registerCommand("allocate", "re-derive a trial's allocations from its protocol and seed", async () => (await import("./allocate.ts")).allocate);
registerCommand("key", "print a new signing key (Ed25519 JWK) or pseudonym key, for secrets", async () => (await import("./key.ts")).key);
registerCommand("token", "create a bearer token (printed once, stored hashed)", async () => (await import("./token.ts")).token);
registerCommand("analyze", "run a protocol's analysis plan on a participant file", async () => (await import("./analyze.ts")).analyze);
registerCommand("import", "import a register extract into a trial and derive its register outcomes", async () => (await import("./import.ts")).importCommand);
registerCommand("simulate", "write a simulated trial of a protocol: participants, register extract, truth", async () => (await import("./simulate.ts")).simulate);
registerCommand("verify", "check an evidence package: signature, allocations from the seed, every number re-run", async () => (await import("./verify.ts")).verify);
registerCommand("demo", "serve with a whole simulated trial per shipped protocol (what npm start runs)", async () => (await import("./demo.ts")).demo);
