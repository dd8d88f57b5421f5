/** What every page handler has: the app's deps, the session (if any), and the app to call its own API. */
import type { Hono } from "hono";
import type { AppEnv } from "../context.ts";
import type { Role } from "../store/store.ts";
import type { Session } from "./session.ts";

export type PageEnv = { Variables: AppEnv["Variables"] & { session: Session | null } };

/** The app whose API routes the pages call (`callApi`). */
export type ApiApp = Pick<Hono<any>, "request">; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A page that cannot be shown: its status and a bilingual message. */
export class PageError extends Error {
  override name = "PageError";
  constructor(
    readonly status: 401 | 403 | 404 | 409 | 400,
    readonly da: string,
    readonly en: string,
  ) {
    super(`${da} / ${en}`);
  }
}

/** The session, if its role is one of `roles`; else 401 (not signed in) or 403. */
export function requireSession(session: Session | null, ...roles: Role[]): Session {
  if (session === null) throw new PageError(401, "Log ind for at se denne side", "Sign in to see this page");
  if (!roles.includes(session.principal.role)) throw new PageError(403, "Din rolle har ikke adgang til denne side", "Your role may not see this page");
  return session;
}
