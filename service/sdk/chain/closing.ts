/**
 * A closing plan from chain data: its timetable (announced closing epoch, last claim epoch, refund
 * registration and withdrawals), the epoch a claim must name now, the members a paying wallet can
 * register for refunds, and the pool calls of each step. The refund rule is the pool's: each wallet's
 * share is the balance left times its registered periods over the periods not yet withdrawn.
 * Runs in Node and in browsers.
 */
import type { Address } from "viem";
import { huzhuPoolAbi } from "./abi.ts";
import { type ClosingTimetable, type PoolRef, poolLogs, readPlan } from "./pool.ts";

/** Where a closing plan is in its timetable at a given time. */
export type ClosingPhase =
  /** Announced; the closing epoch has not ended: claims as usual, no joins or renewals. */
  | "closing"
  /** Past the closing epoch, within the grace periods: claims as of the closing epoch. */
  | "grace"
  /** Claims ended: paying wallets register their members' unused periods. */
  | "registration"
  /** Registration ended: registered wallets withdraw their share, once. */
  | "payable";

/** The phase of a closing plan at unix time `now`, with the plan's current epoch `epoch`. */
export function closingPhase(closing: ClosingTimetable, now: bigint, epoch: bigint): ClosingPhase {
  if (now >= closing.refundsPayableFrom) return "payable";
  if (now >= closing.refundsFrom) return "registration";
  return epoch > closing.closingEpoch ? "grace" : "closing";
}

/** The plan's closing timetable, or undefined while no closing is announced. */
export async function readClosing(ref: PoolRef, planId: bigint): Promise<ClosingTimetable | undefined> {
  return (await readPlan(ref, planId)).closing;
}

/**
 * The epoch a claim sent now must name (the pool's claimEpochNow): the current epoch, or in a
 * closing plan past its closing epoch the closing epoch. Rejects with the pool's ClaimsClosed once
 * the plan's claims have ended.
 */
export async function claimEpochNow(ref: PoolRef, planId: bigint): Promise<bigint> {
  return ref.client.readContract({ address: ref.pool, abi: huzhuPoolAbi, functionName: "claimEpochNow", args: [planId] });
}

/** A paying wallet's refund: the periods it registered and whether it withdrew them. */
export interface RefundDue {
  periods: bigint;
  paid: boolean;
}

export async function readRefundDue(ref: PoolRef, planId: bigint, payer: Address): Promise<RefundDue> {
  const [periods, paid] = await ref.client.readContract({
    address: ref.pool,
    abi: huzhuPoolAbi,
    functionName: "refundDue",
    args: [planId, payer],
  });
  return { periods, paid };
}

/** What a withdrawal by a wallet holding `periods` of the plan's `unpaidPeriods` pays now (the pool's rule). */
export function refundShare(balance: bigint, periods: bigint, unpaidPeriods: bigint): bigint {
  return unpaidPeriods === 0n ? 0n : (balance * periods) / unpaidPeriods;
}

/** A member whose refund `payer` may register: it paid last for it, and its cover runs past the closing epoch. */
export interface RefundableMember {
  commitment: bigint;
  paidThrough: bigint;
  /** paidThrough - closingEpoch. */
  unusedPeriods: bigint;
}

/**
 * The members of a closing plan whose last payment `payer` made (the pool refunds that wallet),
 * with the periods each would register; members already registered or whose cover ended by the
 * closing epoch are left out. The payer is public in every MemberJoined / MemberRenewed event.
 */
export async function refundableMembers(ref: PoolRef, planId: bigint, payer: Address): Promise<RefundableMember[]> {
  const closing = await readClosing(ref, planId);
  if (!closing) return [];
  const logs = await poolLogs(ref, ["MemberJoined", "MemberRenewed"], { planId });
  const lastPayer = new Map<bigint, string>();
  for (const log of logs) {
    const a = log.args as { commitment: bigint; payer: Address };
    lastPayer.set(a.commitment, a.payer.toLowerCase());
  }
  const mine = [...lastPayer].filter(([, p]) => p === payer.toLowerCase()).map(([commitment]) => commitment);
  const covers = await Promise.all(
    mine.map((commitment) =>
      ref.client.readContract({ address: ref.pool, abi: huzhuPoolAbi, functionName: "coverageOf", args: [planId, commitment] }),
    ),
  );
  return mine.flatMap((commitment, i) => {
    const paidThrough = BigInt(covers[i]?.paidThrough ?? 0);
    return paidThrough > closing.closingEpoch ? [{ commitment, paidThrough, unusedPeriods: paidThrough - closing.closingEpoch }] : [];
  });
}

/** A closing step as the pool logged it. */
export type ClosingEvent =
  | { kind: "announced"; planId: bigint; closingEpoch: bigint; lastClaimEpoch: bigint; refundsFrom: bigint; refundsPayableFrom: bigint }
  | { kind: "registered"; planId: bigint; payer: Address; commitment: bigint; periods: bigint }
  | { kind: "refunded"; planId: bigint; payer: Address; periods: bigint; amount: bigint };

/** Every ClosingAnnounced, RefundRegistered and Refunded of `planId`, in chain order. */
export async function closingEvents(ref: PoolRef, planId: bigint): Promise<ClosingEvent[]> {
  const logs = await poolLogs(ref, ["ClosingAnnounced", "RefundRegistered", "Refunded"], { planId });
  return logs.map((log): ClosingEvent => {
    const a = log.args as Record<string, bigint | Address>;
    if (log.eventName === "ClosingAnnounced") {
      return {
        kind: "announced",
        planId: a.planId as bigint,
        closingEpoch: a.closingEpoch as bigint,
        lastClaimEpoch: a.lastClaimEpoch as bigint,
        refundsFrom: a.refundsFrom as bigint,
        refundsPayableFrom: a.refundsPayableFrom as bigint,
      };
    }
    if (log.eventName === "RefundRegistered") {
      return {
        kind: "registered",
        planId: a.planId as bigint,
        payer: a.payer as Address,
        commitment: a.commitment as bigint,
        periods: a.periods as bigint,
      };
    }
    return {
      kind: "refunded",
      planId: a.planId as bigint,
      payer: a.payer as Address,
      periods: a.periods as bigint,
      amount: a.amount as bigint,
    };
  });
}
