import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { encodeFunctionData, keccak256, toHex, zeroAddress } from "viem";
import { deployHuzhu } from "../../scripts/lib/deploy.ts";
import {
  assessorLeaf,
  claimContext,
  createIdentity,
  generateAssessorKey,
  PUBLIC_SIGNALS,
  releaseProver,
  SNARK_SCALAR_FIELD,
} from "../../service/sdk/index.ts";
import { updateSiblings } from "../../service/sdk/tree-update.ts";
import { freshAddress, PLAN, type PoolFixture, planParams, poolFixture } from "../../testkit/pool.ts";

const BN254_Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
const PLAN_CREATOR_ROLE = keccak256(toHex("PLAN_CREATOR_ROLE"));
const PAUSER_ROLE = keccak256(toHex("PAUSER_ROLE"));

type ClaimCall = Awaited<ReturnType<PoolFixture["makeClaim"]>>;

/** A fixture with `members` joined and time moved past the waiting period. */
async function coveredFixture(members = 4) {
  const f = await poolFixture();
  const identities = [];
  for (let i = 0; i < members; i++) identities.push(await f.join(400));
  await f.advanceEpochs(PLAN.waitingPeriods);
  return { f, identities };
}

describe("HuzhuPool", () => {
  // snarkjs keeps worker threads alive; end them so the runner can exit.
  after(releaseProver);

  describe("plans", () => {
    let f: PoolFixture;
    before(async () => {
      f = await poolFixture();
    });

    it("stores a created plan's rules, starting now, active", async () => {
      const plan = await f.pool.read.getPlan([f.planId]);
      assert.equal(plan.token.toLowerCase(), f.token.address.toLowerCase());
      assert.equal(plan.contribution, PLAN.contribution);
      assert.equal(plan.periodLength, PLAN.periodLength);
      assert.equal(plan.waitingPeriods, PLAN.waitingPeriods);
      assert.equal(plan.claimCap, PLAN.claimCap);
      assert.equal(plan.maxFeeBps, PLAN.maxFeeBps);
      assert.equal(plan.active, true);
      assert.equal(await f.pool.read.planName([f.planId]), "Medical");
      assert.equal((await f.pool.read.planAdmin([f.planId])).toLowerCase(), f.accounts.planAdmin.account.address.toLowerCase());
      assert.equal(await f.pool.read.planCount(), 1n);
    });

    it("reverts with AccessControlUnauthorizedAccount when a non-creator creates a plan", async () => {
      const params = { ...(await planParams(f)), name: "x" };
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asOutsider.write.createPlan([params]),
        f.pool,
        "AccessControlUnauthorizedAccount",
        [f.accounts.outsider.account.address, PLAN_CREATOR_ROLE],
      );
    });

    // IHuzhuPool.PlanParamsIssue, in declaration order; each value's edge is tried next to it.
    const invalid: Array<[string, number, Record<string, unknown>]> = [
      ["TokenIsZero", 0, { token: zeroAddress }],
      ["AdminIsZero", 1, { admin: zeroAddress }],
      ["ContributionIsZero", 2, { contribution: 0n }],
      ["PeriodTooShort", 3, { periodLength: 3599n }],
      ["ClaimCapIsZero", 4, { claimCap: 0n }],
      ["MaxFeeTooHigh", 5, { maxFeeBps: 1001 }],
      ["WaitingTooLong", 6, { waitingPeriods: 1001 }],
    ];
    for (const [issue, value, change] of invalid) {
      it(`reverts with InvalidPlanParams(${issue})`, async () => {
        const params = { ...(await planParams(f)), ...change };
        await f.viem.assertions.revertWithCustomErrorWithArgs(
          f.pool.write.createPlan([params as never]),
          f.pool,
          "HuzhuPool__InvalidPlanParams",
          [value],
        );
      });
    }

    it("accepts each plan parameter at its limit (an hour, 10%, 1000 waiting periods)", async () => {
      const before = await f.pool.read.planCount();
      await f.pool.write.createPlan([{ ...(await planParams(f)), periodLength: 3600n, maxFeeBps: 1000, waitingPeriods: 1000 }]);
      assert.equal(await f.pool.read.planCount(), before + 1n);
    });

    it("reverts with SafeCastOverflowedUintDowncast when a payment would not fit the books (never truncates)", async () => {
      const g = await poolFixture();
      const contribution = 2n ** 128n - 1n;
      await g.pool.write.createPlan([{ ...(await planParams(g)), contribution }]);
      const planId = await g.pool.read.planCount();
      await g.viem.assertions.revertWithCustomErrorWithArgs(
        g.asPayer.write.join([planId, 4242n, 2]),
        g.pool,
        "SafeCastOverflowedUintDowncast",
        [128, contribution * 2n],
      );
    });

    it("lets only the plan admin pause a plan, and a paused plan refuses joins with PlanInactive", async () => {
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asOutsider.write.setPlanActive([f.planId, false]),
        f.pool,
        "HuzhuPool__NotPlanAdmin",
        [f.planId, f.accounts.outsider.account.address],
      );
      await f.viem.assertions.emitWithArgs(f.asPlanAdmin.write.setPlanActive([f.planId, false]), f.pool, "PlanActiveSet", [
        f.planId,
        false,
      ]);
      await f.viem.assertions.revertWithCustomErrorWithArgs(f.asPayer.write.join([f.planId, 123n, 3]), f.pool, "HuzhuPool__PlanInactive", [
        f.planId,
      ]);
      await f.asPlanAdmin.write.setPlanActive([f.planId, true]);
    });

    it("records the plan's category and terms document hash set by its admin, and emits PlanTermsSet", async () => {
      const g = await poolFixture();
      const terms = {
        termsHash: keccak256(toHex("Claims: hospital stays over 3 nights. Rules: ...")),
        category: 0,
        termsUri: "https://plan.example/terms",
      };
      assert.equal((await g.pool.read.planTerms([g.planId])).termsHash, `0x${"0".repeat(64)}`);
      await g.viem.assertions.emitWithArgs(g.asPlanAdmin.write.setPlanTerms([g.planId, terms]), g.pool, "PlanTermsSet", [
        g.planId,
        terms.termsHash,
        0,
        terms.termsUri,
      ]);
      assert.deepEqual(await g.pool.read.planTerms([g.planId]), terms);
      const changed = { ...terms, category: 2, termsHash: keccak256(toHex("v2")) };
      await g.asPlanAdmin.write.setPlanTerms([g.planId, changed]);
      assert.deepEqual(await g.pool.read.planTerms([g.planId]), changed);
    });

    it("refuses terms from anyone but the plan's admin, a zero hash, an unknown category and an unknown plan", async () => {
      const g = await poolFixture();
      const terms = { termsHash: keccak256(toHex("terms")), category: 1, termsUri: "" };
      await g.viem.assertions.revertWithCustomErrorWithArgs(
        g.asOutsider.write.setPlanTerms([g.planId, terms]),
        g.pool,
        "HuzhuPool__NotPlanAdmin",
        [g.planId, g.accounts.outsider.account.address],
      );
      await g.viem.assertions.revertWithCustomError(
        g.asPlanAdmin.write.setPlanTerms([g.planId, { ...terms, termsHash: `0x${"0".repeat(64)}` }]),
        g.pool,
        "HuzhuPool__TermsHashIsZero",
      );
      // The ABI decoder refuses an enum value past SharedCosts (3) before the function runs.
      await assert.rejects(g.asPlanAdmin.write.setPlanTerms([g.planId, { ...terms, category: 4 }]), /reverted/);
      await g.viem.assertions.revertWithCustomErrorWithArgs(
        g.asPlanAdmin.write.setPlanTerms([99n, terms]),
        g.pool,
        "HuzhuPool__UnknownPlan",
        [99n],
      );
    });

    it("hands a plan's administration over in two steps: the admin proposes, the proposed address accepts", async () => {
      const g = await poolFixture();
      const newAdmin = g.accounts.outsider.account.address;
      const admin = g.accounts.planAdmin.account.address;
      await g.viem.assertions.revertWithCustomErrorWithArgs(
        g.asOutsider.write.proposePlanAdmin([g.planId, newAdmin]),
        g.pool,
        "HuzhuPool__NotPlanAdmin",
        [g.planId, newAdmin],
      );
      await g.viem.assertions.emitWithArgs(g.asPlanAdmin.write.proposePlanAdmin([g.planId, newAdmin]), g.pool, "PlanAdminProposed", [
        g.planId,
        admin,
        newAdmin,
      ]);
      // Proposed is not yet admin: the old admin still runs the plan.
      assert.equal((await g.pool.read.planAdmin([g.planId])).toLowerCase(), admin.toLowerCase());
      await g.viem.assertions.revertWithCustomErrorWithArgs(
        g.asOutsider.write.setPlanActive([g.planId, false]),
        g.pool,
        "HuzhuPool__NotPlanAdmin",
        [g.planId, newAdmin],
      );
      await g.viem.assertions.revertWithCustomErrorWithArgs(
        g.asPayer.write.acceptPlanAdmin([g.planId]),
        g.pool,
        "HuzhuPool__NotProposedAdmin",
        [g.planId, g.accounts.payer.account.address],
      );
      await g.viem.assertions.emitWithArgs(g.asOutsider.write.acceptPlanAdmin([g.planId]), g.pool, "PlanAdminTransferred", [
        g.planId,
        admin,
        newAdmin,
      ]);
      assert.equal((await g.pool.read.planAdmin([g.planId])).toLowerCase(), newAdmin.toLowerCase());
      assert.equal(await g.pool.read.pendingPlanAdmin([g.planId]), zeroAddress);
      await g.asOutsider.write.setPlanActive([g.planId, false]);
      assert.equal((await g.pool.read.getPlan([g.planId])).active, false);
      // Accepting twice, or after the handover, is refused; the old admin lost its rights.
      await g.viem.assertions.revertWithCustomErrorWithArgs(
        g.asOutsider.write.acceptPlanAdmin([g.planId]),
        g.pool,
        "HuzhuPool__NotProposedAdmin",
        [g.planId, newAdmin],
      );
      await g.viem.assertions.revertWithCustomErrorWithArgs(
        g.asPlanAdmin.write.setPlanActive([g.planId, true]),
        g.pool,
        "HuzhuPool__NotPlanAdmin",
        [g.planId, admin],
      );
    });

    it("lets an admin withdraw a proposal (propose the zero address), after which nobody can accept", async () => {
      const g = await poolFixture();
      await g.asPlanAdmin.write.proposePlanAdmin([g.planId, g.accounts.outsider.account.address]);
      await g.asPlanAdmin.write.proposePlanAdmin([g.planId, zeroAddress]);
      await g.viem.assertions.revertWithCustomErrorWithArgs(
        g.asOutsider.write.acceptPlanAdmin([g.planId]),
        g.pool,
        "HuzhuPool__NotProposedAdmin",
        [g.planId, g.accounts.outsider.account.address],
      );
    });

    it("pauses the whole pool for the pauser only; a paused pool refuses joins with EnforcedPause", async () => {
      await f.viem.assertions.revertWithCustomErrorWithArgs(f.asOutsider.write.pause(), f.pool, "AccessControlUnauthorizedAccount", [
        f.accounts.outsider.account.address,
        PAUSER_ROLE,
      ]);
      await f.pool.write.pause();
      await f.viem.assertions.revertWithCustomError(f.asPayer.write.join([f.planId, 777n, 3]), f.pool, "EnforcedPause");
      await f.pool.write.unpause();
      await f.asPayer.write.join([f.planId, 777n, 3]);
    });

    it("reverts with UnknownPlan for plan 0 and for a plan never created", async () => {
      await f.viem.assertions.revertWithCustomErrorWithArgs(f.pool.read.getPlan([0n]), f.pool, "HuzhuPool__UnknownPlan", [0n]);
      await f.viem.assertions.revertWithCustomErrorWithArgs(f.asPayer.write.join([9n, 1n, 3]), f.pool, "HuzhuPool__UnknownPlan", [9n]);
    });
  });

  describe("join and renew", () => {
    let f: PoolFixture;
    before(async () => {
      f = await poolFixture();
    });

    it("charges contribution x periods, covers from epoch + waiting, and inserts the SDK's leaf", async () => {
      const identity = createIdentity();
      const before = await f.token.read.balanceOf([f.accounts.payer.account.address]);
      const epoch = await f.currentEpoch();
      await f.join(12, identity);
      const after = await f.token.read.balanceOf([f.accounts.payer.account.address]);
      assert.equal(before - after, PLAN.contribution * 12n);
      const cover = await f.pool.read.coverageOf([f.planId, identity.commitment]);
      assert.equal(BigInt(cover.eligibleFrom), epoch + BigInt(PLAN.waitingPeriods));
      assert.equal(BigInt(cover.paidThrough), epoch + 11n);
      const [root, size] = await f.pool.read.memberTree([f.planId]);
      assert.equal(root, f.memberTree.root);
      assert.equal(size, 1n);
      assert.equal((await f.pool.read.books([f.planId])).contributed, PLAN.contribution * 12n);
    });

    it("emits MemberJoined with the cover and the new root, which the SDK's tree reproduces", async () => {
      const identity = createIdentity();
      const epoch = await f.currentEpoch();
      const eligibleFrom = epoch + BigInt(PLAN.waitingPeriods);
      const paidThrough = epoch + 5n;
      const tx = f.asPayer.write.join([f.planId, identity.commitment, 6]);
      f.memberTree.add({ commitment: identity.commitment, eligibleFrom, paidThrough });
      await f.viem.assertions.emitWithArgs(tx, f.pool, "MemberJoined", [
        f.planId,
        identity.commitment,
        f.accounts.payer.account.address,
        BigInt(f.memberTree.size - 1),
        eligibleFrom,
        paidThrough,
        PLAN.contribution * 6n,
        f.memberTree.root,
      ]);
    });

    it("reverts with AlreadyMember when a commitment joins twice", async () => {
      const identity = await f.join(3);
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asPayer.write.join([f.planId, identity.commitment, 3]),
        f.pool,
        "HuzhuPool__AlreadyMember",
        [f.planId, identity.commitment],
      );
    });

    it("reverts with InvalidCommitment for 0 and for r", async () => {
      await f.viem.assertions.revertWithCustomError(f.asPayer.write.join([f.planId, 0n, 3]), f.pool, "HuzhuPool__InvalidCommitment");
      await f.viem.assertions.revertWithCustomError(
        f.asPayer.write.join([f.planId, SNARK_SCALAR_FIELD, 3]),
        f.pool,
        "HuzhuPool__InvalidCommitment",
      );
    });

    it("reverts with InvalidPeriods for 0 and for more than 1,000 periods", async () => {
      await f.viem.assertions.revertWithCustomErrorWithArgs(f.asPayer.write.join([f.planId, 5n, 0]), f.pool, "HuzhuPool__InvalidPeriods", [
        0n,
      ]);
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asPayer.write.join([f.planId, 5n, 1001]),
        f.pool,
        "HuzhuPool__InvalidPeriods",
        [1001n],
      );
    });

    it("reverts with the token's error when the payer has not approved the pool", async () => {
      const asOutsider = f.asOutsider;
      await f.viem.assertions.revertWithCustomError(asOutsider.write.join([f.planId, 99n, 1]), f.token, "ERC20InsufficientAllowance");
    });

    it("renews a covered member by extending paidThrough, keeping eligibleFrom; roots match the SDK", async () => {
      const identity = await f.join(3);
      const record = f.memberTree.find(identity.commitment);
      assert.ok(record);
      const proof = f.memberTree.proof(record);
      await f.asPayer.write.renew([f.planId, identity.commitment, 6, updateSiblings(proof)]);
      const renewed = { ...record, paidThrough: record.paidThrough + 6n };
      f.memberTree.update(Number(proof.index), renewed);
      const cover = await f.pool.read.coverageOf([f.planId, identity.commitment]);
      assert.equal(BigInt(cover.paidThrough), renewed.paidThrough);
      assert.equal(BigInt(cover.eligibleFrom), record.eligibleFrom);
      assert.equal((await f.pool.read.memberTree([f.planId]))[0], f.memberTree.root);
    });

    it("restarts the waiting period when a lapsed member renews", async () => {
      const g = await poolFixture();
      const identity = await g.join(1);
      const record = g.memberTree.find(identity.commitment);
      assert.ok(record);
      await g.advanceEpochs(3);
      const epoch = await g.currentEpoch();
      const proof = g.memberTree.proof(record);
      await g.asPayer.write.renew([g.planId, identity.commitment, 4, updateSiblings(proof)]);
      const cover = await g.pool.read.coverageOf([g.planId, identity.commitment]);
      assert.equal(BigInt(cover.eligibleFrom), epoch + BigInt(PLAN.waitingPeriods));
      assert.equal(BigInt(cover.paidThrough), epoch + 3n);
    });

    it("reverts with NotMember when renewing a commitment that never joined", async () => {
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asPayer.write.renew([f.planId, 4242n, 1, []]),
        f.pool,
        "HuzhuPool__NotMember",
        [f.planId, 4242n],
      );
    });

    it("reverts with WrongSiblingNodes when renewing with a wrong Merkle path", async () => {
      const identity = await f.join(3);
      const record = f.memberTree.find(identity.commitment);
      assert.ok(record);
      const proof = f.memberTree.proof(record);
      const wrong = updateSiblings(proof).map((s) => s + 1n);
      await f.viem.assertions.revertWithCustomError(
        f.asPayer.write.renew([f.planId, identity.commitment, 1, wrong]),
        f.pool,
        "WrongSiblingNodes",
      );
    });

    it("computes the same leaves and root as the SDK for random commitments (differential)", async () => {
      const g = await poolFixture();
      for (let i = 0; i < 9; i++) {
        const periods = 1 + Math.floor(Math.random() * 40);
        await g.join(periods);
        const [root] = await g.pool.read.memberTree([g.planId]);
        assert.equal(root, g.memberTree.root, `root after join ${i + 1}`);
      }
    });
  });

  describe("assessors", () => {
    let f: PoolFixture;
    before(async () => {
      f = await poolFixture();
    });

    it("keeps the same assessor root as the SDK, and accepts the root before an addition", async () => {
      assert.equal(await f.pool.read.assessorRoot([f.planId]), f.assessorTree.root);
      const before = f.assessorTree.root;
      const key = generateAssessorKey();
      await f.viem.assertions.emitWithArgs(
        f.asPlanAdmin.write.addAssessor([f.planId, key.publicKey[0], key.publicKey[1]]),
        f.pool,
        "AssessorAdded",
        [
          f.planId,
          assessorLeaf(key.publicKey),
          key.publicKey[0],
          key.publicKey[1],
          3n,
          (() => {
            f.assessorTree.add(key.publicKey);
            return f.assessorTree.root;
          })(),
        ],
      );
      assert.equal(await f.pool.read.assessorRoot([f.planId]), f.assessorTree.root);
      assert.equal(await f.pool.read.isValidAssessorRoot([f.planId, before]), true);
    });

    it("invalidates every earlier root at once when a key is revoked", async () => {
      const before = f.assessorTree.root;
      const key = f.assessors[1];
      assert.ok(key);
      const proof = f.assessorTree.proof(key.publicKey);
      await f.asPlanAdmin.write.revokeAssessor([f.planId, key.publicKey[0], key.publicKey[1], updateSiblings(proof)]);
      f.assessorTree.revoke(key.publicKey);
      assert.equal(await f.pool.read.assessorRoot([f.planId]), f.assessorTree.root);
      assert.equal(await f.pool.read.isValidAssessorRoot([f.planId, before]), false);
      assert.equal(await f.pool.read.previousAssessorRoot([f.planId]), 0n);
    });

    it("reverts with AssessorAlreadyAdded, UnknownAssessor, InvalidAssessorKey and NotPlanAdmin", async () => {
      const key = f.assessors[0];
      assert.ok(key);
      const leaf = assessorLeaf(key.publicKey);
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asPlanAdmin.write.addAssessor([f.planId, key.publicKey[0], key.publicKey[1]]),
        f.pool,
        "HuzhuPool__AssessorAlreadyAdded",
        [f.planId, leaf],
      );
      const stranger = generateAssessorKey();
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asPlanAdmin.write.revokeAssessor([f.planId, stranger.publicKey[0], stranger.publicKey[1], []]),
        f.pool,
        "HuzhuPool__UnknownAssessor",
        [f.planId, assessorLeaf(stranger.publicKey)],
      );
      await f.viem.assertions.revertWithCustomError(
        f.asPlanAdmin.write.addAssessor([f.planId, SNARK_SCALAR_FIELD, 1n]),
        f.pool,
        "HuzhuPool__InvalidAssessorKey",
      );
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asOutsider.write.addAssessor([f.planId, 1n, 2n]),
        f.pool,
        "HuzhuPool__NotPlanAdmin",
        [f.planId, f.accounts.outsider.account.address],
      );
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asOutsider.write.revokeAssessor([f.planId, 1n, 2n, []]),
        f.pool,
        "HuzhuPool__NotPlanAdmin",
        [f.planId, f.accounts.outsider.account.address],
      );
    });

    it("reverts with AssessorSetFull after 16 keys", async () => {
      const g = await poolFixture();
      for (let i = 3; i < 16; i++) {
        const key = generateAssessorKey();
        await g.asPlanAdmin.write.addAssessor([g.planId, key.publicKey[0], key.publicKey[1]]);
      }
      const key = generateAssessorKey();
      await g.viem.assertions.revertWithCustomErrorWithArgs(
        g.asPlanAdmin.write.addAssessor([g.planId, key.publicKey[0], key.publicKey[1]]),
        g.pool,
        "HuzhuPool__AssessorSetFull",
        [g.planId],
      );
    });
  });

  describe("claim", () => {
    let f: PoolFixture;
    let identities: Awaited<ReturnType<PoolFixture["join"]>>[];
    let valid: ClaimCall;

    before(async () => {
      ({ f, identities } = await coveredFixture(4));
      valid = await f.makeClaim({ identity: identities[1] as never });
    });

    it("pays amount - fee to the recipient and fee to the relayer, and the books add up", async () => {
      const claim = await f.makeClaim({ identity: identities[0] as never, amount: 800_000_000n, fee: 24_000_000n });
      const relayerBefore = await f.token.read.balanceOf([f.accounts.relayer.account.address]);
      const booksBefore = await f.pool.read.books([f.planId]);
      await f.asRelayer.write.claim([claim.request, claim.proof]);
      assert.equal(await f.token.read.balanceOf([claim.request.recipient]), 776_000_000n);
      assert.equal((await f.token.read.balanceOf([f.accounts.relayer.account.address])) - relayerBefore, 24_000_000n);
      assert.equal(await f.pool.read.nullifierSpent([claim.request.nullifier]), true);
      const books = await f.pool.read.books([f.planId]);
      assert.equal(books.paidOut - booksBefore.paidOut, 776_000_000n);
      assert.equal(books.fees - booksBefore.fees, 24_000_000n);
      const held = await f.token.read.balanceOf([f.pool.address]);
      assert.equal(books.contributed - books.paidOut - books.fees, held);
    });

    it("emits ClaimPaid with the request, context and proof an auditor needs", async () => {
      const claim = await f.makeClaim({ identity: identities[2] as never });
      await f.viem.assertions.emitWithArgs(f.asRelayer.write.claim([claim.request, claim.proof]), f.pool, "ClaimPaid", [
        f.planId,
        claim.request.nullifier,
        claim.request.recipient,
        claim.request,
        claim.context,
        claim.proof,
      ] as never);
    });

    it("may be submitted by anyone, not only the named relayer", async () => {
      const claim = await f.makeClaim({ identity: identities[3] as never, fee: 0n });
      await f.asOutsider.write.claim([claim.request, claim.proof]);
      assert.equal(await f.token.read.balanceOf([claim.request.recipient]), claim.request.amount);
    });

    it("reverts with NullifierAlreadySpent when the same claim is sent again", async () => {
      const claim = await f.makeClaim({ identity: identities[0] as never, eventId: 31337n });
      await f.asRelayer.write.claim([claim.request, claim.proof]);
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asRelayer.write.claim([claim.request, claim.proof]),
        f.pool,
        "HuzhuPool__NullifierAlreadySpent",
        [claim.request.nullifier],
      );
    });

    it("refuses a malleated proof (A and B negated: other bytes, still valid) with NullifierAlreadySpent", async () => {
      const claim = await f.makeClaim({ identity: identities[1] as never, eventId: 4444n });
      const { a, b, c } = claim.proof;
      const malleated = {
        a: [a[0], BN254_Q - a[1]] as const,
        b: [b[0], [BN254_Q - b[1][0], BN254_Q - b[1][1]]] as const,
        c,
      };
      const signals = PUBLIC_SIGNALS.map((name) => claim.raw.claim[name]);
      assert.equal(await f.deployment.verifier.read.verifyProof([malleated.a, malleated.b, malleated.c, signals as never]), true);
      await f.asRelayer.write.claim([claim.request, claim.proof]);
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asRelayer.write.claim([claim.request, malleated as never]),
        f.pool,
        "HuzhuPool__NullifierAlreadySpent",
        [claim.request.nullifier],
      );
    });

    describe("each check trips with its own error, in order", () => {
      for (const [index, field] of [
        [0, "memberRoot"],
        [1, "assessorRoot"],
        [2, "nullifier"],
        [3, "planId"],
        [4, "claimEpoch"],
        [5, "amount"],
      ] as const) {
        it(`InputNotInField(${index}) for ${field} given as x + r (input aliasing)`, async () => {
          const request = { ...valid.request, [field]: valid.request[field] + SNARK_SCALAR_FIELD };
          await f.viem.assertions.revertWithCustomErrorWithArgs(
            f.asRelayer.write.claim([request, valid.proof]),
            f.pool,
            "HuzhuPool__InputNotInField",
            [BigInt(index)],
          );
        });
      }

      it("UnknownPlan for a plan never created", async () => {
        await f.viem.assertions.revertWithCustomErrorWithArgs(
          f.asRelayer.write.claim([{ ...valid.request, planId: 7n }, valid.proof]),
          f.pool,
          "HuzhuPool__UnknownPlan",
          [7n],
        );
      });

      it("PlanInactive while the plan is paused, EnforcedPause while the pool is", async () => {
        await f.asPlanAdmin.write.setPlanActive([f.planId, false]);
        await f.viem.assertions.revertWithCustomErrorWithArgs(
          f.asRelayer.write.claim([valid.request, valid.proof]),
          f.pool,
          "HuzhuPool__PlanInactive",
          [f.planId],
        );
        await f.asPlanAdmin.write.setPlanActive([f.planId, true]);
        await f.pool.write.pause();
        await f.viem.assertions.revertWithCustomError(f.asRelayer.write.claim([valid.request, valid.proof]), f.pool, "EnforcedPause");
        await f.pool.write.unpause();
      });

      it("UnknownMemberRoot for a root the plan never had, and for root 0", async () => {
        for (const memberRoot of [12345n, 0n]) {
          await f.viem.assertions.revertWithCustomErrorWithArgs(
            f.asRelayer.write.claim([{ ...valid.request, memberRoot }, valid.proof]),
            f.pool,
            "HuzhuPool__UnknownMemberRoot",
            [f.planId, memberRoot],
          );
        }
      });

      it("UnknownMemberRoot for a known root named under another sequence number, 0, or one not yet recorded", async () => {
        const { rootSeq } = await f.pool.read.getPlan([f.planId]);
        assert.equal(valid.request.memberRootSeq, BigInt(rootSeq));
        // Unrecorded ring slots hold 1; a claim naming root 1 at such a slot is refused too.
        const cases = [
          { memberRootSeq: valid.request.memberRootSeq - 1n },
          { memberRootSeq: 0n },
          { memberRootSeq: valid.request.memberRootSeq + 1n },
          { memberRootSeq: valid.request.memberRootSeq + 100n },
          { memberRoot: 1n, memberRootSeq: valid.request.memberRootSeq + 1n },
        ];
        for (const change of cases) {
          const request = { ...valid.request, ...change };
          assert.equal(await f.pool.read.isKnownMemberRoot([f.planId, request.memberRoot, request.memberRootSeq]), false);
          await f.viem.assertions.revertWithCustomErrorWithArgs(
            f.asRelayer.write.claim([request, valid.proof]),
            f.pool,
            "HuzhuPool__UnknownMemberRoot",
            [f.planId, request.memberRoot],
          );
        }
        assert.equal(await f.pool.read.isKnownMemberRoot([f.planId, valid.request.memberRoot, valid.request.memberRootSeq]), true);
      });

      it("StaleAssessorRoot for an assessor root the plan does not accept", async () => {
        await f.viem.assertions.revertWithCustomErrorWithArgs(
          f.asRelayer.write.claim([{ ...valid.request, assessorRoot: 99n }, valid.proof]),
          f.pool,
          "HuzhuPool__StaleAssessorRoot",
          [f.planId, 99n],
        );
      });

      it("WrongEpoch for a future epoch", async () => {
        const epoch = await f.currentEpoch();
        await f.viem.assertions.revertWithCustomErrorWithArgs(
          f.asRelayer.write.claim([{ ...valid.request, claimEpoch: epoch + 1n }, valid.proof]),
          f.pool,
          "HuzhuPool__WrongEpoch",
          [epoch + 1n, epoch],
        );
      });

      it("ZeroAmount and AmountOverCap", async () => {
        await f.viem.assertions.revertWithCustomError(
          f.asRelayer.write.claim([{ ...valid.request, amount: 0n }, valid.proof]),
          f.pool,
          "HuzhuPool__ZeroAmount",
        );
        await f.viem.assertions.revertWithCustomErrorWithArgs(
          f.asRelayer.write.claim([{ ...valid.request, amount: PLAN.claimCap + 1n }, valid.proof]),
          f.pool,
          "HuzhuPool__AmountOverCap",
          [PLAN.claimCap + 1n, PLAN.claimCap],
        );
      });

      it("FeeTooHigh above the plan's maximum (3%)", async () => {
        const maxFee = (valid.request.amount * 300n) / 10_000n;
        await f.viem.assertions.revertWithCustomErrorWithArgs(
          f.asRelayer.write.claim([{ ...valid.request, fee: maxFee + 1n }, valid.proof]),
          f.pool,
          "HuzhuPool__FeeTooHigh",
          [maxFee + 1n, maxFee],
        );
      });

      it("ZeroAddress for a zero recipient or relayer", async () => {
        await f.viem.assertions.revertWithCustomError(
          f.asRelayer.write.claim([{ ...valid.request, recipient: zeroAddress }, valid.proof]),
          f.pool,
          "HuzhuPool__ZeroAddress",
        );
        await f.viem.assertions.revertWithCustomError(
          f.asRelayer.write.claim([{ ...valid.request, relayer: zeroAddress }, valid.proof]),
          f.pool,
          "HuzhuPool__ZeroAddress",
        );
      });

      it("InsufficientPoolFunds when the plan holds less than the amount", async () => {
        const g = await poolFixture();
        const member = await g.join(3);
        await g.advanceEpochs(PLAN.waitingPeriods);
        const claim = await g.makeClaim({ identity: member, amount: 100_000_000n, fee: 0n });
        await g.viem.assertions.revertWithCustomErrorWithArgs(
          g.asRelayer.write.claim([claim.request, claim.proof]),
          g.pool,
          "HuzhuPool__InsufficientPoolFunds",
          [100_000_000n, PLAN.contribution * 3n],
        );
      });

      for (const [label, change] of [
        ["recipient", { recipient: freshAddress() }],
        ["relayer", { relayer: freshAddress() }],
        ["fee", { fee: 1n }],
      ] as const) {
        it(`InvalidProof when a front-runner changes the ${label}`, async () => {
          await f.viem.assertions.revertWithCustomError(
            f.asOutsider.write.claim([{ ...valid.request, ...change }, valid.proof]),
            f.pool,
            "HuzhuPool__InvalidProof",
          );
        });
      }

      it("InvalidProof for a proof of other bytes", async () => {
        const proof = { ...valid.proof, c: [valid.proof.a[0], valid.proof.a[1]] as const };
        await f.viem.assertions.revertWithCustomError(f.asRelayer.write.claim([valid.request, proof]), f.pool, "HuzhuPool__InvalidProof");
      });

      it("pays the untouched claim after all those refusals", async () => {
        await f.asRelayer.write.claim([valid.request, valid.proof]);
        assert.equal(await f.token.read.balanceOf([valid.request.recipient]), valid.request.amount - valid.request.fee);
      });
    });
  });

  describe("donate", () => {
    it("takes a gift from anyone, counts it apart from contributions, and emits DonationReceived", async () => {
      const g = await poolFixture();
      const donor = g.accounts.outsider;
      await g.token.write.mint([donor.account.address, 500_000_000n]);
      await g.token.write.approve([g.pool.address, 500_000_000n], { account: donor.account });
      const before = await g.pool.read.books([g.planId]);
      await g.viem.assertions.emitWithArgs(g.asOutsider.write.donate([g.planId, 300_000_000n]), g.pool, "DonationReceived", [
        g.planId,
        donor.account.address,
        300_000_000n,
      ]);
      const after = await g.pool.read.books([g.planId]);
      assert.equal(after.donated - before.donated, 300_000_000n);
      assert.equal(after.contributed, before.contributed);
      const held = await g.token.read.balanceOf([g.pool.address]);
      assert.equal(after.contributed + after.donated - after.paidOut - after.fees, held);
    });

    it("pays claims from donations: a claim above the contributions alone is paid once a donor gives", async () => {
      const { f, identities } = await coveredFixture(1);
      const books = await f.pool.read.books([f.planId]);
      const amount = books.contributed + 100_000_000n;
      const claim = await f.makeClaim({ identity: identities[0] as never, amount, fee: 0n });
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asRelayer.write.claim([claim.request, claim.proof]),
        f.pool,
        "HuzhuPool__InsufficientPoolFunds",
        [amount, books.contributed],
      );
      const donor = f.accounts.outsider;
      await f.token.write.mint([donor.account.address, 100_000_000n]);
      await f.token.write.approve([f.pool.address, 100_000_000n], { account: donor.account });
      await f.asOutsider.write.donate([f.planId, 100_000_000n]);
      await f.asRelayer.write.claim([claim.request, claim.proof]);
      assert.equal(await f.token.read.balanceOf([claim.request.recipient]), amount);
    });

    it("reverts with ZeroAmount for nothing, UnknownPlan for no plan, and EnforcedPause while the pool is paused", async () => {
      const g = await poolFixture();
      await g.viem.assertions.revertWithCustomError(g.asOutsider.write.donate([g.planId, 0n]), g.pool, "HuzhuPool__ZeroAmount");
      await g.viem.assertions.revertWithCustomErrorWithArgs(g.asOutsider.write.donate([99n, 1n]), g.pool, "HuzhuPool__UnknownPlan", [99n]);
      await g.pool.write.pause();
      await g.viem.assertions.revertWithCustomError(g.asOutsider.write.donate([g.planId, 1n]), g.pool, "EnforcedPause");
    });
  });

  describe("claim with a gas drop", () => {
    let f: PoolFixture;
    let identities: Awaited<ReturnType<PoolFixture["join"]>>[];
    const DROP = 10n ** 15n;

    before(async () => {
      ({ f, identities } = await coveredFixture(4));
    });

    it("passes the coin sent with the claim to the recipient, and keeps none", async () => {
      const claim = await f.makeClaim({ identity: identities[0] as never, gasDrop: DROP });
      await f.asRelayer.write.claim([claim.request, claim.proof], { value: DROP });
      assert.equal(await f.publicClient.getBalance({ address: claim.request.recipient }), DROP);
      assert.equal(await f.publicClient.getBalance({ address: f.pool.address }), 0n);
      assert.equal(await f.token.read.balanceOf([claim.request.recipient]), claim.request.amount - claim.request.fee);
    });

    it("emits the gas drop in ClaimPaid's request, so an auditor can recompute the context", async () => {
      const claim = await f.makeClaim({ identity: identities[1] as never, gasDrop: DROP });
      await f.viem.assertions.emitWithArgs(f.asRelayer.write.claim([claim.request, claim.proof], { value: DROP }), f.pool, "ClaimPaid", [
        f.planId,
        claim.request.nullifier,
        claim.request.recipient,
        claim.request,
        claim.context,
        claim.proof,
      ] as never);
    });

    it("reverts with GasDropMismatch when the submitter sends less (or more) than the request's drop", async () => {
      const claim = await f.makeClaim({ identity: identities[2] as never, gasDrop: DROP });
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asRelayer.write.claim([claim.request, claim.proof], { value: DROP - 1n }),
        f.pool,
        "HuzhuPool__GasDropMismatch",
        [DROP, DROP - 1n],
      );
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asRelayer.write.claim([claim.request, claim.proof]),
        f.pool,
        "HuzhuPool__GasDropMismatch",
        [DROP, 0n],
      );
    });

    it("reverts with InvalidProof when the request names another drop than the proof's context", async () => {
      const claim = await f.makeClaim({ identity: identities[2] as never, gasDrop: DROP, eventId: 777n });
      const smaller = { ...claim.request, gasDrop: 1n };
      await f.viem.assertions.revertWithCustomError(
        f.asRelayer.write.claim([smaller, claim.proof], { value: 1n }),
        f.pool,
        "HuzhuPool__InvalidProof",
      );
    });

    it("reverts with GasDropFailed when the recipient refuses the coin (a contract without receive)", async () => {
      const refuser = f.token.address;
      const claim = await f.makeClaim({ identity: identities[3] as never, gasDrop: DROP, recipient: refuser });
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asRelayer.write.claim([claim.request, claim.proof], { value: DROP }),
        f.pool,
        "HuzhuPool__GasDropFailed",
        [refuser, DROP],
      );
      assert.equal(await f.pool.read.nullifierSpent([claim.request.nullifier]), false);
    });
  });

  describe("claim timing, root history and replays", () => {
    it("pays a proof for the previous epoch within the grace hour after a boundary, and not after", async () => {
      const { f, identities } = await coveredFixture(2);
      const epoch = await f.currentEpoch();
      const early = await f.makeClaim({ identity: identities[0] as never, claimEpoch: epoch });
      const late = await f.makeClaim({ identity: identities[1] as never, claimEpoch: epoch });
      const plan = await f.pool.read.getPlan([f.planId]);
      const nextEpochStart = plan.start + (epoch + 1n) * plan.periodLength;
      await f.networkHelpers.time.increaseTo(nextEpochStart + 600n);
      await f.asRelayer.write.claim([early.request, early.proof]);
      assert.equal(await f.pool.read.nullifierSpent([early.request.nullifier]), true);
      await f.networkHelpers.time.increaseTo(nextEpochStart + 3601n);
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asRelayer.write.claim([late.request, late.proof]),
        f.pool,
        "HuzhuPool__WrongEpoch",
        [epoch, epoch + 1n],
      );
    });

    it("pays a proof made 99 joins ago, then refuses one of the same root with UnknownMemberRoot after the 100th", async () => {
      const { f, identities } = await coveredFixture(2);
      const early = await f.makeClaim({ identity: identities[1] as never, fee: 0n });
      const claim = await f.makeClaim({ identity: identities[0] as never, fee: 0n });
      const seq = claim.request.memberRootSeq;
      assert.equal(early.request.memberRootSeq, seq);
      for (let i = 0; i < 99; i++) await f.join(1);
      assert.equal(await f.pool.read.isKnownMemberRoot([f.planId, claim.request.memberRoot, seq]), true);
      assert.equal(await f.pool.read.memberRootSeq([f.planId, claim.request.memberRoot]), seq);
      await f.asRelayer.write.claim([early.request, early.proof]);
      assert.equal(await f.pool.read.nullifierSpent([early.request.nullifier]), true);
      await f.join(1);
      // Root number seq + 100 now sits in the root's ring slot.
      assert.equal(await f.pool.read.isKnownMemberRoot([f.planId, claim.request.memberRoot, seq]), false);
      assert.equal(await f.pool.read.memberRootSeq([f.planId, claim.request.memberRoot]), 0n);
      const [current] = await f.pool.read.memberTree([f.planId]);
      assert.equal(await f.pool.read.memberRootSeq([f.planId, current]), seq + 100n);
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asRelayer.write.claim([claim.request, claim.proof]),
        f.pool,
        "HuzhuPool__UnknownMemberRoot",
        [f.planId, claim.request.memberRoot],
      );
    });

    it("refuses a proof against the assessor root from before a revocation with StaleAssessorRoot", async () => {
      const { f, identities } = await coveredFixture(1);
      const claim = await f.makeClaim({ identity: identities[0] as never, assessor: f.assessors[2] });
      const key = f.assessors[2];
      assert.ok(key);
      const path = f.assessorTree.proof(key.publicKey);
      await f.asPlanAdmin.write.revokeAssessor([f.planId, key.publicKey[0], key.publicKey[1], updateSiblings(path)]);
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asRelayer.write.claim([claim.request, claim.proof]),
        f.pool,
        "HuzhuPool__StaleAssessorRoot",
        [f.planId, claim.request.assessorRoot],
      );
    });

    it("refuses the same proof on another pool with the same members and assessors (InvalidProof: context)", async () => {
      const f = await poolFixture();
      const other = await deployHuzhu(f.viem, { admin: f.accounts.admin.account.address });
      await other.pool.write.createPlan([{ ...(await planParams(f)), name: "Medical" }]);
      await f.copyAssessorsTo(other.pool.address);
      const payerToken = await f.viem.getContractAt("DemoToken", f.token.address, { client: { wallet: f.accounts.payer } });
      await payerToken.write.approve([other.pool.address, 2n ** 255n]);
      const otherAsPayer = await f.viem.getContractAt("HuzhuPool", other.pool.address, { client: { wallet: f.accounts.payer } });
      // Both plans are in epoch 0: the same commitment gets the same leaf, hence the same root.
      const member = await f.join(400);
      await otherAsPayer.write.join([1n, member.commitment, 400]);
      await f.advanceEpochs(PLAN.waitingPeriods);
      const claim = await f.makeClaim({ identity: member });
      assert.equal((await other.pool.read.memberTree([1n]))[0], claim.request.memberRoot);
      assert.equal(await other.pool.read.currentEpoch([1n]), claim.request.claimEpoch);
      const otherAsRelayer = await f.viem.getContractAt("HuzhuPool", other.pool.address, { client: { wallet: f.accounts.relayer } });
      await f.viem.assertions.revertWithCustomError(
        otherAsRelayer.write.claim([claim.request, claim.proof]),
        other.pool,
        "HuzhuPool__InvalidProof",
      );
      await f.asRelayer.write.claim([claim.request, claim.proof]);
    });

    it("binds the chain id: the verifier refuses the signals with the context of another chain", async () => {
      const { f, identities } = await coveredFixture(1);
      const claim = await f.makeClaim({ identity: identities[0] as never });
      const signals = PUBLIC_SIGNALS.map((name) => claim.raw.claim[name]);
      assert.equal(await f.deployment.verifier.read.verifyProof([claim.proof.a, claim.proof.b, claim.proof.c, signals as never]), true);
      const onMainnet = claimContext({
        chainId: 1n,
        pool: f.pool.address,
        planId: f.planId,
        recipient: claim.request.recipient,
        relayer: claim.request.relayer,
        fee: claim.request.fee,
        gasDrop: claim.request.gasDrop,
      });
      signals[PUBLIC_SIGNALS.indexOf("context")] = onMainnet;
      assert.equal(await f.deployment.verifier.read.verifyProof([claim.proof.a, claim.proof.b, claim.proof.c, signals as never]), false);
    });

    it("cannot pay twice when the token re-enters claim during the payout", async () => {
      const f = await poolFixture({ reentrantToken: true });
      const member = await f.join(400);
      await f.advanceEpochs(PLAN.waitingPeriods);
      const claim = await f.makeClaim({ identity: member });
      const token = await f.viem.getContractAt("ReentrantToken", f.token.address);
      const replay = encodeFunctionData({ abi: f.pool.abi, functionName: "claim", args: [claim.request, claim.proof] });
      await token.write.arm([f.pool.address, replay]);
      const before = await f.token.read.balanceOf([f.pool.address]);
      await f.asRelayer.write.claim([claim.request, claim.proof]);
      assert.equal(await token.read.reentered(), true);
      assert.equal(await token.read.reentrySucceeded(), false);
      assert.equal((await token.read.reentryRevertData()).slice(0, 10), keccak256(toHex("ReentrancyGuardReentrantCall()")).slice(0, 10));
      assert.equal(before - (await f.token.read.balanceOf([f.pool.address])), claim.request.amount);
    });
  });

  describe("deployment and views", () => {
    it("refuses a zero verifier or admin with ZeroAddress", async () => {
      const f = await poolFixture();
      await f.viem.assertions.revertWithCustomError(
        f.viem.deployContract("HuzhuPool", [zeroAddress, f.accounts.admin.account.address], {
          libraries: { PoseidonT3: f.deployment.poseidonT3.address, PoseidonT4: f.deployment.poseidonT4.address },
        }) as never,
        f.pool,
        "HuzhuPool__ZeroAddress",
      );
    });

    it("reports the assessor tree's size and depth, and refuses renewals on a paused plan or with bad periods", async () => {
      const f = await poolFixture();
      assert.deepEqual(await f.pool.read.assessorTree([f.planId]), [3n, 2n]);
      const member = await f.join(2);
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asPayer.write.renew([f.planId, member.commitment, 0, []]),
        f.pool,
        "HuzhuPool__InvalidPeriods",
        [0n],
      );
      await f.asPlanAdmin.write.setPlanActive([f.planId, false]);
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asPayer.write.renew([f.planId, member.commitment, 1, []]),
        f.pool,
        "HuzhuPool__PlanInactive",
        [f.planId],
      );
    });
  });
});
