/**
 * Proves one circuit on request, in a process of its own (so peak RSS is that circuit's), for the
 * circuit bench, which forks one per circuit and asks each in turn for one proof at a time:
 *   fork("bench/prove-worker.ts", [<name>, <wasm>, <zkey>, <vkey.json>, <input.json>])
 * It makes one warm-up proof and replies `{ ready }`; then each "prove" message gets one proof's
 * witness and proving times and where proving went (from snarkjs's own progress messages), and
 * "finish" gets warm verification times and the peak RSS, after which the process exits.
 */
import { readFileSync } from "node:fs";
import * as snarkjs from "snarkjs";

/**
 * This process's peak resident memory. Linux keeps getrusage's maxRSS across execve, so a child
 * would report its parent's peak if that was higher; VmHWM in /proc belongs to this image alone.
 */
function peakRssMb(): number {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync("/proc/self/status", "utf8"));
    if (hwm?.[1]) return Number(hwm[1]) / 1024;
  } catch {
    // Not Linux: fall back to getrusage.
  }
  return process.resourceUsage().maxRSS / 1024;
}

/** Proving phases, keyed by the snarkjs progress message that starts them (groth16_prove.js). */
const PHASES = [
  ["Building ABC", "qap"],
  ["IFFT_A", "fft"],
  ["Join ABC", "fft"],
  ["Reading A Points", "msmWires"],
  ["Reading H Points", "msmH"],
] as const;
export type Phase = (typeof PHASES)[number][1];

/** One proof's times, as the worker reports them. */
export interface ProofTiming {
  witnessMs: number;
  proveMs: number;
  phasesMs: Record<Phase, number>;
}

/** What "finish" reports. */
export interface WorkerSummary {
  verifyMs: number[];
  maxRssMb: number;
}

/** A snarkjs logger that adds the time between phase marks to `into`; `finish` closes the last. */
function phaseTimer(into: Record<Phase, number>) {
  let current: Phase | undefined;
  let since = 0;
  const mark = (next: Phase | undefined) => {
    const now = performance.now();
    if (current) into[current] += now - since;
    current = next;
    since = now;
  };
  const debug = (message: string) => {
    const phase = PHASES.find(([prefix]) => message.startsWith(prefix));
    if (phase) mark(phase[1]);
  };
  const ignore = () => {};
  return { logger: { debug, info: ignore, warn: ignore, error: ignore }, finish: () => mark(undefined) };
}

async function main(): Promise<void> {
  const [name, wasm, zkey, vkeyPath, inputPath] = process.argv.slice(2);
  if (!name || !wasm || !zkey || !vkeyPath || !inputPath || !process.send)
    throw new Error("usage: fork bench/prove-worker.ts <name> <wasm> <zkey> <vkey> <input> (with an IPC channel)");
  const send = process.send.bind(process);
  const input = JSON.parse(readFileSync(inputPath, "utf8")) as Record<string, unknown>;
  const vkey = JSON.parse(readFileSync(vkeyPath, "utf8")) as Record<string, unknown>;
  let last: { proof: unknown; publicSignals: string[] } | undefined;

  const proveOnce = async (): Promise<ProofTiming> => {
    const t0 = performance.now();
    const wtns: { type: "mem"; data?: Uint8Array } = { type: "mem" };
    await snarkjs.wtns.calculate(input, wasm, wtns);
    const t1 = performance.now();
    const phasesMs: Record<Phase, number> = { qap: 0, fft: 0, msmWires: 0, msmH: 0 };
    const timer = phaseTimer(phasesMs);
    last = await snarkjs.groth16.prove(zkey, wtns, timer.logger);
    timer.finish();
    return { witnessMs: t1 - t0, proveMs: performance.now() - t1, phasesMs };
  };

  const finish = async (): Promise<WorkerSummary> => {
    if (!last) throw new Error(`${name}: no proof made`);
    const verifyMs: number[] = [];
    for (let i = -1; i < 20; i++) {
      const t0 = performance.now();
      const ok = await snarkjs.groth16.verify(vkey, last.publicSignals, last.proof);
      if (!ok) throw new Error(`${name}: proof did not verify`);
      if (i >= 0) verifyMs.push(performance.now() - t0);
    }
    return { verifyMs, maxRssMb: peakRssMb() };
  };

  // One warm-up proof first: the first call builds the curve and its worker threads.
  await proveOnce();
  process.on("message", (message: unknown) => {
    const reply =
      message === "prove" ? proveOnce() : message === "finish" ? finish() : Promise.reject(new Error(`unknown request ${String(message)}`));
    reply.then(
      (result) => {
        send(result);
        if (message === "finish") process.exit(0);
      },
      (error: unknown) => {
        send({ error: error instanceof Error ? error.message : String(error) });
        process.exit(1);
      },
    );
  });
  send({ ready: true });
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
