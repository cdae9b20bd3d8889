/**
 * Property tests of the pool's accounting: random sequences of joins, claims (valid or not),
 * replays and time steps. The verifier here accepts every proof, so the sequences can be long;
 * real proofs are covered in HuzhuPool.test.ts. After every step:
 *   - contributed - paidOut - fees == the pool's token balance (one plan, one token);
 *   - a nullifier that paid never pays again;
 *   - no claim pays more than the plan's cap.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { freshAddress, PLAN, poolFixture } from "./fixture.ts";

type Op =
  | { kind: "join"; periods: number }
  | { kind: "claim"; amount: bigint; feeBps: number; nullifier: bigint }
  | { kind: "replay"; pick: number }
  | { kind: "advance"; epochs: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("join" as const), periods: fc.integer({ min: 1, max: 60 }) }),
  fc.record({
    kind: fc.constant("claim" as const),
    // Mostly amounts the plan can pay, sometimes any amount up to twice the cap.
    amount: fc.oneof(
      { weight: 3, arbitrary: fc.bigInt({ min: 1n, max: 200_000_000n }) },
      { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: PLAN.claimCap * 2n }) },
    ),
    feeBps: fc.integer({ min: 0, max: 400 }),
    nullifier: fc.bigInt({ min: 1n, max: 2n ** 253n }),
  }),
  fc.record({ kind: fc.constant("replay" as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant("advance" as const), epochs: fc.integer({ min: 0, max: 2 }) }),
);

describe("pool accounting invariants", () => {
  it("hold over random sequences of joins, claims, replays and time", async () => {
    let acceptedClaims = 0;
    let refusedReplays = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 25 }), async (ops) => {
        const f = await poolFixture({ acceptingVerifier: true });
        const paid: bigint[] = [];
        for (const step of ops) {
          if (step.kind === "join") await f.join(step.periods);
          if (step.kind === "advance" && step.epochs > 0) await f.advanceEpochs(step.epochs);
          if (step.kind === "claim" || step.kind === "replay") {
            const [memberRoot] = await f.pool.read.memberTree([f.planId]);
            const nullifier = step.kind === "claim" ? step.nullifier : paid[step.pick % Math.max(paid.length, 1)];
            if (nullifier === undefined) continue;
            const amount = step.kind === "claim" ? step.amount : 1_000_000n;
            const fee = step.kind === "claim" ? (amount * BigInt(step.feeBps)) / 10_000n : 0n;
            const request = {
              planId: f.planId,
              claimEpoch: await f.currentEpoch(),
              amount,
              memberRoot,
              memberRootSeq: BigInt((await f.pool.read.getPlan([f.planId])).rootSeq),
              assessorRoot: await f.pool.read.assessorRoot([f.planId]),
              nullifier,
              recipient: freshAddress(),
              relayer: f.accounts.relayer.account.address,
              fee,
              gasDrop: 0n,
            };
            const proof = {
              a: [1n, 2n],
              b: [
                [3n, 4n],
                [5n, 6n],
              ],
              c: [7n, 8n],
            } as const;
            const wasSpent = await f.pool.read.nullifierSpent([nullifier]);
            const balanceBefore = await f.token.read.balanceOf([f.pool.address]);
            let accepted = true;
            try {
              await f.asRelayer.write.claim([request, proof]);
            } catch {
              accepted = false;
            }
            const outflow = balanceBefore - (await f.token.read.balanceOf([f.pool.address]));
            if (wasSpent) {
              assert.equal(accepted, false, "a spent nullifier paid again");
              refusedReplays++;
            }
            if (accepted) {
              paid.push(nullifier);
              acceptedClaims++;
              assert.equal(outflow, amount);
              assert.ok(amount <= PLAN.claimCap, "a claim paid more than the cap");
            } else {
              assert.equal(outflow, 0n);
            }
          }
          const books = await f.pool.read.books([f.planId]);
          assert.equal(books.contributed - books.paidOut - books.fees, await f.token.read.balanceOf([f.pool.address]));
        }
        assert.equal(new Set(paid).size, paid.length);
      }),
      { numRuns: 15 },
    );
    // The sequences must reach both outcomes, or the invariants were never tested.
    assert.ok(acceptedClaims > 0, "no claim was ever paid");
    assert.ok(refusedReplays > 0, "no replay was ever tried");
  });
});
