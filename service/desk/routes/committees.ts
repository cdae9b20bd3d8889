/**
 * Committees at the desk, an untrusted coordinator: it relays a DKG run's rounds and a case's
 * signing rounds, checks what it can (each post's signature by its member's own key, each FROST
 * signature share against the key set) and stores what it relays. It never holds a share, a
 * nonce or a round-two package in clear, and it sees a vote's approval message (a Poseidon hash),
 * never its terms.
 *
 *   POST /committees                          start a DKG run (signed by one of its members)
 *   GET  /committees/:dkgId                   the run: members, posts, status, the record once complete
 *   POST /committees/:dkgId/round1            a member's round-one package and desk key
 *   POST /committees/:dkgId/round2            a member's round-two packages, each sealed to its recipient
 *   GET  /committees/:dkgId/round2/:member    the sealed packages for one member
 *   POST /committees/:dkgId/finish            a member's key set (signed statement), or its complaint
 *   GET  /plans/:planId/committees            the plan's finished committees
 *   GET  /cases/:caseId/committee             a case's votes and signing rounds (assessor)
 *   POST /cases/:caseId/committee/votes       a committee member's vote (approve with nonce commitments, or decline)
 *   POST /cases/:caseId/committee/shares      a signer's signature share
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { aggregateSignature, verifySignatureShare } from "../../sdk/committee/aggregate.ts";
import { type CommitteeKeySet, parseKeySet } from "../../sdk/committee/key-set.ts";
import { createSigningPackage } from "../../sdk/committee/signing.ts";
import { committeeStatement, finishStatement, isStatementSigned } from "../../sdk/desk/committee.ts";
import type { CommitteeRecord } from "../../sdk/desk/committee-schemas.ts";
import {
  CaseCommitteeReply,
  CommitteeRunReply,
  CommitteesReply,
  CreateCommitteeBody,
  DkgInboxParams,
  DkgRunParams,
  FinishBody,
  PostReply,
  Round1Body,
  Round2Body,
  Round2Inbox,
  ShareBody,
  SigningRoundSchema,
  VoteBody,
  VoteReply,
} from "../../sdk/desk/committee-schemas.ts";
import { CaseParams, ErrorReply, PlanParams } from "../../sdk/desk/schemas.ts";
import { decodePoint } from "../../sdk/desk/wire-values.ts";
import { HuzhuError } from "../../sdk/errors.ts";
import type { Caller } from "../auth.ts";
import type { Membership, RoundRecord, RunRecord } from "../committee-store.ts";
import { DeskError, DeskErrorCode } from "../errors.ts";
import type { DeskStore } from "../store.ts";

const errors = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply, 422: ErrorReply, 503: ErrorReply };

function refused(message: string, cause?: unknown): DeskError {
  return new DeskError(DeskErrorCode.CommitteeRefused, message, { cause });
}

/** A committee-data refusal from the SDK: the desk's code, with the SDK's as the reply's `reason`. */
function fromSdk(error: unknown): never {
  if (error instanceof HuzhuError) throw new DeskError(DeskErrorCode.CommitteeRefused, error.message, { cause: error, reason: error.code });
  throw error;
}

function requireSigned(message: bigint, signature: unknown, publicKey: unknown, who: string): void {
  if (!isStatementSigned(message, signature, publicKey)) throw refused(`this post is not signed by ${who}'s own key`);
}

function memberKey(run: RunRecord, member: number): [string, string] {
  const key = run.members[member - 1];
  if (!key) throw refused(`the run has ${run.size} members; there is no member ${member}`);
  return key;
}

/**
 * Whether a committee member (not in the tree itself) may post the case's decision now: an
 * approval once one of its committees' signing rounds on the case is signed, a decline once
 * enough of a committee declined that k approvals can no longer agree.
 */
export async function requireCommitteeDecision(
  store: DeskStore,
  caseId: string,
  who: Extract<Caller, { kind: "assessor" }>,
  kind: "approve" | "decline",
): Promise<void> {
  if (who.memberships.length === 0) {
    throw new DeskError(DeskErrorCode.NotAnAssessor, "this key is neither an assessor of the plan nor a member of one of its committees");
  }
  const ids = new Set(who.memberships.map((m) => m.keySetId));
  if (kind === "approve") {
    const rounds = await store.committees.rounds(caseId);
    if (!rounds.some((r) => ids.has(r.keySetId) && r.status === "signed")) {
      throw new DeskError(
        DeskErrorCode.CommitteeState,
        "your committee has not signed an approval of this case yet: k members must vote to approve the same terms and send their shares",
      );
    }
    return;
  }
  const votes = await store.committees.votes(caseId);
  const enough = who.memberships.some(
    (m) => votes.filter((v) => v.keySetId === m.keySetId && v.body.vote === "decline").length > m.size - m.threshold,
  );
  if (!enough) {
    throw new DeskError(
      DeskErrorCode.CommitteeState,
      "too few of your committee have voted to decline: a committee declines once k approvals can no longer agree",
    );
  }
}

