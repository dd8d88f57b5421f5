/**
 * `protocol-versions.json`: a trial's protocol versions, for a package of a trial that was amended.
 *
 *   { "versions": [ { "version": 1, "protocol_hash": "…", "at": "…", "reason": null,
 *                     "from_sequence": 0, "protocol": { …the version as frozen… } }, … ] }
 *
 * `from_sequence` is the allocation sequence of the first person allocated under that version
 * (null when nobody was). Every allocation was made under the version in force when it was made,
 * and the enrollment service, after an amendment, replays every earlier allocation under the new
 * version before it allocates again. So allocation i, made under version v, is re-derived by
 * allocating everyone up to i under v's design: `allocationVersions` says which version that is
 * for each allocation, and verify re-derives each run of allocations under its own version. A
 * trial amended after its last allocation (a site added to a stepped wedge, say) keeps all its
 * allocations under the earlier version, which the current protocol alone cannot re-derive.
 */
import { validateProtocolData, type Protocol } from "../../protocols/index.ts";

export const VERSIONS_FILE = "protocol-versions.json";

export interface PackageProtocolVersion {
  version: number;
  protocol_hash: string;
  at: string;
  reason: string | null;
  from_sequence: number | null;
  /** The version as frozen (canonical JSON parsed). */
  protocol: unknown;
}

export interface VersionsFile {
  versions: PackageProtocolVersion[];
}

/** The versions file for a package; null for a trial with one version (nothing to add). */
export function versionsJson(versions: readonly { version: number; protocolHash: string; protocolJson: string; at: string; reason: string | null }[], allocations: readonly { sequence: number; protocol_version: number }[]): string | null {
  if (versions.length < 2) return null;
  const first = new Map<number, number>();
  for (const a of allocations) {
    const seen = first.get(a.protocol_version);
    if (seen === undefined || a.sequence < seen) first.set(a.protocol_version, a.sequence);
  }
  const file: VersionsFile = {
    versions: versions.map((v) => ({ version: v.version, protocol_hash: v.protocolHash, at: v.at, reason: v.reason, from_sequence: first.get(v.version) ?? null, protocol: JSON.parse(v.protocolJson) as unknown })),
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

/**
 * The protocol version each allocation was made under, from the versions' `from_sequence`: the
 * latest version whose first allocation is at or before the allocation's sequence. Errors name
 * the version or the allocation.
 */
export function allocationVersions(file: VersionsFile, sequences: readonly number[]): { versions: Map<number, Protocol>; of: number[] } {
  const versions = new Map<number, Protocol>();
  for (const v of file.versions) {
    const parsed = validateProtocolData(v.protocol);
    if (!parsed.ok) throw new Error(`${VERSIONS_FILE}: version ${v.version} is not a valid protocol`);
    versions.set(v.version, parsed.protocol);
  }
  const starts = file.versions.filter((v) => v.from_sequence !== null).sort((a, b) => a.from_sequence! - b.from_sequence!);
  starts.forEach((v, i) => {
    if (i > 0 && v.version < starts[i - 1].version) throw new Error(`${VERSIONS_FILE}: version ${v.version} took effect after version ${starts[i - 1].version} (sequence ${v.from_sequence})`);
  });
  const of = sequences.map((s, i) => {
    let found: number | null = null;
    for (const v of starts) if (v.from_sequence! <= s) found = v.version;
    if (found === null) throw new Error(`${VERSIONS_FILE}: no version was in force at allocation ${i + 1} (sequence ${s})`);
    return found;
  });
  return { versions, of };
}
