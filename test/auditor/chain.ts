/**
 * A pool with several plans on Hardhat's in-process network, for audits: real deployment, real
 * claim proofs from the SDK, and the tampering the auditor must catch (a verifier that accepts
 * anything, a token whose owner moves the pool's funds, claims whose proof binds other terms).
 */
import { network } from "hardhat";
import { type Address, getAddress, type Hex } from "viem";
import { deployHuzhu } from "../../scripts/lib/deploy.ts";
import {
  type AssessorKey,
  AssessorTree,
  createIdentity,
  generateAssessorKey,
  type Identity,
  MemberTree,
  poolClaimRequest,
  prepareClaim,
  proveClaim,
  randomFieldElement,
  type SolidityProof,
  signApproval,
  toSolidityProof,
} from "../../service/sdk/index.ts";
import { claimArtifacts } from "../../service/sdk/node.ts";
import { freshAddress } from "../contracts/fixture.ts";

export const PERIOD = 30n * 86_400n;

export interface ChainOptions {
  acceptingVerifier?: boolean;
}

interface PlanLocal {
  token: Address;
  memberTree: MemberTree;
  assessorTree: AssessorTree;
  assessors: AssessorKey[];
}

export async function auditChain(options: ChainOptions = {}) {
  const connection = await network.create();
  const { viem, networkHelpers } = connection;
  const wallets = await viem.getWalletClients();
  const account = (i: number) => {
    const wallet = wallets[i];
    if (!wallet) throw new Error("expected three funded accounts");
    return wallet;
  };
  const [admin, payer, relayer] = [account(0), account(1), account(2)];
  const publicClient = await viem.getPublicClient();
  const deployment = await deployHuzhu(viem, { admin: admin.account.address, acceptingVerifier: options.acceptingVerifier ?? false });
  const { pool } = deployment;
  const asPayer = await viem.getContractAt("HuzhuPool", pool.address, { client: { wallet: payer } });
  const asRelayer = await viem.getContractAt("HuzhuPool", pool.address, { client: { wallet: relayer } });
  const plans = new Map<bigint, PlanLocal>();

  async function deployToken(kind: "demo" | "drainable" = "demo"): Promise<Address> {
    const token =
      kind === "demo" ? await viem.deployContract("DemoToken", ["Demo USD", "dUSD", 6]) : await viem.deployContract("DrainableToken");
    const asPayerToken = await viem.getContractAt("DemoToken", token.address, { client: { wallet: payer } });
    await asPayerToken.write.mint([payer.account.address, 10n ** 18n]);
    await asPayerToken.write.approve([pool.address, 2n ** 255n]);
    return token.address;
  }

  /** Creates a plan (admin is the deployer) with `assessors` fresh assessor keys. */
  async function createPlan(token: Address, name: string, assessorCount = 1) {
    await pool.write.createPlan([
      {
        token,
        contribution: 10_000_000n,
        periodLength: PERIOD,
        waitingPeriods: 0,
        claimCap: 5_000_000_000n,
        maxFeeBps: 300,
        admin: admin.account.address,
        name,
      },
    ]);
    const planId = await pool.read.planCount();
    const local: PlanLocal = { token, memberTree: new MemberTree(), assessorTree: new AssessorTree(), assessors: [] };
    plans.set(planId, local);
    for (let i = 0; i < assessorCount; i++) await addAssessor(planId);
    return planId;
  }

  function plan(planId: bigint): PlanLocal {
    const p = plans.get(planId);
    if (!p) throw new Error(`no plan ${planId}`);
    return p;
  }

  async function addAssessor(planId: bigint, key: AssessorKey = generateAssessorKey()) {
    await pool.write.addAssessor([planId, key.publicKey[0], key.publicKey[1]]);
    plan(planId).assessorTree.add(key.publicKey);
    plan(planId).assessors.push(key);
    return key;
  }

  async function revokeAssessor(planId: bigint, key: AssessorKey) {
    const p = plan(planId);
    const path = p.assessorTree.proof(key.publicKey);
    await pool.write.revokeAssessor([planId, key.publicKey[0], key.publicKey[1], path.siblings.slice(0, path.depth)]);
    p.assessorTree.revoke(key.publicKey);
    p.assessors = p.assessors.filter((k) => k !== key);
  }

  async function join(planId: bigint, periods = 24, identity: Identity = createIdentity()) {
    await asPayer.write.join([planId, identity.commitment, periods]);
    const cover = await pool.read.coverageOf([planId, identity.commitment]);
    plan(planId).memberTree.add({
      commitment: identity.commitment,
      eligibleFrom: BigInt(cover.eligibleFrom),
      paidThrough: BigInt(cover.paidThrough),
    });
    return identity;
  }

  async function renew(planId: bigint, identity: Identity, periods = 6) {
    const p = plan(planId);
    const record = p.memberTree.find(identity.commitment);
    if (!record) throw new Error("not a member");
    const path = p.memberTree.proof(record);
    await asPayer.write.renew([planId, identity.commitment, periods, path.siblings.slice(0, path.depth)]);
    const cover = await pool.read.coverageOf([planId, identity.commitment]);
    p.memberTree.update(Number(path.index), {
      ...record,
      eligibleFrom: BigInt(cover.eligibleFrom),
      paidThrough: BigInt(cover.paidThrough),
    });
  }

  interface ClaimTerms {
    amount?: bigint;
    fee?: bigint;
    recipient?: Address;
  }

  /** A real proof for a claim by `identity` in the current epoch, and the pool call's arguments. */
  async function prove(planId: bigint, identity: Identity, terms: ClaimTerms = {}) {
    const p = plan(planId);
    const claimEpoch = await pool.read.currentEpoch([planId]);
    const amount = terms.amount ?? 100_000_000n;
    const fee = terms.fee ?? 1_000_000n;
    const recipient = terms.recipient ?? freshAddress();
    const relayerAddress = getAddress(relayer.account.address);
    const approval = signApproval(p.assessors[0] as AssessorKey, {
      commitment: identity.commitment,
      planId,
      eventId: randomFieldElement(),
      amount,
      expiresAtEpoch: claimEpoch + 2n,
    });
    const contextTerms = { chainId: deployment.chainId, pool: pool.address, planId, recipient, relayer: relayerAddress, fee, gasDrop: 0n };
    const prepared = prepareClaim({
      identity,
      memberTree: p.memberTree,
      assessorTree: p.assessorTree,
      approval,
      claimEpoch,
      context: contextTerms,
    });
    const proof = await proveClaim(prepared, claimArtifacts());
    const memberRootSeq = await pool.read.memberRootSeq([planId, proof.claim.memberRoot]);
    const request = poolClaimRequest(proof.claim, { memberRootSeq, recipient, relayer: relayerAddress, fee, gasDrop: 0n });
    return { request, proof: toSolidityProof(proof.proof) };
  }

  type Request = Awaited<ReturnType<typeof prove>>["request"];

  async function submit(request: Request, proof: SolidityProof): Promise<Hex> {
    const hash = await asRelayer.write.claim([request, proof as never]);
    await publicClient.waitForTransactionReceipt({ hash });
    return hash;
  }

  /** Proves and pays a claim; returns the transaction hash. */
  async function claim(planId: bigint, identity: Identity, terms: ClaimTerms = {}): Promise<Hex> {
    const { request, proof } = await prove(planId, identity, terms);
    return submit(request, proof);
  }

  async function advanceEpochs(epochs: number) {
    await networkHelpers.time.increase(Number(PERIOD) * epochs);
  }

  return {
    connection,
    viem,
    networkHelpers,
    publicClient,
    deployment,
    pool,
    accounts: { admin, payer, relayer },
    deployToken,
    createPlan,
    addAssessor,
    revokeAssessor,
    join,
    renew,
    prove,
    submit,
    claim,
    advanceEpochs,
    plan,
  };
}

export type AuditChain = Awaited<ReturnType<typeof auditChain>>;
