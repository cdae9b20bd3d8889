/**
 * Contract test fixture on Hardhat's in-process network: the real deployment (libraries, generated
 * verifier, pool), a demo token, one plan with three assessors, and helpers that join members and
 * build real claim proofs with the SDK from what the chain holds.
 */
import { network } from "hardhat";
import { type Address, getAddress } from "viem";
import { deployHuzhu } from "../../scripts/lib/deploy.ts";
import {
  type AssessorKey,
  AssessorTree,
  type ClaimProof,
  claimContext,
  createIdentity,
  generateAssessorKey,
  type Identity,
  MemberTree,
  poolClaimRequest,
  prepareClaim,
  proveClaim,
  randomFieldElement,
  signApproval,
  toSolidityProof,
} from "../../service/sdk/index.ts";
import { claimArtifacts } from "../../service/sdk/node.ts";

export const DAY = 86_400n;
export const PLAN = {
  contribution: 10_000_000n, // 10 tokens (6 decimals) per period
  periodLength: 30n * DAY,
  waitingPeriods: 2,
  claimCap: 5_000_000_000n, // 5,000 tokens
  maxFeeBps: 300, // 3%
};

export interface FixtureOptions {
  /** Pay the plan in ReentrantToken, which calls back into the pool on transfers out. */
  reentrantToken?: boolean;
  /** Deploy a verifier that accepts every proof (property tests of the accounting only). */
  acceptingVerifier?: boolean;
}

