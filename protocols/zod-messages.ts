/** zod's own messages in Danish and English ("dansk / English"), for every schema in the language. */
import { z } from "zod";

const da = z.locales.da().localeError;
const en = z.locales.en().localeError;
const text = (r: unknown): string => (typeof r === "string" ? r : ((r as { message?: string } | undefined)?.message ?? ""));

export const bilingualErrors: z.core.$ZodErrorMap = (issue) => `${text(da(issue))} / ${text(en(issue))}`;
