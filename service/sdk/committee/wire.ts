/**
 * Committee wire values: hex of noble's encodings (points, scalars, identifiers) and decimal field
 * elements, decoded strictly (a malformed value is COMMITTEE_MALFORMED naming the field).
 */
import { fromPlainHex, toPlainHex } from "../bytes.ts";
import type { CodedErrorOptions } from "../coded-error.ts";
import { ErrorCode, HuzhuError } from "../errors.ts";
import { toField } from "../field.ts";
import { BabyJubjubPoint, POINT_BYTES, SCALAR_BYTES } from "./suite.ts";

/** The largest committee the SDK accepts (FROST itself has no small bound; people do). */
export const MAX_COMMITTEE_SIZE = 64;

/** Throws COMMITTEE_MALFORMED (with the error that found the value wrong as `cause`, when there is one). */
export function malformed(what: string, details: Record<string, unknown> = {}, options: CodedErrorOptions = {}): never {
  throw new HuzhuError(ErrorCode.CommitteeMalformed, `not valid committee data: ${what}`, details, options);
}

/** Committee hex: lower case, no 0x (service/sdk/bytes.ts's toPlainHex). */
export function toHex(bytes: Uint8Array): string {
  return toPlainHex(bytes);
}

/** `bytes` bytes of lower-case hex. */
export function decodeHex(value: unknown, name: string, bytes: number): Uint8Array {
  if (typeof value !== "string" || value.length !== 2 * bytes || !/^[0-9a-f]+$/.test(value)) {
    return malformed(`${name} must be ${bytes} bytes of lower-case hex`);
  }
  return fromPlainHex(value);
}

/** A serialized point of the prime-order subgroup, not the identity. */
export function decodePoint(value: unknown, name: string): Uint8Array {
  const bytes = decodeHex(value, name, POINT_BYTES);
  try {
    const point = BabyJubjubPoint.fromBytes(bytes);
    point.assertValidity();
    if (point.is0() || !point.isTorsionFree()) throw new Error("not in the prime-order subgroup");
    if (toHex(point.toBytes()) !== value) throw new Error("not canonical");
  } catch (error) {
    return malformed(`${name} is not a BabyJubjub subgroup point (${(error as Error).message})`, {}, { cause: error });
  }
  return bytes;
}

/** A canonical scalar (below the subgroup order), little-endian as noble encodes it. */
export function decodeScalar(value: unknown, name: string): Uint8Array {
  const bytes = decodeHex(value, name, SCALAR_BYTES);
  try {
    BabyJubjubPoint.Fn.fromBytes(bytes);
  } catch (error) {
    return malformed(`${name} is not a scalar below the subgroup order`, {}, { cause: error });
  }
  return bytes;
}

export function decodeDecimalField(value: unknown, name: string): bigint {
  if (typeof value !== "string" || !/^(0|[1-9][0-9]*)$/.test(value)) return malformed(`${name} must be a decimal string`);
  try {
    return toField(value, name);
  } catch (error) {
    return malformed((error as Error).message, {}, { cause: error });
  }
}

/** A member index: 1..size. */
export function decodeMember(value: unknown, name: string, size: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > size) {
    return malformed(`${name} must be a member index from 1 to ${size}`);
  }
  return value;
}

/** A session id: 16 random bytes, hex, chosen by whoever coordinates the signing. */
export function decodeSessionId(value: unknown, name = "sessionId"): string {
  decodeHex(value, name, 16);
  return value as string;
}

export function randomSessionId(): string {
  return toHex(globalThis.crypto.getRandomValues(new Uint8Array(16)));
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
