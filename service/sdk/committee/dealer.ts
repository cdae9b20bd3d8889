/**
 * DEVELOPMENT AND TESTS ONLY: a trusted dealer (RFC 9591 Appendix C) makes the whole key in one
 * process and hands out the shares, so that process knows the group secret and could sign alone.
 * A real committee runs the DKG (dkg.ts), where no party ever holds the group secret.
 */
import { keySetFromFrost, memberIdentifier } from "./key-set.ts";
import type { CommitteeShare } from "./share.ts";
import { committeeFrost } from "./suite.ts";
import { MAX_COMMITTEE_SIZE, malformed, toHex } from "./wire.ts";

export interface CommitteeParams {
  /** k: signers needed, at least 2. */
  threshold: number;
  /** n: members, at least k. */
  size: number;
}

export function checkParams({ threshold, size }: CommitteeParams): void {
  if (!Number.isInteger(size) || size < 2 || size > MAX_COMMITTEE_SIZE) malformed(`a committee has 2 to ${MAX_COMMITTEE_SIZE} members`);
  if (!Number.isInteger(threshold) || threshold < 2 || threshold > size) malformed("a committee's threshold is from 2 to its size");
}

/** Every member's share of a new key set, made by one dealer. Insecure: for development and tests only. */
export function insecureDealerCommittee(params: CommitteeParams): CommitteeShare[] {
  checkParams(params);
  const identifiers = Array.from({ length: params.size }, (_, i) => memberIdentifier(i + 1));
  const dealt = committeeFrost.trustedDealer({ min: params.threshold, max: params.size }, identifiers);
  const keySet = keySetFromFrost(dealt.public);
  return identifiers.map((id, i) => {
    const secret = dealt.secretShares[id] ?? malformed(`the dealer made no share for member ${i + 1}`);
    return { keySet, member: i + 1, signingShare: toHex(secret.signingShare) };
  });
}
