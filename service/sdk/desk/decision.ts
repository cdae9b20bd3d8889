/**
 * An assessor's decision on a case, sealed to the member's reply key: approve (the approval the
 * claim circuit verifies, signed and serialised by the SDK's assessor module; the amount may be
 * less than asked) or decline with a reason signed by the assessor's key.
 */
import { Type } from "typebox";
import { Value } from "typebox/value";
import {
  type Approval,
  type ApprovalFile,
  type AssessorKey,
  parseApproval,
  serializeApproval,
  signApproval,
  verifyApproval,
} from "../assessor.ts";
import type { PublicKey } from "../encoding.ts";
import { ErrorCode, HuzhuError } from "../errors.ts";
import type { AssessorKeys } from "../trees.ts";
import { signAsAssessor } from "./assessor-signature.ts";
import type { HpkeKeyPair } from "./desk-key.ts";
import { fieldHash } from "./encode.ts";
import { LABEL } from "./labels.ts";
import { DESK_LIMITS } from "./limits.ts";
import { checkAssessorSignature } from "./messages.ts";
import type { DecisionBody, DecisionKind } from "./schemas.ts";
import { EdDSASignature, Point } from "./schemas.ts";
import { type CaseRef, openToMember, sealToMember } from "./to-member.ts";
import { decodePoint, malformed, pointJson } from "./wire-values.ts";

const Seconds = Type.Integer({ minimum: 0, maximum: 2 ** 53 - 1 });

const ApproveJson = Type.Object({
  kind: Type.Literal("huzhu-desk-decision"),
  version: Type.Literal(1),
  decision: Type.Literal("approve"),
  decidedAt: Seconds,
  approval: Type.Unknown(),
});

const DeclineJson = Type.Object({
  kind: Type.Literal("huzhu-desk-decision"),
  version: Type.Literal(1),
  decision: Type.Literal("decline"),
  decidedAt: Seconds,
  reason: Type.String({ maxLength: DESK_LIMITS.maxTextChars }),
  assessorPublicKey: Point,
  signature: EdDSASignature,
});

export type Decision =
  | { kind: "approve"; decidedAt: number; approval: Approval; file: ApprovalFile }
  | { kind: "decline"; decidedAt: number; reason: string; assessorPublicKey: PublicKey };

/** The case as the member filed it: whom and what an approval must be for. */
export interface DecisionContext extends CaseRef {
  commitment: bigint;
  eventId: bigint;
}

export interface ApproveInput extends DecisionContext {
  assessorKey: AssessorKey;
  replyPublicKey: string;
  /** The amount approved (token units): at most what the plan's claim cap allows; possibly less than asked. */
  amount: bigint;
  /** The last epoch the approval may be claimed in. */
  expiresAtEpoch: bigint;
  decidedAt?: number;
}

export async function sealApproval(input: ApproveInput): Promise<DecisionBody> {
  const approval = signApproval(input.assessorKey, {
    commitment: input.commitment,
    planId: input.planId,
    eventId: input.eventId,
    amount: input.amount,
    expiresAtEpoch: input.expiresAtEpoch,
  });
  return sealSignedApproval(input, approval, input.decidedAt);
}

/** An approval already signed (one assessor's, or a committee's aggregate) sealed to the member as the case's decision. */
export async function sealSignedApproval(
  ref: CaseRef & { replyPublicKey: string },
  approval: Approval,
  decidedAt = Math.floor(Date.now() / 1000),
): Promise<DecisionBody> {
  if (!verifyApproval(approval)) throw new HuzhuError(ErrorCode.InvalidApprovalSignature, "this approval's signature does not verify");
  const payload = { kind: "huzhu-desk-decision", version: 1, decision: "approve", decidedAt, approval: serializeApproval(approval) };
  return { kind: "approve", sealed: await sealToMember(ref.replyPublicKey, ref, "approve", payload) };
}

function declineHash(ref: CaseRef, reason: string, decidedAt: number): bigint {
  return fieldHash(LABEL.decline, [ref.planId, ref.caseId, reason, decidedAt]);
}

export interface DeclineInput extends CaseRef {
  assessorKey: AssessorKey;
  replyPublicKey: string;
  reason: string;
  decidedAt?: number;
}

export async function sealDecline(input: DeclineInput): Promise<DecisionBody> {
  if (input.reason.length > DESK_LIMITS.maxTextChars)
    throw new HuzhuError(ErrorCode.DeskTooLarge, `a reason holds at most ${DESK_LIMITS.maxTextChars} characters`);
  const decidedAt = input.decidedAt ?? Math.floor(Date.now() / 1000);
  const payload = {
    kind: "huzhu-desk-decision",
    version: 1,
    decision: "decline",
    decidedAt,
    reason: input.reason,
    assessorPublicKey: pointJson(input.assessorKey.publicKey),
    signature: signAsAssessor(input.assessorKey, declineHash(input, input.reason, decidedAt)),
  };
  return { kind: "decline", sealed: await sealToMember(input.replyPublicKey, input, "decline", payload) };
}

/**
 * Opens a decision with the member's reply key. An approval must be validly signed
 * (INVALID_APPROVAL_SIGNATURE) for this member's commitment (APPROVAL_NOT_FOR_MEMBER), plan
 * (APPROVAL_WRONG_PLAN) and event (DESK_APPROVAL_WRONG_EVENT); a decline signed by its assessor
 * (DESK_ASSESSOR_SIGNATURE_INVALID). Given the plan's tree, the signer must be in it (ASSESSOR_NOT_IN_SET).
 */
export async function openDecision(
  decision: DecisionBody,
  replyKey: HpkeKeyPair,
  context: DecisionContext,
  assessorTree?: AssessorKeys,
): Promise<Decision> {
  const payload = await openToMember(decision.sealed, replyKey, context, decision.kind satisfies DecisionKind);
  if (decision.kind === "decline") {
    if (!Value.Check(DeclineJson, payload)) throw malformed("a decline has the wrong shape");
    const assessorPublicKey = decodePoint(payload.assessorPublicKey, "assessorPublicKey");
    checkAssessorSignature(
      declineHash(context, payload.reason, payload.decidedAt),
      payload.signature,
      assessorPublicKey,
      "decline",
      assessorTree,
    );
    return { kind: "decline", decidedAt: payload.decidedAt, reason: payload.reason, assessorPublicKey };
  }
  if (!Value.Check(ApproveJson, payload)) throw malformed("an approval decision has the wrong shape");
  const approval = parseApproval(payload.approval);
  if (!verifyApproval(approval)) {
    throw new HuzhuError(ErrorCode.InvalidApprovalSignature, "the approval's signature is not its assessor key's over its terms");
  }
  if (approval.commitment !== context.commitment) {
    throw new HuzhuError(ErrorCode.ApprovalNotForMember, "this approval is for another member's commitment, not yours");
  }
  if (approval.planId !== context.planId) {
    throw new HuzhuError(ErrorCode.ApprovalWrongPlan, `this approval is for plan ${approval.planId}, not plan ${context.planId}`);
  }
  if (approval.eventId !== context.eventId) {
    throw new HuzhuError(ErrorCode.DeskApprovalWrongEvent, "this approval is for another loss event than the case's");
  }
  if (assessorTree && !assessorTree.has(approval.assessorPublicKey)) {
    throw new HuzhuError(ErrorCode.AssessorNotInSet, "the approval's assessor is not in the plan's assessor set (revoked or never added)");
  }
  return { kind: "approve", decidedAt: payload.decidedAt, approval, file: serializeApproval(approval) };
}
