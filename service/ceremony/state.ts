/**
 * Opens a ceremony directory: reads the transcript and checks that the circuit files beside it and
 * the Powers of Tau are the ones it started from, so every later step works on the same inputs.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { CeremonyError, CeremonyErrorCode } from "./errors.ts";
import { blake2bFile, sha256File } from "./hashing.ts";
import { readTranscript, type Transcript } from "./transcript.ts";

export interface Ceremony {
  dir: string;
  transcript: Transcript;
  r1csPath: string;
  wasmPath: string;
  ptauPath: string;
}

export interface OpenOptions {
  /** Where the Powers of Tau is on this machine (default: the path `init` recorded). */
  ptau?: string;
}

export async function openCeremony(dir: string, options: OpenOptions = {}): Promise<Ceremony> {
  const root = resolve(dir);
  const transcript = await readTranscript(root);
  const r1csPath = join(root, transcript.circuit.r1cs);
  const wasmPath = join(root, transcript.circuit.wasm);
  for (const [path, expected] of [
    [r1csPath, transcript.circuit.r1csSha256],
    [wasmPath, transcript.circuit.wasmSha256],
  ] as const) {
    const actual = existsSync(path) ? await sha256File(path) : "missing";
    if (actual !== expected) {
      throw new CeremonyError(
        CeremonyErrorCode.CircuitMismatch,
        `${path} (sha256 ${actual}) is not the circuit file the ceremony started from (sha256 ${expected})`,
      );
    }
  }

  const ptauPath = resolve(options.ptau ?? transcript.ptau.path);
  if (!existsSync(ptauPath)) {
    throw new CeremonyError(
      CeremonyErrorCode.PtauMismatch,
      `the Powers of Tau ${ptauPath} is missing: pass --ptau with the path of ${transcript.ptau.file} (blake2b ${transcript.ptau.blake2b})`,
    );
  }
  const blake2b = await blake2bFile(ptauPath);
  if (blake2b !== transcript.ptau.blake2b) {
    throw new CeremonyError(
      CeremonyErrorCode.PtauMismatch,
      `${ptauPath} has blake2b ${blake2b}, but the ceremony started from ${transcript.ptau.file} with blake2b ${transcript.ptau.blake2b}`,
    );
  }
  return { dir: root, transcript, r1csPath, wasmPath, ptauPath };
}
