/**
 * The claim circuit against the golden vectors (testkit/encoding-vectors.json) that the SDK
 * and contract tests read too: for the vectors' claim (one member, one assessor), the witness's
 * public signals, in the vectors' order, are the vectors' member leaf (the lone member's root),
 * assessor leaf, nullifier and context; the circuit accepts the vectors' approval signature, so it
 * computes the same approval message.
 */
import { describe, expect, it } from "vitest";
import {
  AssessorTree,
  assessorKeyFromPrivate,
  importIdentity,
  MemberTree,
  PUBLIC_SIGNALS,
  prepareClaim,
  signApproval,
} from "../../service/sdk/index.ts";
import { calculateWitness, readSignal } from "../../testkit/circuit.ts";
import { VECTORS } from "../../testkit/encoding-vectors.ts";

describe("claim circuit encodings", () => {
  it("makes the golden claim's public signals, in the golden order, from the golden leaf, key, nullifier and context", async () => {
    const v = VECTORS.claim;
    const identity = importIdentity(v.identity);
    const memberTree = new MemberTree();
    memberTree.add({ commitment: identity.commitment, eligibleFrom: v.eligibleFrom, paidThrough: v.paidThrough });
    const assessor = assessorKeyFromPrivate(v.assessorPrivateKey);
    const assessorTree = new AssessorTree();
    assessorTree.add(assessor.publicKey);
    const approval = signApproval(assessor, v.approval);
    expect(approval.signature).toEqual(VECTORS.approvalSignature);

    const prepared = prepareClaim({ identity, memberTree, assessorTree, approval, claimEpoch: v.claimEpoch, context: v.context });
    const witness = await calculateWitness(prepared.input);
    const signals = VECTORS.publicSignals.map((name) => readSignal(witness, `main.${name}`));

    expect(VECTORS.publicSignals).toEqual([...PUBLIC_SIGNALS]);
    expect(signals).toEqual(VECTORS.publicSignals.map((name) => v.publicSignals[name]));
    // The same values as the standalone vectors: the circuit's leaf, key leaf, nullifier and context.
    const leaf = VECTORS.memberLeaf.find((m) => m.commitment === identity.commitment && m.eligibleFrom === v.eligibleFrom);
    const key = VECTORS.assessorLeaf.find((a) => a.publicKey[0] === assessor.publicKey[0]);
    const nullifier = VECTORS.nullifier.find((n) => n.secret === identity.secretScalar);
    const context = VECTORS.context.find((c) => c.chainId === v.context.chainId && c.gasDrop === v.context.gasDrop);
    expect(signals.slice(0, 3)).toEqual([leaf?.leaf, key?.leaf, nullifier?.nullifier]);
    expect(signals[PUBLIC_SIGNALS.indexOf("context")]).toBe(context?.context);
  });
});
