/**
 * Committee approvals in the unchanged claim circuit: for 2-of-3 and 3-of-5 committees, the
 * approval of every k-subset of members, with the group key in the plan's assessor tree, gives a
 * witness that satisfies every constraint; a committee signature over other terms does not.
 */
import { describe, expect, it } from "vitest";
import { type CommitteeShare, committeePublicKey, insecureDealerCommittee, signInOneProcess } from "../../service/sdk/committee/index.ts";
import { type Approval, prepareClaim } from "../../service/sdk/index.ts";
import { calculateWitness, claimFrame, constraintsHold, expectWitnessFailure } from "../../testkit/circuit.ts";
import { claimScenario } from "../../testkit/claim-scenario.ts";

function subsets<T>(items: readonly T[], size: number): T[][] {
  if (size === 0) return [[]];
  return items.flatMap((item, i) => subsets(items.slice(i + 1), size - 1).map((rest) => [item, ...rest]));
}

describe.each([
  [2, 3],
  [3, 5],
])("a %i-of-%i committee's approval in the claim circuit", (k, n) => {
  const shares = insecureDealerCommittee({ threshold: k, size: n });
  const groupKey = committeePublicKey((shares[0] as CommitteeShare).keySet);

  it("satisfies every constraint for the signature of every k-subset", async () => {
    for (const signers of subsets(shares, k)) {
      const scenario = claimScenario();
      scenario.assessorTree.add(groupKey);
      const { signature } = signInOneProcess(signers, scenario.approval);
      const approval: Approval = { ...scenario.approval, assessorPublicKey: groupKey, signature };
      const witness = await calculateWitness(prepareClaim({ ...scenario.request, approval }).input);
      expect(await constraintsHold(witness)).toBe(true);
    }
  });

  it("fails the circuit's signature check for a committee signature over other terms", async () => {
    const scenario = claimScenario();
    scenario.assessorTree.add(groupKey);
    const { signature } = signInOneProcess(shares.slice(0, k), { ...scenario.approval, amount: scenario.approval.amount + 1n });
    const approval: Approval = { ...scenario.approval, assessorPublicKey: groupKey, signature };
    // The SDK refuses it before proving; the circuit itself refuses it too.
    expect(() => prepareClaim({ ...scenario.request, approval })).toThrow(expect.objectContaining({ code: "INVALID_APPROVAL_SIGNATURE" }));
    const honest = signInOneProcess(shares.slice(0, k), scenario.approval).signature;
    const input = prepareClaim({ ...scenario.request, approval: { ...approval, signature: honest } }).input;
    await expectWitnessFailure({ ...input, approvalR8: signature.R8.map(String), approvalS: signature.S.toString() }, [
      claimFrame("EdDSAPoseidonVerifier()(1,"),
    ]);
  });
});
