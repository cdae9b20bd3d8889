/**
 * Rebuilding a Groth16 verifier from its verification key: snarkjs's own Solidity template rendered
 * with the key (what `zkey export solidityverifier` does), compiled with the solc npm package and
 * the project's settings. A deployed verifier whose runtime bytecode equals that build, metadata
 * aside, is exactly the standard verifier for the key. Node only: browsers use the constants check
 * in verifier-key.ts.
 */
import { createRequire } from "node:module";
import ejs from "ejs";
import type { Abi, Hex } from "viem";
import { groth16VerifierTemplate } from "../ceremony/toolchain.ts";
import type { VerificationKey } from "../sdk/prover.ts";
import { AuditError, AuditErrorCode } from "./errors.ts";

const require = createRequire(import.meta.url);

/** The settings every verifier of this project is compiled with (hardhat.config.ts, deploy script). */
export const VERIFIER_BUILD = {
  solc: (require("solc/package.json") as { version: string }).version,
  optimizerRuns: 10_000,
  evmVersion: "cancun",
} as const;

interface SolcOutput {
  errors?: Array<{ severity: string; formattedMessage: string }>;
  contracts: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>>;
}

export interface CompiledContract {
  abi: Abi;
  /** Creation bytecode. */
  bytecode: Hex;
  /** Runtime bytecode, as deployed. */
  deployedBytecode: Hex;
}

/** Compiles one Solidity source with VERIFIER_BUILD's settings (no compiler download). */
export function compileSolidity(fileName: string, source: string, contract: string): CompiledContract {
  const solc = require("solc") as { compile(input: string): string };
  const input = {
    language: "Solidity",
    sources: { [fileName]: { content: source } },
    settings: {
      optimizer: { enabled: true, runs: VERIFIER_BUILD.optimizerRuns },
      evmVersion: VERIFIER_BUILD.evmVersion,
      outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) throw new AuditError(AuditErrorCode.VerifierBuildFailed, errors.map((e) => e.formattedMessage).join("\n"));
  const compiled = output.contracts[fileName]?.[contract];
  if (!compiled) throw new AuditError(AuditErrorCode.VerifierBuildFailed, `${fileName} has no contract ${contract}`);
  return {
    abi: compiled.abi,
    bytecode: `0x${compiled.evm.bytecode.object}`,
    deployedBytecode: `0x${compiled.evm.deployedBytecode.object}`,
  };
}

/** snarkjs's Groth16 verifier source for `vkey` (contract `Groth16Verifier`). */
export function groth16VerifierSource(vkey: VerificationKey): string {
  return ejs.render(groth16VerifierTemplate(), vkey);
}

/**
 * Runtime bytecode without solc's trailing CBOR metadata (its length is the last two bytes): the
 * metadata hashes the source text and file name, which say nothing about what the code does.
 */
export function withoutMetadata(code: Hex): string {
  const hex = code.startsWith("0x") ? code.slice(2) : code;
  if (hex.length < 4) return hex;
  const cborBytes = Number.parseInt(hex.slice(-4), 16);
  const end = hex.length - (cborBytes + 2) * 2;
  return end > 0 ? hex.slice(0, end) : hex;
}

export interface VerifierRebuild {
  /** Whether the deployed runtime code equals the rebuild, metadata aside. */
  matches: boolean;
  /** How the rebuild was made, for the report. */
  build: string;
}

/** Compares deployed runtime code with snarkjs's verifier for `vkey` built with VERIFIER_BUILD. */
export function rebuildVerifier(deployed: Hex, vkey: VerificationKey): VerifierRebuild {
  const built = compileSolidity("Groth16Verifier.sol", groth16VerifierSource(vkey), "Groth16Verifier");
  return {
    matches: withoutMetadata(deployed) === withoutMetadata(built.deployedBytecode),
    build: `snarkjs's Groth16 template, solc ${VERIFIER_BUILD.solc}, optimizer ${VERIFIER_BUILD.optimizerRuns} runs, EVM ${VERIFIER_BUILD.evmVersion}`,
  };
}
