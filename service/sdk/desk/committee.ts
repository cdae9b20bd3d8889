/**
 * What committee members sign and seal at the desk. Every post of a DKG run and every vote is
 * signed by the member's own assessor key (its EdDSA key file), over the desk's field hash of what
 * it says, so the desk (an untrusted coordinator) can relay but never forge or alter one. Secrets
 * go sealed to one member's desk key (HPKE, `info` binding the run or case, sender and recipient):
 * a DKG round-two package, the terms a member proposes, the reason it declines.
 *
 * A finished committee is a record of its key set and each member's signed statement ("I am member
 * i of this key set, from this run, for this plan, with this desk key"). A member's client trusts a
 * committee member's roster entry, message or decline only when that record checks and the
 * committee's group key is in the plan's assessor tree on chain (`deskAssessors`).
 */
import type { AssessorKey } from "../assessor.ts";
import { fromBase64, toBase64 } from "../bytes.ts";
import type { CommitteeKeySet } from "../committee/key-set.ts";
import { committeePublicKey, parseKeySet } from "../committee/key-set.ts";
import type { PublicKey } from "../encoding.ts";
import { ErrorCode, HuzhuError } from "../errors.ts";
import type { AssessorKeys } from "../trees.ts";
import { isAssessorSignature, signAsAssessor } from "./assessor-signature.ts";
import type {
  CommitteeRecord,
  CreateCommitteeBody,
  FinishBody,
  Round1Body,
  Round2Body,
  SealedToMember,
  VoteBody,
} from "./committee-schemas.ts";
import { type HpkeKeyPair, importPublicKey } from "./desk-key.ts";
import { encodeValues, fieldHash } from "./encode.ts";
import { LABEL } from "./labels.ts";
import { KEY_BYTES, suite } from "./suite.ts";
import { decodeBytes, decodePoint, decodeSignature, malformed, pointJson, type SignatureJson } from "./wire-values.ts";

type Unsigned<T> = T extends unknown ? Omit<T, "signature"> : never;

const flat = (points: readonly (readonly [string, string])[]): string[] => points.flat();

/** The field element each kind of committee post is signed over. */
export const committeeStatement = {
  run: (b: Omit<CreateCommitteeBody, "signature">) =>
    fieldHash(LABEL.committeeRun, [b.planId, b.dkgId, b.threshold, b.members.length, b.createdBy, ...flat(b.members)]),
  round1: (dkgId: string, b: Omit<Round1Body, "signature">) =>
    fieldHash(LABEL.committeeRound1, [
      dkgId,
      b.member,
      b.package.dkgId,
      b.package.threshold,
      b.package.size,
      b.package.member,
      ...b.package.commitment,
      b.package.proof,
      b.hpkePublicKey,
    ]),
  round2: (dkgId: string, b: Omit<Round2Body, "signature">) =>
    fieldHash(LABEL.committeeRound2, [dkgId, b.from, ...b.packages.flatMap((p) => [p.to, p.enc, p.body])]),
  /** A member's statement of the key set it finished with: what the plan's committee record holds. */
  member: (m: {
    planId: string;
    dkgId: string;
    keySetId: string;
    member: number;
    publicKey: readonly [string, string];
    hpkePublicKey: string;
  }) => fieldHash(LABEL.committeeMember, [m.planId, m.dkgId, m.keySetId, m.member, m.publicKey[0], m.publicKey[1], m.hpkePublicKey]),
  complaint: (dkgId: string, b: { member: number; participant: number; reason: string }) =>
    fieldHash(LABEL.committeeComplaint, [dkgId, b.member, b.participant, b.reason]),
  vote: (caseId: string, b: Unsigned<VoteBody>) =>
    fieldHash(LABEL.committeeVote, [
      caseId,
      b.keySetId,
      b.member,
      b.vote,
      ...(b.vote === "approve" ? [b.message, b.sessionId, b.hiding, b.binding] : []),
      ...b.sealed.flatMap((p) => [p.to, p.enc, p.body]),
    ]),
} as const;

