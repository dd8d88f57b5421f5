/**
 * What every route may use: the injected parts and the caller. Routes read the caller from
 * `c.var.principal` (null = the public) and check roles with `requireRole`.
 */
import type { Protocol } from "../protocols/index.ts";
import { ApiError } from "./errors.ts";
import type { EnrollmentService } from "./enrollment/service.ts";
import type { PseudonymKey } from "./pseudonym.ts";
import type { RegisterBackend } from "./register-port.ts";
import type { Role, Store } from "./store/store.ts";
import type { Principal, RandomBytes } from "./tokens.ts";

/** One protocol the server offers: its id, canonical hash, parsed form and source text. */
export interface ProtocolEntry {
  id: string;
  hash: string;
  protocol: Protocol;
  source: string;
}

/** Where protocols come from: the shipped folder in Node, bundled files in a Worker. */
export interface ProtocolSource {
  list(): ProtocolEntry[];
  get(id: string): ProtocolEntry | undefined;
}

export interface Deps {
  store: Store;
  key: PseudonymKey;
  clock: () => Date;
  random: RandomBytes;
  protocols: ProtocolSource;
  enrollment: EnrollmentService;
  /** The register import, where the server has one (Node with DuckDB); absent → 501. */
  registers?: RegisterBackend;
  /** Clears the process's cache of valid tokens (after a revocation). */
  forgetTokens: () => void;
}

export type AppEnv = { Variables: { principal: Principal | null; deps: Deps } };

/** The caller, if they hold one of `roles`; 401 for the public, 403 for another role. */
export function requireRole(principal: Principal | null, ...roles: Role[]): Principal {
  if (principal === null) throw new ApiError(401, "unauthorized", "log ind med en token / a bearer token is required");
  if (!roles.includes(principal.role)) {
    throw new ApiError(403, "forbidden", `rollen ${principal.role} må ikke dette / role ${principal.role} may not do this`);
  }
  return principal;
}

/** The audit actor for a caller (the public acts as `public`). */
export const actorOf = (p: Principal | null) => (p ? { tokenId: p.tokenId, role: p.role } : { tokenId: null, role: "public" as const });
