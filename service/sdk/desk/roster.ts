/**
 * A plan's desk roster: each assessor's HPKE key, signed by the assessor's EdDSA-Poseidon key
 * (the key in the plan's on-chain assessor tree). A member's client encrypts only to entries that
 * verify against the assessor tree it read from chain, so a desk operator cannot slip in a key of
 * its own: it has no key in the tree to sign one with.
 */
import type { AssessorKey } from "../assessor.ts";
import type { PublicKey } from "../encoding.ts";
import { ErrorCode, HuzhuError } from "../errors.ts";
import type { AssessorKeys } from "../trees.ts";
import { isAssessorSignature, signAsAssessor } from "./assessor-signature.ts";
import { deriveDeskKey } from "./desk-key.ts";
import { fieldHash } from "./encode.ts";
import { LABEL } from "./labels.ts";
import { KEY_BYTES } from "./suite.ts";
import { decodeBytes, decodeField, decodePoint, decodeSignature, type PointJson, pointJson, type SignatureJson } from "./wire-values.ts";

export interface RosterEntry {
  planId: string;
  /** The assessor's EdDSA-Poseidon key: a key in the plan's assessor tree. */
  assessorPublicKey: PointJson;
  /** The assessor's HPKE (X25519) public key, 32 bytes, base64. */
  hpkePublicKey: string;
  /** Unix seconds; of two entries for one assessor the later counts. */
  issuedAt: number;
  signature: SignatureJson;
}

/** The field element a roster entry's signature signs. */
export function rosterEntryMessage(entry: Omit<RosterEntry, "signature">): bigint {
  const [x, y] = decodePoint(entry.assessorPublicKey, "assessorPublicKey");
  return fieldHash(LABEL.rosterEntry, [
    decodeField(entry.planId, "planId"),
    x,
    y,
    decodeBytes(entry.hpkePublicKey, "hpkePublicKey", KEY_BYTES),
    entry.issuedAt,
  ]);
}

/** The assessor's own signed entry for `planId`, with its desk key derived from the key file. */
export async function createRosterEntry(
  assessor: AssessorKey,
  planId: bigint,
  issuedAt = Math.floor(Date.now() / 1000),
): Promise<RosterEntry> {
  const deskKey = await deriveDeskKey(assessor);
  const unsigned = {
    planId: planId.toString(),
    assessorPublicKey: pointJson(assessor.publicKey),
    hpkePublicKey: deskKey.publicKey,
    issuedAt,
  };
  return { ...unsigned, signature: signAsAssessor(assessor, rosterEntryMessage(unsigned)) };
}

/**
 * Checks an entry: its signature by its assessor key (DESK_ROSTER_SIGNATURE_INVALID) and that key's
 * leaf in the plan's assessor tree as read from chain (ASSESSOR_NOT_IN_SET: never added, or revoked).
 */
export function verifyRosterEntry(entry: RosterEntry, assessorTree: AssessorKeys): void {
  const publicKey: PublicKey = decodePoint(entry.assessorPublicKey, "assessorPublicKey");
  const message = rosterEntryMessage(entry);
  if (!isAssessorSignature(message, decodeSignature(entry.signature, "signature"), publicKey)) {
    throw new HuzhuError(
      ErrorCode.DeskRosterSignatureInvalid,
      "a roster entry's signature is not its assessor key's: do not encrypt to it",
      {
        assessorPublicKey: entry.assessorPublicKey,
      },
    );
  }
  if (!assessorTree.has(publicKey)) {
    throw new HuzhuError(
      ErrorCode.AssessorNotInSet,
      "a roster entry's assessor key is not in the plan's assessor set on chain (never added, or revoked): do not encrypt to it",
      { assessorPublicKey: entry.assessorPublicKey },
    );
  }
}

export interface CheckedRoster {
  /** The entries to encrypt to: verified, one per assessor (its latest). */
  accepted: RosterEntry[];
  /** Entries left out, each with the refusal `verifyRosterEntry` (or the plan check) gave. */
  refused: { entry: RosterEntry; error: HuzhuError }[];
}

/**
 * A desk's roster for `planId` checked entry by entry: entries for another plan
 * (DESK_ROSTER_WRONG_PLAN), badly signed or not in the tree are refused, the rest kept (an
 * assessor's latest entry only). DESK_NO_ASSESSORS if none is left.
 */
export function checkRoster(entries: readonly RosterEntry[], assessorTree: AssessorKeys, planId: bigint): CheckedRoster {
  const latest = new Map<string, RosterEntry>();
  const refused: CheckedRoster["refused"] = [];
  for (const entry of entries) {
    try {
      if (entry.planId !== planId.toString()) {
        throw new HuzhuError(ErrorCode.DeskRosterWrongPlan, `a roster entry is for plan ${entry.planId}, not plan ${planId}`, {
          planId: entry.planId,
        });
      }
      verifyRosterEntry(entry, assessorTree);
    } catch (error) {
      if (!(error instanceof HuzhuError)) throw error;
      refused.push({ entry, error });
      continue;
    }
    const id = entry.assessorPublicKey.join(",");
    const previous = latest.get(id);
    if (!previous || previous.issuedAt < entry.issuedAt) latest.set(id, entry);
  }
  if (latest.size === 0) {
    throw new HuzhuError(ErrorCode.DeskNoAssessors, `the desk lists no assessor of plan ${planId} whose entry checks against the chain`, {
      refused: refused.map((r) => r.error.code),
    });
  }
  return { accepted: [...latest.values()], refused };
}