/** `key`'s signature over `message`, as the desk's wire carries it. */
export function signStatement(key: AssessorKey, message: bigint): SignatureJson {
  return signAsAssessor(key, message);
}

/** Whether `signature` is `publicKey`'s (a wire point) over `message`. */
export function isStatementSigned(message: bigint, signature: unknown, publicKey: unknown): boolean {
  try {
    return isAssessorSignature(message, decodeSignature(signature, "signature"), decodePoint(publicKey, "publicKey"));
  } catch {
    return false;
  }
}

/** HPKE `info` of something sealed from one member to another within a run or case. */
function sealedInfo(kind: "round2" | "terms" | "reason", scope: string, from: number, to: number): Uint8Array {
  return encodeValues(LABEL.committeeSealed, [kind, scope, from, to]);
}

/** `payload` (JSON) sealed to member `to`'s desk key. */
export async function sealForMember(
  kind: "round2" | "terms" | "reason",
  scope: string,
  from: number,
  to: number,
  hpkePublicKey: string,
  payload: unknown,
): Promise<SealedToMember> {
  const { enc, ct } = await suite.seal(
    { recipientPublicKey: await importPublicKey(hpkePublicKey, `member ${to}'s desk key`), info: sealedInfo(kind, scope, from, to) },
    new TextEncoder().encode(JSON.stringify(payload)),
  );
  return { to, enc: toBase64(new Uint8Array(enc)), body: toBase64(new Uint8Array(ct)) };
}

/** Opens what member `from` sealed to this member; DESK_PART_TAMPERED if it was altered or moved. */
export async function openFromMember(
  kind: "round2" | "terms" | "reason",
  scope: string,
  from: number,
  to: number,
  own: HpkeKeyPair,
  sealed: { enc: string; body: string },
): Promise<unknown> {
  let plaintext: ArrayBuffer;
  try {
    plaintext = await suite.open(
      { recipientKey: own.pair, enc: decodeBytes(sealed.enc, "enc", KEY_BYTES), info: sealedInfo(kind, scope, from, to) },
      fromBase64(sealed.body),
    );
  } catch (error) {
    throw new HuzhuError(
      ErrorCode.DeskPartTampered,
      `member ${from}'s sealed ${kind === "round2" ? "round-two package" : kind} does not open with your desk key: it was altered, or moved from another run, case or member`,
      { from, kind },
      { cause: error },
    );
  }
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(plaintext));
  } catch (error) {
    throw malformed(`member ${from}'s sealed ${kind} is not JSON`, error);
  }
}

/** The statement a member signs when it finishes with `keySet`. */
export function finishStatement(
  planId: string,
  dkgId: string,
  keySet: CommitteeKeySet,
  member: number,
  publicKey: PublicKey,
  hpkePublicKey: string,
) {
  return committeeStatement.member({ planId, dkgId, keySetId: keySet.id, member, publicKey: pointJson(publicKey), hpkePublicKey });
}

/** A member's `done` post: its statement over the key set it finished with. */
export function finishBody(
  planId: string,
  dkgId: string,
  keySet: CommitteeKeySet,
  member: number,
  key: AssessorKey,
  hpkePublicKey: string,
): Extract<FinishBody, { outcome: "done" }> {
  return {
    member,
    outcome: "done",
    keySet,
    signature: signStatement(key, finishStatement(planId, dkgId, keySet, member, key.publicKey, hpkePublicKey)),
  };
}

/** A checked committee record: its key set, and each member's key and desk key by index. */
export interface CheckedCommittee {
  record: CommitteeRecord;
  keySet: CommitteeKeySet;
  groupKey: PublicKey;
  members: Map<number, { publicKey: PublicKey; hpkePublicKey: string }>;
}

/**
 * Checks a committee record for `planId`: a valid key set, every member 1..n once with a statement
 * signed by its own key (DESK_COMMITTEE_RECORD_INVALID naming what fails).
 */
