/**
 * `init`: starts a ceremony directory from a circuit and a Powers of Tau. Copies the circuit's r1cs
 * and wasm beside the transcript (contributors verify against them), runs `groth16 setup` for the
 * initial zkey, and writes the transcript.
 */
import { existsSync } from "node:fs";
import { copyFile, mkdir, rm } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import type { Logger } from "pino";
import * as snarkjs from "snarkjs";
import { readR1csHeader, requiredPower } from "./binfile.ts";
import { CeremonyError, CeremonyErrorCode } from "./errors.ts";
import { sha256File, toHex } from "./hashing.ts";
import { silentLogger, snarkLogger } from "./progress.ts";
import { checkPtau } from "./ptau.ts";
import { assertSnarkjsPin, snarkjsVersion } from "./toolchain.ts";
import { TRANSCRIPT_FORMAT, type Transcript, transcriptPath, writeTranscript, zkeyFileName } from "./transcript.ts";

export interface InitOptions {
  ptau: string;
  r1cs: string;
  /** The circuit's witness calculator (default: `<name>_js/<name>.wasm` beside the r1cs, as circom writes it). */
  wasm?: string;
  dir: string;
  /** Accept a Powers of Tau whose hash is not published: an INSECURE development setup. */
  dev?: boolean;
  log?: Logger;
}

export async function initCeremony(options: InitOptions): Promise<Transcript> {
  assertSnarkjsPin();
  const log = options.log ?? silentLogger;
  const dir = resolve(options.dir);
  const r1csPath = resolve(options.r1cs);
  const ptauPath = resolve(options.ptau);
  const name = basename(r1csPath).replace(/\.r1cs$/, "");
  const wasmPath = resolve(options.wasm ?? join(dirname(r1csPath), `${name}_js`, `${name}.wasm`));

  if (existsSync(transcriptPath(dir))) {
    throw new CeremonyError(CeremonyErrorCode.CeremonyExists, `${dir} already holds a ceremony (${basename(transcriptPath(dir))})`);
  }
  log.info({ ptau: ptauPath }, "checking the Powers of Tau against the published hashes");
  const ptau = await checkPtau(ptauPath, { dev: options.dev ?? false });
  if (ptau.published) log.info({ published: ptau.published }, "the Powers of Tau is a published file");
  else log.warn({ blake2b: ptau.blake2b }, "development setup: the Powers of Tau is not a published file (INSECURE)");

  let r1cs: Awaited<ReturnType<typeof readR1csHeader>>;
  try {
    r1cs = await readR1csHeader(r1csPath);
  } catch (error) {
    throw new CeremonyError(
      CeremonyErrorCode.CircuitInvalid,
      `cannot read the circuit ${r1csPath}: ${(error as Error).message}`,
      {},
      { cause: error },
    );
  }
  const needed = requiredPower(r1cs);
  if (needed > ptau.power) {
    throw new CeremonyError(
      CeremonyErrorCode.CircuitTooBig,
      `the circuit (${r1cs.nConstraints} constraints) needs a Powers of Tau of power ${needed}; ${basename(ptauPath)} has power ${ptau.power}`,
    );
  }
  if (!existsSync(wasmPath)) {
    throw new CeremonyError(
      CeremonyErrorCode.WasmNotFound,
      `the circuit's wasm ${wasmPath} is missing (compile with --wasm, or pass --wasm)`,
    );
  }

  await mkdir(dir, { recursive: true });
  const r1csFile = `${name}.r1cs`;
  const wasmFile = `${name}.wasm`;
  await copyFile(r1csPath, join(dir, r1csFile));
  await copyFile(wasmPath, join(dir, wasmFile));

  const initialFile = zkeyFileName(name, 0);
  const initialPath = join(dir, initialFile);
  log.info({ constraints: r1cs.nConstraints, zkey: initialFile }, "groth16 setup: the initial zkey");
  const logger = snarkLogger(log, "groth16 setup", true);
  const circuitHash = await snarkjs.zKey.newZKey(join(dir, r1csFile), ptauPath, initialPath, logger);
  if (!(circuitHash instanceof Uint8Array)) {
    await rm(initialPath, { force: true });
    throw new CeremonyError(CeremonyErrorCode.SetupFailed, `groth16 setup failed: ${logger.errors.at(-1) ?? "no reason given"}`);
  }

  const transcript: Transcript = {
    format: TRANSCRIPT_FORMAT,
    development: ptau.published === null,
    createdAt: new Date().toISOString(),
    snarkjs: snarkjsVersion(),
    circuit: {
      name,
      r1cs: r1csFile,
      r1csSha256: await sha256File(join(dir, r1csFile)),
      wasm: wasmFile,
      wasmSha256: await sha256File(join(dir, wasmFile)),
      constraints: r1cs.nConstraints,
      publicSignals: r1cs.nPubInputs + r1cs.nOutputs,
      circuitHash: toHex(circuitHash),
    },
    ptau: { path: ptauPath, file: basename(ptauPath), power: ptau.power, blake2b: ptau.blake2b, published: ptau.published },
    initial: { zkey: initialFile, sha256: await sha256File(initialPath) },
    contributions: [],
    beacon: null,
    final: null,
  };
  await writeTranscript(dir, transcript);
  log.info({ dir, circuitHash: transcript.circuit.circuitHash }, "initialised");
  return transcript;
}
