import { describe, expect, it } from "vitest";
import { generateAssessorKey } from "../../service/sdk/assessor.ts";
import { toBase64 } from "../../service/sdk/bytes.ts";
import {
  checkRoster,
  createRosterEntry,
  deriveDeskKey,
  encodeCaseDocument,
  openCaseEnvelope,
  sealCase,
  sealPart,
  signCaseDocument,
  verifyRosterEntry,
} from "../../service/sdk/desk/index.ts";
import { createIdentity } from "../../service/sdk/identity.ts";
import { AssessorTree } from "../../service/sdk/trees.ts";

const PLAN = 7n;

describe("desk keys and roster", () => {
  it("derives the same HPKE key from the same key file, and another from another", async () => {
    const key = generateAssessorKey();
    expect((await deriveDeskKey(key)).publicKey).toBe((await deriveDeskKey({ ...key })).publicKey);
    expect((await deriveDeskKey(generateAssessorKey())).publicKey).not.toBe((await deriveDeskKey(key)).publicKey);
  });

  it("accepts an entry signed by a key in the plan's assessor tree", async () => {
    const key = generateAssessorKey();
    const entry = await createRosterEntry(key, PLAN);
    expect(() => verifyRosterEntry(entry, AssessorTree.from([key.publicKey]))).not.toThrow();
    expect(entry.hpkePublicKey).toBe((await deriveDeskKey(key)).publicKey);
  });

  it("refuses an entry whose key is not in the tree with ASSESSOR_NOT_IN_SET (a desk operator's own key)", async () => {
    const operator = generateAssessorKey();
    const entry = await createRosterEntry(operator, PLAN);
    expect(() => verifyRosterEntry(entry, AssessorTree.from([generateAssessorKey().publicKey]))).toThrow(
      expect.objectContaining({ code: "ASSESSOR_NOT_IN_SET" }),
    );
  });

  it("refuses a revoked assessor's entry with ASSESSOR_NOT_IN_SET", async () => {
    const key = generateAssessorKey();
    const tree = AssessorTree.from([key.publicKey, generateAssessorKey().publicKey]);
    tree.revoke(key.publicKey);
    const entry = await createRosterEntry(key, PLAN);
    expect(() => verifyRosterEntry(entry, tree)).toThrow(expect.objectContaining({ code: "ASSESSOR_NOT_IN_SET" }));
  });

  it("refuses an entry whose HPKE key was swapped with DESK_ROSTER_SIGNATURE_INVALID", async () => {
    const key = generateAssessorKey();
    const entry = await createRosterEntry(key, PLAN);
    const operatorKey = (await deriveDeskKey(generateAssessorKey())).publicKey;
    expect(() => verifyRosterEntry({ ...entry, hpkePublicKey: operatorKey }, AssessorTree.from([key.publicKey]))).toThrow(
      expect.objectContaining({ code: "DESK_ROSTER_SIGNATURE_INVALID" }),
    );
  });

  it("refuses an entry moved to another plan with DESK_ROSTER_SIGNATURE_INVALID, and checkRoster one for another plan with DESK_ROSTER_WRONG_PLAN", async () => {
    const key = generateAssessorKey();
    const tree = AssessorTree.from([key.publicKey]);
    const entry = await createRosterEntry(key, PLAN);
    expect(() => verifyRosterEntry({ ...entry, planId: "8" }, tree)).toThrow(
      expect.objectContaining({ code: "DESK_ROSTER_SIGNATURE_INVALID" }),
    );
    const other = await createRosterEntry(key, 8n);
    expect(() => checkRoster([other], tree, PLAN)).toThrow(expect.objectContaining({ code: "DESK_NO_ASSESSORS" }));
    const checked = checkRoster([other, entry], tree, PLAN);
    expect(checked.accepted).toEqual([entry]);
    expect(checked.refused.map((r) => r.error.code)).toEqual(["DESK_ROSTER_WRONG_PLAN"]);
  });

  it("keeps each assessor's latest entry and leaves out those that do not check", async () => {
    const a = generateAssessorKey();
    const b = generateAssessorKey();
    const outsider = generateAssessorKey();
    const tree = AssessorTree.from([a.publicKey, b.publicKey]);
    const older = await createRosterEntry(a, PLAN, 1_000);
    const newer = await createRosterEntry(a, PLAN, 2_000);
    const entryB = await createRosterEntry(b, PLAN, 1_500);
    const checked = checkRoster([newer, older, entryB, await createRosterEntry(outsider, PLAN)], tree, PLAN);
    expect(checked.accepted).toEqual([newer, entryB]);
    expect(checked.refused.map((r) => r.error.code)).toEqual(["ASSESSOR_NOT_IN_SET"]);
  });
});

describe("case document signature", () => {
  it("refuses a document signed by another identity than its commitment's with DESK_MEMBER_SIGNATURE_INVALID", async () => {
    const assessor = generateAssessorKey();
    const roster = [await createRosterEntry(assessor, PLAN)];
    const member = createIdentity();
    const details = { category: "education" as const, dateOfLoss: "2026-09-01", description: "school fees", amount: 90n };
    const sealed = await sealCase({ identity: member, planId: PLAN, roster, details, files: [] });
    // Someone with the content key re-seals the document with another identity's signature on it.
    const opened = await openCaseEnvelope(sealed.envelope, await deriveDeskKey(assessor));
    const forged = signCaseDocument(createIdentity(), { ...opened.document, amount: 9_000n });
    const document = { ...forged, commitment: member.commitment, memberPublicKey: opened.document.memberPublicKey };
    const resealed = await sealPart(opened.contentKey, opened.envelopeId, "document", 0, encodeCaseDocument(document));
    await expect(
      openCaseEnvelope({ ...sealed.envelope, document: toBase64(resealed) }, await deriveDeskKey(assessor)),
    ).rejects.toMatchObject({
      code: "DESK_MEMBER_SIGNATURE_INVALID",
    });
    // The other identity's own key with the member's commitment: the key is not the commitment's.
    const wrongKey = { ...forged, commitment: member.commitment };
    const resealed2 = await sealPart(opened.contentKey, opened.envelopeId, "document", 0, encodeCaseDocument(wrongKey));
    await expect(
      openCaseEnvelope({ ...sealed.envelope, document: toBase64(resealed2) }, await deriveDeskKey(assessor)),
    ).rejects.toMatchObject({
      code: "DESK_MEMBER_SIGNATURE_INVALID",
    });
  });
});
