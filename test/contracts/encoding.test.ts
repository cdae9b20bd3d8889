/**
 * The pool's encodings against the golden vectors (testkit/encoding-vectors.json) that the
 * SDK and circuit tests read too: the member leaf (PoseidonT4, and as join builds it), the
 * assessor leaf (PoseidonT3, and as addAssessor builds it) and the claim context (claimContext, run
 * at the vectors' pool address on their chain).
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { VECTORS } from "../../testkit/encoding-vectors.ts";
import { PLAN, type PoolFixture, planParams, poolFixture } from "../../testkit/pool.ts";

describe("the pool's encodings match the golden vectors", () => {
  let f: PoolFixture;
  before(async () => {
    f = await poolFixture({ acceptingVerifier: true });
  });

  /** A new plan with the fixture's rules and no members or assessors yet. */
  async function emptyPlan(): Promise<bigint> {
    await f.pool.write.createPlan([await planParams(f, "Vectors")]);
    return f.pool.read.planCount();
  }

  it("member leaf: PoseidonT4(commitment, eligibleFrom, paidThrough) for every vector", async () => {
    for (const v of VECTORS.memberLeaf) {
      assert.equal(await f.deployment.poseidonT4.read.hash([[v.commitment, v.eligibleFrom, v.paidThrough]]), v.leaf);
    }
  });

  it("member leaf: the root join makes for a lone member is the vector's leaf", async () => {
    const joined = VECTORS.memberLeaf.find((v) => v.eligibleFrom === BigInt(PLAN.waitingPeriods) && v.paidThrough === 2n);
    assert.ok(joined, "a vector for a join at epoch 0 paying 3 periods");
    const planId = await emptyPlan();
    await f.asPayer.write.join([planId, joined.commitment, 3]);
    const [root] = await f.pool.read.memberTree([planId]);
    assert.equal(root, joined.leaf);
  });

  it("assessor leaf: PoseidonT3(Ax, Ay) for every vector, and the root addAssessor makes for a lone key", async () => {
    for (const v of VECTORS.assessorLeaf) {
      assert.equal(await f.deployment.poseidonT3.read.hash([v.publicKey]), v.leaf);
    }
    const planId = await emptyPlan();
    const [x, y] = VECTORS.assessor.publicKey;
    await f.asPlanAdmin.write.addAssessor([planId, x, y]);
    const lone = VECTORS.assessorLeaf.find((v) => v.publicKey[0] === x && v.publicKey[1] === y);
    assert.equal(await f.pool.read.assessorRoot([planId]), lone?.leaf);
  });

  it("context: claimContext at the vector's pool address on its chain", async () => {
    const chainId = BigInt(await f.publicClient.getChainId());
    const here = VECTORS.context.filter((v) => v.chainId === chainId);
    assert.ok(here.length >= 2, "vectors for this chain, with and without a gas drop");
    const code = await f.publicClient.getCode({ address: f.pool.address });
    assert.ok(code);
    for (const v of here) {
      // claimContext reads only the chain id and its own address: the pool's code at the vector's address answers for it.
      await f.networkHelpers.setCode(v.pool, code);
      const atVector = await f.viem.getContractAt("HuzhuPool", v.pool);
      assert.equal(await atVector.read.claimContext([v.planId, v.recipient, v.relayer, v.fee, v.gasDrop]), v.context);
    }
  });
});
