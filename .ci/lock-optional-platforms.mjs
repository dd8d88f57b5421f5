#!/usr/bin/env node
/**
 * Adds missing optional platform packages to package-lock.json.
 *
 * The registry this project is developed against carries only the Linux x64 builds of packages
 * that ship native binaries per platform (DuckDB's bindings, workerd...). `npm install` then leaves
 * the other platforms' optional dependencies out of the lock, and `npm ci` refuses the lock as out
 * of sync. This script lists each missing one with its version and the os/cpu/libc read from its
 * name, marked optional, so `npm ci` skips it here and installs it on the platform it is for.
 *
 * Usage: node .ci/lock-optional-platforms.mjs [--check]   (--check exits 1 if entries are missing)
 */
import { readFileSync, writeFileSync } from "node:fs";

const OS = { darwin: "darwin", linux: "linux", win32: "win32", windows: "win32", freebsd: "freebsd", openbsd: "openbsd", netbsd: "netbsd", sunos: "sunos", aix: "aix", android: "android" };
const CPU = { x64: "x64", 64: "x64", amd64: "x64", arm64: "arm64", aarch64: "arm64", arm: "arm", ia32: "ia32", ppc64: "ppc64", s390x: "s390x", riscv64: "riscv64", loong64: "loong64", mips64el: "mips64el" };

function platformOf(name) {
  const parts = name.split("/").pop().split("-");
  const out = {};
  for (const part of parts) {
    if (OS[part] && !out.os) out.os = [OS[part]];
    else if (CPU[part] && !out.cpu) out.cpu = [CPU[part]];
    else if (part === "musl") out.libc = ["musl"];
    else if (part === "gnu" || part === "glibc") out.libc = ["glibc"];
  }
  if (out.os?.[0] === "linux" && !out.libc) out.libc = ["glibc"];
  if (out.os?.[0] !== "linux") delete out.libc;
  return out;
}

const path = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(path, "utf8"));
const missing = [];
for (const [key, entry] of Object.entries(lock.packages)) {
  const base = key === "" ? "" : `${key}/`;
  for (const [dep, range] of Object.entries(entry.optionalDependencies ?? {})) {
    if (lock.packages[`node_modules/${dep}`] || lock.packages[`${base}node_modules/${dep}`]) continue;
    const version = String(range).replace(/^[~^=]/, "");
    missing.push({ key: `node_modules/${dep}`, entry: { version, ...platformOf(dep), optional: true } });
  }
}
if (process.argv.includes("--check")) {
  for (const m of missing) console.error(`missing from package-lock.json: ${m.key}@${m.entry.version}`);
  process.exit(missing.length ? 1 : 0);
}
for (const m of missing) lock.packages[m.key] = m.entry;
const sorted = {};
for (const key of Object.keys(lock.packages).sort((a, b) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : a > b ? 1 : 0))) {
  sorted[key] = lock.packages[key];
}
lock.packages = sorted;
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(missing.length ? `added ${missing.length} optional platform entries` : "package-lock.json lists every optional platform package");
