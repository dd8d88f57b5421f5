/**
 * The protocol format as JSON Schema (draft 2020-12), for editors: save the output of
 * `npx virker protocol schema > protocol.schema.json` and point the YAML language server at it
 * (`# yaml-language-server: $schema=protocol.schema.json`) to get completion and shape checks
 * while writing. It describes shapes only; the cross-field rules need `virker protocol validate`.
 */
import { z } from "zod";
import { ProtocolSchema } from "./schema.ts";

export function protocolJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ProtocolSchema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
}
