/**
 * Round two: the signing package a coordinator sends to the chosen signers (the session, the
 * message and the round-one commitments of k to n members), and a signer's signature share over it.
 * The package carries the approval message only, never its terms: a coordinator (the desk) sees a
 * Poseidon hash, and each signer checks that hash against the terms it reviewed itself.
 */
import type { NonceCommitments } from "@noble/curves/abstract/frost.js";
import { type ApprovalTerms, approvalMessage } from "../encoding.ts";
import { ErrorCode, HuzhuError } from "../errors.ts";
import type { CommitteeKeySet } from "./key-set.ts";
import { frostPublic, memberIdentifier } from "./key-set.ts";
import type { NonceCommitment, NonceStore } from "./nonces.ts";
import { type CommitteeShare, frostSecret } from "./share.ts";
import { committeeFrost, messageBytes, POINT_BYTES } from "./suite.ts";
import {
  decodeDecimalField,
  decodeHex,
  decodeMember,
  decodePoint,
  decodeScalar,
  decodeSessionId,
  isObject,
  malformed,
  toHex,
} from "./wire.ts";

export interface SigningPackage {
  keySetId: string;
  sessionId: string;
  /** The approval message (Poseidon of the terms), decimal. */
  message: string;
  /** The chosen signers' round-one commitments: at least k, at most n, one per member. */
  commitments: NonceCommitment[];
}

/** A signer's round-two message: public, sent to the coordinator. */
export interface SignatureShare {
  keySetId: string;
  sessionId: string;
  member: number;
  /** The message it signs, decimal. */
  message: string;
  /** The signature share, a scalar (noble's encoding, hex). */
  share: string;
}

/**
 * Checks a signing package against the key set: its key set and every commitment's
 * (COMMITTEE_WRONG_KEY_SET), every commitment's session (COMMITTEE_WRONG_SESSION), members of the key
 * set each once (COMMITTEE_UNKNOWN_SIGNER), k to n of them (COMMITTEE_NOT_ENOUGH_SIGNERS).
 */
export function checkSigningPackage(keySet: CommitteeKeySet, value: unknown): SigningPackage {
  if (!isObject(value) || !Array.isArray(value.commitments)) return malformed("a signing package");
  if (value.keySetId !== keySet.id) {
    throw new HuzhuError(ErrorCode.CommitteeWrongKeySet, `this signing package is for key set ${String(value.keySetId)}, not ${keySet.id}`);
  }
  const sessionId = decodeSessionId(value.sessionId);
  const message = decodeDecimalField(value.message, "message");
  const seen = new Set<number>();
  const commitments = (value.commitments as unknown[]).map((c, i): NonceCommitment => {
    if (!isObject(c)) return malformed(`commitments[${i}]`);
    if (c.keySetId !== keySet.id) throw new HuzhuError(ErrorCode.CommitteeWrongKeySet, `commitments[${i}] is for another key set`);
    if (c.sessionId !== sessionId) {
      throw new HuzhuError(ErrorCode.CommitteeWrongSession, `commitments[${i}] is from session ${String(c.sessionId)}, not ${sessionId}`, {
        member: c.member,
      });
    }
    if (typeof c.member !== "number" || !Number.isInteger(c.member) || c.member < 1 || c.member > keySet.size || seen.has(c.member)) {
      throw new HuzhuError(
        ErrorCode.CommitteeUnknownSigner,
        `commitments[${i}]: member ${String(c.member)} is not a new member of this key set`,
        {
          member: c.member,
        },
      );
    }
    seen.add(c.member);
    decodePoint(c.hiding, `commitments[${i}].hiding`);
    decodePoint(c.binding, `commitments[${i}].binding`);
    return { keySetId: keySet.id, sessionId, member: c.member, hiding: c.hiding as string, binding: c.binding as string };
  });
  if (commitments.length < keySet.threshold || commitments.length > keySet.size) {
    throw new HuzhuError(
      ErrorCode.CommitteeNotEnoughSigners,
      `a signing session of this committee takes ${keySet.threshold} to ${keySet.size} signers, not ${commitments.length}`,
      { signers: commitments.length, threshold: keySet.threshold },
    );
  }
  return { keySetId: keySet.id, sessionId, message: message.toString(), commitments };
}

/** noble's commitment list of a checked package (noble checks each point it parses). */
export function frostCommitments(pkg: SigningPackage): NonceCommitments[] {
  return pkg.commitments.map(
    (c) =>
      ({
        identifier: memberIdentifier(c.member),
        hiding: decodeHex(c.hiding, "hiding", POINT_BYTES),
        binding: decodeHex(c.binding, "binding", POINT_BYTES),
      }) as NonceCommitments,
  );
}

/** The package a coordinator sends once it holds the chosen signers' commitments. */
export function createSigningPackage(
  keySet: CommitteeKeySet,
  sessionId: string,
  message: bigint,
  commitments: NonceCommitment[],
): SigningPackage {
  return checkSigningPackage(keySet, { keySetId: keySet.id, sessionId, message: message.toString(), commitments });
}

/**
 * Round two: this member's share of the signature on `pkg`, after checking the package is for its
 * key set and over the message of the `terms` it reviewed (COMMITTEE_WRONG_MESSAGE otherwise), and
 * taking its nonce from `nonces` (which refuses a nonce used before: COMMITTEE_NONCE_USED).
 */
export function signShare(share: CommitteeShare, value: unknown, terms: ApprovalTerms, nonces: NonceStore): SignatureShare {
  const pkg = checkSigningPackage(share.keySet, value);
  const message = approvalMessage(terms);
  if (BigInt(pkg.message) !== message) {
    throw new HuzhuError(
      ErrorCode.CommitteeWrongMessage,
      "the signing package's message is not the approval of the terms this member reviewed",
    );
  }
  const own = pkg.commitments.find((c) => c.member === share.member);
  if (own === undefined) {
    throw new HuzhuError(ErrorCode.CommitteeUnknownSigner, `member ${share.member} is not among this signing round's signers`, {
      member: share.member,
    });
  }
  const nonce = nonces.take(own, share, pkg.sessionId);
  const sigShare = committeeFrost.signShare(
    frostSecret(share),
    frostPublic(share.keySet),
    nonce,
    frostCommitments(pkg),
    messageBytes(message),
  );
  return { keySetId: share.keySet.id, sessionId: pkg.sessionId, member: share.member, message: pkg.message, share: toHex(sigShare) };
}

/** Checks a received share's shape (not its value: see verifySignatureShare). */
export function parseSignatureShare(value: unknown, size: number): SignatureShare {
  if (!isObject(value)) return malformed("a signature share");
  decodeHex(value.keySetId, "keySetId", 32);
  return {
    keySetId: value.keySetId as string,
    sessionId: decodeSessionId(value.sessionId),
    member: decodeMember(value.member, "member", size),
    message: decodeDecimalField(value.message, "message").toString(),
    share: toHex(decodeScalar(value.share, "share")),
  };
}
