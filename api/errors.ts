/**
 * Expected failures of the API, as `{ "error": { "code", "message", "issues"? } }` with the fitting
 * status. Messages are Danish first with English alongside where a person will read them, and never
 * carry personal data.
 */
export type ErrorCode =
  | "bad_request"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "payload_too_large"
  | "unsupported_media_type"
  | "unprocessable"
  | "rate_limited"
  | "unavailable"
  | "not_implemented"
  | "internal";

export interface ErrorIssue {
  path: string;
  message: string;
  code?: string;
}

export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 501 | 503,
    readonly code: ErrorCode,
    message: string,
    readonly issues?: ErrorIssue[],
  ) {
    super(message);
  }
  body(): { error: { code: ErrorCode; message: string; issues?: ErrorIssue[] } } {
    return { error: { code: this.code, message: this.message, ...(this.issues ? { issues: this.issues } : {}) } };
  }
}

export const notFound = (what: string) => new ApiError(404, "not_found", `${what} findes ikke / ${what} not found`);

/** A Danish and English text as one message: Danish first, English after a slash. */
export const bilingual = (m: { da: string; en: string }) => `${m.da} / ${m.en}`;
