/**
 * The shipped protocols (protocols/*.yaml) bundled into the Worker as text: wrangler's `Text` rule
 * in wrangler.toml, a small Vite transform in the worker test project. A Worker has no file system,
 * so the list is explicit; tests/worker/protocols.test.ts checks it against the folder.
 */
import { formatProblem, loadProtocol } from "../../protocols/index.ts";
import type { ProtocolEntry, ProtocolSource } from "../context.ts";
import brobygning from "../../protocols/brobygning.yaml";
import ipsSevereMentalIllness from "../../protocols/ips-severe-mental-illness.yaml";
import mentorYouth from "../../protocols/mentor-youth.yaml";
import volunteerMentors from "../../protocols/volunteer-mentors.yaml";

/** File name → text of every bundled protocol file. */
export const BUNDLED_PROTOCOL_FILES: Readonly<Record<string, string>> = Object.freeze({
  "brobygning.yaml": brobygning,
  "ips-severe-mental-illness.yaml": ipsSevereMentalIllness,
  "mentor-youth.yaml": mentorYouth,
  "volunteer-mentors.yaml": volunteerMentors,
});

/** Parses the bundled files once; an invalid shipped protocol is a build error, thrown at start. */
export function bundledProtocols(files: Readonly<Record<string, string>> = BUNDLED_PROTOCOL_FILES): ProtocolSource {
  const entries = new Map<string, ProtocolEntry>();
  for (const name of Object.keys(files).sort()) {
    const source = files[name];
    const loaded = loadProtocol(source, `protocols/${name}`);
    if (!loaded.ok) throw new Error(`shipped protocol protocols/${name} is invalid:\n${loaded.problems.map(formatProblem).join("\n")}`);
    entries.set(loaded.protocol.id, { id: loaded.protocol.id, hash: loaded.hash, protocol: loaded.protocol, source });
  }
  return { list: () => [...entries.values()], get: (id) => entries.get(id) };
}