export function checkCommitteeRecord(record: CommitteeRecord, planId: bigint): CheckedCommittee {
  const invalid = (what: string, cause?: unknown): never => {
    throw new HuzhuError(
      ErrorCode.DeskCommitteeRecordInvalid,
      `the desk's record of committee ${record.dkgId} does not check: ${what}`,
      { dkgId: record.dkgId },
      { cause },
    );
  };
  if (record.planId !== planId.toString()) invalid(`it is for plan ${record.planId}, not plan ${planId}`);
  let keySet: CommitteeKeySet;
  try {
    keySet = parseKeySet(record.keySet);
  } catch (error) {
    return invalid((error as Error).message, error);
  }
  const members = new Map<number, { publicKey: PublicKey; hpkePublicKey: string }>();
  for (const m of record.members) {
    if (m.member > keySet.size || members.has(m.member))
      invalid(`member ${m.member} is not a new index of a ${keySet.size}-member key set`);
    const statement = committeeStatement.member({ planId: record.planId, dkgId: record.dkgId, keySetId: keySet.id, ...m });
    if (!isStatementSigned(statement, m.signature, m.publicKey)) invalid(`member ${m.member}'s statement is not signed by its key`);
    members.set(m.member, { publicKey: decodePoint(m.publicKey, "publicKey"), hpkePublicKey: m.hpkePublicKey });
  }
  if (members.size !== keySet.size) invalid(`${members.size} of its ${keySet.size} members signed`);
  return { record, keySet, groupKey: committeePublicKey(keySet), members };
}

const keyOf = (key: PublicKey) => `${key[0]},${key[1]}`;

/**
 * The keys that sign for a plan at its desk: the assessor tree's, and the member keys of every
 * committee (already checked) whose group key is in the tree now. A committee whose key was never
 * added, or was revoked, gives its members nothing.
 */
export function deskAssessors(tree: AssessorKeys, committees: readonly CheckedCommittee[]): AssessorKeys {
  const members = new Set<string>();
  for (const c of committees) {
    if (!tree.has(c.groupKey)) continue;
    for (const m of c.members.values()) members.add(keyOf(m.publicKey));
  }
  return { has: (publicKey) => tree.has(publicKey) || members.has(keyOf(publicKey)) };
}

/** The checked committees of a list, and the ones refused with why (a client may warn). */
export function checkCommitteeRecords(
  records: readonly CommitteeRecord[],
  planId: bigint,
): { accepted: CheckedCommittee[]; refused: { record: CommitteeRecord; error: HuzhuError }[] } {
  const accepted: CheckedCommittee[] = [];
  const refused: { record: CommitteeRecord; error: HuzhuError }[] = [];
  for (const record of records) {
    try {
      accepted.push(checkCommitteeRecord(record, planId));
    } catch (error) {
      if (!(error instanceof HuzhuError)) throw error;
      refused.push({ record, error });
    }
  }
  return { accepted, refused };
}

/** The terms a member proposes (sealed to the others in its vote). */
export interface ProposedTerms {
  amount: bigint;
  expiresAtEpoch: bigint;
}

export function termsJson(terms: ProposedTerms) {
  return { amount: terms.amount.toString(), expiresAtEpoch: terms.expiresAtEpoch.toString() };
}

export function parseTerms(value: unknown, from: number): ProposedTerms {
  const v = value as { amount?: unknown; expiresAtEpoch?: unknown } | null;
  if (
    typeof v !== "object" ||
    v === null ||
    typeof v.amount !== "string" ||
    typeof v.expiresAtEpoch !== "string" ||
    !/^[1-9][0-9]{0,30}$/.test(v.amount) ||
    !/^(0|[1-9][0-9]{0,15})$/.test(v.expiresAtEpoch)
  ) {
    throw malformed(`member ${from}'s proposed terms are not { amount, expiresAtEpoch }`);
  }
  return { amount: BigInt(v.amount), expiresAtEpoch: BigInt(v.expiresAtEpoch) };
}
