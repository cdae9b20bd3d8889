/**
 * The desk's one HPKE suite (RFC 9180): DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and
 * ChaCha20-Poly1305, from @hpke/core, @hpke/dhkem-x25519 and @hpke/chacha20poly1305. Its AEAD also
 * seals every part under a case's content key, with a fresh random nonce per part.
 */
import { Chacha20Poly1305 } from "@hpke/chacha20poly1305";
import { CipherSuite, HkdfSha256 } from "@hpke/core";
import { DhkemX25519HkdfSha256 } from "@hpke/dhkem-x25519";
import { ErrorCode, HuzhuError } from "../errors.ts";

export const kem = new DhkemX25519HkdfSha256();
export const suite = new CipherSuite({ kem, kdf: new HkdfSha256(), aead: new Chacha20Poly1305() });
const aead = new Chacha20Poly1305();

/** Content keys, X25519 keys and HPKE encapsulations are all 32 bytes. */
export const KEY_BYTES = 32;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
/** What sealing adds to a part: the nonce in front, the tag behind. */
export const SEALED_OVERHEAD = NONCE_BYTES + TAG_BYTES;

export function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  return globalThis.crypto.getRandomValues(new Uint8Array(length));
}

/** `nonce || ChaCha20-Poly1305(key, nonce, plaintext, aad)` with a random nonce. */
export async function sealWithKey(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  const nonce = randomBytes(NONCE_BYTES);
  const ciphertext = new Uint8Array(await aead.createEncryptionContext(key).seal(nonce, plaintext, aad));
  const out = new Uint8Array(NONCE_BYTES + ciphertext.length);
  out.set(nonce, 0);
  out.set(ciphertext, NONCE_BYTES);
  return out;
}

/** Opens what `sealWithKey` sealed; anything altered, moved or under another key is DESK_PART_TAMPERED. */
export async function openWithKey(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array, what: string): Promise<Uint8Array<ArrayBuffer>> {
  if (sealed.length < SEALED_OVERHEAD) throw tampered(what);
  try {
    return new Uint8Array(await aead.createEncryptionContext(key).open(sealed.subarray(0, NONCE_BYTES), sealed.subarray(NONCE_BYTES), aad));
  } catch (error) {
    throw tampered(what, error);
  }
}

function tampered(what: string, cause?: unknown): HuzhuError {
  return new HuzhuError(
    ErrorCode.DeskPartTampered,
    `the ${what} does not authenticate: it was altered, moved from another place or case, or sealed under another key`,
    { what },
    { cause },
  );
}
