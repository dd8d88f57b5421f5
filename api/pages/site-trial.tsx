/** What the municipality's pages share: the trial at the caseworker's own site, arm names, headings. */
import type { Context } from "hono";
import type { Arm, Protocol } from "../../protocols/index.ts";
import { protocolOfVersion } from "../enrollment/service.ts";
import type { TrialRecord } from "../store/store.ts";
import { Lbl } from "./layout.tsx";
import { PageError, type PageEnv } from "./page-context.ts";
import type { Session } from "./session.ts";

/** The trial and its current protocol, if the caseworker's site takes part in it. */
export async function siteTrial(c: Context<PageEnv>, session: Session, trialId: string): Promise<{ record: TrialRecord; protocol: Protocol }> {
  const record = /^[a-z0-9][a-z0-9-]{0,63}$/.test(trialId) ? await c.var.deps.store.getTrial(trialId) : null;
  if (!record) throw new PageError(404, "Forsøget findes ikke", "No such trial");
  const { protocol } = protocolOfVersion(record);
  if (!protocol.sites.some((s) => s.id === session.principal.site)) throw new PageError(404, "Dit sted deltager ikke i forsøget", "Your site is not part of the trial");
  return { record, protocol };
}

export const armOf = (protocol: Protocol, id: string): Arm | undefined => protocol.arms.find((a) => a.id === id);
export const ArmName = (props: { protocol: Protocol; arm: string }) => {
  const arm = armOf(props.protocol, props.arm);
  return arm ? <Lbl label={arm.label} /> : <>{props.arm}</>;
};

export const dateTime = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

export const noStore = (c: Context) => c.header("cache-control", "no-store");

export function TrialHeading(props: { protocol: Protocol; record: TrialRecord }) {
  return (
    <p>
      <Lbl label={props.protocol.title} /> · <code>{props.record.id}</code>
    </p>
  );
}
