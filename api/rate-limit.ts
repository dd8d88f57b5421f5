/**
 * Per-token rate limit on enrollment: a token bucket in memory, keyed by token id. Each enrollment
 * request (a single enrollment, or one bulk upload) takes one token from the caller's bucket; the
 * bucket refills at `perSecond` up to `burst`. An empty bucket answers 429 with `Retry-After` (whole
 * seconds until a token is back). Besides protecting the writer, it slows anyone trying CPR numbers
 * one after another to learn who is enrolled (a repeat answers 200).
 *
 * The defaults are far above what a jobcentre does by hand and above what one integration needs
 * (a bulk upload is one request), so that only a runaway or misused token meets them.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./context.ts";
import { ApiError } from "./errors.ts";

export interface RateLimitOptions {
  /** Tokens added per second (default 5,000). */
  perSecond?: number;
  /** Bucket size: the largest burst (default 5,000). */
  burst?: number;
}

export const DEFAULT_RATE_LIMIT = { perSecond: 5000, burst: 5000 } as const;

interface Bucket {
  tokens: number;
  at: number;
}

/** The token-bucket arithmetic, with time passed in (milliseconds). */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  readonly perSecond: number;
  readonly burst: number;

  constructor(options: RateLimitOptions = {}) {
    this.perSecond = options.perSecond ?? DEFAULT_RATE_LIMIT.perSecond;
    this.burst = options.burst ?? DEFAULT_RATE_LIMIT.burst;
    if (!(this.perSecond > 0) || !(this.burst >= 1)) throw new RangeError(`invalid rate limit; perSecond must be > 0 and burst >= 1: ${this.perSecond}, ${this.burst}`);
  }

  /** Takes one token for `key`; returns 0 if granted, else the seconds to wait (at least 1). */
  take(key: string, now: number): number {
    let b = this.buckets.get(key);
    if (b === undefined) {
      b = { tokens: this.burst, at: now };
      this.buckets.set(key, b);
    } else if (now > b.at) {
      b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.perSecond);
      b.at = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.perSecond));
  }
}

/** Middleware for the enrollment routes (POST only); the caller must already be authenticated. */
export function enrollmentRateLimit(options: RateLimitOptions = {}, clock: () => Date): MiddlewareHandler<AppEnv> {
  const buckets = new TokenBuckets(options);
  return async (c, next) => {
    const principal = c.get("principal");
    if (c.req.method === "POST" && principal) {
      const wait = buckets.take(principal.tokenId, clock().getTime());
      if (wait > 0) {
        c.header("Retry-After", String(wait));
        throw new ApiError(429, "rate_limited", `for mange tilmeldinger fra denne token; prøv igen om ${wait} s / too many enrollments from this token; retry in ${wait} s`);
      }
    }
    await next();
  };
}
