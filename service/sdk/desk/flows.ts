/**
 * The desk's steps as a member's or an assessor's client takes them (CLI, web app, demo): each
 * reads from the desk, checks and decrypts on the device, and sends only ciphertext back.
 */
import type { AssessorKey } from "../assessor.ts";
import { ErrorCode, HuzhuError } from "../errors.ts";
import type { Identity } from "../identity.ts";
import type { AssessorKeys, AssessorTree } from "../trees.ts";
import { type CaseProgress, type EvidenceFile, type OpenedCase, openCaseEnvelope, openCaseFile, sealCase } from "./case.ts";
import type { CaseDetails, CaseFileEntry } from "./case-document.ts";
import type { DeskClient } from "./client.ts";
import { checkCommitteeRecords, deskAssessors } from "./committee.ts";
import { type Decision, openDecision, sealApproval, sealDecline } from "./decision.ts";
import { deriveDeskKey, replyKeyFromSecret } from "./desk-key.ts";
import type { MemberCaseRecord } from "./member-record.ts";
import {
  type AssessorMessage,
  type MemberMessage,
  openAssessorMessage,
  openMemberMessage,
  sealAssessorMessage,
  sealMemberMessage,
} from "./messages.ts";
import { type CheckedRoster, checkRoster, createRosterEntry, type RosterEntry } from "./roster.ts";
import type { CaseReply, CaseStatus, DecisionReply, MessageReply, SessionReply } from "./schemas.ts";
import { signSignIn } from "./sign-in.ts";
import { decodeField, malformed } from "./wire-values.ts";

/**
 * The keys that act for a plan at its desk: the assessor tree's (read from chain), and the member
 * keys of the plan's committees that the desk lists, each record checked, whose group key is in
 * the tree.
 */
export async function deskAssessorKeys(client: DeskClient, planId: bigint, assessorTree: AssessorTree): Promise<AssessorKeys> {
  const { accepted } = checkCommitteeRecords(await client.committees(planId), planId);
  return deskAssessors(assessorTree, accepted);
}

/** The plan's roster from the desk, checked against the assessor tree read from chain (and the plan's committees). */
export async function checkedRoster(client: DeskClient, planId: bigint, assessorTree: AssessorTree): Promise<CheckedRoster> {
  return checkRoster(await client.roster(planId), await deskAssessorKeys(client, planId, assessorTree), planId);
}

async function memberAssessors(ctx: MemberContext): Promise<AssessorKeys | undefined> {
  if (!ctx.assessorTree) return undefined;
  return deskAssessorKeys(ctx.client, decodeField(ctx.record.planId, "planId"), ctx.assessorTree);
}

export interface FileCaseInput {
  client: DeskClient;
  identity: Identity;
  planId: bigint;
  /** The plan's assessor tree as read from chain (`loadAssessorTree`, `loadAssessorTreeFromServices`). */
  assessorTree: AssessorTree;
  details: CaseDetails;
  files: readonly EvidenceFile[];
  eventId?: bigint;
  onProgress?: (progress: CaseProgress) => void;
}

export interface FiledCase {
  caseId: string;
  /** Keep it on the device, sealed (`sealMemberRecord`): it is the only way back to the case. */
  record: MemberCaseRecord;
  eventId: bigint;
  /** Roster entries left out (not signed right, not in the tree): a client may warn about them. */
  refused: CheckedRoster["refused"];
}

/** Builds, encrypts and uploads a case: the document with the case, then each file. */
export async function fileCase(input: FileCaseInput): Promise<FiledCase> {
  const roster = await checkedRoster(input.client, input.planId, input.assessorTree);
  const sealed = await sealCase({ ...input, roster: roster.accepted });
  const { caseId } = await input.client.createCase({ ...sealed.envelope, capabilityHash: sealed.capabilityHash });
  const total = sealed.files.reduce((sum, f) => sum + f.length, 0);
  let done = 0;
  for (const [index, bytes] of sealed.files.entries()) {
    await input.client.putFile(caseId, index, bytes, sealed.capability);
    done += bytes.length;
    input.onProgress?.({ stage: "upload", file: index, done, total });
  }
  return {
    caseId,
    eventId: sealed.document.eventId,
    refused: roster.refused,
    record: {
      caseId,
      planId: input.planId.toString(),
      envelopeId: sealed.envelope.envelopeId,
      eventId: sealed.document.eventId.toString(),
      capability: sealed.capability,
      replySecret: sealed.replySecret,
      deskUrl: input.client.baseUrl,
    },
  };
}