export async function poolFixture(options: FixtureOptions = {}) {
  const connection = await network.create();
  const { viem, networkHelpers } = connection;
  const wallets = await viem.getWalletClients();
  const [admin, planAdmin, payer, relayer, outsider] = [0, 1, 2, 3, 4].map((i) => {
    const wallet = wallets[i];
    if (!wallet) throw new Error("expected five funded accounts");
    return wallet;
  }) as [
    NonNullable<(typeof wallets)[0]>,
    NonNullable<(typeof wallets)[0]>,
    NonNullable<(typeof wallets)[0]>,
    NonNullable<(typeof wallets)[0]>,
    NonNullable<(typeof wallets)[0]>,
  ];
  const publicClient = await viem.getPublicClient();
  const deployment = await deployHuzhu(viem, { admin: admin.account.address, acceptingVerifier: options.acceptingVerifier ?? false });
  const { pool } = deployment;
  const tokenAddress = options.reentrantToken
    ? (await viem.deployContract("ReentrantToken")).address
    : (await viem.deployContract("DemoToken", ["Demo USD", "dUSD", 6])).address;
  // Both tokens share the ERC-20 and mint functions tests use.
  const token = await viem.getContractAt("DemoToken", tokenAddress);

  await pool.write.createPlan([
    {
      token: token.address,
      contribution: PLAN.contribution,
      periodLength: PLAN.periodLength,
      waitingPeriods: PLAN.waitingPeriods,
      claimCap: PLAN.claimCap,
      maxFeeBps: PLAN.maxFeeBps,
      admin: planAdmin.account.address,
      name: "Medical",
    },
  ]);
  const planId = 1n;
  const asPlanAdmin = await viem.getContractAt("HuzhuPool", pool.address, { client: { wallet: planAdmin } });
  const asPayer = await viem.getContractAt("HuzhuPool", pool.address, { client: { wallet: payer } });
  const asRelayer = await viem.getContractAt("HuzhuPool", pool.address, { client: { wallet: relayer } });
  const asOutsider = await viem.getContractAt("HuzhuPool", pool.address, { client: { wallet: outsider } });

  const assessors: AssessorKey[] = [generateAssessorKey(), generateAssessorKey(), generateAssessorKey()];
  const assessorTree = new AssessorTree();
  for (const key of assessors) {
    await asPlanAdmin.write.addAssessor([planId, key.publicKey[0], key.publicKey[1]]);
    assessorTree.add(key.publicKey);
  }
  await token.write.mint([payer.account.address, 10n ** 15n]);
  const payerToken = await viem.getContractAt("ReentrantToken", token.address, { client: { wallet: payer } });
  await payerToken.write.approve([pool.address, 2n ** 255n]);

  const memberTree = new MemberTree();

  /** Joins a fresh identity for `periods` periods, paid by `payer`; mirrors the leaf locally. */
  async function join(periods = 24, identity: Identity = createIdentity()) {
    await asPayer.write.join([planId, identity.commitment, periods]);
    const cover = await pool.read.coverageOf([planId, identity.commitment]);
    memberTree.add({ commitment: identity.commitment, eligibleFrom: BigInt(cover.eligibleFrom), paidThrough: BigInt(cover.paidThrough) });
    return identity;
  }

  /** Adds the same assessors to another pool's plan 1 (same keys, same order). */
  async function copyAssessorsTo(otherPool: Address) {
    const other = await viem.getContractAt("HuzhuPool", otherPool, { client: { wallet: planAdmin } });
    for (const key of assessors) await other.write.addAssessor([planId, key.publicKey[0], key.publicKey[1]]);
  }

  async function currentEpoch() {
    return pool.read.currentEpoch([planId]);
  }

  /** Moves time forward by whole periods. */
  async function advanceEpochs(epochs: number) {
    await networkHelpers.time.increase(Number(PLAN.periodLength) * epochs);
  }

  interface ClaimTerms {
    identity: Identity;
    amount?: bigint;
    fee?: bigint;
    /** Native coin sent with the claim for the recipient (default none). */
    gasDrop?: bigint;
    recipient?: Address;
    relayer?: Address;
    assessor?: AssessorKey;
    expiresInEpochs?: bigint;
    claimEpoch?: bigint;
    eventId?: bigint;
  }

  /** An approval, a real proof, and the contract call arguments for a claim. */
  async function makeClaim(terms: ClaimTerms) {
    const claimEpoch = terms.claimEpoch ?? (await currentEpoch());
    const amount = terms.amount ?? 1_000_000_000n;
    const fee = terms.fee ?? 20_000_000n;
    const gasDrop = terms.gasDrop ?? 0n;
    const recipient = terms.recipient ?? freshAddress();
    const relayerAddress = getAddress(terms.relayer ?? relayer.account.address);
    const approval = signApproval(terms.assessor ?? (assessors[0] as AssessorKey), {
      commitment: terms.identity.commitment,
      planId,
      eventId: terms.eventId ?? randomFieldElement(),
      amount,
      expiresAtEpoch: claimEpoch + (terms.expiresInEpochs ?? 2n),
    });
    const contextTerms = { chainId: deployment.chainId, pool: pool.address, planId, recipient, relayer: relayerAddress, fee, gasDrop };
    const prepared = prepareClaim({ identity: terms.identity, memberTree, assessorTree, approval, claimEpoch, context: contextTerms });
    const proof: ClaimProof = await proveClaim(prepared, claimArtifacts());
    const memberRootSeq = await pool.read.memberRootSeq([planId, proof.claim.memberRoot]);
    const request = poolClaimRequest(proof.claim, { memberRootSeq, recipient, relayer: relayerAddress, fee, gasDrop });
    return { request, proof: toSolidityProof(proof.proof), raw: proof, context: claimContext(contextTerms), approval };
  }

  return {
    connection,
    viem,
    networkHelpers,
    publicClient,
    deployment,
    pool,
    token,
    planId,
    accounts: { admin, planAdmin, payer, relayer, outsider },
    asPlanAdmin,
    asPayer,
    asRelayer,
    asOutsider,
    assessors,
    assessorTree,
    memberTree,
    join,
    currentEpoch,
    advanceEpochs,
    makeClaim,
    copyAssessorsTo,
  };
}

let addressCounter = 0x1000n;
/** A fresh address that has never held tokens (a member's one-time payout address). */
export function freshAddress(): Address {
  addressCounter += 1n;
  return getAddress(`0x${(0xc1a10000000000000000000000000000000000n + addressCounter).toString(16).padStart(40, "0")}`);
}

export type PoolFixture = Awaited<ReturnType<typeof poolFixture>>;

/** The fixture plan's rules for another plan in the same pool, paid in the same token. */
export async function planParams(f: PoolFixture, name = "Education") {
  return {
    token: f.token.address,
    contribution: PLAN.contribution,
    periodLength: PLAN.periodLength,
    waitingPeriods: PLAN.waitingPeriods,
    claimCap: PLAN.claimCap,
    maxFeeBps: PLAN.maxFeeBps,
    admin: f.accounts.planAdmin.account.address,
    name,
  };
}
