/**
 * A plan's recent payouts from chain data (Hardhat's in-process network, real claim proofs): the
 * claims paid since the start of the last N periods, by the block that paid them, counted per
 * plan; the whole history agrees with the pool's books; a window of no periods is refused.
 */
import type { PublicClient } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PayoutWindowError, recentPayouts } from "../../service/sdk/chain/payouts.ts";
import { type PoolRef, readPlan } from "../../service/sdk/chain/pool.ts";
import { releaseProver } from "../../service/sdk/index.ts";
import { PERIOD, type PoolKit, poolKit } from "../../testkit/pool.ts";

let chain: PoolKit;
let ref: PoolRef;
let medical: bigint;
let dental: bigint;

beforeAll(async () => {
  chain = await poolKit();
  ref = { client: chain.publicClient as unknown as PublicClient, pool: chain.pool.address };
  const token = await chain.deployToken();
  medical = await chain.createPlan(token, "Medical");
  dental = await chain.createPlan(token, "Dental");
  const member = await chain.join(medical);
  const dentalMember = await chain.join(dental);
  // Epoch 0: one medical claim. Epoch 1: one medical and one dental claim. Then two quiet epochs.
  await chain.claim(medical, member, { amount: 100_000_000n, fee: 1_000_000n });
  await chain.advanceEpochs(1);
  await chain.claim(medical, member, { amount: 50_000_000n, fee: 1_500_000n });
  await chain.claim(dental, dentalMember, { amount: 70_000_000n, fee: 0n });
  await chain.advanceEpochs(2);
});

afterAll(async () => {
  await releaseProver();
});

describe("recentPayouts", () => {
  it("sums the claims paid in the last 3 periods (epochs 1 to 3), amounts with their fees, and not an older claim", async () => {
    const plan = await readPlan(ref, medical);
    expect(plan.currentEpoch).toBe(3n);
    expect(await recentPayouts(ref, plan)).toEqual({
      planId: medical,
      fromEpoch: 1n,
      toEpoch: 3n,
      since: plan.start + PERIOD,
      claims: 1,
      amount: 50_000_000n,
      fees: 1_500_000n,
    });
  });

  it("counts each plan's claims only", async () => {
    const plan = await readPlan(ref, dental);
    expect(await recentPayouts(ref, plan)).toMatchObject({ planId: dental, claims: 1, amount: 70_000_000n, fees: 0n });
  });

  it("over a window reaching the plan's start, agrees with the pool's books (paid out plus fees)", async () => {
    const plan = await readPlan(ref, medical);
    const all = await recentPayouts(ref, plan, 4);
    expect(all).toMatchObject({ fromEpoch: 0n, claims: 2, amount: 150_000_000n, fees: 2_500_000n });
    expect(all.amount).toBe(plan.paidOut + plan.fees);
    expect(await recentPayouts(ref, plan, 100)).toEqual({ ...all });
  });

  it("finds nothing in a window of quiet periods", async () => {
    const plan = await readPlan(ref, medical);
    expect(await recentPayouts(ref, plan, 2)).toMatchObject({ fromEpoch: 2n, toEpoch: 3n, claims: 0, amount: 0n, fees: 0n });
  });

  it("refuses a window of no periods with BAD_PERIODS", async () => {
    const plan = await readPlan(ref, medical);
    const refused = recentPayouts(ref, plan, 0);
    await expect(refused).rejects.toBeInstanceOf(PayoutWindowError);
    await expect(refused).rejects.toMatchObject({
      code: "BAD_PERIODS",
      message: "the payout window must be a whole number of periods from 1, got 0",
    });
  });
});
