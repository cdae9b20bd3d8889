/**
 * EdDSA-Poseidon signatures by an assessor's key over the desk's field hashes (roster entries,
 * messages, declines, sign-in), with @zk-kit/eddsa-poseidon: the signer approvals use too.
 */
import { signMessage, verifySignature } from "@zk-kit/eddsa-poseidon";
import { type AssessorKey, assessorSecretBytes } from "../assessor.ts";
import type { PublicKey } from "../encoding.ts";
import { type SignatureJson, signatureJson } from "./wire-values.ts";

export function signAsAssessor(key: AssessorKey, message: bigint): SignatureJson {
  return signatureJson(signMessage(assessorSecretBytes(key), message));
}

/** Whether `signature` is `publicKey`'s over `message` (false for any malformed point or value). */
export function isAssessorSignature(
  message: bigint,
  signature: { R8: readonly [bigint, bigint]; S: bigint },
  publicKey: PublicKey,
): boolean {
  try {
    return verifySignature(message, { R8: [signature.R8[0], signature.R8[1]], S: signature.S }, [publicKey[0], publicKey[1]]);
  } catch {
    return false;
  }
}
