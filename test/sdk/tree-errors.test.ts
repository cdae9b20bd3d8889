/**
 * The SDK's trees and assessor keys refuse with coded errors: a full assessor tree (the circuit's
 * 2^4 keys), a member index the tree does not hold, an assessor key that is not 32 bytes of hex.
 */
import { describe, expect, it } from "vitest";
import { assessorKeyFromPrivate, generateAssessorKey, signApproval } from "../../service/sdk/assessor.ts";
import { ASSESSOR_TREE_MAX_DEPTH } from "../../service/sdk/constants.ts";
import { deriveDeskKey } from "../../service/sdk/desk/desk-key.ts";
import { ErrorCode, HuzhuError } from "../../service/sdk/errors.ts";
import { AssessorTree, MemberTree } from "../../service/sdk/trees.ts";

describe("tree and key refusals", () => {
  it("an assessor tree takes 2^4 keys and refuses the next with TREE_FULL", () => {
    const capacity = 2 ** ASSESSOR_TREE_MAX_DEPTH;
    const tree = AssessorTree.from(Array.from({ length: capacity }, () => generateAssessorKey().publicKey));
    expect(() => tree.add(generateAssessorKey().publicKey)).toThrow(
      new HuzhuError(ErrorCode.TreeFull, `the assessor tree is full (${capacity} keys)`),
    );
    expect(() => tree.add(generateAssessorKey().publicKey)).toThrow(expect.objectContaining({ code: "TREE_FULL" }));
  });

  it("a member index outside the tree is TREE_NO_SUCH_MEMBER, naming index and size", () => {
    const tree = MemberTree.from([{ commitment: 7n, eligibleFrom: 0n, paidThrough: 3n }]);
    expect(tree.record(0)).toEqual({ commitment: 7n, eligibleFrom: 0n, paidThrough: 3n });
    for (const act of [() => tree.record(1), () => tree.update(1, { commitment: 8n, eligibleFrom: 0n, paidThrough: 3n })]) {
      expect(act).toThrow(new HuzhuError(ErrorCode.TreeNoSuchMember, "no member 1 in a tree of 1", { index: 1, size: 1 }));
      expect(act).toThrow(expect.objectContaining({ code: "TREE_NO_SUCH_MEMBER", details: { index: 1, size: 1 } }));
    }
  });

  it("an assessor key that is not 32 bytes of hex is INVALID_ASSESSOR_KEY wherever it is used", () => {
    const refused = new HuzhuError(ErrorCode.InvalidAssessorKey, "an assessor private key is 32 bytes of hex");
    expect(() => assessorKeyFromPrivate("ab".repeat(31))).toThrow(refused);
    const bad = { ...generateAssessorKey(), privateKey: "zz".repeat(32) };
    expect(() => signApproval(bad, { commitment: 1n, planId: 1n, eventId: 2n, amount: 3n, expiresAtEpoch: 4n })).toThrow(refused);
    expect(() => deriveDeskKey(bad)).toThrow(refused);
    expect(() => deriveDeskKey(bad)).toThrow(expect.objectContaining({ code: "INVALID_ASSESSOR_KEY" }));
  });
});
