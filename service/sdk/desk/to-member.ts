/**
 * What an assessor sends a member (a message, a decision) is sealed to the member's reply key for
 * the case: HPKE single-shot base mode, `info` binding a label, the plan, the desk's case id and
 * the kind, so the desk cannot move it to another case or pass a message off as a decision.
 */
import { toBase64 } from "../bytes.ts";
import { ErrorCode, HuzhuError } from "../errors.ts";
import { type HpkeKeyPair, importPublicKey } from "./desk-key.ts";
import { encodeValues } from "./encode.ts";
import { LABEL } from "./labels.ts";
import { DESK_LIMITS } from "./limits.ts";
import type { AssessorSealed } from "./schemas.ts";
import { KEY_BYTES, suite } from "./suite.ts";
import { decodeBytes, malformed } from "./wire-values.ts";

export type ToMemberKind = "message" | "approve" | "decline";

export interface CaseRef {
  planId: bigint;
  /** The desk's case id. */
  caseId: string;
}

export function toMemberInfo(ref: CaseRef, kind: ToMemberKind): Uint8Array {
  return encodeValues(LABEL.toMember, [ref.planId, ref.caseId, kind]);
}

export async function sealToMember(replyPublicKey: string, ref: CaseRef, kind: ToMemberKind, payload: unknown): Promise<AssessorSealed> {
  const plaintext = new TextEncoder().encode(JSON.stringify(payload));
  if (plaintext.length > DESK_LIMITS.maxToMemberBytes) {
    throw new HuzhuError(ErrorCode.DeskTooLarge, `this ${kind} is ${plaintext.length} bytes, over ${DESK_LIMITS.maxToMemberBytes}`);
  }
  const { enc, ct } = await suite.seal(
    { recipientPublicKey: await importPublicKey(replyPublicKey, "member reply key"), info: toMemberInfo(ref, kind) },
    plaintext,
  );
  return { from: "assessor", enc: toBase64(new Uint8Array(enc)), body: toBase64(new Uint8Array(ct)) };
}

/** The payload (parsed JSON); DESK_PART_TAMPERED if it does not open with this reply key for this case and kind. */
export async function openToMember(sealed: AssessorSealed, replyKey: HpkeKeyPair, ref: CaseRef, kind: ToMemberKind): Promise<unknown> {
  let plaintext: ArrayBuffer;
  try {
    plaintext = await suite.open(
      { recipientKey: replyKey.pair, enc: decodeBytes(sealed.enc, "enc", KEY_BYTES), info: toMemberInfo(ref, kind) },
      decodeBytes(sealed.body, "body"),
    );
  } catch (error) {
    if (error instanceof HuzhuError) throw error;
    throw new HuzhuError(
      ErrorCode.DeskPartTampered,
      `the assessor's ${kind} does not open with this case's reply key: it was altered, or moved from another case or kind`,
      { kind },
      { cause: error },
    );
  }
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(plaintext));
  } catch (error) {
    throw malformed(`the assessor's ${kind} is not JSON`, error);
  }
}
