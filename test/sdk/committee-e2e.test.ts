/**
 * A committee approves a claim end to end: a 2-of-3 committee's DKG, its group key added to the
 * plan's assessor set on a real local chain, two members' signing rounds over a member's approval,
 * the real claim circuit's proof, and the pool's payout.
 */
import { type Address, createWalletClient, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devAccount } from "../../scripts/lib/stack.ts";
import {
  aggregateSignature,
  type CommitteeShare,
  committeeApproval,
  committeePublicKey,
  createSigningPackage,
  dkgInOneProcess,
  NonceStore,
  openCommitteeKey,
  randomSessionId,
  sealCommitteeKey,
  signShare,
} from "../../service/sdk/committee/index.ts";
import {
  type ApprovalTerms,
  approvalMessage,
  buildClaim,
  ErrorCode,
  huzhuPoolAbi,
  loadAssessorTree,
  randomFieldElement,
  releaseProver,
  verifyClaimProof,
} from "../../service/sdk/index.ts";
import { claimArtifacts, loadVerificationKey } from "../../service/sdk/node.ts";
import { addAssessorOnChain } from "../../testkit/assessors.ts";
import { paidEvents, type Stack, startStack, tokenBalance } from "../../testkit/relayer-stack.ts";

let stack: Stack;

beforeAll(async () => {
  stack = await startStack(2);
}, 300_000);

afterAll(async () => {
  await releaseProver();
  await stack?.chain.stop();
});

/** The committee's DKG, each member's share through its sealed key file. */
async function committeeByDkg(threshold: number, size: number): Promise<CommitteeShare[]> {
  const shares = dkgInOneProcess({ threshold, size });
  return Promise.all(
    shares.map(async (s) => openCommitteeKey(JSON.parse(JSON.stringify(await sealCommitteeKey(s, "pw", { N: 2 ** 10 }))), "pw")),
  );
}

describe("a 2-of-3 committee approves a claim", () => {
  it("is added as a plan assessor, signs with two members, and the claim is proved and paid by the pool", async () => {
    const shares = await committeeByDkg(2, 3);
    const keySet = (shares[0] as CommitteeShare).keySet;
    for (const s of shares) expect(s.keySet.id).toBe(keySet.id);
    const groupKey = committeePublicKey(keySet);

    // The plan admin adds the group key as any assessor key (`huzhu assessor add`).
    const ref = { client: stack.client, pool: stack.pool, fromBlock: BigInt(stack.deployment.record.deployBlock) };
    await addAssessorOnChain(stack.chain.rpcUrl, stack.pool, groupKey);
    expect((await loadAssessorTree(ref, 1n)).has(groupKey)).toBe(true);

    // Members 1 and 3 review the case and sign; member 2 is away.
    const member = stack.members[0];
    if (!member) throw new Error("no member");
    const terms: ApprovalTerms = {
      commitment: member.commitment,
      planId: 1n,
      eventId: randomFieldElement(),
      amount: 40_000_000n,
      expiresAtEpoch: 1000n,
    };
    const signers = [shares[0], shares[2]] as CommitteeShare[];
    const sessionId = randomSessionId();
    const stores = signers.map(() => new NonceStore());
    const commitments = signers.map((s, i) => (stores[i] as NonceStore).commit(s, sessionId));
    const pkg = createSigningPackage(keySet, sessionId, approvalMessage(terms), commitments);
    const sigShares = signers.map((s, i) => signShare(s, JSON.parse(JSON.stringify(pkg)), terms, stores[i] as NonceStore));
    const approval = committeeApproval(terms, aggregateSignature(keySet, pkg, JSON.parse(JSON.stringify(sigShares))));
    expect(approval.assessorPublicKey).toEqual(groupKey);

    // One member alone cannot approve.
    const alone = randomSessionId();
    expect(() =>
      createSigningPackage(keySet, alone, approvalMessage(terms), [new NonceStore().commit(shares[1] as CommitteeShare, alone)]),
    ).toThrow(expect.objectContaining({ code: ErrorCode.CommitteeNotEnoughSigners }));

    // The member proves the claim with the unchanged circuit and submits it from a wallet of its own.
    const submitter = devAccount(9);
    const recipient: Address = "0x00000000000000000000000000000000c0ffee01";
    const fee = 400_000n;
    const built = await buildClaim(ref, {
      identity: member,
      approval,
      recipient,
      relayer: submitter.address,
      fee,
      artifacts: claimArtifacts(),
    });
    expect(await verifyClaimProof(loadVerificationKey(), built.proof, built.claimProof.publicSignals)).toBe(true);
    const wallet = createWalletClient({ account: privateKeyToAccount(submitter.privateKey), transport: http(stack.chain.rpcUrl) });
    const tx = await wallet.writeContract({
      chain: null,
      address: stack.pool,
      abi: huzhuPoolAbi,
      functionName: "claim",
      args: [built.request, built.solidityProof],
    });
    expect((await stack.client.waitForTransactionReceipt({ hash: tx })).status).toBe("success");
    expect(await paidEvents(stack, built.claimProof.claim.nullifier.toString())).toHaveLength(1);
    expect(await tokenBalance(stack, recipient)).toBe(terms.amount - fee);
  });
});
