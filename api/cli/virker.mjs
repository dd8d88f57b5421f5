#!/usr/bin/env node
// The `virker` command. The sources are TypeScript; tsx compiles them on load so that
// `npx virker ...` works straight after `npm install`, with no build step.
import { register } from "tsx/esm/api";

register();
const { main } = await import("./main.ts");
process.exitCode = await main(process.argv.slice(2));
