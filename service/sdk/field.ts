import { toPrefixedHex } from "./bytes.ts";
import { BN254_BASE_FIELD, MAX_EPOCH, SNARK_SCALAR_FIELD } from "./constants.ts";
import { ErrorCode, HuzhuError } from "./errors.ts";

export type BigNumberish = bigint | number | string;

/**
 * Parses a decimal or 0x-hex value into a bigint, refusing anything that is not a non-negative
 * integer (no silent truncation of "1.5", "1e3" or negative numbers).
 */
export function toBigInt(value: BigNumberish, name: string): bigint {
  if (typeof value === "bigint") {
    if (value < 0n) throw new HuzhuError(ErrorCode.FieldOutOfRange, `${name} must not be negative`, { name });
    return value;
  }
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new HuzhuError(ErrorCode.FieldOutOfRange, `${name} must be a non-negative safe integer, got ${value}`, { name });
    }
    return BigInt(value);
  }
  if (typeof value === "string" && /^(0|[1-9][0-9]*|0x[0-9a-fA-F]+)$/.test(value)) return BigInt(value);
  throw new HuzhuError(ErrorCode.FieldOutOfRange, `${name} must be a decimal or 0x-hex integer, got ${JSON.stringify(value)}`, { name });
}

/** Checks a value is a canonical field element (0 <= x < r) and returns it as a bigint. */
export function toField(value: BigNumberish, name: string): bigint {
  const x = toBigInt(value, name);
  if (x >= SNARK_SCALAR_FIELD) {
    throw new HuzhuError(ErrorCode.FieldOutOfRange, `${name} must be below the SNARK scalar field order r`, { name });
  }
  return x;
}

/**
 * Checks a value is a coordinate of a proof's point (0 <= x < q, the BN254 base field, which is
 * larger than the scalar field r that public signals live in) and returns it as a bigint.
 */
export function toCoordinate(value: BigNumberish, name: string): bigint {
  const x = toBigInt(value, name);
  if (x >= BN254_BASE_FIELD) {
    throw new HuzhuError(ErrorCode.FieldOutOfRange, `${name} must be below the BN254 base field order q`, { name });
  }
  return x;
}

/** Checks a value is an epoch (a 32-bit unsigned number) and returns it as a bigint. */
export function toEpoch(value: BigNumberish, name: string): bigint {
  const x = toBigInt(value, name);
  if (x > MAX_EPOCH) throw new HuzhuError(ErrorCode.EpochOutOfRange, `${name} must fit in 32 bits, got ${x}`, { name });
  return x;
}

/** A uniformly random field element, from the platform's CSPRNG (browser or Node). */
export function randomFieldElement(): bigint {
  const bytes = new Uint8Array(32);
  // Rejection sampling over 254-bit values keeps the distribution uniform below r.
  for (;;) {
    globalThis.crypto.getRandomValues(bytes);
    bytes[0] = (bytes[0] ?? 0) & 0x3f;
    const x = BigInt(toPrefixedHex(bytes));
    if (x < SNARK_SCALAR_FIELD) return x;
  }
}
