/**
 * The coordinator's part: check each signature share (FROST's share verification names a bad
 * share's signer) and sum them into one signature, an ordinary EdDSA-Poseidon signature by the
 * committee's group key. The coordinator needs no secret and learns none: it sees the message hash,
 * commitments and shares, all public. It cannot sign without k members, and what it aggregates is
 * checked again by whoever receives it (`committeeApproval`, then the claim circuit).
 */
import { verifySignature } from "@zk-kit/eddsa-poseidon";
import { type Approval, type ApprovalSignature, verifyApproval } from "../assessor.ts";
import { type ApprovalTerms, approvalMessage, type PublicKey } from "../encoding.ts";
import { ErrorCode, HuzhuError } from "../errors.ts";
import { type CommitteeKeySet, committeePublicKey, frostPublic, memberIdentifier } from "./key-set.ts";
import { checkSigningPackage, frostCommitments, parseSignatureShare, type SignatureShare, type SigningPackage } from "./signing.ts";
import { committeeFrost, decodeFrostSignature, messageBytes } from "./suite.ts";
import { decodeScalar } from "./wire.ts";

/** A committee's aggregate signature on a message: what the desk returns, sealed, to the member. */
export interface CommitteeSignature {
  keySetId: string;
  sessionId: string;
  message: bigint;
  publicKey: PublicKey;
  signature: ApprovalSignature;
}

/** Refuses a share from another key set, session or message, or from a member not in the session. */
function checkShareContext(pkg: SigningPackage, share: SignatureShare): void {
  const details = { member: share.member };
  if (share.keySetId !== pkg.keySetId) {
    throw new HuzhuError(
      ErrorCode.CommitteeWrongKeySet,
      `member ${share.member}'s share is for key set ${share.keySetId}, not ${pkg.keySetId}`,
      details,
    );
  }
  if (share.sessionId !== pkg.sessionId) {
    throw new HuzhuError(
      ErrorCode.CommitteeWrongSession,
      `member ${share.member}'s share is from signing round ${share.sessionId}, not ${pkg.sessionId}`,
      details,
    );
  }
  if (share.message !== pkg.message) {
    throw new HuzhuError(
      ErrorCode.CommitteeWrongMessage,
      `member ${share.member}'s share signs another message than this signing round's`,
      details,
    );
  }
  if (!pkg.commitments.some((c) => c.member === share.member)) {
    throw new HuzhuError(ErrorCode.CommitteeUnknownSigner, `member ${share.member} has no commitment in this signing round`, details);
  }
}

/**
 * Whether one member's share is valid for the package (RFC 9591 §5.4, noble's verifyShare); throws
 * the context codes of a share from another key set, session or message.
 */
export function verifySignatureShare(keySet: CommitteeKeySet, pkgValue: unknown, shareValue: unknown): boolean {
  const pkg = checkSigningPackage(keySet, pkgValue);
  const share = parseSignatureShare(shareValue, keySet.size);
  checkShareContext(pkg, share);
  return committeeFrost.verifyShare(
    frostPublic(keySet),
    frostCommitments(pkg),
    messageBytes(BigInt(pkg.message)),
    memberIdentifier(share.member),
    decodeScalar(share.share, "share"),
  );
}

/**
 * Aggregates one share from every signer of the package. Throws COMMITTEE_SHARE_INVALID with
 * `details.members` naming every signer whose share fails, COMMITTEE_NOT_ENOUGH_SIGNERS when a
 * committed signer sent none (a new session, with fresh commitments, is then needed).
 */
export function aggregateSignature(keySet: CommitteeKeySet, pkgValue: unknown, shareValues: readonly unknown[]): CommitteeSignature {
  const pkg = checkSigningPackage(keySet, pkgValue);
  const shares = new Map<number, SignatureShare>();
  for (const value of shareValues) {
    const share = parseSignatureShare(value, keySet.size);
    checkShareContext(pkg, share);
    if (shares.has(share.member)) {
      throw new HuzhuError(ErrorCode.CommitteeUnknownSigner, `member ${share.member} sent two shares`, { member: share.member });
    }
    shares.set(share.member, share);
  }
  const missing = pkg.commitments.map((c) => c.member).filter((m) => !shares.has(m));
  if (missing.length > 0) {
    throw new HuzhuError(ErrorCode.CommitteeNotEnoughSigners, `no share yet from member(s) ${missing.join(", ")} of this signing round`, {
      missing,
    });
  }
  const pub = frostPublic(keySet);
  const list = frostCommitments(pkg);
  const msg = messageBytes(BigInt(pkg.message));
  const bad = [...shares.values()]
    .filter((s) => !committeeFrost.verifyShare(pub, list, msg, memberIdentifier(s.member), decodeScalar(s.share, "share")))
    .map((s) => s.member);
  if (bad.length > 0) {
    throw new HuzhuError(ErrorCode.CommitteeShareInvalid, `the signature share of member(s) ${bad.join(", ")} does not verify`, {
      members: bad,
    });
  }
  const frostShares = Object.fromEntries([...shares.values()].map((s) => [memberIdentifier(s.member), decodeScalar(s.share, "share")]));
  const { R8, S } = decodeFrostSignature(committeeFrost.aggregate(pub, list, msg, frostShares));
  const publicKey = committeePublicKey(keySet);
  const signature = { R8, S };
  // What the claim circuit will check: circomlib's verifier, here through @zk-kit/eddsa-poseidon.
  if (!verifySignature(BigInt(pkg.message), { R8: [R8[0], R8[1]], S }, [publicKey[0], publicKey[1]])) {
    throw new HuzhuError(ErrorCode.InvalidApprovalSignature, "the aggregate signature does not verify as EdDSA-Poseidon");
  }
  return { keySetId: keySet.id, sessionId: pkg.sessionId, message: BigInt(pkg.message), publicKey, signature };
}

/**
 * The member's approval from a committee signature over its terms: the SDK's ordinary approval, with
 * the committee's group key as its assessor key. COMMITTEE_WRONG_MESSAGE when the signature is over
 * other terms; INVALID_APPROVAL_SIGNATURE when it does not verify.
 */
export function committeeApproval(terms: ApprovalTerms, signed: CommitteeSignature): Approval {
  if (approvalMessage(terms) !== signed.message) {
    throw new HuzhuError(ErrorCode.CommitteeWrongMessage, "this committee signature is over other terms than these");
  }
  const approval: Approval = {
    commitment: terms.commitment,
    planId: terms.planId,
    eventId: terms.eventId,
    amount: terms.amount,
    expiresAtEpoch: terms.expiresAtEpoch,
    assessorPublicKey: signed.publicKey,
    signature: signed.signature,
  };
  if (!verifyApproval(approval)) throw new HuzhuError(ErrorCode.InvalidApprovalSignature, "the committee signature does not verify");
  return approval;
}
