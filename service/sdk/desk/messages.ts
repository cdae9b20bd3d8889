/**
 * Messages on a case. Member to assessors: a fresh key wrapped to the checked roster (HPKE), the
 * body (text and attachments) sealed under it and signed by the member's identity. Assessor to
 * member: sealed to the member's reply key and signed by the assessor's EdDSA-Poseidon key, so the
 * member knows which plan assessor spoke.
 */
import { Type } from "typebox";
import { Value } from "typebox/value";
import type { AssessorKey } from "../assessor.ts";
import { toBase64 } from "../bytes.ts";
import type { PublicKey } from "../encoding.ts";
import { ErrorCode, HuzhuError } from "../errors.ts";
import type { Identity } from "../identity.ts";
import { Decimal } from "../relayer-wire.ts";
import type { AssessorKeys } from "../trees.ts";
import { isAssessorSignature, signAsAssessor } from "./assessor-signature.ts";
import type { EvidenceFile } from "./case.ts";
import { checkMemberSignature } from "./case-document.ts";
import type { HpkeKeyPair } from "./desk-key.ts";
import { encodeValues, fieldHash, sha256Hex } from "./encode.ts";
import { newContentKey, unwrapKey, wrapKey } from "./envelope.ts";
import { LABEL } from "./labels.ts";
import { DESK_LIMITS } from "./limits.ts";
import type { RosterEntry } from "./roster.ts";
import type { AssessorSealed, MemberSealed } from "./schemas.ts";
import { EdDSASignature, Point } from "./schemas.ts";
import { openWithKey, sealWithKey } from "./suite.ts";
import { type CaseRef, openToMember, sealToMember } from "./to-member.ts";
import { decodeBytes, decodePoint, decodeSignature, malformed, pointJson, signatureJson } from "./wire-values.ts";

const Text = Type.String({ maxLength: DESK_LIMITS.maxTextChars });
const Seconds = Type.Integer({ minimum: 0, maximum: 2 ** 53 - 1 });

const MemberHeader = Type.Object({
  kind: Type.Literal("huzhu-desk-member-message"),
  version: Type.Literal(1),
  text: Text,
  sentAt: Seconds,
  attachments: Type.Array(
    Type.Object({
      name: Type.String({ maxLength: DESK_LIMITS.maxFileNameChars }),
      type: Type.String({ maxLength: DESK_LIMITS.maxFileTypeChars }),
      size: Type.Integer({ minimum: 0, maximum: DESK_LIMITS.maxMemberMessageBytes }),
      sha256: Type.String({ pattern: "^[0-9a-f]{64}$" }),
    }),
    { maxItems: DESK_LIMITS.maxFiles },
  ),
  commitment: Decimal,
  memberPublicKey: Point,
  signature: EdDSASignature,
});

const AssessorMessageJson = Type.Object({
  kind: Type.Literal("huzhu-desk-assessor-message"),
  version: Type.Literal(1),
  text: Text,
  sentAt: Seconds,
  assessorPublicKey: Point,
  signature: EdDSASignature,
});

export interface MemberMessage {
  text: string;
  /** Unix seconds, as the member's device stated it. */
  sentAt: number;
  attachments: EvidenceFile[];
  commitment: bigint;
}

export interface AssessorMessage {
  text: string;
  sentAt: number;
  assessorPublicKey: PublicKey;
}

function memberMessageKeyInfo(ref: CaseRef): Uint8Array {
  return encodeValues(LABEL.memberMessageKey, [ref.planId, ref.caseId]);
}

function memberMessageAad(ref: CaseRef): Uint8Array {
  return encodeValues(LABEL.memberMessage, [ref.planId, ref.caseId]);
}

function memberMessageHash(
  ref: CaseRef,
  text: string,
  sentAt: number,
  attachments: { name: string; type: string; size: number; sha256: string }[],
  commitment: bigint,
): bigint {
  return fieldHash(LABEL.memberMessage, [
    ref.planId,
    ref.caseId,
    text,
    sentAt,
    attachments.length,
    ...attachments.flatMap((a) => [a.name, a.type, a.size, a.sha256]),
    commitment,
  ]);
}

