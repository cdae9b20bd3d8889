import { describe, expect, it } from "vitest";
import {
  approvalMessage,
  assessorKeyFromPrivate,
  assessorLeaf,
  BN254_BASE_FIELD,
  claimContext,
  claimNullifier,
  decodePublicSignals,
  encodePublicSignals,
  importIdentity,
  memberLeaf,
  PUBLIC_SIGNALS,
  SNARK_SCALAR_FIELD,
  signApproval,
  toCoordinate,
  toEpoch,
  toField,
  toSolidityProof,
} from "../../service/sdk/index.ts";
import { POOL, RECIPIENT, RELAYER } from "../../testkit/claim-scenario.ts";
import { VECTORS } from "../../testkit/encoding-vectors.ts";

const terms = { chainId: 31337n, pool: POOL, planId: 3n, recipient: RECIPIENT, relayer: RELAYER, fee: 10n, gasDrop: 0n };

describe("encoders, against the golden vectors (testkit/encoding-vectors.json)", () => {
  it("restore the vectors' Semaphore identity: its secret scalar and commitment", () => {
    const identity = importIdentity(VECTORS.identity.export);
    expect([identity.secretScalar, identity.commitment]).toEqual([VECTORS.identity.secretScalar, VECTORS.identity.commitment]);
    expect(assessorKeyFromPrivate(VECTORS.assessor.privateKey).publicKey).toEqual(VECTORS.assessor.publicKey);
  });

  it.each(VECTORS.memberLeaf)("member leaf of commitment $commitment, epochs $eligibleFrom..$paidThrough", (v) => {
    expect(memberLeaf(v.commitment, v.eligibleFrom, v.paidThrough)).toBe(v.leaf);
  });

  it.each(VECTORS.assessorLeaf)("assessor leaf of key $publicKey", (v) => {
    expect(assessorLeaf(v.publicKey)).toBe(v.leaf);
  });

  it.each(VECTORS.approvalMessage)("approval message of commitment $commitment, plan $planId, amount $amount", (v) => {
    expect(approvalMessage(v)).toBe(v.message);
  });

  it("approval signature of the vectors' assessor on the first message", () => {
    const [terms] = VECTORS.approvalMessage;
    if (!terms) throw new Error("no approval vector");
    const approval = signApproval(assessorKeyFromPrivate(VECTORS.assessor.privateKey), terms);
    expect(approval.signature).toEqual(VECTORS.approvalSignature);
  });

  it.each(VECTORS.nullifier)("nullifier of plan $planId, event $eventId", (v) => {
    expect(claimNullifier(v.secret, v.planId, v.eventId)).toBe(v.nullifier);
  });

  it.each(VECTORS.context)("context on chain $chainId, fee $fee, gas drop $gasDrop", (v) => {
    expect(claimContext(v)).toBe(v.context);
  });

  it("public-signal order", () => {
    expect([...PUBLIC_SIGNALS]).toEqual(VECTORS.publicSignals);
  });

  it.each([
    ["chainId", { chainId: 1n }],
    ["pool", { pool: RELAYER }],
    ["planId", { planId: 4n }],
    ["recipient", { recipient: POOL }],
    ["relayer", { relayer: RECIPIENT }],
    ["fee", { fee: 11n }],
    ["gasDrop", { gasDrop: 10n ** 15n }],
  ] as const)("context changes with %s", (_name, change) => {
    expect(claimContext({ ...terms, ...change })).not.toBe(claimContext(terms));
  });

  it("refuses a malformed address in the context with FIELD_OUT_OF_RANGE", () => {
    expect(() => claimContext({ ...terms, recipient: "0x1234" })).toThrow(
      expect.objectContaining({ code: "FIELD_OUT_OF_RANGE", message: 'recipient must be a 20-byte hex address, got "0x1234"' }),
    );
  });
});

