/**
 * Ceremony test fixtures: a small local Powers of Tau (power 8, made in seconds with the same
 * snarkjs steps a public ceremony takes), the tiny multiplier circuit, a byte-flipping tamper, and
 * the on-chain check of an exported verifier (compiled with solc, deployed to Hardhat's in-process
 * network).
 */

import { mkdir, mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { network } from "hardhat";
import * as snarkjs from "snarkjs";
import type { Abi, Hex } from "viem";
import { compileCircuit } from "../../scripts/lib/circuits.ts";
import { readBinFile } from "../../service/ceremony/binfile.ts";
import { toSolidityProof } from "../../service/sdk/encoding.ts";

export const MULTIPLIER = join(import.meta.dirname, "..", "fixtures", "ceremony", "multiplier.circom");

/** A prepared Powers of Tau of `power`, with one contribution and a beacon (an unpublished file). */
export async function makeSmallPtau(dir: string, power = 8): Promise<string> {
  await mkdir(dir, { recursive: true });
  const curve = await snarkjs.curves.getCurveFromName("bn128");
  const fresh = join(dir, "pot_0000.ptau");
  const contributed = join(dir, "pot_0001.ptau");
  const beaconed = join(dir, "pot_beacon.ptau");
  const prepared = join(dir, `pot${power}_test.ptau`);
  await snarkjs.powersOfTau.newAccumulator(curve, power, fresh);
  await snarkjs.powersOfTau.contribute(fresh, contributed, "test contributor", "test entropy");
  await snarkjs.powersOfTau.beacon(contributed, beaconed, "test beacon", "0102030405060708090a0b0c0d0e0f10", 10);
  await snarkjs.powersOfTau.preparePhase2(beaconed, prepared);
  return prepared;
}

/** The same accumulator before `prepare phase2`: a valid ptau that cannot set up a zkey. */
export function unpreparedPtau(dir: string): string {
  return join(dir, "pot_beacon.ptau");
}

export async function compileMultiplier(outDir: string): Promise<{ r1cs: string; wasm: string }> {
  await mkdir(outDir, { recursive: true });
  const { r1cs, wasm } = await compileCircuit(MULTIPLIER, outDir);
  return { r1cs, wasm };
}

/**
 * Flips 4 bytes of a zkey section (9 = H, 8 = L, 10 = the contributions), in its middle or at
 * `offset`: the file still parses, the values are wrong.
 */
export interface CeremonyWorkspace {
  /** A fresh temporary directory, removed by `remove`. */
  work: string;
  /** A power-8 development Powers of Tau inside it. */
  ptau: string;
  /** The multiplier circuit compiled inside it. */
  circuit: { r1cs: string; wasm: string };
  remove(): Promise<void>;
}

/** A temporary directory with a small Powers of Tau and the compiled multiplier circuit. */
export async function ceremonyWorkspace(prefix: string): Promise<CeremonyWorkspace> {
  const work = await mkdtemp(join(tmpdir(), prefix));
  const ptau = await makeSmallPtau(join(work, "ptau"), 8);
  const circuit = await compileMultiplier(join(work, "circuit"));
  return { work, ptau, circuit, remove: () => rm(work, { recursive: true, force: true }) };
}

export async function flipBytesInSection(zkey: string, sectionType: number, offset?: number): Promise<void> {
  const bin = await readBinFile(zkey, "zkey");
  const section = bin.sections.find((s) => s.type === sectionType);
  if (!section) throw new Error(`no section ${sectionType} in ${zkey}`);
  const file = await open(zkey, "r+");
  try {
    const at = section.offset + (offset ?? Math.floor(section.size / 2));
    const bytes = Buffer.alloc(4);
    await file.read(bytes, 0, 4, at);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (bytes[i] ?? 0) ^ 0xff;
    await file.write(bytes, 0, 4, at);
  } finally {
    await file.close();
  }
}

/** Compiles one Solidity source with the solc npm package (the compiler Hardhat uses here). */
export { compileSolidity } from "../../service/auditor/verifier-build.ts";

export interface OnChainVerifier {
  verify(proof: snarkjs.Groth16ProofJson, publicSignals: string[]): Promise<boolean>;
  close(): Promise<void>;
}

/** Deploys a compiled verifier to a fresh in-process Hardhat chain; `verify` calls its verifyProof. */
export async function deployVerifier(compiled: { abi: Abi; bytecode: Hex }): Promise<OnChainVerifier> {
  const connection = await network.create();
  const [wallet] = await connection.viem.getWalletClients();
  if (!wallet) throw new Error("expected a funded account");
  const publicClient = await connection.viem.getPublicClient();
  const hash = await wallet.deployContract({ abi: compiled.abi, bytecode: compiled.bytecode });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  const address = receipt.contractAddress;
  if (!address) throw new Error("the verifier deployment created no contract");
  return {
    async verify(proof, publicSignals) {
      const { a, b, c } = toSolidityProof(proof);
      return (await publicClient.readContract({
        address,
        abi: compiled.abi,
        functionName: "verifyProof",
        args: [a, b, c, publicSignals.map(BigInt)],
      })) as boolean;
    },
    close: () => connection.close(),
  };
}
