/**
 * Circuits the benchmark measures beside the claim (the Semaphore anchor, the measurement-only
 * variants): compiled with the claim's toolchain (circom2 --O2) and given the same deterministic,
 * INSECURE development setup, so that every circuit in a comparison is built alike. Cached in
 * the circuit's folder under a stamp over its files, the sources they include and the toolchain.
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import * as snarkjs from "snarkjs";
import { compileCircuit, hashSources, toolchainVersions } from "../scripts/lib/circuits.ts";
import { ensureDevPtau } from "../scripts/lib/ptau.ts";

export interface BenchCircuit {
  wasm: string;
  zkey: string;
  vkey: string;
  constraints: number;
}

export interface BenchCircuitSpec {
  /** What the circuit is, for logs and the zkey's beacon label. */
  what: string;
  /** Output folder (inside the repository: circom2 cannot reach above it). */
  dir: string;
  /** The main component's file is `${name}.circom`, written into `dir` with `files`. */
  name: string;
  /** Files to write into `dir` (their text is part of the stamp). */
  files: Record<string, string>;
  /** Library files the circuit includes whose changes must rebuild it. */
  sources: string[];
  /** Include folders beyond the project's own. */
  includes: string[];
}

export async function buildBenchCircuit(log: Logger, spec: BenchCircuitSpec): Promise<BenchCircuit> {
  const { dir, name } = spec;
  const out = {
    wasm: join(dir, `${name}_js`, `${name}.wasm`),
    zkey: join(dir, `${name}.dev-insecure.zkey`),
    vkey: join(dir, "verification_key.json"),
  };
  const stampFile = join(dir, "stamp.json");
  const stamp = JSON.stringify({ sources: hashSources(spec.sources), files: spec.files, toolchain: toolchainVersions() });
  if (existsSync(stampFile) && existsSync(out.zkey)) {
    const cached = JSON.parse(readFileSync(stampFile, "utf8")) as { stamp: string; constraints: number };
    if (cached.stamp === stamp) return { ...out, constraints: cached.constraints };
  }
  await mkdir(dir, { recursive: true });
  for (const [file, text] of Object.entries(spec.files)) await writeFile(join(dir, file), text);
  log.info({ circuit: spec.what }, "bench circuit: compiling (--O2)");
  const compiled = await compileCircuit(join(dir, `${name}.circom`), dir, spec.includes);
  const ptau = await ensureDevPtau(log);
  log.info({ circuit: spec.what, constraints: compiled.constraints }, "bench circuit: groth16 setup");
  const initial = join(dir, `${name}.0000.zkey`);
  await snarkjs.zKey.newZKey(compiled.r1cs, ptau, initial);
  await snarkjs.zKey.beacon(initial, out.zkey, `${spec.what} (INSECURE)`, "00".repeat(32), 10);
  await writeFile(out.vkey, JSON.stringify(await snarkjs.zKey.exportVerificationKey(out.zkey)));
  await writeFile(stampFile, JSON.stringify({ stamp, constraints: compiled.constraints }));
  return { ...out, constraints: compiled.constraints };
}
