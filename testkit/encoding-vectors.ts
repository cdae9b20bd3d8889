/**
 * The golden vectors (testkit/encoding-vectors.json): fixed inputs and outputs of every
 * encoding the SDK, the pool and the circuit share, read by the SDK, contract and circuit tests.
 * Values are decimal strings in the file; here they are bigints.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Address } from "viem";

type Decimal = string;
interface RawVectors {
  identity: { export: string; secretScalar: Decimal; commitment: Decimal };
  assessor: { privateKey: string; publicKey: [Decimal, Decimal] };
  memberLeaf: Array<{ commitment: Decimal; eligibleFrom: Decimal; paidThrough: Decimal; leaf: Decimal }>;
  assessorLeaf: Array<{ publicKey: [Decimal, Decimal]; leaf: Decimal }>;
  approvalMessage: Array<{
    commitment: Decimal;
    planId: Decimal;
    eventId: Decimal;
    amount: Decimal;
    expiresAtEpoch: Decimal;
    message: Decimal;
  }>;
  approvalSignature: { R8: [Decimal, Decimal]; S: Decimal };
  nullifier: Array<{ secret: Decimal; planId: Decimal; eventId: Decimal; nullifier: Decimal }>;
  context: Array<{
    chainId: Decimal;
    pool: Address;
    planId: Decimal;
    recipient: Address;
    relayer: Address;
    fee: Decimal;
    gasDrop: Decimal;
    context: Decimal;
  }>;
  publicSignals: string[];
  claim: {
    identity: string;
    eligibleFrom: Decimal;
    paidThrough: Decimal;
    assessorPrivateKey: string;
    approval: { commitment: Decimal; planId: Decimal; eventId: Decimal; amount: Decimal; expiresAtEpoch: Decimal };
    claimEpoch: Decimal;
    context: { chainId: Decimal; pool: Address; planId: Decimal; recipient: Address; relayer: Address; fee: Decimal; gasDrop: Decimal };
    publicSignals: Record<string, Decimal>;
  };
}

type Bigints<T> = T extends Address
  ? T
  : T extends Decimal
    ? bigint
    : T extends [infer A, infer B]
      ? [Bigints<A>, Bigints<B>]
      : T extends Array<infer U>
        ? Array<Bigints<U>>
        : T extends object
          ? { [K in keyof T]: Bigints<T[K]> }
          : T;

/** Fields that hold text (a hex key, a base64 export) even when it looks like a number. */
const TEXT_FIELDS = new Set(["privateKey", "assessorPrivateKey", "export", "identity", "$comment"]);

/** Decimal strings become bigints; addresses, keys, exports and names stay strings. */
function revive(value: unknown): unknown {
  if (typeof value === "string") return /^(0|[1-9][0-9]*)$/.test(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(revive);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, TEXT_FIELDS.has(k) && typeof v === "string" ? v : revive(v)]));
  }
  return value;
}

const raw = JSON.parse(readFileSync(join(import.meta.dirname, "encoding-vectors.json"), "utf8")) as RawVectors;

/** The vectors with every number as a bigint (the public-signal names and keys as strings). */
export const VECTORS = revive(raw) as Omit<Bigints<RawVectors>, "publicSignals" | "identity" | "assessor" | "claim"> & {
  publicSignals: string[];
  identity: { export: string; secretScalar: bigint; commitment: bigint };
  assessor: { privateKey: string; publicKey: [bigint, bigint] };
  claim: Omit<Bigints<RawVectors["claim"]>, "identity" | "assessorPrivateKey"> & { identity: string; assessorPrivateKey: string };
};
