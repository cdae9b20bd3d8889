/**
 * Node-only helpers: where the built claim circuit lives on disk. Browser code passes URLs or bytes
 * to the prover instead and never imports this module. Importing it registers circomlibjs's
 * WebAssembly Poseidon as the SDK's fast hasher (service/sdk/poseidon-circomlibjs.ts).
 */
import "./poseidon-circomlibjs.ts";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { DeploymentRecord } from "./chain/pool.ts";
import { ErrorCode, HuzhuError } from "./errors.ts";
import type { ProverArtifacts, VerificationKey } from "./prover.ts";

const ROOT = resolve(import.meta.dirname, "..", "..");

export const CLAIM_BUILD = {
  wasm: join(ROOT, "circuits", "build", "claim_js", "claim.wasm"),
  zkey: join(ROOT, "circuits", "build", "claim.dev-insecure.zkey"),
  r1cs: join(ROOT, "circuits", "build", "claim.r1cs"),
  sym: join(ROOT, "circuits", "build", "claim.sym"),
  verificationKey: join(ROOT, "circuits", "setup", "dev-insecure", "verification_key.json"),
} as const;

/**
 * A production setup: the folder `huzhu ceremony finalize` writes (claim.wasm, claim.zkey,
 * verification_key.json, ClaimVerifier.sol), named by HUZHU_SETUP_DIR. Without it, the insecure
 * development build is used.
 */
export function productionSetupDir(): string | undefined {
  return process.env.HUZHU_SETUP_DIR || undefined;
}

/** The prover's inputs: the production setup's if HUZHU_SETUP_DIR names one, else the development build. */
export function claimArtifacts(): ProverArtifacts {
  const dir = productionSetupDir();
  return dir ? { wasm: join(dir, "claim.wasm"), zkey: join(dir, "claim.zkey") } : { wasm: CLAIM_BUILD.wasm, zkey: CLAIM_BUILD.zkey };
}

/** The verification key matching claimArtifacts(). */
export function verificationKeyPath(): string {
  const dir = productionSetupDir();
  return dir ? join(dir, "verification_key.json") : CLAIM_BUILD.verificationKey;
}

export function loadVerificationKey(path: string = verificationKeyPath()): VerificationKey {
  return JSON.parse(readFileSync(path, "utf8")) as VerificationKey;
}

/** Reads a deployment record (`.huzhu/deployments/localhost.json`, `deployments/<network>-<chainId>.json`). */
export function loadDeployment(path: string): DeploymentRecord {
  let record: DeploymentRecord;
  try {
    record = JSON.parse(readFileSync(path, "utf8")) as DeploymentRecord;
  } catch (error) {
    throw new HuzhuError(
      ErrorCode.DeploymentRecordInvalid,
      `cannot read the deployment record ${path} (${(error as Error).message}); run \`npm start\` or \`npm run deploy\` first, or pass the pool address`,
      {},
      { cause: error },
    );
  }
  if (typeof record.pool !== "string" || typeof record.chainId !== "number")
    throw new HuzhuError(ErrorCode.DeploymentRecordInvalid, `${path} is not a Huzhu deployment record`);
  return record;
}

/** Where `npm start` writes the local stack's state (HUZHU_STATE_DIR overrides). */
export function localStateDir(): string {
  return process.env.HUZHU_STATE_DIR ?? join(ROOT, ".huzhu");
}
