/**
 * The pool's ClaimRequest: a proof's public signals plus the payout terms its context binds, and the
 * decimal-string form the relayer API takes. No prover here, so the web app's main bundle can use it.
 */
import { type Address, isAddress } from "viem";
import type { ClaimPublicSignals } from "../encoding.ts";
import { ErrorCode, HuzhuError } from "../errors.ts";
import { toField } from "../field.ts";

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
  /** Native coin (wei) sent with the claim and passed on to the recipient; bound by the context. */
  gasDrop: bigint;
}

/** The payout terms a claim request adds to the proof's public signals. */
export interface ClaimTerms {
  memberRootSeq: bigint;
  recipient: Address;
  relayer: Address;
  fee: bigint;
  gasDrop: bigint;
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
    gasDrop: terms.gasDrop,
  };
}

/** The pool's ClaimRequest as decimal strings (addresses as they are), as the relayer API takes it. */
export type ClaimRequestBody = Record<Exclude<keyof PoolClaimRequest, "recipient" | "relayer">, string> & {
  recipient: Address;
  relayer: Address;
};

/** The fields of a ClaimRequest in the pool's struct order (the ABI's and the relayer API's). */
export const CLAIM_REQUEST_FIELDS = [
  "planId",
  "claimEpoch",
  "amount",
  "memberRoot",
  "memberRootSeq",
  "assessorRoot",
  "nullifier",
  "recipient",
  "relayer",
  "fee",
  "gasDrop",
] as const satisfies ReadonlyArray<keyof PoolClaimRequest>;

const ADDRESS_FIELDS = new Set<string>(["recipient", "relayer"]);

export function requestToJson(request: PoolClaimRequest): ClaimRequestBody {
  return Object.fromEntries(CLAIM_REQUEST_FIELDS.map((k) => [k, String(request[k])])) as ClaimRequestBody;
}

/**
 * The one decoder of a ClaimRequest's JSON form (relayer API bodies and stored claims): every number
 * a canonical field element (the pool refuses the rest; `fee` and `gasDrop` are far below r in any
 * payable claim), every address a valid 20-byte hex address. Throws FIELD_OUT_OF_RANGE naming `request.<field>`.
 */
export function requestFromJson(raw: Readonly<Record<string, string>>): PoolClaimRequest {
  const out: Record<string, bigint | Address> = {};
  for (const key of CLAIM_REQUEST_FIELDS) {
    const value = raw[key];
    const name = `request.${key}`;
    if (value === undefined) throw new HuzhuError(ErrorCode.FieldOutOfRange, `${name} is missing`, { name });
    if (ADDRESS_FIELDS.has(key)) {
      if (!isAddress(value, { strict: false })) {
        throw new HuzhuError(ErrorCode.FieldOutOfRange, `${name} must be a 20-byte hex address, got ${JSON.stringify(value)}`, { name });
      }
      // Kept as written (any case): it is what the member sent and what status replies echo.
      out[key] = value as Address;
    } else {
      out[key] = toField(value, name);
    }
  }
  return out as unknown as PoolClaimRequest;
}