export interface MemberMessageInput extends CaseRef {
  identity: Identity;
  /** Checked entries (`checkRoster(...).accepted`). */
  roster: readonly RosterEntry[];
  text: string;
  attachments?: readonly EvidenceFile[];
  sentAt?: number;
}

/** A member's message sealed to the roster's assessors. */
export async function sealMemberMessage(input: MemberMessageInput): Promise<MemberSealed> {
  const attachments = input.attachments ?? [];
  const size = attachments.reduce((sum, a) => sum + a.bytes.length, 0);
  if (
    input.text.length > DESK_LIMITS.maxTextChars ||
    size > DESK_LIMITS.maxMemberMessageBytes ||
    attachments.length > DESK_LIMITS.maxFiles
  ) {
    throw new HuzhuError(
      ErrorCode.DeskTooLarge,
      `a message holds at most ${DESK_LIMITS.maxTextChars} characters and ${DESK_LIMITS.maxMemberMessageBytes} bytes of attachments`,
    );
  }
  if (input.roster.length === 0) throw new HuzhuError(ErrorCode.DeskNoAssessors, "there is no checked roster entry to send the message to");
  const sentAt = input.sentAt ?? Math.floor(Date.now() / 1000);
  const listed = attachments.map((a) => ({ name: a.name, type: a.type, size: a.bytes.length, sha256: sha256Hex(a.bytes) }));
  const signature = input.identity.signMessage(memberMessageHash(input, input.text, sentAt, listed, input.identity.commitment));
  const header = new TextEncoder().encode(
    JSON.stringify({
      kind: "huzhu-desk-member-message",
      version: 1,
      text: input.text,
      sentAt,
      attachments: listed,
      commitment: input.identity.commitment.toString(),
      memberPublicKey: pointJson([input.identity.publicKey[0], input.identity.publicKey[1]]),
      signature: signatureJson(signature),
    }),
  );
  const plaintext = new Uint8Array(4 + header.length + size);
  new DataView(plaintext.buffer).setUint32(0, header.length, false);
  plaintext.set(header, 4);
  let at = 4 + header.length;
  for (const a of attachments) {
    plaintext.set(a.bytes, at);
    at += a.bytes.length;
  }
  const key = newContentKey();
  const recipients = await wrapKey(
    key,
    input.roster.map((e) => e.hpkePublicKey),
    memberMessageKeyInfo(input),
  );
  return { from: "member", recipients, body: toBase64(await sealWithKey(key, plaintext, memberMessageAad(input))) };
}

/**
 * Opens a member's message with an assessor's desk key and checks it is signed by the case's
 * member (`commitment`, from the opened case document): DESK_MEMBER_SIGNATURE_INVALID if not.
 */
