/**
 * Helpers for driving a relayer process on this machine as several clients would: an HTTP call
 * from a chosen loopback address (127.0.0.x; the relayer keys its per-client limits by address),
 * and the relayer's verifier processes found in /proc. Used by the relayer tests and benchmarks.
 */
import { readdirSync, readFileSync } from "node:fs";
import { request } from "node:http";

export interface LoopbackReply<B = Record<string, unknown>> {
  status: number;
  /** The reply parsed as JSON ({} if it is not JSON). */
  body: B;
  ms: number;
}

/** One HTTP request from `localAddress`; rejects if no answer arrives within `timeoutMs`. */
export function callFrom<B = Record<string, unknown>>(
  url: string,
  method: "GET" | "POST",
  body: unknown,
  localAddress: string,
  timeoutMs = 20_000,
): Promise<LoopbackReply<B>> {
  const started = performance.now();
  const target = new URL(url);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method,
        localAddress,
        signal: AbortSignal.timeout(timeoutMs),
        headers: payload ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } : {},
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => {
          let parsed = {} as B;
          try {
            parsed = JSON.parse(text) as B;
          } catch {
            parsed = {} as B;
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, ms: performance.now() - started });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    if (payload) req.write(payload);
    req.end();
  });
}

/** The process ids of `parent`'s verifier processes (its children running verify-worker), from /proc. */
export function verifierPids(parent: number | undefined): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so split after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid !== parent) continue;
      if (readFileSync(`/proc/${name}/cmdline`, "utf8").includes("verify-worker")) pids.push(Number(name));
    } catch {
      // The process ended meanwhile.
    }
  }
  return pids;
}
