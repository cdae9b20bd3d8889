import { describe, expect, it } from "vitest";
import { generateAssessorKey } from "../../service/sdk/assessor.ts";
import { fromBase64, toBase64 } from "../../service/sdk/bytes.ts";
import {
  createChallenge,
  createRosterEntry,
  deriveDeskKey,
  generateCapability,
  generateReplySecret,
  openAssessorMessage,
  openDecision,
  openMemberMessage,
  openMemberRecord,
  replyKeyFromSecret,
  sealApproval,
  sealAssessorMessage,
  sealDecline,
  sealMemberMessage,
  sealMemberRecord,
  signSignIn,
  verifySignIn,
} from "../../service/sdk/desk/index.ts";
import { createIdentity } from "../../service/sdk/identity.ts";
import { AssessorTree } from "../../service/sdk/trees.ts";

const PLAN = 5n;
const CASE = "c_9dK2mQx81LzPq4RtVw";
const EVENT = 2n ** 200n + 12345n;

async function parties() {
  const assessor = generateAssessorKey();
  const member = createIdentity();
  const replySecret = generateReplySecret();
  const replyKey = await replyKeyFromSecret(replySecret);
  const roster = [await createRosterEntry(assessor, PLAN)];
  const tree = AssessorTree.from([assessor.publicKey]);
  return { assessor, member, replySecret, replyKey, roster, tree, ref: { planId: PLAN, caseId: CASE } };
}

describe("desk messages", () => {
  it("carries a member's message with an attachment to the assessors, signed by the member", async () => {
    const p = await parties();
    const photo = { name: "receipt.png", type: "image/png", bytes: Uint8Array.from({ length: 3000 }, (_, i) => i & 0xff) };
    const sealed = await sealMemberMessage({
      ...p.ref,
      identity: p.member,
      roster: p.roster,
      text: "the receipt you asked for",
      attachments: [photo],
    });
    const opened = await openMemberMessage(sealed, await deriveDeskKey(p.assessor), { ...p.ref, commitment: p.member.commitment });
    expect(opened.text).toBe("the receipt you asked for");
    expect(opened.attachments).toEqual([photo]);
  });

  it("refuses a member message from another member with DESK_MEMBER_SIGNATURE_INVALID, and one moved to another case with DESK_WRAPPED_KEY_INVALID", async () => {
    const p = await parties();
    const sealed = await sealMemberMessage({ ...p.ref, identity: createIdentity(), roster: p.roster, text: "hi" });
    const deskKey = await deriveDeskKey(p.assessor);
    await expect(openMemberMessage(sealed, deskKey, { ...p.ref, commitment: p.member.commitment })).rejects.toMatchObject({
      code: "DESK_MEMBER_SIGNATURE_INVALID",
    });
    await expect(
      openMemberMessage(sealed, deskKey, { planId: PLAN, caseId: "another_case_id_0001", commitment: p.member.commitment }),
    ).rejects.toMatchObject({
      code: "DESK_WRAPPED_KEY_INVALID",
    });
  });

  it("carries an assessor's message to the member, signed by a key in the plan's tree", async () => {
    const p = await parties();
    const sealed = await sealAssessorMessage({
      ...p.ref,
      assessorKey: p.assessor,
      replyPublicKey: p.replyKey.publicKey,
      text: "please send the bill",
    });
    const opened = await openAssessorMessage(sealed, p.replyKey, p.ref, p.tree);
    expect(opened).toMatchObject({ text: "please send the bill", assessorPublicKey: p.assessor.publicKey });
    await expect(
      openAssessorMessage(sealed, p.replyKey, p.ref, AssessorTree.from([generateAssessorKey().publicKey])),
    ).rejects.toMatchObject({
      code: "ASSESSOR_NOT_IN_SET",
    });
  });

  it("refuses an assessor message that was altered, or moved to another case, with DESK_PART_TAMPERED", async () => {
    const p = await parties();
    const sealed = await sealAssessorMessage({ ...p.ref, assessorKey: p.assessor, replyPublicKey: p.replyKey.publicKey, text: "ok" });
    const body = fromBase64(sealed.body);
    body[3] = (body[3] ?? 0) ^ 1;
    await expect(openAssessorMessage({ ...sealed, body: toBase64(body) }, p.replyKey, p.ref)).rejects.toMatchObject({
      code: "DESK_PART_TAMPERED",
    });
    await expect(openAssessorMessage(sealed, p.replyKey, { planId: PLAN, caseId: "another_case_id_0001" })).rejects.toMatchObject({
      code: "DESK_PART_TAMPERED",
    });
  });
});

