/**
 * Committees through a real desk over HTTP on 127.0.0.1, against a real local chain, with an
 * SQLite store: three assessors make a 2-of-3 key set by DKG (the desk relays, never holds a
 * secret), the plan admin adds its group key on chain, the members sign in with their own keys,
 * a member files a case, two approve the same terms, sign shares, and the member opens an ordinary
 * approval by the group key. Refusals asserted with their codes: posts not signed by their member,
 * a DKG package that cheats (its sender named), a share that fails (its signer named), nonce
 * commitments used twice, decisions before the committee agreed, and declines with their reasons.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/lib/stack.ts";
import { buildDeskApp, type DeskApp } from "../../service/desk/app.ts";
import { DeskChain } from "../../service/desk/chain.ts";
import { DESK_SCHEMA } from "../../service/desk/schema.ts";
import { DeskStore } from "../../service/desk/store.ts";
import { openSqlite } from "../../service/kit/sql.ts";
import { type AssessorKey, generateAssessorKey, verifyApproval } from "../../service/sdk/assessor.ts";
import { loadAssessorTree } from "../../service/sdk/chain/pool.ts";
import { DkgParticipant, type DkgRound1Package } from "../../service/sdk/committee/dkg.ts";
import { type CommitteeKeySet, committeePublicKey } from "../../service/sdk/committee/key-set.ts";
import { NonceStore } from "../../service/sdk/committee/nonces.ts";
import type { CommitteeShare } from "../../service/sdk/committee/share.ts";
import { DeskClient, DeskRequestError } from "../../service/sdk/desk/client.ts";
import { checkCommitteeRecord, committeeStatement, sealForMember, signStatement } from "../../service/sdk/desk/committee.ts";
import {
  type CommitteeSigner,
  continueSigning,
  joinCommitteeRun,
  openCommitteeCase,
  startCommitteeRun,
  voteToApprove,
  voteToDecline,
} from "../../service/sdk/desk/committee-flows.ts";
import type { CommitteeRecord, VoteBody } from "../../service/sdk/desk/committee-schemas.ts";
import { sealApproval } from "../../service/sdk/desk/decision.ts";
import { deriveDeskKey } from "../../service/sdk/desk/desk-key.ts";
import {
  type AssessorCaseView,
  type AssessorSession,
  declineCase,
  fileCase,
  openCaseAsAssessor,
  openCaseAsMember,
  publishRosterEntry,
  signIn,
} from "../../service/sdk/desk/flows.ts";
import { pointJson } from "../../service/sdk/desk/wire-values.ts";
import { addAssessorOnChain } from "../../testkit/assessors.ts";
import { type Stack, startStack } from "../../testkit/relayer-stack.ts";

const PLAN = 1n;
let stack: Stack;
let app: DeskApp;
let client: DeskClient;
let dataDir: string;

beforeAll(async () => {
  stack = await startStack(1);
  dataDir = mkdtempSync(join(tmpdir(), "huzhu-desk-committee-"));
  const db = await openSqlite(join(dataDir, "desk.sqlite"), DESK_SCHEMA);
  const port = await freePort();
  app = await buildDeskApp({
    log: pino({ level: "silent" }),
    store: new DeskStore(db),
    chain: new DeskChain(stack.client, stack.pool, BigInt(stack.deployment.record.deployBlock)),
    chainId: stack.deployment.record.chainId,
    name: "Committee desk",
    origin: `http://127.0.0.1:${port}`,
    sessionTtlSeconds: 3600,
    rateLimitPerMinute: 100_000,
  });
  app.addHook("onClose", () => db.close());
  const url = await app.listen({ host: "127.0.0.1", port });
  client = new DeskClient(url);
}, 180_000);

afterAll(async () => {
  if (app?.server.listening) await app.close();
  await stack?.chain.stop();
});

async function refusal(promise: Promise<unknown>): Promise<{ code: string; statusCode: number; message: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof DeskRequestError)) throw new Error(`expected a desk refusal, got ${String(error)}`);
  return { code: error.code, statusCode: error.statusCode, message: error.message };
}

describe("committees at the desk", () => {
  const keys: AssessorKey[] = [generateAssessorKey(), generateAssessorKey(), generateAssessorKey()];
  let shares: CommitteeShare[];
  let record: CommitteeRecord;
  const sessions: AssessorSession[] = [];
  const signers: CommitteeSigner[] = [];
  /** A 2-of-3 run of `keys`, started by member `creator`. */
  const newRun = (creator: number) =>
    startCommitteeRun(client, { planId: PLAN, threshold: 2, members: keys.map((k) => k.publicKey), key: keys[creator - 1] as AssessorKey });

  it("makes a 2-of-3 key set by DKG through the desk, every member finishing with the same key set", async () => {
    const run = await newRun(1);
    expect(run).toMatchObject({ status: "round1", threshold: 2, size: 3, createdBy: 1 });
    const progress: string[] = [];
    const results = await Promise.all(
      keys.map((key, i) => joinCommitteeRun(client, run.dkgId, key, { pollMs: 50, onProgress: (p) => i === 0 && progress.push(p.stage) })),
    );
    shares = results.map((r) => r.share);
    record = results[0]?.record as CommitteeRecord;
    expect(new Set(shares.map((s) => s.keySet.id)).size).toBe(1);
    expect(shares.map((s) => s.member)).toEqual([1, 2, 3]);
    expect(progress).toContain("round2");
    expect(progress.at(-1)).toBe("complete");
    const checked = checkCommitteeRecord(record, PLAN);
    expect(checked.keySet.id).toBe(shares[0]?.keySet.id);
    expect(checked.members.get(2)?.hpkePublicKey).toBe((await deriveDeskKey(keys[1] as AssessorKey)).publicKey);
    // The desk lists it for the plan, and holds no share: no member's signing share is in its database.
    expect(await client.committees(PLAN)).toEqual([record]);
    const db = readFileSync(join(dataDir, "desk.sqlite"));
    for (const s of shares) expect(db.includes(Buffer.from(s.signingShare))).toBe(false);
  }, 120_000);

  it("refuses a DKG post not signed by its member's own key", async () => {
    const run = await newRun(2);
    const p = new DkgParticipant({ dkgId: run.dkgId, threshold: 2, size: 3 }, 3);
    const body = { member: 3, package: p.round1, hpkePublicKey: (await deriveDeskKey(keys[2] as AssessorKey)).publicKey };
    const forged = await refusal(
      client.postRound1(run.dkgId, {
        ...body,
        signature: signStatement(keys[0] as AssessorKey, committeeStatement.round1(run.dkgId, body)),
      }),
    );
    expect(forged).toMatchObject({ code: "DESK_COMMITTEE_REFUSED", statusCode: 422 });
    expect(forged.message).toContain("not signed by member 3's own key");
  });

  it("refuses a finished key set the SDK rejects, giving the SDK's code as the reason", async () => {
    const run = await newRun(1);
    const keySet = shares[0]?.keySet as CommitteeKeySet;
    const altered = { ...keySet, id: `${keySet.id.slice(0, -1)}${keySet.id.endsWith("0") ? "1" : "0"}` };
    const error = await client
      .postFinish(run.dkgId, { member: 1, outcome: "done", keySet: altered, signature: signStatement(keys[0] as AssessorKey, 1n) })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(DeskRequestError);
    expect(error).toMatchObject({ code: "DESK_COMMITTEE_REFUSED", statusCode: 422, reason: "COMMITTEE_MALFORMED" });
    expect((error as DeskRequestError).message).toBe(
      "not valid committee data: id is not the hash of the key set (altered, or another key set's id)",
    );
  });

  it("fails a DKG whose participant sends a bad round-two package, naming that participant", async () => {
    const run = await newRun(1);
    const cheaterKey = keys[1] as AssessorKey;
    const cheaterDesk = await deriveDeskKey(cheaterKey);
    const cheater = new DkgParticipant({ dkgId: run.dkgId, threshold: 2, size: 3 }, 2);
    const r1 = { member: 2, package: cheater.round1, hpkePublicKey: cheaterDesk.publicKey };
    await client.postRound1(run.dkgId, { ...r1, signature: signStatement(cheaterKey, committeeStatement.round1(run.dkgId, r1)) });
    const honest = [
      joinCommitteeRun(client, run.dkgId, keys[0] as AssessorKey, { pollMs: 50 }),
      joinCommitteeRun(client, run.dkgId, keys[2] as AssessorKey, { pollMs: 50 }),
    ];
    const outcomes = Promise.allSettled(honest);
    let full = await client.committeeRun(run.dkgId);
    while (full.round1.length < 3) full = await client.committeeRun(run.dkgId);
    const packages = cheater.round2(full.round1.map((p) => p.package as DkgRound1Package));
    // Member 1 gets an evaluation that is not the one its commitment promises.
    const bad = packages.map((p) => (p.to === 1 ? { ...p, share: "05".padEnd(64, "0") } : p));
    const sealed = await Promise.all(
      bad.map((p) => sealForMember("round2", run.dkgId, 2, p.to, full.round1.find((x) => x.member === p.to)?.hpkePublicKey ?? "", p)),
    );
    const r2 = { from: 2, packages: sealed };
    await client.postRound2(run.dkgId, { ...r2, signature: signStatement(cheaterKey, committeeStatement.round2(run.dkgId, r2)) });
    const [first, third] = (await outcomes) as [PromiseSettledResult<unknown>, PromiseSettledResult<unknown>];
    expect(first.status).toBe("rejected");
    expect((first as PromiseRejectedResult).reason).toMatchObject({ code: "COMMITTEE_DKG_FAILED", details: { participant: 2 } });
    expect(third.status).toBe("rejected");
    expect((third as PromiseRejectedResult).reason).toMatchObject({ code: "COMMITTEE_DKG_FAILED", details: { participant: 2 } });
    expect((third as PromiseRejectedResult).reason.message).toContain("member 2's package fails");
    expect((await client.committeeRun(run.dkgId)).failure).toMatchObject({ participant: 2, reportedBy: 1 });
  }, 120_000);

  it("lets committee members in only once the plan admin adds the group key on chain", async () => {
    const before = await refusal(signIn(client, keys[0] as AssessorKey, PLAN));
    expect(before).toMatchObject({ code: "DESK_NOT_AN_ASSESSOR", statusCode: 403 });
    await addAssessorOnChain(stack.chain.rpcUrl, stack.pool, committeePublicKey((shares[0] as CommitteeShare).keySet), { planId: PLAN });
    for (const [i, key] of keys.entries()) {
      const session = { client, assessorKey: key, token: (await signIn(client, key, PLAN)).token };
      await publishRosterEntry(client, session.token, key, PLAN);
      sessions.push(session);
      signers.push({ share: shares[i] as CommitteeShare, committee: checkCommitteeRecord(record, PLAN), nonces: new NonceStore() });
    }
    expect(await client.roster(PLAN)).toHaveLength(3);
  }, 60_000);

  async function fileAndOpen(amount: bigint) {
    const tree = await loadAssessorTree({ client: stack.client, pool: stack.pool, fromBlock: 0n }, PLAN);
    const filed = await fileCase({
      client,
      identity: stack.members[0] as never,
      planId: PLAN,
      assessorTree: tree,
      details: { category: "medical", dateOfLoss: "2026-11-20", description: "hospital stay", amount },
      files: [],
    });
    const views: AssessorCaseView[] = [];
    for (const session of sessions) views.push(await openCaseAsAssessor(session, filed.caseId));
    return { filed, views, tree };
  }

  it("approves a case when two of three agree: shares checked, a bad share named, a nonce used once, the member gets an approval by the group key", async () => {
    const { filed, views, tree } = await fileAndOpen(90_000_000n);
    const [s1, s2, s3] = sessions as [AssessorSession, AssessorSession, AssessorSession];
    const [v1, v2, v3] = views as [AssessorCaseView, AssessorCaseView, AssessorCaseView];
    const [c1, c2, c3] = signers as [CommitteeSigner, CommitteeSigner, CommitteeSigner];
    const terms = { amount: 80_000_000n, expiresAtEpoch: 40n };

    const first = await voteToApprove(s1, v1, c1, terms);
    expect(first).toMatchObject({ approvals: 1, declines: 0, round: { status: "voting", approvals: [1] } });
    expect(await continueSigning(s1, v1, c1, terms)).toMatchObject({ step: "waiting", approvals: 1, threshold: 2 });
    // One member cannot decide for the committee.
    const early = await sealApproval({
      planId: PLAN,
      caseId: filed.caseId,
      replyPublicKey: v1.opened.document.replyPublicKey,
      assessorKey: keys[0] as AssessorKey,
      commitment: v1.opened.document.commitment,
      eventId: v1.opened.document.eventId,
      amount: terms.amount,
      expiresAtEpoch: terms.expiresAtEpoch,
    });
    expect(await refusal(client.postDecision(filed.caseId, early, s1.token))).toMatchObject({
      code: "DESK_COMMITTEE_STATE",
      statusCode: 409,
    });

    // Member 2 reads member 1's proposed terms on its own device and agrees.
    const seen = await openCommitteeCase(s2, filed.caseId, c2);
    expect(seen.votes).toEqual([expect.objectContaining({ member: 1, vote: "approve", terms })]);
    const second = await voteToApprove(s2, v2, c2, terms);
    expect(second.round).toMatchObject({ status: "signing", signers: [1, 2] });

    // Nonce commitments of a vote cannot be used again, by anyone.
    const firstVote = (await client.caseCommittee(filed.caseId, s3.token)).votes.find((v) => v.member === 1);
    expect(firstVote).toBeDefined();
    const round = second.round;
    const pkg = round?.package;
    const reused = { ...(pkg?.commitments.find((c) => c.member === 1) ?? {}) };
    const copied = {
      keySetId: c3.share.keySet.id,
      member: 3,
      vote: "approve" as const,
      message: round?.message ?? "",
      sessionId: round?.sessionId ?? "",
      hiding: reused.hiding ?? "",
      binding: reused.binding ?? "",
      sealed: [],
    };
    const replay: VoteBody = { ...copied, signature: signStatement(keys[2] as AssessorKey, committeeStatement.vote(filed.caseId, copied)) };
    expect(await refusal(client.postVote(filed.caseId, replay, s3.token))).toMatchObject({ code: "DESK_NONCE_REUSED", statusCode: 409 });

    // A share that does not verify fails the round and names its signer.
    const wrong = {
      keySetId: c2.share.keySet.id,
      sessionId: round?.sessionId ?? "",
      member: 2,
      message: round?.message ?? "",
      share: "07".padEnd(64, "0"),
    };
    const badShare = await refusal(client.postShare(filed.caseId, wrong, s2.token));
    expect(badShare).toMatchObject({ code: "DESK_SHARE_INVALID", statusCode: 422 });
    expect(badShare.message).toContain("member 2's signature share does not verify");
    const failed = (await client.caseCommittee(filed.caseId, s1.token)).rounds.find((r) => r.sessionId === round?.sessionId);
    expect(failed).toMatchObject({ status: "failed", failure: { members: [2] } });
    expect(await continueSigning(s1, v1, c1, terms)).toMatchObject({ step: "failed" });

    // They vote again (fresh nonces, a fresh round); member 3 joins after k and is not needed.
    await voteToApprove(s1, v1, c1, terms);
    const again = await voteToApprove(s2, v2, c2, terms);
    expect(again.round).toMatchObject({ status: "signing", signers: [1, 2] });
    expect(again.round?.sessionId).not.toBe(round?.sessionId);
    expect(await continueSigning(s1, v1, c1, terms)).toMatchObject({ step: "shared" });
    // The second signer's share completes the signature; its client hands the member the approval.
    expect(await continueSigning(s2, v2, c2, terms)).toMatchObject({ step: "decided", round: { status: "signed" } });
    // The first signer's next step finds the case decided and ends the same way.
    expect(await continueSigning(s1, v1, c1, terms)).toMatchObject({ step: "decided" });
    expect(await refusal(voteToApprove(s3, v3, c3, terms))).toMatchObject({ code: "DESK_CASE_DECIDED" });

    const followed = await openCaseAsMember({ client, identity: stack.members[0] as never, record: filed.record, assessorTree: tree });
    expect(followed.status).toBe("approved");
    if (followed.decision?.kind !== "approve") throw new Error("expected an approval");
    const approval = followed.decision.approval;
    expect(verifyApproval(approval)).toBe(true);
    expect(approval.assessorPublicKey).toEqual(committeePublicKey(c1.share.keySet));
    expect(tree.has(approval.assessorPublicKey)).toBe(true);
    expect({ amount: approval.amount, expiresAtEpoch: approval.expiresAtEpoch }).toEqual(terms);
  }, 180_000);

  it("records declines with their reasons, declines once k approvals can no longer agree, and closes the open round", async () => {
    const { filed, views, tree } = await fileAndOpen(50_000_000n);
    const [s1, s2, s3] = sessions as [AssessorSession, AssessorSession, AssessorSession];
    const [v1, v2, v3] = views as [AssessorCaseView, AssessorCaseView, AssessorCaseView];
    const [c1, c2, c3] = signers as [CommitteeSigner, CommitteeSigner, CommitteeSigner];
    expect(await voteToDecline(s3, v3, c3, "the bill predates the waiting period")).toMatchObject({ approvals: 0, declines: 1 });
    expect(await refusal(declineCase(s3, v3, "not covered"))).toMatchObject({ code: "DESK_COMMITTEE_STATE" });
    await voteToApprove(s1, v1, c1, { amount: 50_000_000n, expiresAtEpoch: 40n });
    expect(await voteToDecline(s2, v2, c2, "no discharge letter")).toMatchObject({ approvals: 1, declines: 2 });
    const reasons = await openCommitteeCase(s1, filed.caseId, c1);
    expect(reasons.votes.filter((v) => v.vote === "decline").map((v) => [v.member, v.reason])).toEqual([
      [3, "the bill predates the waiting period"],
      [2, "no discharge letter"],
    ]);
    await declineCase(s3, v3, "two of three assessors found the loss outside the plan's rules");
    expect((await openCommitteeCase(s1, filed.caseId, c1)).rounds).toEqual([
      expect.objectContaining({
        status: "closed",
        approvals: [1],
        failure: expect.objectContaining({ reason: expect.stringContaining("decided before") }),
      }),
    ]);
    const followed = await openCaseAsMember({ client, identity: stack.members[0] as never, record: filed.record, assessorTree: tree });
    expect(followed.decision).toMatchObject({
      kind: "decline",
      reason: "two of three assessors found the loss outside the plan's rules",
      assessorPublicKey: keys[2]?.publicKey,
    });
    expect(pointJson(followed.decision?.kind === "decline" ? followed.decision.assessorPublicKey : [0n, 0n])).toEqual(
      pointJson((keys[2] as AssessorKey).publicKey),
    );
  }, 180_000);
});
