/**
 * The one place that knows Huzhu's encodings: member leaves, assessor leaves, the approval
 * message, the nullifier, the claim context and the order of the claim's public signals.
 * The contracts, relayer, CLI and tests all call these; none re-implements them.
 */
import { poseidon2, poseidon3, poseidon5 } from "poseidon-lite";
import { type Address, encodeAbiParameters, getAddress, isAddress, keccak256 } from "viem";
import { PUBLIC_SIGNALS, type PublicSignalName, SNARK_SCALAR_FIELD } from "./constants.ts";
import { ErrorCode, HuzhuError } from "./errors.ts";
import { type BigNumberish, toEpoch, toField } from "./field.ts";

/** A BabyJubjub point (x, y). */
export type PublicKey = readonly [bigint, bigint];

/** Member tree leaf: Poseidon(commitment, eligibleFrom, paidThrough). */
export function memberLeaf(commitment: BigNumberish, eligibleFrom: BigNumberish, paidThrough: BigNumberish): bigint {
  return poseidon3([toField(commitment, "commitment"), toEpoch(eligibleFrom, "eligibleFrom"), toEpoch(paidThrough, "paidThrough")]);
}

/** Assessor tree leaf: Poseidon(Ax, Ay) of the assessor's EdDSA public key. */
export function assessorLeaf(publicKey: PublicKey): bigint {
  return poseidon2([toField(publicKey[0], "publicKey.x"), toField(publicKey[1], "publicKey.y")]);
}

export interface ApprovalTerms {
  /** Identity commitment of the member the approval is for. */
  commitment: bigint;
  planId: bigint;
  /** The loss event; private to member and assessor. */
  eventId: bigint;
  /** Payout amount in the plan token's smallest unit. */
  amount: bigint;
  /** Last epoch in which the approval may be claimed. */
  expiresAtEpoch: bigint;
}

/** The message an assessor signs: Poseidon(commitment, planId, eventId, amount, expiresAtEpoch). */
export function approvalMessage(terms: ApprovalTerms): bigint {
  return poseidon5([
    toField(terms.commitment, "commitment"),
    toField(terms.planId, "planId"),
    toField(terms.eventId, "eventId"),
    toField(terms.amount, "amount"),
    toEpoch(terms.expiresAtEpoch, "expiresAtEpoch"),
  ]);
}

/** One-time tag of (member, plan, event): Poseidon(secret, planId, eventId). */
export function claimNullifier(secret: BigNumberish, planId: BigNumberish, eventId: BigNumberish): bigint {
  return poseidon3([toField(secret, "secret"), toField(planId, "planId"), toField(eventId, "eventId")]);
}

export interface ContextTerms {
  chainId: bigint;
  pool: Address;
  planId: bigint;
  recipient: Address;
  relayer: Address;
  fee: bigint;
  /** Native coin (wei) the submitter sends along for the recipient; 0 for none. */
  gasDrop: bigint;
}

function checkAddress(value: string, name: string): Address {
  if (!isAddress(value, { strict: false })) {
    throw new HuzhuError(ErrorCode.FieldOutOfRange, `${name} must be a 20-byte hex address, got ${JSON.stringify(value)}`, { name });
  }
  return getAddress(value);
}

/**
 * The claim context: keccak256(abi.encode(uint256 chainId, address pool, uint256 planId,
 * address recipient, address relayer, uint256 fee, uint256 gasDrop)) mod r. The pool recomputes
 * it, so a proof pays only these terms (and carries only this gas drop) on this chain and pool.
 */
export function claimContext(terms: ContextTerms): bigint {
  const encoded = encodeAbiParameters(
    [
      { name: "chainId", type: "uint256" },
      { name: "pool", type: "address" },
      { name: "planId", type: "uint256" },
      { name: "recipient", type: "address" },
      { name: "relayer", type: "address" },
      { name: "fee", type: "uint256" },
      { name: "gasDrop", type: "uint256" },
    ],
    [
      terms.chainId,
      checkAddress(terms.pool, "pool"),
      terms.planId,
      checkAddress(terms.recipient, "recipient"),
      checkAddress(terms.relayer, "relayer"),
      terms.fee,
      terms.gasDrop,
    ],
  );
  return BigInt(keccak256(encoded)) % SNARK_SCALAR_FIELD;
}

export type ClaimPublicSignals = Record<PublicSignalName, bigint>;

/** Public signals (decimal strings, snarkjs order) to named values; refuses a wrong count or a non-field value. */
export function decodePublicSignals(signals: readonly string[]): ClaimPublicSignals {
  if (signals.length !== PUBLIC_SIGNALS.length) {
    throw new HuzhuError(ErrorCode.InvalidPublicSignals, `expected ${PUBLIC_SIGNALS.length} public signals, got ${signals.length}`);
  }
  const decoded = {} as ClaimPublicSignals;
  PUBLIC_SIGNALS.forEach((name, i) => {
    decoded[name] = toField(signals[i] as string, name);
  });
  return decoded;
}

/** Named values to public signals (decimal strings, snarkjs order). */
export function encodePublicSignals(values: ClaimPublicSignals): string[] {
  return PUBLIC_SIGNALS.map((name) => toField(values[name], name).toString());
}

/** A snarkjs Groth16 proof (decimal strings, projective coordinates). */
export interface Groth16Proof {
  pi_a: string[];
  pi_b: string[][];
  pi_c: string[];
  protocol?: string;
  curve?: string;
}

/** The proof as the Solidity verifier takes it: G2 coordinates in (imaginary, real) order. */
export interface SolidityProof {
  a: readonly [bigint, bigint];
  b: readonly [readonly [bigint, bigint], readonly [bigint, bigint]];
  c: readonly [bigint, bigint];
}

export function toSolidityProof(proof: Groth16Proof): SolidityProof {
  const n = (v: string | undefined) => BigInt(v ?? "0");
  const b = proof.pi_b;
  return {
    a: [n(proof.pi_a[0]), n(proof.pi_a[1])],
    b: [
      [n(b[0]?.[1]), n(b[0]?.[0])],
      [n(b[1]?.[1]), n(b[1]?.[0])],
    ],
    c: [n(proof.pi_c[0]), n(proof.pi_c[1])],
  };
}

/**
 * The inverse of toSolidityProof: a proof as the pool's ClaimPaid event carries it, in snarkjs's
 * layout (affine, z = 1). (0, 0), the EVM's point at infinity, becomes snarkjs's infinity (z = 0).
 */
export function fromSolidityProof(proof: SolidityProof): Groth16Proof {
  const g1 = (p: readonly [bigint, bigint]) => (p[0] === 0n && p[1] === 0n ? ["0", "1", "0"] : [p[0].toString(), p[1].toString(), "1"]);
  const [bx, by] = proof.b;
  const infinityB = bx[0] === 0n && bx[1] === 0n && by[0] === 0n && by[1] === 0n;
  return {
    pi_a: g1(proof.a),
    pi_b: infinityB
      ? [
          ["0", "0"],
          ["1", "0"],
          ["0", "0"],
        ]
      : [
          [bx[1].toString(), bx[0].toString()],
          [by[1].toString(), by[0].toString()],
          ["1", "0"],
        ],
    pi_c: g1(proof.c),
    protocol: "groth16",
    curve: "bn128",
  };
}
