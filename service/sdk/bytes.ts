/**
 * The project's one hex and base64 codec, for Node and browsers alike: hex through viem, base64
 * through @scure/base (pinned to the version viem brings), both strict where lenient decoders guess.
 */
import { base64, base64nopad } from "@scure/base";
import { bytesToHex, hexToBytes, numberToHex } from "viem";

const PLAIN_HEX = /^(?:[0-9a-fA-F]{2})*$/;

/** Hex without the 0x prefix, lower case (key files, digests, committee values, ceremony hashes). */
export function toPlainHex(bytes: Uint8Array): string {
  return bytesToHex(bytes).slice(2);
}

/** Hex with the 0x prefix, lower case (addresses, block hashes, field elements' bytes). */
export function toPrefixedHex(bytes: Uint8Array): `0x${string}` {
  return bytesToHex(bytes);
}

/** The bytes of hex without 0x, either case; anything else (an odd length, a stray character) is a TypeError. */
export function fromPlainHex(text: string): Uint8Array<ArrayBuffer> {
  if (!PLAIN_HEX.test(text)) throw new TypeError("expected hex bytes without 0x (an even number of hex digits)");
  return new Uint8Array(hexToBytes(`0x${text}`));
}

/** The bytes of 0x-prefixed hex, either case; anything else is a TypeError. */
export function fromPrefixedHex(text: string): Uint8Array<ArrayBuffer> {
  if (!text.startsWith("0x") || !PLAIN_HEX.test(text.slice(2))) {
    throw new TypeError("expected 0x-prefixed hex bytes (an even number of hex digits)");
  }
  return new Uint8Array(hexToBytes(text as `0x${string}`));
}

/** A non-negative integer as 0x hex, lower case, without leading zeros (`0x0` for zero). */
export function bigintToHex(x: bigint): `0x${string}` {
  return numberToHex(x);
}

/** Padded base64 (RFC 4648's standard alphabet). */
export function toBase64(bytes: Uint8Array): string {
  return base64.encode(bytes);
}

/**
 * Decodes base64, padded or not; stray characters, whitespace and non-zero trailing bits are
 * refused (a TypeError), never dropped.
 */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  try {
    return new Uint8Array(text.length % 4 === 0 ? base64.decode(text) : base64nopad.decode(text));
  } catch (error) {
    throw new TypeError("expected base64 (the standard alphabet, padded or not)", { cause: error });
  }
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
