/**
 * A committee member's share: the secret half of the key set, one per member. It never leaves the
 * member's device except sealed in a committee key file (key-file.ts); no other party, coordinator
 * included, ever holds it, and k - 1 of them together learn nothing of the group secret.
 */
import type { FrostSecret } from "@noble/curves/abstract/frost.js";
import { ErrorCode, HuzhuError } from "../errors.ts";
import { type CommitteeKeySet, frostPublic, memberIdentifier } from "./key-set.ts";
import { BabyJubjubPoint, committeeFrost } from "./suite.ts";
import { decodeMember, decodeScalar, toHex } from "./wire.ts";

export interface CommitteeShare {
  keySet: CommitteeKeySet;
  /** This member's index, 1..n. */
  member: number;
  /** The signing share, a scalar (noble's little-endian encoding, hex). Secret. */
  signingShare: string;
}

/** noble's secret package of a share. */
export function frostSecret(share: CommitteeShare): FrostSecret {
  return { identifier: memberIdentifier(share.member), signingShare: decodeScalar(share.signingShare, "signingShare") } as FrostSecret;
}

/**
 * Checks a share belongs to its key set: noble's VSS check against the key set's commitments, and
 * the member's verifying share. Throws COMMITTEE_WRONG_KEY_SET when it does not.
 */
export function checkShare(share: CommitteeShare): CommitteeShare {
  decodeMember(share.member, "member", share.keySet.size);
  const secret = frostSecret(share);
  try {
    committeeFrost.validateSecret(secret, frostPublic(share.keySet));
  } catch (error) {
    throw new HuzhuError(
      ErrorCode.CommitteeWrongKeySet,
      `this share is not member ${share.member}'s of key set ${share.keySet.id}`,
      {},
      { cause: error },
    );
  }
  const verifying = toHex(BabyJubjubPoint.BASE.multiply(BabyJubjubPoint.Fn.fromBytes(secret.signingShare)).toBytes());
  if (verifying !== share.keySet.verifyingShares[share.member - 1]) {
    throw new HuzhuError(ErrorCode.CommitteeWrongKeySet, `this share does not match member ${share.member}'s verifying share`);
  }
  return share;
}
