/**
 * Measures one circuit in a process of its own (so peak RSS is that circuit's): witness and
 * proving times over RUNS proofs, warm verification time, and prints one JSON line.
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

const [name, wasm, zkey, vkeyPath, inputPath, runsText] = process.argv.slice(2);
if (!name || !wasm || !zkey || !vkeyPath || !inputPath || !runsText)
  throw new Error("usage: prove-worker <name> <wasm> <zkey> <vkey> <input> <runs>");
const input = JSON.parse(readFileSync(inputPath, "utf8")) as Record<string, unknown>;
const vkey = JSON.parse(readFileSync(vkeyPath, "utf8")) as Record<string, unknown>;
const runs = Number(runsText);

const witnessMs: number[] = [];
const proveMs: number[] = [];
const verifyMs: number[] = [];
let last: { proof: unknown; publicSignals: string[] } | undefined;
// One warm-up proof first: the first call builds the curve and its worker threads.
for (let i = -1; i < runs; i++) {
  const t0 = performance.now();
  const wtns: { type: "mem"; data?: Uint8Array } = { type: "mem" };
  await snarkjs.wtns.calculate(input, wasm, wtns);
  const t1 = performance.now();
  last = await snarkjs.groth16.prove(zkey, wtns);
  const t2 = performance.now();
  if (i >= 0) {
    witnessMs.push(t1 - t0);
    proveMs.push(t2 - t1);
  }
}
if (!last) throw new Error("no proof made");
for (let i = -1; i < 20; i++) {
  const t0 = performance.now();
  const ok = await snarkjs.groth16.verify(vkey, last.publicSignals, last.proof);
  if (!ok) throw new Error(`${name}: proof did not verify`);
  if (i >= 0) verifyMs.push(performance.now() - t0);
}
process.stdout.write(`${JSON.stringify({ name, witnessMs, proveMs, verifyMs, maxRssMb: peakRssMb() })}\n`);
process.exit(0);
