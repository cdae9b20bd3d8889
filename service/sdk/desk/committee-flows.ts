/**
 * A committee member's steps through the desk, as its client (CLI, web app) takes them: start a
 * DKG run, take part in it to the end (each round checked, the secret round-two packages sealed to
 * their recipients), then on a case: read the others' votes (their proposed terms open only on a
 * member's device), vote to approve with fresh nonce commitments or to decline with a reason, sign
 * a share once k approvals agree, and hand the member the committee's approval, sealed.
 *
 * The member's share and nonces never leave its device: the desk gets commitments, signed posts,
 * sealed packages and signature shares, all of which are safe to show the coordinator.
 */
import type { AssessorKey } from "../assessor.ts";
import { committeeApproval } from "../committee/aggregate.ts";
import { DkgParticipant, type DkgRound1Package, dkgError } from "../committee/dkg.ts";
import type { NonceStore } from "../committee/nonces.ts";
import type { CommitteeShare } from "../committee/share.ts";
import { signShare } from "../committee/signing.ts";
import { randomSessionId } from "../committee/wire.ts";
import { type ApprovalTerms, approvalMessage, type PublicKey } from "../encoding.ts";
import { ErrorCode, HuzhuError } from "../errors.ts";
import type { DeskClient } from "./client.ts";
import { DeskRequestError } from "./client.ts";
import {
  type CheckedCommittee,
  checkCommitteeRecord,
  committeeStatement,
  finishBody,
  isStatementSigned,
  openFromMember,
  type ProposedTerms,
  parseTerms,
  sealForMember,
  signStatement,
  termsJson,
} from "./committee.ts";
import type { CaseCommitteeReply, CommitteeRecord, CommitteeRunReply, SigningRound, VoteReply } from "./committee-schemas.ts";
import { sealSignedApproval } from "./decision.ts";
import { deriveDeskKey } from "./desk-key.ts";
import type { AssessorCaseView, AssessorSession } from "./flows.ts";
import { decodePoint, pointJson, samePoint } from "./wire-values.ts";