function roundJson(r: RoundRecord) {
  return {
    keySetId: r.keySetId,
    sessionId: r.sessionId,
    message: r.message,
    status: r.status,
    approvals: r.approvals,
    signers: r.signers,
    shares: r.shares,
    ...(r.package ? { package: r.package } : {}),
    ...(r.signature ? { signature: r.signature } : {}),
    ...(r.failure ? { failure: r.failure } : {}),
    updatedAt: r.updatedAt,
  };
}

export const committeeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { deps, metrics, caller } = app.desk;
  const { store, chain } = deps;
  const committees = store.committees;

  async function requireRun(dkgId: string): Promise<RunRecord> {
    const run = await committees.run(dkgId);
    if (!run) throw new DeskError(DeskErrorCode.CommitteeNotFound, `no DKG run ${dkgId} at this desk; check the run id`);
    return run;
  }

  app.post(
    "/committees",
    { schema: { tags: ["committees"], body: CreateCommitteeBody, response: { 201: CommitteeRunReply, ...errors } } },
    async (request, reply) => {
      const body = request.body;
      await chain.requirePlan(BigInt(body.planId));
      const size = body.members.length;
      if (body.threshold > size) throw refused(`a committee of ${size} cannot require ${body.threshold} approvals`);
      if (body.createdBy > size) throw refused(`createdBy names member ${body.createdBy} of ${size}`);
      const keys = new Set(body.members.map((m) => decodePoint(m, "members").join(",")));
      if (keys.size !== size) throw refused("each member of a committee has its own key: a key is listed twice");
      requireSigned(committeeStatement.run(body), body.signature, body.members[body.createdBy - 1], `member ${body.createdBy}`);
      const run = await committees.createRun({
        planId: body.planId,
        dkgId: body.dkgId,
        threshold: body.threshold,
        size,
        members: body.members,
        createdBy: body.createdBy,
        signature: body.signature,
      });
      request.log.info({ plan: body.planId, threshold: body.threshold, size }, "committee DKG run started");
      return reply.code(201).send(await runReply(run));
    },
  );

  async function runReply(run: RunRecord) {
    const posts = await committees.posts(run.dkgId);
    return {
      planId: run.planId,
      dkgId: run.dkgId,
      threshold: run.threshold,
      size: run.size,
      members: run.members,
      createdBy: run.createdBy,
      signature: run.signature,
      status: run.status,
      round1: posts.round1,
      round2: posts.round2,
      finished: posts.finished.map((f) => ({ member: f.member, keySetId: f.keySet.id })),
      ...(run.failure ? { failure: run.failure } : {}),
      ...(run.record ? { committee: run.record } : {}),
      createdAt: run.createdAt,
    };
  }

  app.get(
    "/committees/:dkgId",
    { schema: { tags: ["committees"], params: DkgRunParams, response: { 200: CommitteeRunReply, ...errors } } },
    async (request) => runReply(await requireRun(request.params.dkgId)),
  );

  app.post(
    "/committees/:dkgId/round1",
    { schema: { tags: ["committees"], params: DkgRunParams, body: Round1Body, response: { 200: PostReply, ...errors } } },
    async (request) => {
      const { dkgId } = request.params;
      const body = request.body;
      const run = await requireRun(dkgId);
      const p = body.package;
      if (p.member !== body.member || p.dkgId !== dkgId || p.threshold !== run.threshold || p.size !== run.size) {
        throw refused("a round-one package names its own member, this run, and the run's threshold and size");
      }
      if (p.commitment.length !== run.threshold) throw refused(`a round-one package commits to ${run.threshold} points`);
      requireSigned(committeeStatement.round1(dkgId, body), body.signature, memberKey(run, body.member), `member ${body.member}`);
      const status = await committees.post(
        dkgId,
        "round1",
        "round1",
        body.member,
        body,
        async () => undefined,
        async (posts) => (posts.length === run.size ? { status: "round2" } : undefined),
      );
      return { status };
    },
  );

  app.post(
    "/committees/:dkgId/round2",
    { schema: { tags: ["committees"], params: DkgRunParams, body: Round2Body, response: { 200: PostReply, ...errors } } },
    async (request) => {
      const { dkgId } = request.params;
      const body = request.body;
      const run = await requireRun(dkgId);
      const to = body.packages.map((p) => p.to).sort((a, b) => a - b);
      const others = Array.from({ length: run.size }, (_, i) => i + 1).filter((m) => m !== body.from);
      if (to.join(",") !== others.join(","))
        throw refused(`member ${body.from} sends one sealed package to each other member (${others.join(", ")})`);
      requireSigned(committeeStatement.round2(dkgId, body), body.signature, memberKey(run, body.from), `member ${body.from}`);
      const status = await committees.post(
        dkgId,
        "round2",
        "round2",
        body.from,
        { from: body.from },
        (q) => committees.addInbox(q, dkgId, body.from, body.packages),
        async (posts) => (posts.length === run.size ? { status: "finishing" } : undefined),
      );
      return { status };
    },
  );

  app.get(
    "/committees/:dkgId/round2/:member",
    { schema: { tags: ["committees"], params: DkgInboxParams, response: { 200: Round2Inbox, ...errors } } },
    async (request) => {
      await requireRun(request.params.dkgId);
      return { packages: await committees.inbox(request.params.dkgId, Number(request.params.member)) };
    },
  );

  app.post(
    "/committees/:dkgId/finish",
    { schema: { tags: ["committees"], params: DkgRunParams, body: FinishBody, response: { 200: PostReply, ...errors } } },
    async (request) => {
      const { dkgId } = request.params;
      const body = request.body;
      const run = await requireRun(dkgId);
      const key = memberKey(run, body.member);
      if (body.outcome === "failed") {
        requireSigned(committeeStatement.complaint(dkgId, body), body.signature, key, `member ${body.member}`);
        request.log.warn({ participant: body.participant, reportedBy: body.member }, "committee DKG run failed");
        return { status: await committees.fail(dkgId, { participant: body.participant, reason: body.reason, reportedBy: body.member }) };
      }
      let keySet: CommitteeKeySet;
      try {
        keySet = parseKeySet(body.keySet);
      } catch (error) {
        return fromSdk(error);
      }
      if (keySet.threshold !== run.threshold || keySet.size !== run.size)
        throw refused("this key set has another threshold or size than the run");
      const posts = await committees.posts(dkgId);
      const round1 = posts.round1.find((p) => p.member === body.member);
      if (!round1) throw new DeskError(DeskErrorCode.CommitteeState, `member ${body.member} sent no round-one package in this run`);
      const statement = finishStatement(run.planId, dkgId, keySet, body.member, decodePoint(key, "publicKey"), round1.hpkePublicKey);
      requireSigned(statement, body.signature, key, `member ${body.member}`);
      const status = await committees.post(
        dkgId,
        "finish",
        "finishing",
        body.member,
        body,
        async () => undefined,
        async (all) => {
          if (all.length < run.size) return undefined;
          const finished = all.map((text) => JSON.parse(text) as Extract<FinishBody, { outcome: "done" }>);
          const ids = new Set(finished.map((f) => f.keySet.id));
          if (ids.size > 1) {
            return {
              status: "failed",
              failure: {
                reason: `members finished with ${ids.size} different key sets: their round-one packages were not the same for all; start a new run`,
              },
            };
          }
          const record: CommitteeRecord = {
            planId: run.planId,
            dkgId,
            keySet,
            members: finished.map((f) => {
              const r1 = posts.round1.find((p) => p.member === f.member);
              return {
                member: f.member,
                publicKey: memberKey(run, f.member),
                hpkePublicKey: r1?.hpkePublicKey ?? "",
                signature: f.signature,
              };
            }),
          };
          return { status: "complete", record };
        },
      );
      if (status === "complete") {
        metrics.committees.inc();
        request.log.info(
          { plan: run.planId, threshold: run.threshold, size: run.size, keySet: keySet.id.slice(0, 12) },
          "committee key set made",
        );
      }
      return { status };
    },
  );

  app.get(
    "/plans/:planId/committees",
    { schema: { tags: ["committees"], params: PlanParams, response: { 200: CommitteesReply, ...errors } } },
    async (request) => {
      await chain.requirePlan(BigInt(request.params.planId));
      return { planId: request.params.planId, committees: await committees.committees(request.params.planId) };
    },
  );

  /** The case, for a signed-in assessor of its plan (404 otherwise, as the case routes). */
  async function assessorCase(request: Parameters<typeof caller>[0], caseId: string) {
    const who = await caller(request);
    const record = await store.getCase(caseId);
    if (!record || who.kind !== "assessor" || who.planId !== record.planId) {
      throw new DeskError(DeskErrorCode.CaseNotFound, `no case ${caseId} at this desk that this sign-in opens; sign in for its plan`);
    }
    return { who, record };
  }

  function membership(who: Extract<Caller, { kind: "assessor" }>, keySetId: string, member: number): Membership {
    const m = who.memberships.find((x) => x.keySetId === keySetId);
    if (!m || m.member !== member) {
      throw new DeskError(DeskErrorCode.Forbidden, `you are not member ${member} of committee ${keySetId.slice(0, 12)}… of this plan`);
    }
    return m;
  }

  async function keySetOf(keySetId: string): Promise<CommitteeKeySet> {
    const record = await committees.record(keySetId);
    if (!record) throw new DeskError(DeskErrorCode.CommitteeNotFound, `no finished committee ${keySetId} at this desk`);
    return parseKeySet(record.keySet);
  }

  app.get(
    "/cases/:caseId/committee",
    { schema: { tags: ["committees"], params: CaseParams, response: { 200: CaseCommitteeReply, ...errors } } },
    async (request) => {
      const { record } = await assessorCase(request, request.params.caseId);
      const votes = await committees.votes(record.id);
      return {
        caseId: record.id,
        votes: votes.map((v) => ({
          keySetId: v.keySetId,
          member: v.member,
          vote: v.body.vote,
          ...(v.body.vote === "approve" ? { message: v.body.message } : {}),
          sealed: v.body.sealed,
          votedAt: v.votedAt,
        })),
        rounds: (await committees.rounds(record.id)).map(roundJson),
      };
    },
  );

  app.post(
    "/cases/:caseId/committee/votes",
    { schema: { tags: ["committees"], params: CaseParams, body: VoteBody, response: { 200: VoteReply, ...errors } } },
    async (request) => {
      const { who, record } = await assessorCase(request, request.params.caseId);
      const body = request.body;
      const m = membership(who, body.keySetId, body.member);
      if (record.status === "uploading") throw new DeskError(DeskErrorCode.CaseIncomplete, "the case's files have not all arrived yet");
      if (record.decisionKind !== null) throw new DeskError(DeskErrorCode.CaseDecided, `the case was ${record.status} already`);
      requireSigned(
        committeeStatement.vote(record.id, body),
        body.signature,
        [who.publicKey[0].toString(), who.publicKey[1].toString()],
        "you",
      );
      const keySet = await keySetOf(body.keySetId);
      const result = await committees.vote(record.id, body, m.threshold, ({ sessionId, message, commitments }) => {
        try {
          return createSigningPackage(
            keySet,
            sessionId,
            BigInt(message),
            commitments.map((c) => ({ keySetId: keySet.id, sessionId, member: c.member, hiding: c.hiding, binding: c.binding })),
          );
        } catch (error) {
          return fromSdk(error);
        }
      });
      metrics.votes.inc({ vote: body.vote });
      request.log.info({ plan: record.planId, vote: body.vote, approvals: result.approvals, declines: result.declines }, "committee vote");
      return { approvals: result.approvals, declines: result.declines, ...(result.round ? { round: roundJson(result.round) } : {}) };
    },
  );

  app.post(
    "/cases/:caseId/committee/shares",
    { schema: { tags: ["committees"], params: CaseParams, body: ShareBody, response: { 200: SigningRoundSchema, ...errors } } },
    async (request) => {
      const { who, record } = await assessorCase(request, request.params.caseId);
      const body = request.body;
      membership(who, body.keySetId, body.member);
      const round = await committees.round(body.sessionId);
      if (!round || round.caseId !== record.id)
        throw new DeskError(DeskErrorCode.CommitteeNotFound, `no signing round ${body.sessionId} on this case`);
      if (!round.package)
        throw new DeskError(
          DeskErrorCode.CommitteeState,
          `signing round ${body.sessionId} is ${round.status}: it has no signing package yet`,
        );
      const keySet = await keySetOf(body.keySetId);
      let valid: boolean;
      try {
        valid = verifySignatureShare(keySet, round.package, body);
      } catch (error) {
        return fromSdk(error);
      }
      const pkg = round.package;
      const updated = await committees.share(
        body.sessionId,
        body.member,
        body.share,
        valid
          ? {
              valid: true,
              aggregate: (shares) => {
                const signed = aggregateSignature(
                  keySet,
                  pkg,
                  Object.entries(shares).map(([member, share]) => ({
                    keySetId: keySet.id,
                    sessionId: body.sessionId,
                    member: Number(member),
                    message: body.message,
                    share,
                  })),
                );
                return { R8: [signed.signature.R8[0].toString(), signed.signature.R8[1].toString()], S: signed.signature.S.toString() };
              },
            }
          : { valid: false, reason: `member ${body.member}'s signature share does not verify` },
      );
      if (!valid) {
        request.log.warn({ plan: record.planId, signer: body.member }, "committee share refused");
        throw new DeskError(
          DeskErrorCode.ShareInvalid,
          `member ${body.member}'s signature share does not verify for this signing round: the round failed; its approvers vote again for a new one`,
        );
      }
      if (updated.status === "signed") request.log.info({ plan: record.planId }, "committee signature made");
      return roundJson(updated);
    },
  );
};
