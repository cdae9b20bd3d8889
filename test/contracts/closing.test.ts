/**
 * Closing a plan, step by step on one history: the admin sets the claim grace and announces the
 * closing epoch; joins, renewals and rule changes stop; claims as of the closing epoch are paid
 * through the grace periods (a real proof) and refused after; then the wallets that paid register
 * their members' unused periods and each withdraws its pro-rata share of what is left, once.
 * Every refusal is asserted with its exact custom error and arguments.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { getAddress, keccak256, toHex } from "viem";
import { createIdentity, releaseProver } from "../../service/sdk/index.ts";
import { updateSiblings } from "../../service/sdk/tree-update.ts";
import { DAY, PLAN, type PoolFixture, planParams, poolFixture } from "../../testkit/pool.ts";

const GRACE = 2n;
const REGISTRATION = 30n * DAY;

describe("closing a plan", () => {
  after(releaseProver);

  let f: PoolFixture;
  let start: bigint;
  /** Paid for by `payer`: 24 periods (through epoch 23), 2 periods (through epoch 1, lapsed at closing). */
  let long: ReturnType<typeof createIdentity>;
  let lapsed: ReturnType<typeof createIdentity>;
  /** Paid for by `outsider`: 6 periods (through epoch 5). */
  let short: ReturnType<typeof createIdentity>;
  const closingEpoch = 3n;

  const payer = () => f.accounts.payer.account.address;
  const outsider = () => f.accounts.outsider.account.address;
  const epochStart = (epoch: bigint) => start + epoch * PLAN.periodLength;

  before(async () => {
    f = await poolFixture();
    start = (await f.pool.read.getPlan([f.planId])).start;
    long = await f.join(24);
    lapsed = await f.join(2);
    // The outsider pays for its own member.
    await f.token.write.mint([outsider(), 10n ** 12n]);
    const outsiderToken = await f.viem.getContractAt("DemoToken", f.token.address, { client: { wallet: f.accounts.outsider } });
    await outsiderToken.write.approve([f.pool.address, 2n ** 255n]);
    short = createIdentity();
    await f.asOutsider.write.join([f.planId, short.commitment, 6]);
    const cover = await f.pool.read.coverageOf([f.planId, short.commitment]);
    f.memberTree.add({ commitment: short.commitment, eligibleFrom: BigInt(cover.eligibleFrom), paidThrough: BigInt(cover.paidThrough) });
    await f.asPayer.write.donate([f.planId, 2_000_000_000n]);
    await f.networkHelpers.time.increaseTo(epochStart(closingEpoch) + DAY);
  });

  describe("the claim grace period (a plan rule)", () => {
    it("is set by the plan's admin only, at most 1,000 periods, and emits ClaimGracePeriodsSet", async () => {
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asOutsider.write.setClaimGracePeriods([f.planId, 2]),
        f.pool,
        "HuzhuPool__NotPlanAdmin",
        [f.planId, outsider()],
      );
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asPlanAdmin.write.setClaimGracePeriods([f.planId, 1001]),
        f.pool,
        "HuzhuPool__GraceTooLong",
        [1001n],
      );
      await f.viem.assertions.emitWithArgs(f.asPlanAdmin.write.setClaimGracePeriods([f.planId, 2]), f.pool, "ClaimGracePeriodsSet", [
        f.planId,
        GRACE,
      ]);
      assert.equal((await f.pool.read.getPlan([f.planId])).claimGracePeriods, Number(GRACE));
    });
  });

  describe("announceClosing", () => {
    it("reverts with NotPlanAdmin for anyone but the plan's admin, and UnknownPlan for no plan", async () => {
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asOutsider.write.announceClosing([f.planId, closingEpoch]),
        f.pool,
        "HuzhuPool__NotPlanAdmin",
        [f.planId, outsider()],
      );
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asPlanAdmin.write.announceClosing([99n, closingEpoch]),
        f.pool,
        "HuzhuPool__UnknownPlan",
        [99n],
      );
    });

    it("reverts with ClosingEpochInPast for an epoch before the current one", async () => {
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asPlanAdmin.write.announceClosing([f.planId, closingEpoch - 1n]),
        f.pool,
        "HuzhuPool__ClosingEpochInPast",
        [closingEpoch - 1n, closingEpoch],
      );
    });

    it("reverts with PlanNotClosing for refunds of a plan whose closing is not announced", async () => {
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asPayer.write.registerRefund([f.planId, [long.commitment]]),
        f.pool,
        "HuzhuPool__PlanNotClosing",
        [f.planId],
      );
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asPayer.write.withdrawRefund([f.planId]),
        f.pool,
        "HuzhuPool__PlanNotClosing",
        [f.planId],
      );
      assert.equal((await f.pool.read.closingOf([f.planId])).announced, false);
    });

    it("announces the current epoch as the closing epoch and emits the timetable in ClosingAnnounced", async () => {
      const refundsFrom = epochStart(closingEpoch + GRACE + 1n);
      await f.viem.assertions.emitWithArgs(f.asPlanAdmin.write.announceClosing([f.planId, closingEpoch]), f.pool, "ClosingAnnounced", [
        f.planId,
        closingEpoch,
        closingEpoch + GRACE,
        refundsFrom,
        refundsFrom + REGISTRATION,
      ]);
      assert.deepEqual(await f.pool.read.closingOf([f.planId]), {
        announced: true,
        closingEpoch: Number(closingEpoch),
        lastClaimEpoch: Number(closingEpoch + GRACE),
        refundsFrom,
        refundsPayableFrom: refundsFrom + REGISTRATION,
        unpaidPeriods: 0n,
        refunded: 0n,
      });
      assert.equal((await f.pool.read.getPlan([f.planId])).closing, true);
    });

    it("reverts with PlanClosing when announced twice, and freezes the terms and the grace period", async () => {
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asPlanAdmin.write.announceClosing([f.planId, closingEpoch + 5n]),
        f.pool,
        "HuzhuPool__PlanClosing",
        [f.planId, closingEpoch],
      );
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asPlanAdmin.write.setPlanTerms([f.planId, { termsHash: keccak256(toHex("new rules")), category: 0, termsUri: "" }]),
        f.pool,
        "HuzhuPool__PlanClosing",
        [f.planId, closingEpoch],
      );
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asPlanAdmin.write.setClaimGracePeriods([f.planId, 0]),
        f.pool,
        "HuzhuPool__PlanClosing",
        [f.planId, closingEpoch],
      );
    });

    it("refuses joins and renewals from the announcement with PlanClosing", async () => {
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asPayer.write.join([f.planId, createIdentity().commitment, 3]),
        f.pool,
        "HuzhuPool__PlanClosing",
        [f.planId, closingEpoch],
      );
      const record = f.memberTree.find(long.commitment);
      assert.ok(record);
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asPayer.write.renew([f.planId, long.commitment, 3, updateSiblings(f.memberTree.proof(record))]),
        f.pool,
        "HuzhuPool__PlanClosing",
        [f.planId, closingEpoch],
      );
    });

    it("lets another plan of the same pool announce a later closing epoch", async () => {
      await f.pool.write.createPlan([await planParams(f, "Other")]);
      const other = await f.pool.read.planCount();
      await f.asPlanAdmin.write.announceClosing([other, 40n]);
      assert.equal((await f.pool.read.closingOf([other])).closingEpoch, 40);
      assert.equal((await f.pool.read.closingOf([other])).lastClaimEpoch, 40);
    });
  });

  describe("claims while closing", () => {
    it("pays a claim in the closing epoch as usual", async () => {
      assert.equal(await f.pool.read.claimEpochNow([f.planId]), closingEpoch);
      const claim = await f.makeClaim({ identity: long, amount: 100_000_000n, fee: 2_000_000n });
      await f.asRelayer.write.claim([claim.request, claim.proof]);
      assert.equal(await f.token.read.balanceOf([claim.request.recipient]), 98_000_000n);
    });

    it("pays a claim as of the closing epoch in the grace periods, from a member whose cover ended with it", async () => {
      await f.networkHelpers.time.increaseTo(epochStart(closingEpoch + GRACE) + DAY);
      assert.equal(await f.pool.read.claimEpochNow([f.planId]), closingEpoch);
      const claim = await f.makeClaim({ identity: long, amount: 50_000_000n, fee: 0n, claimEpoch: closingEpoch, expiresInEpochs: 5n });
      await f.asRelayer.write.claim([claim.request, claim.proof]);
      assert.equal(await f.token.read.balanceOf([claim.request.recipient]), 50_000_000n);
    });

    it("reverts with WrongEpoch naming the closing epoch for a claim of the current epoch in the grace periods", async () => {
      const now = closingEpoch + GRACE;
      const claim = await f.makeClaim({ identity: long, amount: 10_000_000n, fee: 0n, claimEpoch: now });
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asRelayer.write.claim([claim.request, claim.proof]),
        f.pool,
        "HuzhuPool__WrongEpoch",
        [now, closingEpoch],
      );
    });

    it("reverts with ClaimsClosed after the grace periods, for claims and donations alike", async () => {
      const claim = await f.makeClaim({ identity: long, amount: 10_000_000n, fee: 0n, claimEpoch: closingEpoch, expiresInEpochs: 9n });
      await f.networkHelpers.time.increaseTo(epochStart(closingEpoch + GRACE + 1n));
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asRelayer.write.claim([claim.request, claim.proof]),
        f.pool,
        "HuzhuPool__ClaimsClosed",
        [f.planId, closingEpoch + GRACE],
      );
      await f.viem.assertions.revertWithCustomErrorWithArgs(f.pool.read.claimEpochNow([f.planId]), f.pool, "HuzhuPool__ClaimsClosed", [
        f.planId,
        closingEpoch + GRACE,
      ]);
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asPayer.write.donate([f.planId, 1_000_000n]),
        f.pool,
        "HuzhuPool__ClaimsClosed",
        [f.planId, closingEpoch + GRACE],
      );
    });
  });

  describe("refunds", () => {
    const refundsFrom = () => epochStart(closingEpoch + GRACE + 1n);

    it("reverts with RefundRegistrationClosed before the grace periods end", async () => {
      const g = await poolFixture();
      const member = await g.join(12);
      const gStart = (await g.pool.read.getPlan([g.planId])).start;
      await g.asPlanAdmin.write.setClaimGracePeriods([g.planId, 1]);
      await g.asPlanAdmin.write.announceClosing([g.planId, 0n]);
      const opensAt = gStart + 2n * PLAN.periodLength;
      await g.viem.assertions.revertWithCustomErrorWithArgs(
        g.asPayer.write.registerRefund([g.planId, [member.commitment]]),
        g.pool,
        "HuzhuPool__RefundRegistrationClosed",
        [g.planId, opensAt, opensAt + REGISTRATION],
      );
      // One second before the grace periods end, still closed.
      await g.networkHelpers.time.setNextBlockTimestamp(opensAt - 1n);
      await g.viem.assertions.revertWithCustomErrorWithArgs(
        g.asPayer.write.registerRefund([g.planId, [member.commitment]]),
        g.pool,
        "HuzhuPool__RefundRegistrationClosed",
        [g.planId, opensAt, opensAt + REGISTRATION],
      );
    });

    it("reverts with RefundsNotPayableYet for a withdrawal during registration", async () => {
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asPayer.write.withdrawRefund([f.planId]),
        f.pool,
        "HuzhuPool__RefundsNotPayableYet",
        [f.planId, refundsFrom() + REGISTRATION],
      );
    });

    it("reverts with NotPayer for a wallet that did not pay for the member, and NotMember for a commitment never joined", async () => {
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asPayer.write.registerRefund([f.planId, [short.commitment]]),
        f.pool,
        "HuzhuPool__NotPayer",
        [f.planId, short.commitment, payer()],
      );
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asPayer.write.registerRefund([f.planId, [4242n]]),
        f.pool,
        "HuzhuPool__NotMember",
        [f.planId, 4242n],
      );
    });

    it("reverts with NothingToRefund for a member whose cover ended before the closing epoch", async () => {
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asPayer.write.registerRefund([f.planId, [long.commitment, lapsed.commitment]]),
        f.pool,
        "HuzhuPool__NothingToRefund",
        [f.planId, lapsed.commitment],
      );
    });

    it("registers each paying wallet's unused periods (paidThrough - closingEpoch) and emits RefundRegistered", async () => {
      await f.viem.assertions.emitWithArgs(f.asPayer.write.registerRefund([f.planId, [long.commitment]]), f.pool, "RefundRegistered", [
        f.planId,
        payer(),
        long.commitment,
        23n - closingEpoch,
      ]);
      await f.viem.assertions.emitWithArgs(f.asOutsider.write.registerRefund([f.planId, [short.commitment]]), f.pool, "RefundRegistered", [
        f.planId,
        outsider(),
        short.commitment,
        5n - closingEpoch,
      ]);
      assert.deepEqual(await f.pool.read.refundDue([f.planId, payer()]), [20n, false]);
      assert.deepEqual(await f.pool.read.refundDue([f.planId, outsider()]), [2n, false]);
      assert.equal((await f.pool.read.closingOf([f.planId])).unpaidPeriods, 22n);
      // The registered member's cover now ends with the closing epoch.
      assert.equal((await f.pool.read.coverageOf([f.planId, long.commitment])).paidThrough, Number(closingEpoch));
    });

    it("reverts with NothingToRefund when a member is registered twice", async () => {
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asPayer.write.registerRefund([f.planId, [long.commitment]]),
        f.pool,
        "HuzhuPool__NothingToRefund",
        [f.planId, long.commitment],
      );
    });

    it("reverts with RefundRegistrationClosed once registration has ended", async () => {
      await f.networkHelpers.time.increaseTo(refundsFrom() + REGISTRATION);
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asOutsider.write.registerRefund([f.planId, [short.commitment]]),
        f.pool,
        "HuzhuPool__RefundRegistrationClosed",
        [f.planId, refundsFrom(), refundsFrom() + REGISTRATION],
      );
    });

    it("reverts with NoRefundDue for a wallet that registered nothing", async () => {
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asRelayer.write.withdrawRefund([f.planId]),
        f.pool,
        "HuzhuPool__NoRefundDue",
        [f.planId, f.accounts.relayer.account.address],
      );
    });

    it("pays each wallet its share of the balance, pro rata, leaves nothing behind, and the books balance", async () => {
      const books = await f.pool.read.books([f.planId]);
      const balance = books.contributed + books.donated - books.paidOut - books.fees;
      assert.equal(balance, await f.token.read.balanceOf([f.pool.address]));
      const payerShare = (balance * 20n) / 22n;
      const payerBefore = await f.token.read.balanceOf([payer()]);
      await f.viem.assertions.emitWithArgs(f.asPayer.write.withdrawRefund([f.planId]), f.pool, "Refunded", [
        f.planId,
        payer(),
        20n,
        payerShare,
      ]);
      assert.equal((await f.token.read.balanceOf([payer()])) - payerBefore, payerShare);
      const outsiderShare = balance - payerShare;
      await f.viem.assertions.emitWithArgs(f.asOutsider.write.withdrawRefund([f.planId]), f.pool, "Refunded", [
        f.planId,
        outsider(),
        2n,
        outsiderShare,
      ]);
      const after = await f.pool.read.books([f.planId]);
      assert.equal(after.refunded, balance);
      assert.equal(after.contributed + after.donated - after.paidOut - after.fees - after.refunded, 0n);
      assert.equal(await f.token.read.balanceOf([f.pool.address]), 0n);
      assert.equal((await f.pool.read.closingOf([f.planId])).unpaidPeriods, 0n);
      assert.deepEqual(await f.pool.read.refundDue([f.planId, payer()]), [20n, true]);
    });

    it("reverts with RefundAlreadyPaid when a wallet withdraws twice", async () => {
      await f.viem.assertions.revertWithCustomErrorWithArgs(
        f.asPayer.write.withdrawRefund([f.planId]),
        f.pool,
        "HuzhuPool__RefundAlreadyPaid",
        [f.planId, payer()],
      );
    });
  });

  describe("the paying wallet", () => {
    it("is the wallet that paid last: a renewal by another wallet makes it the member's payer", async () => {
      const g = await poolFixture();
      const member = await g.join(3);
      assert.equal(await g.pool.read.memberPayer([g.planId, member.commitment]), getAddress(g.accounts.payer.account.address));
      const other = g.accounts.outsider;
      await g.token.write.mint([other.account.address, 10n ** 12n]);
      const otherToken = await g.viem.getContractAt("DemoToken", g.token.address, { client: { wallet: other } });
      await otherToken.write.approve([g.pool.address, 2n ** 255n]);
      await g.asOutsider.write.renew([g.planId, member.commitment, 2, []]);
      assert.equal(await g.pool.read.memberPayer([g.planId, member.commitment]), getAddress(other.account.address));
      assert.equal((await g.pool.read.coverageOf([g.planId, member.commitment])).joined, true);
      assert.equal(await g.pool.read.memberPayer([g.planId, 777n]), "0x0000000000000000000000000000000000000000");
    });
  });
});