export interface WaitOptions {
  /** How often to ask the desk (ms); default 500. */
  pollMs?: number;
  /** How long to wait for the other members in all (ms); default 15 minutes. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export type DkgProgress = { stage: "round1" | "round2" | "finish"; have: number; of: number } | { stage: "complete"; keySetId: string };

async function poll<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, options: WaitOptions): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 15 * 60_000);
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (options.signal?.aborted) throw new HuzhuError(ErrorCode.CommitteeMalformed, `stopped while waiting for ${what}`);
    if (Date.now() > deadline) {
      throw new HuzhuError(
        ErrorCode.CommitteeTimedOut,
        `gave up waiting for ${what}; ask the others to take their part, then run this again`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
  }
}

function ownIndex(members: readonly (readonly [string, string])[], key: PublicKey): number {
  const index = members.findIndex((m) => samePoint(decodePoint(m, "members"), key));
  if (index < 0) throw new HuzhuError(ErrorCode.CommitteeUnknownSigner, "your assessor key is not one of this committee's members");
  return index + 1;
}

/** Starts a DKG run for `planId` with these members' own assessor keys (yours among them). */
export async function startCommitteeRun(
  client: DeskClient,
  input: { planId: bigint; threshold: number; members: readonly PublicKey[]; key: AssessorKey; dkgId?: string },
): Promise<CommitteeRunReply> {
  const members = input.members.map(pointJson);
  const unsigned = {
    planId: input.planId.toString(),
    dkgId: input.dkgId ?? randomSessionId(),
    threshold: input.threshold,
    members,
    createdBy: ownIndex(members, input.key.publicKey),
  };
  return client.createCommittee({ ...unsigned, signature: signStatement(input.key, committeeStatement.run(unsigned)) });
}

/** The run, its member list checked against its creator's signature (a desk cannot swap a member in). */
export async function checkedRun(client: DeskClient, dkgId: string): Promise<CommitteeRunReply> {
  const run = await client.committeeRun(dkgId);
  const creator = run.members[run.createdBy - 1];
  if (run.members.length !== run.size || !creator || !isStatementSigned(committeeStatement.run(run), run.signature, creator)) {
    throw new HuzhuError(
      ErrorCode.CommitteeDkgFailed,
      "the desk's member list of this run is not the one its creator signed: do not take part",
    );
  }
  return run;
}

async function complain(client: DeskClient, dkgId: string, key: AssessorKey, member: number, error: unknown): Promise<never> {
  if (error instanceof HuzhuError && error.code === ErrorCode.CommitteeDkgFailed && typeof error.details.participant === "number") {
    const body = { member, participant: error.details.participant, reason: String(error.details.reason ?? error.message).slice(0, 500) };
    await client
      .postFinish(dkgId, { ...body, outcome: "failed", signature: signStatement(key, committeeStatement.complaint(dkgId, body)) })
      .catch(() => undefined);
  }
  throw error;
}

/**
 * Takes part in DKG run `dkgId` as the member holding `key`, to the end: round one, round two
 * (each package sealed to its recipient's desk key), the share, and the signed statement of the
 * key set; then waits until every member finished with the same key set. A package that fails is
 * reported to the desk, naming its sender, and thrown (COMMITTEE_DKG_FAILED). The DKG's secret lives
 * in this call's memory only: if it stops half way, start a new run.
 */
export async function joinCommitteeRun(
  client: DeskClient,
  dkgId: string,
  key: AssessorKey,
  options: WaitOptions & { onProgress?: (progress: DkgProgress) => void } = {},
): Promise<{ share: CommitteeShare; record: CommitteeRecord }> {
  const run = await checkedRun(client, dkgId);
  const member = ownIndex(run.members, key.publicKey);
  const deskKey = await deriveDeskKey(key);
  const participant = new DkgParticipant({ dkgId, threshold: run.threshold, size: run.size }, member);
  const round1 = { member, package: participant.round1, hpkePublicKey: deskKey.publicKey };
  await client.postRound1(dkgId, { ...round1, signature: signStatement(key, committeeStatement.round1(dkgId, round1)) });

  const full = await poll(
    () => checkedRun(client, dkgId),
    (r) => {
      options.onProgress?.({ stage: "round1", have: r.round1.length, of: r.size });
      return r.status === "failed" || r.round1.length === r.size;
    },
    "every member's round-one package",
    options,
  );
  if (full.status === "failed") throw runFailed(full);
  const posts = new Map(full.round1.map((p) => [p.member, p]));
  for (const p of full.round1) {
    const signer = full.members[p.member - 1];
    if (!isStatementSigned(committeeStatement.round1(dkgId, p), p.signature, signer)) {
      await complain(client, dkgId, key, member, dkgError(p.member, "its round-one post is not signed by its key"));
    }
  }
  let packages: ReturnType<DkgParticipant["round2"]>;
  try {
    packages = participant.round2(full.round1.map((p) => p.package as DkgRound1Package));
  } catch (error) {
    return complain(client, dkgId, key, member, error);
  }
  const sealed = await Promise.all(
    packages.map((p) => sealForMember("round2", dkgId, member, p.to, posts.get(p.to)?.hpkePublicKey ?? "", p)),
  );
  const round2 = { from: member, packages: sealed };
  await orRunFailure(
    client,
    dkgId,
    client.postRound2(dkgId, { ...round2, signature: signStatement(key, committeeStatement.round2(dkgId, round2)) }),
  );

  const inbox = await poll(
    () => client.round2Inbox(dkgId, member),
    (r) => {
      options.onProgress?.({ stage: "round2", have: r.packages.length, of: run.size - 1 });
      return r.packages.length >= run.size - 1;
    },
    "every other member's round-two package",
    options,
  );
  const received = [];
  for (const p of inbox.packages) {
    try {
      received.push(await openFromMember("round2", dkgId, p.from, member, deskKey, p));
    } catch (error) {
      await complain(client, dkgId, key, member, dkgError(p.from, (error as Error).message, error));
    }
  }
  let share: CommitteeShare;
  try {
    share = participant.finish(received);
  } catch (error) {
    return complain(client, dkgId, key, member, error);
  }
  await orRunFailure(client, dkgId, client.postFinish(dkgId, finishBody(run.planId, dkgId, share.keySet, member, key, deskKey.publicKey)));

  const done = await poll(
    () => checkedRun(client, dkgId),
    (r) => {
      options.onProgress?.({ stage: "finish", have: r.finished.length, of: r.size });
      return r.status === "complete" || r.status === "failed";
    },
    "every member to finish",
    options,
  );
  if (done.status === "failed" || !done.committee) throw runFailed(done);
  const checked = checkCommitteeRecord(done.committee, BigInt(run.planId));
  if (checked.keySet.id !== share.keySet.id) {
    throw new HuzhuError(ErrorCode.CommitteeDkgFailed, "the desk's record of the committee is not the key set this member finished with");
  }
  options.onProgress?.({ stage: "complete", keySetId: share.keySet.id });
  return { share, record: done.committee };
}

/** A post the desk refused because the run failed meanwhile becomes the run's failure (naming the participant). */
async function orRunFailure<T>(client: DeskClient, dkgId: string, post: Promise<T>): Promise<T> {
  try {
    return await post;
  } catch (error) {
    if (error instanceof DeskRequestError && error.code === "DESK_COMMITTEE_STATE") {
      const run = await client.committeeRun(dkgId);
      if (run.status === "failed") throw runFailed(run);
    }
    throw error;
  }
}

function runFailed(run: CommitteeRunReply): HuzhuError {
  const f = run.failure;
  return new HuzhuError(
    ErrorCode.CommitteeDkgFailed,
    `this DKG run failed${f?.participant ? `: member ${f.participant}'s package fails` : ""} (${f?.reason ?? "no reason given"}); start a new run${f?.participant ? " without that member" : ""}`,
    { participant: f?.participant, reason: f?.reason },
  );
}

/** A committee member on this device: its share, the committee's checked record, and its nonce store. */
export interface CommitteeSigner {
  share: CommitteeShare;
  committee: CheckedCommittee;
  nonces: NonceStore;
}

/** One vote as this member's device reads it: the terms or reason sealed to it opened. */
export interface OpenedVote {
  member: number;
  vote: "approve" | "decline";
  votedAt: number;
  message?: string;
  terms?: ProposedTerms;
  reason?: string;
}

export interface CommitteeCaseView {
  reply: CaseCommitteeReply;
  votes: OpenedVote[];
  /** This committee's signing rounds on the case. */
  rounds: SigningRound[];
}

/** The case's votes and signing rounds for this member's committee, what was sealed to it opened. */
export async function openCommitteeCase(session: AssessorSession, caseId: string, signer: CommitteeSigner): Promise<CommitteeCaseView> {
  const reply = await session.client.caseCommittee(caseId, session.token);
  const deskKey = await deriveDeskKey(session.assessorKey);
  const me = signer.share.member;
  const keySetId = signer.share.keySet.id;
  const votes: OpenedVote[] = [];
  for (const v of reply.votes.filter((x) => x.keySetId === keySetId)) {
    const mine = v.sealed.find((p) => p.to === me);
    const opened: OpenedVote = { member: v.member, vote: v.vote, votedAt: v.votedAt, ...(v.message ? { message: v.message } : {}) };
    if (mine) {
      const value = await openFromMember(v.vote === "approve" ? "terms" : "reason", caseId, v.member, me, deskKey, mine);
      if (v.vote === "approve") opened.terms = parseTerms(value, v.member);
      else opened.reason = typeof (value as { reason?: unknown }).reason === "string" ? (value as { reason: string }).reason : "";
    }
    votes.push(opened);
  }
  return { reply, votes, rounds: reply.rounds.filter((r) => r.keySetId === keySetId) };
}

function fullTerms(view: AssessorCaseView, terms: ProposedTerms): ApprovalTerms {
  return {
    commitment: view.opened.document.commitment,
    planId: view.opened.planId,
    eventId: view.opened.document.eventId,
    amount: terms.amount,
    expiresAtEpoch: terms.expiresAtEpoch,
  };
}

async function sealToCommittee(caseId: string, signer: CommitteeSigner, kind: "terms" | "reason", payload: unknown) {
  return Promise.all(
    [...signer.committee.members.entries()].map(([to, m]) =>
      sealForMember(kind, caseId, signer.share.member, to, m.hpkePublicKey, payload),
    ),
  );
}

/**
 * Votes to approve `terms` (round one): joins the signing round already open on the same terms, or
 * opens one; commits fresh nonces for it (kept in `signer.nonces`) and seals the terms to every
 * member of the committee so the others can review and agree.
 */
export async function voteToApprove(
  session: AssessorSession,
  view: AssessorCaseView,
  signer: CommitteeSigner,
  terms: ProposedTerms,
): Promise<VoteReply> {
  const message = approvalMessage(fullTerms(view, terms)).toString();
  const current = await session.client.caseCommittee(view.caseId, session.token);
  const open = current.rounds.find((r) => r.keySetId === signer.share.keySet.id && r.message === message && r.status === "voting");
  const sessionId = open?.sessionId ?? randomSessionId();
  const commitment = signer.nonces.commit(signer.share, sessionId);
  const unsigned = {
    keySetId: signer.share.keySet.id,
    member: signer.share.member,
    vote: "approve" as const,
    message,
    sessionId,
    hiding: commitment.hiding,
    binding: commitment.binding,
    sealed: await sealToCommittee(view.caseId, signer, "terms", termsJson(terms)),
  };
  return session.client.postVote(
    view.caseId,
    { ...unsigned, signature: signStatement(session.assessorKey, committeeStatement.vote(view.caseId, unsigned)) },
    session.token,
  );
}

/** Votes to decline, the reason sealed to every member of the committee and recorded at the desk. */
export async function voteToDecline(
  session: AssessorSession,
  view: AssessorCaseView,
  signer: CommitteeSigner,
  reason: string,
): Promise<VoteReply> {
  const unsigned = {
    keySetId: signer.share.keySet.id,
    member: signer.share.member,
    vote: "decline" as const,
    sealed: await sealToCommittee(view.caseId, signer, "reason", { reason }),
  };
  return session.client.postVote(
    view.caseId,
    { ...unsigned, signature: signStatement(session.assessorKey, committeeStatement.vote(view.caseId, unsigned)) },
    session.token,
  );
}

export type SigningStep =
  | { step: "waiting"; round: SigningRound; approvals: number; threshold: number }
  | { step: "shared"; round: SigningRound }
  | { step: "decided"; round: SigningRound }
  | { step: "failed"; round: SigningRound };

/**
 * Takes this member's next step in the signing round of its approval of `terms`: its signature share
 * once the round is signing (FROST round two, checked against the terms it reviewed itself), and,
 * once the committee's signature exists, the member's approval sealed to it as the case's decision.
 */
export async function continueSigning(
  session: AssessorSession,
  view: AssessorCaseView,
  signer: CommitteeSigner,
  terms: ProposedTerms,
): Promise<SigningStep> {
  const approval = fullTerms(view, terms);
  const message = approvalMessage(approval).toString();
  const me = signer.share.member;
  const reply = await session.client.caseCommittee(view.caseId, session.token);
  const rounds = reply.rounds.filter((r) => r.keySetId === signer.share.keySet.id && r.message === message && r.approvals.includes(me));
  let round = rounds.find((r) => r.status === "signed") ?? rounds.find((r) => r.status === "signing") ?? rounds.at(-1);
  if (!round) throw new HuzhuError(ErrorCode.CommitteeUnknownSigner, "you have no approval of these terms on this case: vote first");
  if (round.status === "failed" || round.status === "closed") return { step: "failed", round };
  if (round.status === "voting") {
    return { step: "waiting", round, approvals: round.approvals.length, threshold: signer.share.keySet.threshold };
  }
  if (round.status === "signing") {
    if (!round.signers.includes(me) || round.shares.includes(me)) return { step: "shared", round };
    const share = signShare(signer.share, round.package, approval, signer.nonces);
    round = await session.client.postShare(view.caseId, share, session.token);
    if (round.status !== "signed") return { step: "shared", round };
  }
  const signature = round.signature;
  if (!signature) throw new HuzhuError(ErrorCode.CommitteeMalformed, "the desk lists the round as signed without its signature");
  const signed = committeeApproval(approval, {
    keySetId: round.keySetId,
    sessionId: round.sessionId,
    message: BigInt(round.message),
    publicKey: signer.committee.groupKey,
    signature: { R8: [BigInt(signature.R8[0]), BigInt(signature.R8[1])], S: BigInt(signature.S) },
  });
  const body = await sealSignedApproval(
    { planId: view.opened.planId, caseId: view.caseId, replyPublicKey: view.opened.document.replyPublicKey },
    signed,
  );
  try {
    await session.client.postDecision(view.caseId, body, session.token);
  } catch (error) {
    // Another signer handed the member the same approval first.
    if (!(error instanceof DeskRequestError && error.code === "DESK_CASE_DECIDED")) throw error;
  }
  return { step: "decided", round };
}
