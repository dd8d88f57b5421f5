/**
 * The HTTP load generator the enrollment benchmarks share: closed-loop clients on keep-alive
 * sockets against 127.0.0.1 for a fixed time, with latencies, and distinct valid CPR numbers.
 */
import http from "node:http";

export interface Run {
  requests: number;
  errors: number;
  latencies: number[];
}

export interface LoadRequest {
  method?: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** `connections` clients, each sending its next request when the last one is answered, for `seconds`. */
export async function load(port: number, seconds: number, connections: number, makeRequest: () => LoadRequest, expect: readonly number[]): Promise<Run> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const run: Run = { requests: 0, errors: 0, latencies: [] };
  const until = performance.now() + seconds * 1000;
  const one = () =>
    new Promise<void>((resolve) => {
      const r = makeRequest();
      const t0 = performance.now();
      const req = http.request({ host: "127.0.0.1", port, method: r.method ?? "POST", path: r.path, headers: r.headers, agent }, (res) => {
        res.resume();
        res.on("end", () => {
          run.latencies.push(performance.now() - t0);
          run.requests++;
          if (!expect.includes(res.statusCode ?? 0)) run.errors++;
          resolve();
        });
      });
      req.on("error", () => {
        run.errors++;
        resolve();
      });
      req.end(r.body);
    });
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < until) await one();
    }),
  );
  agent.destroy();
  return run;
}

export const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

let citizen = 0;
/** A distinct valid CPR per call: born 1970–99 (7th digit 0: the 1900s), up to 10 million. */
export function nextCpr(): string {
  const n = citizen++;
  const day = String((n % 28) + 1).padStart(2, "0");
  const month = String((Math.floor(n / 28) % 12) + 1).padStart(2, "0");
  const year = String(70 + (Math.floor(n / 336) % 30));
  return `${day}${month}${year}-${String(Math.floor(n / 10080)).padStart(4, "0")}`;
}
