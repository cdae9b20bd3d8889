/**
 * Batch verification agrees with one-by-one snarkjs verification on valid and mixed batches of real
 * claim proofs, names the single bad proof in a batch of 100, and refuses malformed proofs before
 * any pairing.
 */
import * as snarkjs from "snarkjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BatchItem, Groth16BatchVerifier } from "../../service/sdk/batch-verify.ts";
import { BN254_BASE_FIELD } from "../../service/sdk/constants.ts";
import {
  fromSolidityProof,
  type Groth16Proof,
  releaseProver,
  SNARK_SCALAR_FIELD,
  toSolidityProof,
  verifyClaimProof,
} from "../../service/sdk/index.ts";
import { loadVerificationKey } from "../../service/sdk/node.ts";
import { realProofs, rerandomize, twistPointOutsideG2 } from "./proofs.ts";

const vkey = loadVerificationKey();
let real: Array<{ proof: Groth16Proof; publicSignals: string[] }> = [];
const hundred: BatchItem[] = [];

async function oneByOne(items: readonly BatchItem[]): Promise<boolean[]> {
  const out: boolean[] = [];
  for (const item of items) {
    try {
      out.push(await snarkjs.groth16.verify(vkey, item.publicSignals.map(String), item.proof));
    } catch {
      out.push(false);
    }
  }
  return out;
}

beforeAll(async () => {
  real = await realProofs(3);
  // 100 distinct valid proofs of three statements.
  for (let i = 0; i < 100; i++) {
    const base = real[i % real.length] as (typeof real)[number];
    hundred.push({ proof: await rerandomize(base.proof, vkey), publicSignals: base.publicSignals });
  }
});

afterAll(async () => {
  await releaseProver();
});

describe("Groth16BatchVerifier", () => {
  it("accepts a batch of 100 valid proofs with one combined check, as one-by-one verification does", async () => {
    const verifier = await Groth16BatchVerifier.create(vkey);
    const batch = await verifier.verify(hundred);
    expect(batch).toEqual(new Array(100).fill(true));
    expect(verifier.stats).toMatchObject({ proofs: 100, malformed: 0, checks: 1, millerLoops: 103 });
    expect(await oneByOne(hundred)).toEqual(batch);
  });

  it("finds the single bad proof in a batch of 100 by bisection", async () => {
    const verifier = await Groth16BatchVerifier.create(vkey);
    const items = hundred.slice();
    const signals = [...(items[63] as BatchItem).publicSignals];
    signals[5] = (BigInt(signals[5] as string) + 1n).toString(); // another amount
    items[63] = { ...(items[63] as BatchItem), publicSignals: signals };
    const results = await verifier.verify(items);
    expect(results.flatMap((ok, i) => (ok ? [] : [i]))).toEqual([63]);
    // One check for the whole batch, then about two per level of the bisection.
    expect(verifier.stats.checks).toBeLessThanOrEqual(1 + 2 * Math.ceil(Math.log2(100)));
  });

  it("agrees with one-by-one verification on a mixed batch", async () => {
    const items: BatchItem[] = hundred.slice(0, 24);
    const swapped = { proof: (items[1] as BatchItem).proof, publicSignals: (items[2] as BatchItem).publicSignals }; // proof of another statement
    const contextChanged = {
      ...(items[4] as BatchItem),
      publicSignals: (items[4] as BatchItem).publicSignals.map((s, i) => (i === 6 ? "12345" : s)),
    };
    const forgedC = { ...(items[7] as BatchItem), proof: { ...(items[7] as BatchItem).proof, pi_c: (items[8] as BatchItem).proof.pi_c } };
    items.splice(3, 0, swapped);
    items.splice(10, 0, contextChanged);
    items.splice(17, 0, forgedC);
    const verifier = await Groth16BatchVerifier.create(vkey, { batchSize: 8 });
    const results = await verifier.verify(items);
    expect(results.flatMap((ok, i) => (ok ? [] : [i]))).toEqual([3, 10, 17]);
    expect(await oneByOne(items)).toEqual(results);
  });

  it("refuses malformed proofs before pairing: off-curve points, coordinates or signals out of range, B outside G2", async () => {
    const good = hundred[0] as BatchItem;
    const p = good.proof;
    const offCurve = { ...good, proof: { ...p, pi_a: [p.pi_a[0] as string, (BigInt(p.pi_a[1] as string) + 1n).toString(), "1"] } };
    // (x, y + q) is the same point to snarkjs (it reduces mod q); the EVM refuses it.
    const aliasedY = {
      ...good,
      proof: { ...p, pi_a: [p.pi_a[0] as string, (BigInt(p.pi_a[1] as string) + BN254_BASE_FIELD).toString(), "1"] },
    };
    const signalAboveR = {
      ...good,
      publicSignals: good.publicSignals.map((s, i) => (i === 0 ? (BigInt(s) + SNARK_SCALAR_FIELD).toString() : s)),
    };
    const tooFew = { ...good, publicSignals: good.publicSignals.slice(1) };
    const notNumbers = { ...good, proof: { ...p, pi_c: ["x", "y", "1"] } };
    const outsideG2 = { ...good, proof: { ...p, pi_b: await twistPointOutsideG2() } };
    const verifier = await Groth16BatchVerifier.create(vkey);
    const results = await verifier.verify([good, offCurve, aliasedY, signalAboveR, tooFew, notNumbers, outsideG2, good]);
    expect(results).toEqual([true, false, false, false, false, false, false, true]);
    expect(verifier.stats.malformed).toBe(6);
    expect(await verifier.checkBatch([good, outsideG2])).toBe(false);
    expect(await verifier.checkBatch([good, hundred[1] as BatchItem])).toBe(true);
  });
});

describe("fromSolidityProof", () => {
  it("inverts toSolidityProof: the event's proof verifies as snarkjs made it", async () => {
    const { proof, publicSignals } = real[0] as (typeof real)[number];
    const back = fromSolidityProof(toSolidityProof(proof));
    expect(back.pi_a).toEqual(proof.pi_a);
    expect(back.pi_b).toEqual(proof.pi_b);
    expect(back.pi_c).toEqual(proof.pi_c);
    expect(await verifyClaimProof(vkey, back, publicSignals)).toBe(true);
  });

  it("maps the EVM's (0, 0) to the point at infinity", () => {
    const zero = fromSolidityProof({
      a: [0n, 0n],
      b: [
        [0n, 0n],
        [0n, 0n],
      ],
      c: [1n, 2n],
    });
    expect(zero.pi_a).toEqual(["0", "1", "0"]);
    expect(zero.pi_b[2]).toEqual(["0", "0"]);
    expect(zero.pi_c).toEqual(["1", "2", "1"]);
  });
});