describe("field and epoch checks", () => {
  it("accepts r - 1 and refuses r", () => {
    expect(toField((SNARK_SCALAR_FIELD - 1n).toString(), "x")).toBe(SNARK_SCALAR_FIELD - 1n);
    expect(() => toField(SNARK_SCALAR_FIELD, "x")).toThrow(
      expect.objectContaining({ code: "FIELD_OUT_OF_RANGE", message: "x must be below the SNARK scalar field order r" }),
    );
  });

  it("accepts a proof coordinate in [r, q) and refuses q, the BN254 base field order", () => {
    expect(toCoordinate(SNARK_SCALAR_FIELD.toString(), "pi_a[0]")).toBe(SNARK_SCALAR_FIELD);
    expect(toCoordinate((BN254_BASE_FIELD - 1n).toString(), "pi_a[0]")).toBe(BN254_BASE_FIELD - 1n);
    expect(() => toCoordinate(BN254_BASE_FIELD, "pi_a[0]")).toThrow(
      expect.objectContaining({ code: "FIELD_OUT_OF_RANGE", message: "pi_a[0] must be below the BN254 base field order q" }),
    );
  });

  it.each(["1.5", "1e3", "-1", " 1", "", "0x", "01"])("refuses the non-canonical integer %j", (value) => {
    expect(() => toField(value, "x")).toThrow(expect.objectContaining({ code: "FIELD_OUT_OF_RANGE" }));
  });

  it("refuses negative and unsafe numbers", () => {
    expect(() => toField(-1n, "x")).toThrow(expect.objectContaining({ message: "x must not be negative" }));
    expect(() => toField(2 ** 60, "x")).toThrow(expect.objectContaining({ code: "FIELD_OUT_OF_RANGE" }));
  });

  it("accepts epoch 2^32 - 1 and refuses 2^32", () => {
    expect(toEpoch(2n ** 32n - 1n, "e")).toBe(2n ** 32n - 1n);
    expect(() => toEpoch(2n ** 32n, "e")).toThrow(
      expect.objectContaining({ code: "EPOCH_OUT_OF_RANGE", message: "e must fit in 32 bits, got 4294967296" }),
    );
  });
});

describe("public signals", () => {
  const values = { memberRoot: 1n, assessorRoot: 2n, nullifier: 3n, planId: 4n, claimEpoch: 5n, amount: 6n, context: 7n };

  it("are ordered memberRoot, assessorRoot, nullifier, planId, claimEpoch, amount, context", () => {
    expect(PUBLIC_SIGNALS).toEqual(["memberRoot", "assessorRoot", "nullifier", "planId", "claimEpoch", "amount", "context"]);
    expect(encodePublicSignals(values)).toEqual(["1", "2", "3", "4", "5", "6", "7"]);
  });

  it("decode what they encode", () => {
    expect(decodePublicSignals(encodePublicSignals(values))).toEqual(values);
  });

  it("refuse a wrong count with INVALID_PUBLIC_SIGNALS", () => {
    expect(() => decodePublicSignals(["1", "2"])).toThrow(
      expect.objectContaining({ code: "INVALID_PUBLIC_SIGNALS", message: "expected 7 public signals, got 2" }),
    );
  });

  it("refuse a value of r or more", () => {
    const signals = encodePublicSignals(values);
    signals[2] = SNARK_SCALAR_FIELD.toString();
    expect(() => decodePublicSignals(signals)).toThrow(
      expect.objectContaining({ code: "FIELD_OUT_OF_RANGE", message: "nullifier must be below the SNARK scalar field order r" }),
    );
  });
});

describe("Solidity proof encoding", () => {
  it("swaps each G2 coordinate pair into (imaginary, real) order", () => {
    const proof = {
      pi_a: ["1", "2", "1"],
      pi_b: [
        ["3", "4"],
        ["5", "6"],
        ["1", "0"],
      ],
      pi_c: ["7", "8", "1"],
    };
    expect(toSolidityProof(proof)).toEqual({
      a: [1n, 2n],
      b: [
        [4n, 3n],
        [6n, 5n],
      ],
      c: [7n, 8n],
    });
  });
});
