/**
 * The pool's history as the auditor keeps it: every plan, membership payment, donation, assessor
 * change, paid claim, closing announcement and refund step, read from the pool's events, in chain order. Plain data (bigints, hex strings), so
 * the checks are pure functions over a list and the list can be stored in a checkpoint.
 */

import type { Hex } from "viem";
import type { PoolClaimRequest } from "../sdk/chain/claim.ts";
import type { PlanTerms } from "../sdk/chain/pool.ts";
import type { SolidityProof } from "../sdk/encoding.ts";

/** Where an event sits on the chain. */
export interface EventRef {
  block: bigint;
  blockHash: Hex;
  tx: Hex;
  logIndex: number;
}

export interface PlanCreatedEvent extends EventRef, PlanTerms {
  kind: "plan";
  planId: bigint;
  start: bigint;
}

/** MemberJoined (renewal false) or MemberRenewed (renewal true). */
export interface MemberEvent extends EventRef {
  kind: "member";
  renewal: boolean;
  planId: bigint;
  commitment: bigint;
  index: bigint;
  paid: bigint;
  memberRoot: bigint;
  /** The wallet that paid (a closed plan refunds the last one). */
  payer?: Hex;
  /** The member's cover after this payment ends with this epoch. */
  paidThrough?: bigint;
}

/** AssessorAdded (revoked false) or AssessorRevoked (revoked true). */
export interface AssessorEvent extends EventRef {
  kind: "assessor";
  revoked: boolean;
  planId: bigint;
  leaf: bigint;
  assessorRoot: bigint;
}

/** ClaimPaid: the request, the context the pool computed and the proof it accepted. */
export interface ClaimEvent extends EventRef, PoolClaimRequest {
  kind: "claim";
  context: bigint;
  proof: SolidityProof;
  /** The block's timestamp (the pool's clock when it paid), if read. */
  timestamp?: bigint;
  /** Whether the proof verifies against the audited verification key (set once verified). */
  verified?: boolean;
}

/** DonationReceived: a gift to a plan's pool. */
export interface DonationEvent extends EventRef {
  kind: "donation";
  planId: bigint;
  donor: Hex;
  amount: bigint;
}

/** ClaimGracePeriodsSet: how many epochs after its closing epoch the plan pays claims. */
export interface GraceEvent extends EventRef {
  kind: "grace";
  planId: bigint;
  periods: bigint;
}

/** ClosingAnnounced: the plan's closing timetable. */
export interface ClosingEvent extends EventRef {
  kind: "closing";
  planId: bigint;
  closingEpoch: bigint;
  lastClaimEpoch: bigint;
  refundsFrom: bigint;
  refundsPayableFrom: bigint;
}

/** RefundRegistered (registered true) or Refunded: a closed plan's refund steps, with the block's time. */
export interface RefundEvent extends EventRef {
  kind: "refund";
  registered: boolean;
  planId: bigint;
  payer: Hex;
  /** The member registered (registrations only). */
  commitment?: bigint;
  periods: bigint;
  /** Paid back (withdrawals only). */
  amount?: bigint;
  /** The block's timestamp, if read. */
  timestamp?: bigint;
}

export type PoolEvent =
  | PlanCreatedEvent
  | MemberEvent
  | AssessorEvent
  | ClaimEvent
  | DonationEvent
  | GraceEvent
  | ClosingEvent
  | RefundEvent;

/** Chain order: block, then log index. */
export function compareEvents(a: EventRef, b: EventRef): number {
  if (a.block !== b.block) return a.block < b.block ? -1 : 1;
  return a.logIndex - b.logIndex;
}

/** "tx 0xabc… (block 12, log 3)": how findings name an event. */
export function describeRef(ref: EventRef): string {
  return `tx ${ref.tx} (block ${ref.block}, log ${ref.logIndex})`;
}