/** Signs in as an assessor of `planId`: the desk's challenge signed with the key file's key. */
export async function signIn(client: DeskClient, assessorKey: AssessorKey, planId: bigint): Promise<SessionReply> {
  const challenge = await client.challenge(planId, assessorKey.publicKey);
  if (challenge.planId !== planId.toString()) throw malformed("the desk's challenge is for another plan");
  // A desk relaying another desk's challenge would have the assessor sign in there on its behalf.
  const origin = new URL(client.baseUrl).origin;
  if (challenge.origin !== origin) {
    throw new HuzhuError(
      ErrorCode.DeskSignInInvalid,
      `the desk at ${origin} sent a challenge for ${challenge.origin}: it is not this desk's own; do not sign it (if the desk is behind a proxy, use its public URL)`,
    );
  }
  return client.session(challenge, assessorKey.publicKey, signSignIn(assessorKey, challenge));
}

/** Publishes the assessor's own roster entry for `planId` (its desk key, signed). */
export async function publishRosterEntry(
  client: DeskClient,
  token: string,
  assessorKey: AssessorKey,
  planId: bigint,
): Promise<RosterEntry> {
  return client.putRosterEntry(await createRosterEntry(assessorKey, planId), token);
}

export type ThreadEntry =
  | { index: number; sentAt: string; from: "member"; message: MemberMessage }
  | { index: number; sentAt: string; from: "assessor"; message?: AssessorMessage };

export interface AssessorCaseView {
  caseId: string;
  status: CaseStatus;
  reply: CaseReply;
  opened: OpenedCase;
  /** Each evidence file, decrypted and checked, with its listing; absent if `files: false`. */
  files: { entry: CaseFileEntry; bytes: Uint8Array }[];
  /** Member messages decrypted; assessors' own are sealed to the member and listed without text. */
  thread: ThreadEntry[];
}

export interface AssessorSession {
  client: DeskClient;
  token: string;
  assessorKey: AssessorKey;
}

/** Fetches and decrypts a case in the assessor's client: document, files (unless `files` is false) and member messages. */
export async function openCaseAsAssessor(
  session: AssessorSession,
  caseId: string,
  options: { files?: boolean } = {},
): Promise<AssessorCaseView> {
  const auth = { token: session.token };
  const reply = await session.client.getCase(caseId, auth);
  if (reply.caseId !== caseId) throw malformed("the desk sent another case than the one asked for");
  const deskKey = await deriveDeskKey(session.assessorKey);
  const opened = await openCaseEnvelope(reply, deskKey);
  const files: AssessorCaseView["files"] = [];
  if (options.files !== false) {
    for (const declared of reply.files) {
      const sealed = await session.client.getFile(caseId, declared.index, declared, auth);
      const entry = opened.document.files[declared.index] as CaseFileEntry;
      files.push({ entry, bytes: await openCaseFile(opened, declared.index, sealed) });
    }
  }
  const ref = { planId: opened.planId, caseId, commitment: opened.document.commitment };
  const thread: ThreadEntry[] = [];
  for (const m of reply.messages) {
    if (m.sealed.from === "member") {
      thread.push({ index: m.index, sentAt: m.sentAt, from: "member", message: await openMemberMessage(m.sealed, deskKey, ref) });
    } else {
      thread.push({ index: m.index, sentAt: m.sentAt, from: "assessor" });
    }
  }
  return { caseId, status: reply.status, reply, opened, files, thread };
}

function caseRef(view: AssessorCaseView) {
  return { planId: view.opened.planId, caseId: view.caseId, replyPublicKey: view.opened.document.replyPublicKey };
}

/** Asks the member for more (evidence, an explanation): a message sealed to the member, signed by the assessor. */
export async function askForMore(session: AssessorSession, view: AssessorCaseView, text: string): Promise<MessageReply> {
  const sealed = await sealAssessorMessage({ ...caseRef(view), assessorKey: session.assessorKey, text });
  return session.client.postMessage(view.caseId, sealed, { token: session.token });
}

