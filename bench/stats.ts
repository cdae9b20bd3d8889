import type { Logger } from "pino";
import { scriptLogger } from "../scripts/lib/log.ts";
import { releaseProver } from "../service/sdk/index.ts";

/** Order statistics for benchmark samples. */
export function quantile(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  if (sorted.length === 0) throw new Error("no samples");
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

export const median = (samples: number[]): number => quantile(samples, 0.5);
export const p95 = (samples: number[]): number => quantile(samples, 0.95);

/** One benchmark figure, as docs/benchmarks.json records it. */
export interface BenchEntry {
  name: string;
  value: number;
  unit: string;
  /** The reference figure measured in the same run (or published), if any. */
  anchor: number | null;
  /** value / anchor, if there is an anchor. */
  ratio: number | null;
}

export function entry(name: string, value: number, unit: string, anchor: number | null = null): BenchEntry {
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return { name, value: round(value), unit, anchor: anchor === null ? null : round(anchor), ratio: anchor ? round(value / anchor) : null };
}

/** Runs one benchmark part as a script of its own (`node bench/<part>.ts`): prints its table and figures. */
export function runAlone(name: string, part: (log: Logger) => Promise<{ entries: BenchEntry[]; table: string }>): void {
  const log = scriptLogger("bench");
  part(log).then(
    async (result) => {
      process.stdout.write(`${result.table}\n`);
      for (const e of result.entries) log.info(e, e.name);
      await releaseProver();
      process.exit(0);
    },
    (error: unknown) => {
      log.error({ err: error }, `${name} benchmark failed`);
      process.exit(1);
    },
  );
}
