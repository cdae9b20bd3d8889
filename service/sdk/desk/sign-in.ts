/**
 * Assessor sign-in without passwords: the desk issues a challenge (its origin, the plan, 32 random
 * bytes, an expiry); the assessor signs the challenge's field hash with its EdDSA-Poseidon key.
 * The desk must also use each nonce once (it keeps the challenges it issued until they expire).
 */
import type { AssessorKey } from "../assessor.ts";
import { toBase64 } from "../bytes.ts";
import type { PublicKey } from "../encoding.ts";
import { ErrorCode, HuzhuError } from "../errors.ts";
import { isAssessorSignature, signAsAssessor } from "./assessor-signature.ts";
import { fieldHash } from "./encode.ts";
import { LABEL } from "./labels.ts";
import { KEY_BYTES, randomBytes } from "./suite.ts";
import { decodeBytes, decodeField, decodeSignature, type SignatureJson } from "./wire-values.ts";

export interface SignInChallenge {
  /** The desk's origin (e.g. https://desk.example.org): a signature for one desk is refused by another. */
  origin: string;
  planId: string;
  /** 32 random bytes, base64. */
  nonce: string;
  /** Unix seconds. */
  expiresAt: number;
}

export const CHALLENGE_TTL_SECONDS = 300;

export function createChallenge(origin: string, planId: bigint, now = Date.now(), ttlSeconds = CHALLENGE_TTL_SECONDS): SignInChallenge {
  return { origin, planId: planId.toString(), nonce: toBase64(randomBytes(KEY_BYTES)), expiresAt: Math.floor(now / 1000) + ttlSeconds };
}

export function signInMessage(challenge: SignInChallenge): bigint {
  return fieldHash(LABEL.signIn, [
    challenge.origin,
    decodeField(challenge.planId, "planId"),
    decodeBytes(challenge.nonce, "nonce", KEY_BYTES),
    challenge.expiresAt,
  ]);
}

export function signSignIn(key: AssessorKey, challenge: SignInChallenge): SignatureJson {
  return signAsAssessor(key, signInMessage(challenge));
}

export interface VerifySignInOptions {
  /** Milliseconds since the epoch; now by default. */
  now?: number;
  /** The desk's own origin: a challenge naming another is refused. */
  origin?: string;
}

/**
 * Checks a sign-in: DESK_CHALLENGE_EXPIRED past its expiry, DESK_SIGN_IN_INVALID for another
 * desk's challenge or a signature that is not `publicKey`'s over it. Whether `publicKey` is one of
 * the plan's assessors is the caller's check (its assessor tree).
 */
export function verifySignIn(
  challenge: SignInChallenge,
  signature: SignatureJson,
  publicKey: PublicKey,
  options: VerifySignInOptions = {},
): void {
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  if (now > challenge.expiresAt) {
    throw new HuzhuError(ErrorCode.DeskChallengeExpired, "the sign-in challenge has expired: ask the desk for a new one", {
      expiresAt: challenge.expiresAt,
    });
  }
  if (options.origin !== undefined && challenge.origin !== options.origin) {
    throw new HuzhuError(ErrorCode.DeskSignInInvalid, `the challenge is for ${challenge.origin}, not this desk (${options.origin})`);
  }
  if (!isAssessorSignature(signInMessage(challenge), decodeSignature(signature, "signature"), publicKey)) {
    throw new HuzhuError(ErrorCode.DeskSignInInvalid, "the sign-in signature is not this assessor key's over the challenge");
  }
}
