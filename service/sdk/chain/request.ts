/**
 * The pool's ClaimRequest: a proof's public signals plus the payout terms its context binds, and the
 * decimal-string form the relayer API takes. No prover here, so the web app's main bundle can use it.
 */
import type { Address } from "viem";
import type { ClaimPublicSignals } from "../encoding.ts";

/** The pool's ClaimRequest with numbers as bigints (what `claim` takes). */
export interface PoolClaimRequest {
  planId: bigint;
  claimEpoch: bigint;
  amount: bigint;
  memberRoot: bigint;
  /** Where the pool keeps `memberRoot` (its sequence number); not a proof input. */
  memberRootSeq: bigint;
  assessorRoot: bigint;
  nullifier: bigint;
  recipient: Address;
  relayer: Address;
  fee: bigint;
}

/** The payout terms a claim request adds to the proof's public signals. */
export interface ClaimTerms {
  memberRootSeq: bigint;
  recipient: Address;
  relayer: Address;
  fee: bigint;
}

/** The pool's ClaimRequest for a proof's public signals and the payout terms its context binds. */
export function poolClaimRequest(claim: ClaimPublicSignals, terms: ClaimTerms): PoolClaimRequest {
  return {
    planId: claim.planId,
    claimEpoch: claim.claimEpoch,
    amount: claim.amount,
    memberRoot: claim.memberRoot,
    memberRootSeq: terms.memberRootSeq,
    assessorRoot: claim.assessorRoot,
    nullifier: claim.nullifier,
    recipient: terms.recipient,
    relayer: terms.relayer,
    fee: terms.fee,
  };
}

/** The pool's ClaimRequest as decimal strings (addresses as they are), as the relayer API takes it. */
export type ClaimRequestBody = Record<Exclude<keyof PoolClaimRequest, "recipient" | "relayer">, string> & {
  recipient: Address;
  relayer: Address;
};

export function requestToJson(request: PoolClaimRequest): ClaimRequestBody {
  return Object.fromEntries(Object.entries(request).map(([k, v]) => [k, String(v)])) as ClaimRequestBody;
}
