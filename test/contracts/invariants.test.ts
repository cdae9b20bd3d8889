/**
 * Property tests of the pool's accounting: random sequences of joins, claims (valid or not),
 * replays and time steps. The verifier here accepts every proof, so the sequences can be long;
 * real proofs are covered in HuzhuPool.test.ts. Every refused step must be refused with the custom
 * error (and arguments) the pool's rules give it, in the order the pool checks them, and after
 * every step:
 *   - contributed + donated - paidOut - fees == the pool's token balance (one plan, one token);
 *   - a nullifier that paid never pays again;
 *   - no claim pays more than the plan's cap.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { BaseError, ContractFunctionRevertedError } from "viem";
import { freshAddress, PLAN, poolFixture } from "../../testkit/pool.ts";

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

/** The custom error (name and arguments) a claim step must be refused with, in the pool's order of checks; undefined if it pays. */
function expectedRefusal(step: {
  planId: bigint;
  memberRoot: bigint;
  amount: bigint;
  fee: bigint;
  available: bigint;
  spent: boolean;
  nullifier: bigint;
}): { name: string; args: readonly unknown[] } | undefined {
  const maxFee = (step.amount * BigInt(PLAN.maxFeeBps)) / 10_000n;
  if (step.memberRoot === 0n) return { name: "HuzhuPool__UnknownMemberRoot", args: [step.planId, 0n] };
  if (step.amount === 0n) return { name: "HuzhuPool__ZeroAmount", args: [] };
  if (step.amount > PLAN.claimCap) return { name: "HuzhuPool__AmountOverCap", args: [step.amount, PLAN.claimCap] };
  if (step.fee > maxFee) return { name: "HuzhuPool__FeeTooHigh", args: [step.fee, maxFee] };
  if (step.amount > step.available) return { name: "HuzhuPool__InsufficientPoolFunds", args: [step.amount, step.available] };
  if (step.spent) return { name: "HuzhuPool__NullifierAlreadySpent", args: [step.nullifier] };
  return undefined;
}

/** The pool's custom error a write reverted with (undefined if it did not revert); any other failure is rethrown. */
async function revertOf(write: Promise<unknown>): Promise<{ name: string; args: readonly unknown[] } | undefined> {
  try {
    await write;
    return undefined;
  } catch (error) {
    const reverted = error instanceof BaseError ? error.walk((e) => e instanceof ContractFunctionRevertedError) : undefined;
    if (!(reverted instanceof ContractFunctionRevertedError) || !reverted.data?.errorName) throw error;
    return { name: reverted.data.errorName, args: reverted.data.args ?? [] };
  }
}

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
            const books = await f.pool.read.books([f.planId]);
            const expected = expectedRefusal({
              planId: f.planId,
              memberRoot,
              amount,
              fee,
              available: books.contributed + books.donated - books.paidOut - books.fees,
              spent: wasSpent,
              nullifier,
            });
            const refusal = await revertOf(f.asRelayer.write.claim([request, proof]));
            assert.deepEqual(
              refusal,
              expected,
              "the pool refused a step for another reason than its rules give, or paid one it must refuse",
            );
            const accepted = refusal === undefined;
            const outflow = balanceBefore - (await f.token.read.balanceOf([f.pool.address]));
            if (wasSpent) refusedReplays++;
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
          assert.equal(books.contributed + books.donated - books.paidOut - books.fees, await f.token.read.balanceOf([f.pool.address]));
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
