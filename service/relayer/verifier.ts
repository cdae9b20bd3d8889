/**
 * Off-chain Groth16 verification with a warm curve: the claim circuit's verification key loaded
 * once, the curve initialised at boot, so each check costs milliseconds rather than a cold start.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { type ClaimPublicSignals, type Groth16Proof, type VerificationKey, verifyClaimProof } from "../sdk/index.ts";
import { CLAIM_BUILD } from "../sdk/node.ts";

export class ProofVerifier {
  readonly key: VerificationKey;
  /** sha256 of the verification key JSON as published (0x-hex). */
  readonly keyHash: `0x${string}`;

  constructor(path: string = CLAIM_BUILD.verificationKey) {
    const text = readFileSync(path, "utf8");
    this.key = JSON.parse(text) as VerificationKey;
    this.keyHash = `0x${createHash("sha256").update(text).digest("hex")}`;
  }

  verify(proof: Groth16Proof, signals: ClaimPublicSignals): Promise<boolean> {
    return verifyClaimProof(this.key, proof, signals);
  }

  /** Loads the curve and its tables now, so the first client does not pay for it. */
  async warm(): Promise<void> {
    const zero = {
      pi_a: ["1", "2", "1"],
      pi_b: [
        ["0", "0"],
        ["0", "0"],
        ["1", "0"],
      ],
      pi_c: ["1", "2", "1"],
    };
    await verifyClaimProof(this.key, zero, ["1", "1", "1", "1", "1", "1", "1"]);
  }
}