describe("desk decisions", () => {
  it("delivers an approval the claim circuit's verifier accepts, for less than asked", async () => {
    const p = await parties();
    const context = { ...p.ref, commitment: p.member.commitment, eventId: EVENT };
    const body = await sealApproval({
      ...context,
      assessorKey: p.assessor,
      replyPublicKey: p.replyKey.publicKey,
      amount: 900n,
      expiresAtEpoch: 40n,
    });
    const decision = await openDecision(body, p.replyKey, context, p.tree);
    expect(decision.kind).toBe("approve");
    if (decision.kind !== "approve") return;
    expect(decision.approval).toMatchObject({
      commitment: p.member.commitment,
      planId: PLAN,
      eventId: EVENT,
      amount: 900n,
      expiresAtEpoch: 40n,
    });
    expect(decision.file.kind).toBe("huzhu-approval");
  });

  it("refuses an approval for another commitment with APPROVAL_NOT_FOR_MEMBER", async () => {
    const p = await parties();
    const context = { ...p.ref, commitment: p.member.commitment, eventId: EVENT };
    const other = { ...context, commitment: createIdentity().commitment };
    const body = await sealApproval({
      ...other,
      assessorKey: p.assessor,
      replyPublicKey: p.replyKey.publicKey,
      amount: 1n,
      expiresAtEpoch: 9n,
    });
    await expect(openDecision(body, p.replyKey, context)).rejects.toMatchObject({ code: "APPROVAL_NOT_FOR_MEMBER" });
  });

  it("refuses an approval for another event with DESK_APPROVAL_WRONG_EVENT", async () => {
    const p = await parties();
    const context = { ...p.ref, commitment: p.member.commitment, eventId: EVENT };
    const body = await sealApproval({
      ...context,
      eventId: EVENT + 1n,
      assessorKey: p.assessor,
      replyPublicKey: p.replyKey.publicKey,
      amount: 1n,
      expiresAtEpoch: 9n,
    });
    await expect(openDecision(body, p.replyKey, context)).rejects.toMatchObject({ code: "DESK_APPROVAL_WRONG_EVENT" });
  });

  it("delivers a decline with its reason; relabelled as an approval it is DESK_PART_TAMPERED", async () => {
    const p = await parties();
    const context = { ...p.ref, commitment: p.member.commitment, eventId: EVENT };
    const body = await sealDecline({
      ...p.ref,
      assessorKey: p.assessor,
      replyPublicKey: p.replyKey.publicKey,
      reason: "not covered by the plan's terms",
    });
    expect(await openDecision(body, p.replyKey, context, p.tree)).toMatchObject({
      kind: "decline",
      reason: "not covered by the plan's terms",
    });
    await expect(openDecision({ ...body, kind: "approve" }, p.replyKey, context)).rejects.toMatchObject({ code: "DESK_PART_TAMPERED" });
  });

  it("refuses a decision sealed to another member's reply key with DESK_PART_TAMPERED", async () => {
    const p = await parties();
    const context = { ...p.ref, commitment: p.member.commitment, eventId: EVENT };
    const body = await sealDecline({ ...p.ref, assessorKey: p.assessor, replyPublicKey: p.replyKey.publicKey, reason: "no" });
    await expect(openDecision(body, await replyKeyFromSecret(generateReplySecret()), context)).rejects.toMatchObject({
      code: "DESK_PART_TAMPERED",
    });
  });
});

describe("assessor sign-in", () => {
  const origin = "https://desk.example.org";

  it("accepts the assessor's signature over a fresh challenge", () => {
    const key = generateAssessorKey();
    const challenge = createChallenge(origin, PLAN);
    expect(() => verifySignIn(challenge, signSignIn(key, challenge), key.publicKey, { origin })).not.toThrow();
  });

  it("refuses a replay after expiry with DESK_CHALLENGE_EXPIRED", () => {
    const key = generateAssessorKey();
    const challenge = createChallenge(origin, PLAN, Date.now(), 60);
    const signature = signSignIn(key, challenge);
    expect(() => verifySignIn(challenge, signature, key.publicKey, { now: Date.now() + 61_000 })).toThrow(
      expect.objectContaining({ code: "DESK_CHALLENGE_EXPIRED" }),
    );
  });

  it("refuses another key's signature, an altered challenge and another desk's challenge with DESK_SIGN_IN_INVALID", () => {
    const key = generateAssessorKey();
    const challenge = createChallenge(origin, PLAN);
    const invalid = expect.objectContaining({ code: "DESK_SIGN_IN_INVALID" });
    expect(() => verifySignIn(challenge, signSignIn(generateAssessorKey(), challenge), key.publicKey)).toThrow(invalid);
    expect(() => verifySignIn({ ...challenge, planId: "6" }, signSignIn(key, challenge), key.publicKey)).toThrow(invalid);
    expect(() => verifySignIn(challenge, signSignIn(key, challenge), key.publicKey, { origin: "https://other.example" })).toThrow(invalid);
  });
});

describe("member case record", () => {
  it("opens only with the identity that sealed it (DESK_RECORD_NOT_YOURS otherwise)", async () => {
    const identity = createIdentity();
    const record = {
      caseId: CASE,
      planId: "5",
      envelopeId: toBase64(new Uint8Array(16).fill(7)),
      eventId: EVENT.toString(),
      capability: generateCapability(),
      replySecret: generateReplySecret(),
    };
    const sealed = await sealMemberRecord(identity, record);
    expect(JSON.stringify(sealed)).not.toContain(record.capability);
    const sameIdentityElsewhere = (await import("../../service/sdk/identity.ts")).importIdentity(identity.export());
    expect(await openMemberRecord(sameIdentityElsewhere, JSON.parse(JSON.stringify(sealed)))).toEqual(record);
    await expect(openMemberRecord(createIdentity(), sealed)).rejects.toMatchObject({ code: "DESK_RECORD_NOT_YOURS" });
  });
});