/** Approves a case: the approval the claim circuit verifies, signed on this device, sealed to the member. */
export async function approveCase(
  session: AssessorSession,
  view: AssessorCaseView,
  terms: { amount: bigint; expiresAtEpoch: bigint },
): Promise<DecisionReply> {
  const body = await sealApproval({
    ...caseRef(view),
    ...terms,
    assessorKey: session.assessorKey,
    commitment: view.opened.document.commitment,
    eventId: view.opened.document.eventId,
  });
  return session.client.postDecision(view.caseId, body, session.token);
}

/** Declines a case with a reason, signed by the assessor and sealed to the member. */
export async function declineCase(session: AssessorSession, view: AssessorCaseView, reason: string): Promise<DecisionReply> {
  const body = await sealDecline({ ...caseRef(view), assessorKey: session.assessorKey, reason });
  return session.client.postDecision(view.caseId, body, session.token);
}

export interface MemberContext {
  client: DeskClient;
  identity: Identity;
  /** The opened case record (`openMemberRecord`). */
  record: MemberCaseRecord;
  /** The plan's assessor tree from chain: checks who signed messages and decisions (and, for replies, the roster). */
  assessorTree?: AssessorTree;
}

export interface MemberCaseView {
  status: CaseStatus;
  reply: CaseReply;
  /** Assessors' messages decrypted and checked; the member's own are sealed to the assessors and listed without text. */
  thread: ThreadEntry[];
  decision?: Decision;
}

function decisionContext(ctx: MemberContext) {
  return {
    planId: decodeField(ctx.record.planId, "planId"),
    caseId: ctx.record.caseId,
    commitment: ctx.identity.commitment,
    eventId: decodeField(ctx.record.eventId, "eventId"),
  };
}

/** The case as its member follows it: status, assessors' messages and the decision, decrypted on the device. */
export async function openCaseAsMember(ctx: MemberContext): Promise<MemberCaseView> {
  const reply = await ctx.client.getCase(ctx.record.caseId, { capability: ctx.record.capability });
  if (reply.caseId !== ctx.record.caseId || reply.planId !== ctx.record.planId)
    throw malformed("the desk sent another case than the one asked for");
  const replyKey = await replyKeyFromSecret(ctx.record.replySecret);
  const context = decisionContext(ctx);
  const assessors = await memberAssessors(ctx);
  const thread: ThreadEntry[] = [];
  for (const m of reply.messages) {
    if (m.sealed.from === "assessor") {
      thread.push({
        index: m.index,
        sentAt: m.sentAt,
        from: "assessor",
        message: await openAssessorMessage(m.sealed, replyKey, context, assessors),
      });
    }
  }
  const decision = reply.decision ? await openDecision(reply.decision, replyKey, context, assessors) : undefined;
  return { status: reply.status, reply, thread, ...(decision ? { decision } : {}) };
}

/** The member's reply (text and attachments), sealed to the plan's assessors on the checked roster. */
export async function replyAsMember(
  ctx: MemberContext & { assessorTree: AssessorTree },
  text: string,
  attachments: readonly EvidenceFile[] = [],
): Promise<MessageReply> {
  const planId = decodeField(ctx.record.planId, "planId");
  const roster = await checkedRoster(ctx.client, planId, ctx.assessorTree);
  const sealed = await sealMemberMessage({
    planId,
    caseId: ctx.record.caseId,
    identity: ctx.identity,
    roster: roster.accepted,
    text,
    attachments,
  });
  return ctx.client.postMessage(ctx.record.caseId, sealed, { capability: ctx.record.capability });
}

/** The decision on the member's case, opened and checked (undefined while there is none). */
export async function readDecision(ctx: MemberContext): Promise<Decision | undefined> {
  const reply = await ctx.client.getCase(ctx.record.caseId, { capability: ctx.record.capability });
  if (!reply.decision) return undefined;
  if (reply.caseId !== ctx.record.caseId)
    throw new HuzhuError(ErrorCode.DeskMalformed, "the desk sent another case than the one asked for");
  return openDecision(reply.decision, await replyKeyFromSecret(ctx.record.replySecret), decisionContext(ctx), await memberAssessors(ctx));
}
