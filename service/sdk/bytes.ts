/**
 * The project's one hex and base64 codec, for Node and browsers alike: hex through viem, base64
 * through the platform's btoa / atob, with the canonical check that lenient decoders skip.
 */
import { bytesToHex } from "viem";

/** Hex without the 0x prefix (key files, ceremony hashes). */
export function toPlainHex(bytes: Uint8Array): string {
  return bytesToHex(bytes).slice(2);
}

export function toBase64(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}

/** Decodes base64 (as atob does: padding optional, no check that it is canonical). */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/**
 * Whether `text` is exactly the base64 of some bytes: only the base64 alphabet, padded, and what
 * encoding its bytes again gives. Lenient decoders drop stray characters, so a typo would silently
 * decode to other bytes.
 */
export function isCanonicalBase64(text: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return false;
  try {
    return toBase64(fromBase64(text)) === text;
  } catch {
    return false;
  }
}
