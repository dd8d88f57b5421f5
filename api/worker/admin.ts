/**
 * `POST /v1/admin/tokens` (Worker only): how a deployment gets its first tokens, since a Worker has
 * no CLI next to its store. Enabled only when the secret `VIRKER_ADMIN_TOKEN` (at least 32
 * characters) is set, and only for a caller presenting exactly that secret as bearer token. The new
 * token is shown once; the registry audit chain records it as made by `system`.
 */
import { z } from "zod";
import { sha256 } from "@noble/hashes/sha2.js";
import { utf8ToBytes } from "@noble/hashes/utils.js";
import type { App } from "../app.ts";
import { StoreError } from "../store/store.ts";
import { createToken } from "../tokens.ts";

const Body = z.strictObject({
  role: z.enum(["agency", "municipality", "researcher"]),
  site: z.string().min(1).max(64).optional(),
  name: z.string().min(1).max(200),
});

const fail = (status: number, code: string, message: string) => Response.json({ error: { code, message } }, { status });

/** Equal texts, compared by their SHA-256 in time independent of where they differ. */
function sameSecret(a: string, b: string): boolean {
  const x = sha256(utf8ToBytes(a));
  const y = sha256(utf8ToBytes(b));
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
  return diff === 0;
}

export async function adminTokens(request: Request, adminSecret: string | undefined, app: () => Promise<App>): Promise<Response> {
  if (typeof adminSecret !== "string" || adminSecret.length < 32) {
    return fail(404, "not_found", "ingen rute / no route (set the secret VIRKER_ADMIN_TOKEN to enable token administration)");
  }
  if (request.method !== "POST") return fail(405, "method_not_allowed", "kun POST / only POST");
  const presented = /^Bearer[ \t]+(\S+)$/i.exec(request.headers.get("authorization") ?? "")?.[1] ?? "";
  if (!sameSecret(presented, adminSecret)) return fail(401, "unauthorized", "ugyldig administratornøgle / invalid admin token");
  let parsed;
  try {
    parsed = Body.safeParse(await request.json());
  } catch {
    return fail(400, "bad_request", "ugyldig JSON i forespørgslen / malformed JSON in the request body");
  }
  if (!parsed.success) return fail(400, "bad_request", "forespørgslen er ugyldig / the request is invalid: role, name and (for a municipality) site");
  const { deps } = await app();
  try {
    const { token, record } = await createToken(deps.store, {
      role: parsed.data.role,
      site: parsed.data.site ?? null,
      name: parsed.data.name,
      at: deps.clock().toISOString(),
      actor: { tokenId: null, role: "system" },
      random: deps.random,
    });
    return Response.json({ token, id: record.id, role: record.role, site: record.site, name: record.name }, { status: 201 });
  } catch (e) {
    if (e instanceof TypeError || e instanceof StoreError) return fail(400, "bad_request", e.message);
    throw e;
  }
}
