/**
 * The desk's one canonical encoding of signed and bound values: a label, then each value tagged
 * (string, integer, bytes) and length-prefixed, so no two different lists encode alike. Signed
 * entries (roster, case document, messages, decisions, sign-in) are signed over `fieldHash`: the
 * SHA-256 of that encoding reduced mod r, a field element as EdDSA-Poseidon signs.
 */
import { sha256 } from "@noble/hashes/sha2";
import { toPlainHex, toPrefixedHex } from "../bytes.ts";
import { SNARK_SCALAR_FIELD } from "../constants.ts";

export type Encodable = string | bigint | number | Uint8Array;

const TAG = { string: 1, integer: 2, bytes: 3 } as const;
const text = new TextEncoder();

function tagged(tag: number, content: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + content.length);
  out[0] = tag;
  new DataView(out.buffer).setUint32(1, content.length, false);
  out.set(content, 5);
  return out;
}

function one(value: Encodable): Uint8Array {
  if (value instanceof Uint8Array) return tagged(TAG.bytes, value);
  if (typeof value === "string") return tagged(TAG.string, text.encode(value));
  if (typeof value === "number" && !Number.isSafeInteger(value)) throw new Error(`cannot encode ${value}: not a safe integer`);
  const n = BigInt(value);
  if (n < 0n) throw new Error(`cannot encode ${n}: negative`);
  return tagged(TAG.integer, text.encode(n.toString()));
}

/** `label` then `values`, each tagged and length-prefixed (the HPKE `info`s, the AADs, the signed bytes). */
export function encodeValues(label: string, values: readonly Encodable[]): Uint8Array {
  const parts = [one(label), ...values.map(one)];
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** SHA-256 of `encodeValues(label, values)` mod r: the field element a desk signature signs. */
export function fieldHash(label: string, values: readonly Encodable[]): bigint {
  return BigInt(toPrefixedHex(sha256(encodeValues(label, values)))) % SNARK_SCALAR_FIELD;
}

/** SHA-256 as lowercase hex (file digests, capability hashes). */
export function sha256Hex(bytes: Uint8Array): string {
  return toPlainHex(sha256(bytes));
}
