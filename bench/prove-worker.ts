/**
 * Measures one circuit in a process of its own (so peak RSS is that circuit's): witness and
 * proving times over RUNS proofs, where proving went (from snarkjs's own progress messages), warm
 * verification time, and prints one JSON line.
 *   node bench/prove-worker.ts <name> <wasm> <zkey> <vkey.json> <input.json> <runs>
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
type Phase = (typeof PHASES)[number][1];

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
  const debug = (message: unknown) => {
    const text = String(message);
    const phase = PHASES.find(([prefix]) => text.startsWith(prefix));
    if (phase) mark(phase[1]);
  };
  const ignore = () => {};
  return { logger: { debug, info: ignore, warn: ignore, error: ignore }, finish: () => mark(undefined) };
}

const [name, wasm, zkey, vkeyPath, inputPath, runsText] = process.argv.slice(2);
if (!name || !wasm || !zkey || !vkeyPath || !inputPath || !runsText)
  throw new Error("usage: prove-worker <name> <wasm> <zkey> <vkey> <input> <runs>");
const input = JSON.parse(readFileSync(inputPath, "utf8")) as Record<string, unknown>;
const vkey = JSON.parse(readFileSync(vkeyPath, "utf8")) as Record<string, unknown>;
const runs = Number(runsText);

const witnessMs: number[] = [];
const proveMs: number[] = [];
const verifyMs: number[] = [];
const phasesMs: Record<Phase, number[]> = { qap: [], fft: [], msmWires: [], msmH: [] };
let last: { proof: unknown; publicSignals: string[] } | undefined;
// One warm-up proof first: the first call builds the curve and its worker threads.
for (let i = -1; i < runs; i++) {
  const t0 = performance.now();
  const wtns: { type: "mem"; data?: Uint8Array } = { type: "mem" };
  await snarkjs.wtns.calculate(input, wasm, wtns);
  const t1 = performance.now();
  const phases: Record<Phase, number> = { qap: 0, fft: 0, msmWires: 0, msmH: 0 };
  const timer = phaseTimer(phases);
  last = await snarkjs.groth16.prove(zkey, wtns, timer.logger);
  timer.finish();
  const t2 = performance.now();
  if (i >= 0) {
    witnessMs.push(t1 - t0);
    proveMs.push(t2 - t1);
    for (const [phase, ms] of Object.entries(phases)) phasesMs[phase as Phase].push(ms);
  }
}
if (!last) throw new Error("no proof made");
for (let i = -1; i < 20; i++) {
  const t0 = performance.now();
  const ok = await snarkjs.groth16.verify(vkey, last.publicSignals, last.proof);
  if (!ok) throw new Error(`${name}: proof did not verify`);
  if (i >= 0) verifyMs.push(performance.now() - t0);
}
process.stdout.write(`${JSON.stringify({ name, witnessMs, proveMs, phasesMs, verifyMs, maxRssMb: peakRssMb() })}\n`);
process.exit(0);
