/**
 * What a plan paid out lately, from chain data: the pool's ClaimPaid events in the blocks since
 * the start of the last few periods (the first such block found by its timestamp, so that only
 * those blocks' events are read). Runs in Node and in browsers.
 */
import { CodedError } from "../coded-error.ts";
import { type PlanInfo, type PoolRef, poolLogs } from "./pool.ts";

/** The periods the plan comparison sums over ("paid in the last 3 periods"). */
export const RECENT_PAYOUT_PERIODS = 3;

/** A plan's claims paid from the start of epoch `fromEpoch` through now (epoch `toEpoch`). */
export interface RecentPayouts {
  planId: bigint;
  fromEpoch: bigint;
  toEpoch: bigint;
  /** Unix time epoch `fromEpoch` began: payouts in blocks from then on count. */
  since: bigint;
  claims: number;
  /** What the claims took from the pool: their amounts, relayer fees included (books' paidOut + fees). */
  amount: bigint;
  /** Of which relayer fees. */
  fees: bigint;
}

export class PayoutWindowError extends CodedError<"BAD_PERIODS"> {
  constructor(periods: number) {
    super("BAD_PERIODS", `the payout window must be a whole number of periods from 1, got ${periods}`);
    this.name = "PayoutWindowError";
  }
}

/** The first block in [from, to] whose timestamp is at least `time` (to + 1 if none is). */
async function firstBlockAt(ref: PoolRef, from: bigint, to: bigint, time: bigint): Promise<bigint> {
  let lo = from;
  let hi = to + 1n;
  while (lo < hi) {
    const mid = (lo + hi) / 2n;
    const block = await ref.client.getBlock({ blockNumber: mid });
    if (block.timestamp >= time) hi = mid;
    else lo = mid + 1n;
  }
  return lo;
}

/**
 * The claims `plan` paid in its current epoch and the `periods - 1` before it (fewer when the plan
 * is younger), by the time of the block that paid them.
 */
export async function recentPayouts(
  ref: PoolRef,
  plan: Pick<PlanInfo, "planId" | "start" | "periodLength" | "currentEpoch">,
  periods: number = RECENT_PAYOUT_PERIODS,
): Promise<RecentPayouts> {
  if (!Number.isInteger(periods) || periods < 1) throw new PayoutWindowError(periods);
  const back = BigInt(periods - 1);
  const fromEpoch = plan.currentEpoch > back ? plan.currentEpoch - back : 0n;
  const since = plan.start + fromEpoch * plan.periodLength;
  const latest = await ref.client.getBlockNumber({ cacheTime: 0 });
  const first = fromEpoch === 0n ? (ref.fromBlock ?? 0n) : await firstBlockAt(ref, ref.fromBlock ?? 0n, latest, since);
  const out: RecentPayouts = { planId: plan.planId, fromEpoch, toEpoch: plan.currentEpoch, since, claims: 0, amount: 0n, fees: 0n };
  if (first > latest) return out;
  for (const log of await poolLogs({ ...ref, fromBlock: first }, ["ClaimPaid"], { planId: plan.planId }, latest)) {
    const { request } = log.args as { request: { amount: bigint; fee: bigint } };
    out.claims += 1;
    out.amount += request.amount;
    out.fees += request.fee;
  }
  return out;
}
