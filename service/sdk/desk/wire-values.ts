/**
 * Conversions between the desk's wire values (base64 bytes, decimal strings, signature objects)
 * and the SDK's types, refusing malformed input with DESK_MALFORMED.
 */
import { fromBase64, isCanonicalBase64 } from "../bytes.ts";
import type { PublicKey } from "../encoding.ts";
import { ErrorCode, HuzhuError } from "../errors.ts";
import { toField } from "../field.ts";

/** An EdDSA-Poseidon signature as JSON: decimal strings. */
export interface SignatureJson {
  R8: [string, string];
  S: string;
}

/** A BabyJubjub point as JSON: two decimal strings. */
export type PointJson = [string, string];

export function malformed(what: string, cause?: unknown): HuzhuError {
  return new HuzhuError(ErrorCode.DeskMalformed, `not in the desk's format: ${what}`, { what }, { cause });
}

/** Exact base64 of `length` bytes (any length if undefined). */
export function decodeBytes(text: unknown, what: string, length?: number): Uint8Array<ArrayBuffer> {
  if (typeof text !== "string" || !isCanonicalBase64(text)) throw malformed(`${what} must be base64`);
  const bytes = fromBase64(text);
  if (length !== undefined && bytes.length !== length) throw malformed(`${what} must be ${length} bytes, got ${bytes.length}`);
  return bytes;
}

export function decodeField(value: unknown, what: string): bigint {
  if (typeof value !== "string") throw malformed(`${what} must be a decimal string`);
  try {
    return toField(value, what);
  } catch (error) {
    throw malformed((error as Error).message, error);
  }
}

export function decodePoint(value: unknown, what: string): PublicKey {
  if (!Array.isArray(value) || value.length !== 2) throw malformed(`${what} must be two decimal strings`);
  return [decodeField(value[0], `${what}[0]`), decodeField(value[1], `${what}[1]`)];
}

export function pointJson(point: PublicKey): PointJson {
  return [point[0].toString(), point[1].toString()];
}

export function signatureJson(signature: { R8: readonly [bigint | string, bigint | string]; S: bigint | string }): SignatureJson {
  return { R8: [signature.R8[0].toString(), signature.R8[1].toString()], S: signature.S.toString() };
}

export function decodeSignature(value: unknown, what: string): { R8: [bigint, bigint]; S: bigint } {
  const s = value as Partial<SignatureJson> | null;
  if (typeof s !== "object" || s === null) throw malformed(`${what} must be a signature object`);
  const [x, y] = decodePoint(s.R8, `${what}.R8`);
  return { R8: [x, y], S: decodeField(s.S, `${what}.S`) };
}

/** The same point, compared as field elements. */
export function samePoint(a: PublicKey, b: PublicKey): boolean {
  return a[0] === b[0] && a[1] === b[1];
}
