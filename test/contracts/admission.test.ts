/**
 * Admission vouchers: a plan whose admin names an admission officer takes joins only with the
 * officer's EIP-712 voucher for that plan and commitment, before its expiry. Vouchers are made with
 * the SDK (the web app and CLI sign the same typed data); every refusal is asserted exactly.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { type Address, getAddress, type Hex, recoverTypedDataAddress, zeroAddress } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import {
  type AdmissionTerms,
  admissionDigest,
  admissionTypedData,
  signAdmissionVoucher,
  voucherArgument,
} from "../../service/sdk/chain/admission.ts";
import { createIdentity } from "../../service/sdk/index.ts";
import { type PoolFixture, planParams, poolFixture } from "../../testkit/pool.ts";

describe("admission vouchers", () => {
  let f: PoolFixture;
  let chainId: bigint;
  const officer = privateKeyToAccount(generatePrivateKey());
  const stranger = privateKeyToAccount(generatePrivateKey());
  /** Plan 2: same rules, same officer. */
  let otherPlan: bigint;

  before(async () => {
    f = await poolFixture();
    chainId = BigInt(await f.publicClient.getChainId());
    await f.pool.write.createPlan([await planParams(f, "Vetted too")]);
    otherPlan = await f.pool.read.planCount();
    await f.asPlanAdmin.write.setAdmissionOfficer([otherPlan, officer.address]);
  });

  async function now(): Promise<bigint> {
    return (await f.publicClient.getBlock()).timestamp;
  }

  async function terms(commitment: bigint, changes: Partial<AdmissionTerms> = {}): Promise<AdmissionTerms> {
    return { chainId, pool: f.pool.address, planId: f.planId, commitment, expiresAt: (await now()) + 3_600n, ...changes };
  }

  /** The address the pool recovers from `signature` for a join of `commitment` to `planId`. */
  async function recovered(signed: AdmissionTerms, signature: Hex, join: { planId: bigint; commitment: bigint }): Promise<Address> {
    return recoverTypedDataAddress({ ...admissionTypedData({ ...signed, ...join }), signature });
  }

  it("lets only the plan's admin name an admission officer, and emits AdmissionOfficerSet", async () => {
    await f.viem.assertions.revertWithCustomErrorWithArgs(
      f.asOutsider.write.setAdmissionOfficer([f.planId, officer.address]),
      f.pool,
      "HuzhuPool__NotPlanAdmin",
      [f.planId, f.accounts.outsider.account.address],
    );
    await f.viem.assertions.emitWithArgs(
      f.asPlanAdmin.write.setAdmissionOfficer([f.planId, officer.address]),
      f.pool,
      "AdmissionOfficerSet",
      [f.planId, officer.address],
    );
    assert.equal(await f.pool.read.admissionOfficer([f.planId]), officer.address);
    assert.equal((await f.pool.read.getPlan([f.planId])).admissionRequired, true);
  });

  it("signs the digest the pool checks (admissionDigest equals the SDK's EIP-712 hash)", async () => {
    const t = await terms(12345n);
    assert.equal(await f.pool.read.admissionDigest([t.planId, t.commitment, t.expiresAt]), admissionDigest(t));
  });

  it("reverts with AdmissionRequired for a join without a voucher", async () => {
    await f.viem.assertions.revertWithCustomErrorWithArgs(
      f.asPayer.write.join([f.planId, createIdentity().commitment, 3]),
      f.pool,
      "HuzhuPool__AdmissionRequired",
      [f.planId],
    );
  });

  it("joins with the officer's voucher, as a join does (MemberJoined, paid by the sender)", async () => {
    const identity = createIdentity();
    const voucher = await signAdmissionVoucher(officer, await terms(identity.commitment));
    await f.asPayer.write.joinWithVoucher([f.planId, identity.commitment, 3, voucherArgument(voucher)]);
    assert.equal((await f.pool.read.coverageOf([f.planId, identity.commitment])).joined, true);
    assert.equal(await f.pool.read.memberPayer([f.planId, identity.commitment]), getAddress(f.accounts.payer.account.address));
  });

  it("reverts with AlreadyMember when a voucher is used again (a commitment joins once)", async () => {
    const identity = createIdentity();
    const voucher = voucherArgument(await signAdmissionVoucher(officer, await terms(identity.commitment)));
    await f.asPayer.write.joinWithVoucher([f.planId, identity.commitment, 3, voucher]);
    await f.viem.assertions.revertWithCustomErrorWithArgs(
      f.asPayer.write.joinWithVoucher([f.planId, identity.commitment, 3, voucher]),
      f.pool,
      "HuzhuPool__AlreadyMember",
      [f.planId, identity.commitment],
    );
  });

  it("reverts with VoucherExpired after its expiry, and accepts it in its last second", async () => {
    const identity = createIdentity();
    const expiresAt = (await now()) + 100n;
    const voucher = voucherArgument(await signAdmissionVoucher(officer, await terms(identity.commitment, { expiresAt })));
    await f.networkHelpers.time.setNextBlockTimestamp(expiresAt + 1n);
    await f.viem.assertions.revertWithCustomErrorWithArgs(
      f.asPayer.write.joinWithVoucher([f.planId, identity.commitment, 3, voucher]),
      f.pool,
      "HuzhuPool__VoucherExpired",
      [expiresAt],
    );
    const last = createIdentity();
    const lastAt = (await now()) + 100n;
    const lastVoucher = voucherArgument(await signAdmissionVoucher(officer, await terms(last.commitment, { expiresAt: lastAt })));
    await f.networkHelpers.time.setNextBlockTimestamp(lastAt);
    await f.asPayer.write.joinWithVoucher([f.planId, last.commitment, 3, lastVoucher]);
    assert.equal((await f.pool.read.coverageOf([f.planId, last.commitment])).joined, true);
  });

  it("reverts with WrongVoucherSigner for a voucher signed by someone else than the officer", async () => {
    const identity = createIdentity();
    const voucher = voucherArgument(await signAdmissionVoucher(stranger, await terms(identity.commitment)));
    await f.viem.assertions.revertWithCustomErrorWithArgs(
      f.asPayer.write.joinWithVoucher([f.planId, identity.commitment, 3, voucher]),
      f.pool,
      "HuzhuPool__WrongVoucherSigner",
      [f.planId, stranger.address, officer.address],
    );
  });

  it("reverts with WrongVoucherSigner for the officer's voucher of another commitment (it recovers another address)", async () => {
    const admitted = createIdentity();
    const other = createIdentity();
    const signed = await terms(admitted.commitment);
    const voucher = await signAdmissionVoucher(officer, signed);
    const signer = await recovered(signed, voucher.signature, { planId: f.planId, commitment: other.commitment });
    assert.notEqual(signer, officer.address);
    await f.viem.assertions.revertWithCustomErrorWithArgs(
      f.asPayer.write.joinWithVoucher([f.planId, other.commitment, 3, voucherArgument(voucher)]),
      f.pool,
      "HuzhuPool__WrongVoucherSigner",
      [f.planId, signer, officer.address],
    );
  });

  it("reverts with WrongVoucherSigner for the officer's voucher of another plan with the same officer", async () => {
    const identity = createIdentity();
    const signed = await terms(identity.commitment);
    const voucher = await signAdmissionVoucher(officer, signed);
    const signer = await recovered(signed, voucher.signature, { planId: otherPlan, commitment: identity.commitment });
    await f.viem.assertions.revertWithCustomErrorWithArgs(
      f.asPayer.write.joinWithVoucher([otherPlan, identity.commitment, 3, voucherArgument(voucher)]),
      f.pool,
      "HuzhuPool__WrongVoucherSigner",
      [otherPlan, signer, officer.address],
    );
  });

  it("reverts with WrongVoucherSigner naming the zero address for a signature that is not one", async () => {
    const identity = createIdentity();
    const t = await terms(identity.commitment);
    await f.viem.assertions.revertWithCustomErrorWithArgs(
      f.asPayer.write.joinWithVoucher([f.planId, identity.commitment, 3, { expiresAt: t.expiresAt, signature: `0x${"11".repeat(64)}` }]),
      f.pool,
      "HuzhuPool__WrongVoucherSigner",
      [f.planId, zeroAddress, officer.address],
    );
  });

  it("reverts with PlanClosing for a voucher join once closing is announced", async () => {
    const identity = createIdentity();
    const voucher = voucherArgument(await signAdmissionVoucher(officer, await terms(identity.commitment, { planId: otherPlan })));
    await f.asPlanAdmin.write.announceClosing([otherPlan, await f.pool.read.currentEpoch([otherPlan])]);
    await f.viem.assertions.revertWithCustomErrorWithArgs(
      f.asPayer.write.joinWithVoucher([otherPlan, identity.commitment, 3, voucher]),
      f.pool,
      "HuzhuPool__PlanClosing",
      [otherPlan, await f.pool.read.currentEpoch([otherPlan])],
    );
  });

  it("opens the plan again when the officer is set to the zero address; a voucher then names officer 0", async () => {
    await f.asPlanAdmin.write.setAdmissionOfficer([f.planId, zeroAddress]);
    assert.equal((await f.pool.read.getPlan([f.planId])).admissionRequired, false);
    await f.asPayer.write.join([f.planId, createIdentity().commitment, 3]);
    const identity = createIdentity();
    const voucher = voucherArgument(await signAdmissionVoucher(officer, await terms(identity.commitment)));
    await f.viem.assertions.revertWithCustomErrorWithArgs(
      f.asPayer.write.joinWithVoucher([f.planId, identity.commitment, 3, voucher]),
      f.pool,
      "HuzhuPool__WrongVoucherSigner",
      [f.planId, officer.address, zeroAddress],
    );
  });
});
