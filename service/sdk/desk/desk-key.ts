/**
 * X25519 key pairs for HPKE: an assessor's desk key, derived from its EdDSA-Poseidon key-file
 * secret (HKDF-SHA256 with a versioned label, then RFC 9180 DeriveKeyPair) so the key file stays
 * the one secret; and a member's per-case reply key, from 32 random bytes kept in the member's
 * case record.
 */
import { hkdf } from "@noble/hashes/hkdf";
import { sha256 } from "@noble/hashes/sha2";
import type { AssessorKey } from "../assessor.ts";
import { assessorSecretBytes } from "../assessor.ts";
import { toBase64 } from "../bytes.ts";
import { LABEL } from "./labels.ts";
import { KEY_BYTES, kem, randomBytes } from "./suite.ts";
import { decodeBytes } from "./wire-values.ts";

export interface HpkeKeyPair {
  /** The pair as @hpke/core takes it (`recipientKey`). */
  pair: CryptoKeyPair;
  /** The public key, 32 bytes, base64: what others encrypt to. */
  publicKey: string;
}

async function keyPairFromSeed(seed: Uint8Array): Promise<HpkeKeyPair> {
  const pair = await kem.deriveKeyPair(seed);
  return { pair, publicKey: toBase64(new Uint8Array(await kem.serializePublicKey(pair.publicKey))) };
}

/** The assessor's HPKE key pair: the same for the same key file, on every device. */
export function deriveDeskKey(assessor: AssessorKey): Promise<HpkeKeyPair> {
  const seed = hkdf(sha256, assessorSecretBytes(assessor), undefined, new TextEncoder().encode(LABEL.deskKey), KEY_BYTES);
  return keyPairFromSeed(seed);
}

/** A new reply key's secret (32 random bytes, base64), made on the member's device per case. */
export function generateReplySecret(): string {
  return toBase64(randomBytes(KEY_BYTES));
}

/** The reply key pair of a secret from `generateReplySecret`. */
export function replyKeyFromSecret(secret: string): Promise<HpkeKeyPair> {
  return keyPairFromSeed(decodeBytes(secret, "reply key secret", KEY_BYTES));
}

/** A public key (base64, 32 bytes) as @hpke/core takes it (`recipientPublicKey`). */
export function importPublicKey(publicKey: string, what = "HPKE public key"): Promise<CryptoKey> {
  return kem.deserializePublicKey(decodeBytes(publicKey, what, KEY_BYTES));
}
