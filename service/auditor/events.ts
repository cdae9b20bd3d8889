/**
 * The pool's history as the auditor keeps it: every plan, membership payment, donation, assessor
 * change and paid claim, read from the pool's events, in chain order. Plain data (bigints, hex strings), so
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

export type PoolEvent = PlanCreatedEvent | MemberEvent | AssessorEvent | ClaimEvent | DonationEvent;

/** Chain order: block, then log index. */
export function compareEvents(a: EventRef, b: EventRef): number {
  if (a.block !== b.block) return a.block < b.block ? -1 : 1;
  return a.logIndex - b.logIndex;
}

/** "tx 0xabc… (block 12, log 3)": how findings name an event. */
export function describeRef(ref: EventRef): string {
  return `tx ${ref.tx} (block ${ref.block}, log ${ref.logIndex})`;
}
