/**
 * A member's capability for a case: 32 random bytes held on the member's device, sent as
 * `Authorization: Bearer <base64>`. The desk stores only its SHA-256, so a copy of the desk's
 * database opens no case.
 */
import { toBase64 } from "../bytes.ts";
import { sha256Hex } from "./encode.ts";
import { randomBytes } from "./suite.ts";
import { decodeBytes } from "./wire-values.ts";

export const CAPABILITY_BYTES = 32;

/** A new capability, base64 (the bearer token itself). */
export function generateCapability(): string {
  return toBase64(randomBytes(CAPABILITY_BYTES));
}

/** What the desk stores and compares: SHA-256 of the capability's 32 bytes, hex. */
export function capabilityHash(capability: string): string {
  return sha256Hex(decodeBytes(capability, "capability", CAPABILITY_BYTES));
}