export async function openMemberMessage(
  sealed: MemberSealed,
  deskKey: HpkeKeyPair,
  ref: CaseRef & { commitment: bigint },
): Promise<MemberMessage> {
  const key = await unwrapKey(sealed.recipients, deskKey, memberMessageKeyInfo(ref));
  const plaintext = await openWithKey(key, decodeBytes(sealed.body, "message body"), memberMessageAad(ref), "member's message");
  const headerLength = plaintext.length >= 4 ? new DataView(plaintext.buffer, plaintext.byteOffset).getUint32(0, false) : -1;
  if (headerLength < 0 || 4 + headerLength > plaintext.length) throw malformed("a member message's header is cut short");
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(plaintext.subarray(4, 4 + headerLength)));
  } catch (error) {
    throw malformed("a member message's header is not JSON", error);
  }
  if (!Value.Check(MemberHeader, header)) throw malformed("a member message's header has the wrong shape");
  const total = header.attachments.reduce((sum, a) => sum + a.size, 0);
  if (4 + headerLength + total !== plaintext.length) throw malformed("a member message's attachments are not the sizes it lists");
  const commitment = BigInt(header.commitment);
  if (commitment !== ref.commitment) {
    throw new HuzhuError(ErrorCode.DeskMemberSignatureInvalid, "this message is not from the case's member (another commitment)");
  }
  checkMemberSignature(
    memberMessageHash(ref, header.text, header.sentAt, header.attachments, commitment),
    decodeSignature(header.signature, "signature"),
    decodePoint(header.memberPublicKey, "memberPublicKey"),
    commitment,
    "message",
  );
  let at = 4 + headerLength;
  const attachments = header.attachments.map((a) => {
    const bytes = plaintext.slice(at, at + a.size);
    at += a.size;
    if (sha256Hex(bytes) !== a.sha256)
      throw new HuzhuError(ErrorCode.DeskFileMismatch, `attachment ${a.name} is not the file the message lists`);
    return { name: a.name, type: a.type, bytes };
  });
  return { text: header.text, sentAt: header.sentAt, attachments, commitment };
}

function assessorMessageHash(ref: CaseRef, text: string, sentAt: number): bigint {
  return fieldHash(LABEL.assessorMessage, [ref.planId, ref.caseId, text, sentAt]);
}

export interface AssessorMessageInput extends CaseRef {
  assessorKey: AssessorKey;
  /** The member's reply key, from the opened case document. */
  replyPublicKey: string;
  text: string;
  sentAt?: number;
}

export function sealAssessorMessage(input: AssessorMessageInput): Promise<AssessorSealed> {
  if (input.text.length > DESK_LIMITS.maxTextChars)
    throw new HuzhuError(ErrorCode.DeskTooLarge, `a message holds at most ${DESK_LIMITS.maxTextChars} characters`);
  const sentAt = input.sentAt ?? Math.floor(Date.now() / 1000);
  return sealToMember(input.replyPublicKey, input, "message", {
    kind: "huzhu-desk-assessor-message",
    version: 1,
    text: input.text,
    sentAt,
    assessorPublicKey: pointJson(input.assessorKey.publicKey),
    signature: signAsAssessor(input.assessorKey, assessorMessageHash(input, input.text, sentAt)),
  });
}

/** Checks an assessor's EdDSA signature (DESK_ASSESSOR_SIGNATURE_INVALID) and, given the plan's tree, that the key is in it (ASSESSOR_NOT_IN_SET). */
export function checkAssessorSignature(
  message: bigint,
  signature: unknown,
  assessorPublicKey: PublicKey,
  what: string,
  assessorTree?: AssessorKeys,
): void {
  if (!isAssessorSignature(message, decodeSignature(signature, "signature"), assessorPublicKey)) {
    throw new HuzhuError(ErrorCode.DeskAssessorSignatureInvalid, `the ${what}'s signature is not its assessor key's`);
  }
  if (assessorTree && !assessorTree.has(assessorPublicKey)) {
    throw new HuzhuError(ErrorCode.AssessorNotInSet, `the ${what} is signed by a key that is not in the plan's assessor set`);
  }
}

/** Opens an assessor's message with the member's reply key and checks who signed it. */
export async function openAssessorMessage(
  sealed: AssessorSealed,
  replyKey: HpkeKeyPair,
  ref: CaseRef,
  assessorTree?: AssessorKeys,
): Promise<AssessorMessage> {
  const payload = await openToMember(sealed, replyKey, ref, "message");
  if (!Value.Check(AssessorMessageJson, payload)) throw malformed("an assessor message has the wrong shape");
  const assessorPublicKey = decodePoint(payload.assessorPublicKey, "assessorPublicKey");
  checkAssessorSignature(
    assessorMessageHash(ref, payload.text, payload.sentAt),
    payload.signature,
    assessorPublicKey,
    "message",
    assessorTree,
  );
  return { text: payload.text, sentAt: payload.sentAt, assessorPublicKey };
}
