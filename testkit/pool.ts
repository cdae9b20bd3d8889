/**
 * The pool on Hardhat's in-process network, the one way tests and benches build it: the real
 * deployment (libraries, generated verifier, pool), tokens, plans with assessor keys, members who
 * join and renew by paying, and claims with real proofs from the SDK, paid by the relayer account.
 *
 * The kit keeps each plan's member and assessor trees as the SDK builds them from what the chain
 * holds, so a claim's proof is made as a member's device makes it. `snapshot()` rewinds the chain
 * and rebuilds those trees from its events, as a reorganisation leaves them.
 *
 * Presets: `poolFixture` (one plan with a waiting period and three assessors, for the contract
 * tests and the gas benchmark) and `treePool` (one cheap plan for the member-tree tests and the
 * scale benchmark). The audit and payout tests use `poolKit` itself with several plans.
 */
import { network } from "hardhat";
import { type Address, getAddress, type Hex, type PublicClient } from "viem";
import { deployHuzhu } from "../scripts/lib/deploy.ts";
import { loadAssessorTree, loadMemberTree, type PoolRef } from "../service/sdk/chain/pool.ts";
import {
  type AssessorKey,
  AssessorTree,
  type ClaimProof,
  claimContext,
  createIdentity,
  generateAssessorKey,
  type Identity,
  MemberTree,
  type PreparedClaim,
  poolClaimRequest,
  prepareClaim,
  proveClaim,
  randomFieldElement,
  type SolidityProof,
  signApproval,
  toSolidityProof,
} from "../service/sdk/index.ts";
import { claimArtifacts } from "../service/sdk/node.ts";
import { updateSiblings } from "../service/sdk/tree-update.ts";

export const DAY = 86_400n;
export const PERIOD = 30n * DAY;

/** A plan's rules as `createPlan` takes them (without its token, admin and name). */
export interface PlanRules {
  contribution: bigint;
  periodLength: bigint;
  waitingPeriods: number;
  claimCap: bigint;
  maxFeeBps: number;
}

/** The rules a kit plan has unless told otherwise: 10 tokens (6 decimals) a period, no waiting period. */
export const RULES: PlanRules = {
  contribution: 10_000_000n,
  periodLength: PERIOD,
  waitingPeriods: 0,
  claimCap: 5_000_000_000n,
  maxFeeBps: 300,
};

export type TokenKind =
  /** DemoToken: an ordinary ERC-20 with a public mint. */
  | "demo"
  /** DrainableToken: its owner can move any holder's tokens (the auditor must notice). */
  | "drainable"
  /** ReentrantToken: calls back into the pool on transfers out. */
  | "reentrant";

export interface KitOptions {
  /** Deploy a verifier that accepts every proof (property tests of the accounting only). */
  acceptingVerifier?: boolean;
  /** A node to deploy on (a `hardhat node` on 127.0.0.1, say) instead of the in-process network. */
  rpcUrl?: string;
  /**
   * Which of the network's accounts plays each part (default 0 to 4 in the order admin, plan
   * admin, payer, relayer, outsider). On a node shared with a relayer process, keep the kit off
   * the relayer's account: two senders of one account race for its nonces.
   */
  roles?: Partial<Record<Role, number>>;
}

export type Role = "admin" | "planAdmin" | "payer" | "relayer" | "outsider";
const DEFAULT_ROLES: Record<Role, number> = { admin: 0, planAdmin: 1, payer: 2, relayer: 3, outsider: 4 };

export interface PlanOptions {
  rules?: Partial<PlanRules>;
  /** Fresh assessor keys to add (default 1). */
  assessors?: number;
}

/** What the kit keeps of a plan: as a member's device and its assessors hold them. */
export interface KitPlan {
  token: Address;
  rules: PlanRules;
  memberTree: MemberTree;
  assessorTree: AssessorTree;
  /** The plan's active assessor keys, in the order they were added. */
  assessors: AssessorKey[];
}

export interface ClaimTerms {
  amount?: bigint;
  fee?: bigint;
  /** Native coin sent with the claim for the recipient (default none). */
  gasDrop?: bigint;
  recipient?: Address;
  relayer?: Address;
  /** The approving key (default the plan's first assessor). */
  assessor?: AssessorKey;
  expiresInEpochs?: bigint;
  claimEpoch?: bigint;
  eventId?: bigint;
  /** Makes the proof (default the SDK's prover with the built artifacts; a benchmark may cache). */
  prover?: (prepared: PreparedClaim) => Promise<ClaimProof>;
}

/** The claim defaults of the kit: 100 tokens, a fee of 1. */
export const CLAIM_DEFAULTS = { amount: 100_000_000n, fee: 1_000_000n } as const;

export async function poolKit(options: KitOptions = {}) {
  const connection = options.rpcUrl
    ? await network.create({ network: "localhost", override: { url: options.rpcUrl } })
    : await network.create();
  const { viem, networkHelpers } = connection;
  const wallets = await viem.getWalletClients();
  const roles = { ...DEFAULT_ROLES, ...options.roles };
  const wallet = (role: Role) => {
    const found = wallets[roles[role]];
    if (!found) throw new Error(`the network has no account ${roles[role]} for the ${role}`);
    return found;
  };
  const accounts = {
    admin: wallet("admin"),
    planAdmin: wallet("planAdmin"),
    payer: wallet("payer"),
    relayer: wallet("relayer"),
    outsider: wallet("outsider"),
  };
  const publicClient = await viem.getPublicClient();
  const deployment = await deployHuzhu(viem, {
    admin: accounts.admin.account.address,
    acceptingVerifier: options.acceptingVerifier ?? false,
  });
  const { pool } = deployment;
  const as = (who: keyof typeof accounts) => viem.getContractAt("HuzhuPool", pool.address, { client: { wallet: accounts[who] } });
  const [asPlanAdmin, asPayer, asRelayer, asOutsider] = await Promise.all([as("planAdmin"), as("payer"), as("relayer"), as("outsider")]);
  const ref: PoolRef = { client: publicClient as unknown as PublicClient, pool: pool.address, fromBlock: deployment.deployBlock };
  const plans = new Map<bigint, KitPlan>();
  /** Waits for a transaction the kit sent, and fails naming it if it reverted. */
  const mined = async (sent: Promise<Hex>): Promise<Hex> => {
    const hash = await sent;
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted`);
    return hash;
  };

  /** Deploys a token, mints `mint` to the payer and approves the pool for any amount. */
  async function deployToken(kind: TokenKind = "demo", mint = 10n ** 18n): Promise<Address> {
    const deployed =
      kind === "demo"
        ? await viem.deployContract("DemoToken", ["Demo USD", "dUSD", 6])
        : await viem.deployContract(kind === "drainable" ? "DrainableToken" : "ReentrantToken");
    // Every kind has DemoToken's ERC-20 and mint functions.
    const asPayerToken = await viem.getContractAt("DemoToken", deployed.address, { client: { wallet: accounts.payer } });
    await mined(asPayerToken.write.mint([accounts.payer.account.address, mint]));
    await mined(asPayerToken.write.approve([pool.address, 2n ** 255n]));
    return deployed.address;
  }

  function plan(planId: bigint): KitPlan {
    const found = plans.get(planId);
    if (!found) throw new Error(`no plan ${planId} in this kit`);
    return found;
  }

  /** The plan administrator adds `key` (a fresh one by default) to the plan's assessors. */
  async function addAssessor(planId: bigint, key: AssessorKey = generateAssessorKey()) {
    await mined(asPlanAdmin.write.addAssessor([planId, key.publicKey[0], key.publicKey[1]]));
    plan(planId).assessorTree.add(key.publicKey);
    plan(planId).assessors.push(key);
    return key;
  }

  /** Creates a plan paid in `token`, administered by the plan-admin account, and adds its assessors. */
  async function createPlan(token: Address, name: string, planOptions: PlanOptions = {}): Promise<bigint> {
    const rules = { ...RULES, ...planOptions.rules };
    await mined(pool.write.createPlan([{ token, ...rules, admin: accounts.planAdmin.account.address, name }]));
    const planId = await pool.read.planCount();
    plans.set(planId, { token, rules, memberTree: new MemberTree(), assessorTree: new AssessorTree(), assessors: [] });
    for (let i = 0; i < (planOptions.assessors ?? 1); i++) await addAssessor(planId);
    return planId;
  }

  async function revokeAssessor(planId: bigint, key: AssessorKey) {
    const p = plan(planId);
    const path = p.assessorTree.proof(key.publicKey);
    await mined(asPlanAdmin.write.revokeAssessor([planId, key.publicKey[0], key.publicKey[1], updateSiblings(path)]));
    p.assessorTree.revoke(key.publicKey);
    p.assessors = p.assessors.filter((k) => k !== key);
  }

  /** The payer joins `identity` (a fresh one by default) to the plan for `periods` periods. */
  async function join(planId: bigint, periods = 24, identity: Identity = createIdentity()) {
    await mined(asPayer.write.join([planId, identity.commitment, periods]));
    const cover = await pool.read.coverageOf([planId, identity.commitment]);
    plan(planId).memberTree.add({
      commitment: identity.commitment,
      eligibleFrom: BigInt(cover.eligibleFrom),
      paidThrough: BigInt(cover.paidThrough),
    });
    return identity;
  }

  async function joinMany(planId: bigint, count: number, periods = 24): Promise<Identity[]> {
    const joined: Identity[] = [];
    for (let i = 0; i < count; i++) joined.push(await join(planId, periods));
    return joined;
  }

  /** The payer renews `identity` for `periods` more periods, with its path in the plan's member tree. */
  async function renew(planId: bigint, identity: Identity, periods = 6) {
    const p = plan(planId);
    const record = p.memberTree.find(identity.commitment);
    if (!record) throw new Error("not a member of this plan");
    const path = p.memberTree.proof(record);
    await mined(asPayer.write.renew([planId, identity.commitment, periods, updateSiblings(path)]));
    const cover = await pool.read.coverageOf([planId, identity.commitment]);
    p.memberTree.update(Number(path.index), {
      ...record,
      eligibleFrom: BigInt(cover.eligibleFrom),
      paidThrough: BigInt(cover.paidThrough),
    });
  }

  async function currentEpoch(planId: bigint): Promise<bigint> {
    return pool.read.currentEpoch([planId]);
  }

  /** The member tree's root as the pool holds it. */
  async function chainRoot(planId: bigint): Promise<bigint> {
    const [root] = await pool.read.memberTree([planId]);
    return root;
  }

  /** Moves time forward by whole periods (of 30 days unless told). */
  async function advanceEpochs(epochs: number, periodLength = PERIOD) {
    await networkHelpers.time.increase(Number(periodLength) * epochs);
  }

  /** An assessor's approval for `identity`, a real proof of the claim, and the pool call's arguments. */
  async function makeClaim(planId: bigint, identity: Identity, terms: ClaimTerms = {}) {
    const p = plan(planId);
    const claimEpoch = terms.claimEpoch ?? (await currentEpoch(planId));
    const amount = terms.amount ?? CLAIM_DEFAULTS.amount;
    const fee = terms.fee ?? CLAIM_DEFAULTS.fee;
    const gasDrop = terms.gasDrop ?? 0n;
    const recipient = terms.recipient ?? freshAddress();
    const relayer = getAddress(terms.relayer ?? accounts.relayer.account.address);
    const assessor = terms.assessor ?? p.assessors[0];
    if (!assessor) throw new Error(`plan ${planId} has no assessor to approve the claim`);
    const approval = signApproval(assessor, {
      commitment: identity.commitment,
      planId,
      eventId: terms.eventId ?? randomFieldElement(),
      amount,
      expiresAtEpoch: claimEpoch + (terms.expiresInEpochs ?? 2n),
    });
    const contextTerms = { chainId: deployment.chainId, pool: pool.address, planId, recipient, relayer, fee, gasDrop };
    const prepared = prepareClaim({
      identity,
      memberTree: p.memberTree,
      assessorTree: p.assessorTree,
      approval,
      claimEpoch,
      context: contextTerms,
    });
    const raw: ClaimProof = await (terms.prover ?? ((claim) => proveClaim(claim, claimArtifacts())))(prepared);
    const memberRootSeq = await pool.read.memberRootSeq([planId, raw.claim.memberRoot]);
    const request = poolClaimRequest(raw.claim, { memberRootSeq, recipient, relayer, fee, gasDrop });
    return { request, proof: toSolidityProof(raw.proof), raw, context: claimContext(contextTerms), approval };
  }

  type Request = Awaited<ReturnType<typeof makeClaim>>["request"];

  /** The relayer account sends the claim and waits for its receipt. */
  async function submit(request: Request, proof: SolidityProof): Promise<Hex> {
    return mined(asRelayer.write.claim([request, proof as never]));
  }

  /** Proves and pays a claim; returns the transaction hash. */
  async function claim(planId: bigint, identity: Identity, terms: ClaimTerms = {}): Promise<Hex> {
    const { request, proof } = await makeClaim(planId, identity, terms);
    return submit(request, proof);
  }

  /**
   * Remembers the chain as it is. `restore()` rewinds it (a reorganisation drops what came after)
   * and rebuilds every plan's trees from the events that stayed; keys added since are forgotten.
   */
  async function snapshot() {
    const taken = await networkHelpers.takeSnapshot();
    return {
      async restore() {
        await taken.restore();
        for (const [planId, p] of plans) {
          p.memberTree = await loadMemberTree(ref, planId);
          p.assessorTree = await loadAssessorTree(ref, planId);
          p.assessors = p.assessors.filter((key) => p.assessorTree.has(key.publicKey));
        }
      },
    };
  }

  return {
    connection,
    viem,
    networkHelpers,
    publicClient,
    deployment,
    pool,
    ref,
    accounts,
    asPlanAdmin,
    asPayer,
    asRelayer,
    asOutsider,
    deployToken,
    createPlan,
    plan,
    addAssessor,
    revokeAssessor,
    join,
    joinMany,
    renew,
    currentEpoch,
    chainRoot,
    advanceEpochs,
    makeClaim,
    submit,
    claim,
    snapshot,
  };
}

export type PoolKit = Awaited<ReturnType<typeof poolKit>>;

let addressCounter = 0x1000n;
/** A fresh address that has never held tokens (a member's one-time payout address). */
export function freshAddress(): Address {
  addressCounter += 1n;
  return getAddress(`0x${(0xc1a10000000000000000000000000000000000n + addressCounter).toString(16).padStart(40, "0")}`);
}

/** The contract tests' plan: a two-period waiting period and a cap of 5,000 tokens. */
export const PLAN: PlanRules = { ...RULES, waitingPeriods: 2 };

export interface FixtureOptions extends KitOptions {
  /** Pay the plan in ReentrantToken, which calls back into the pool on transfers out. */
  reentrantToken?: boolean;
}

/** `ClaimTerms` with the claiming member, as the contract tests write them. */
export interface FixtureClaimTerms extends ClaimTerms {
  identity: Identity;
}

/**
 * The contract tests' pool: plan 1 ("Medical", PLAN's rules) administered by the plan-admin
 * account with three assessors, the payer holding 10^15 token units; claims of 1,000 tokens with a
 * fee of 20 unless told otherwise.
 */
export async function poolFixture(options: FixtureOptions = {}) {
  const kit = await poolKit(options);
  const tokenAddress = await kit.deployToken(options.reentrantToken ? "reentrant" : "demo", 10n ** 15n);
  const planId = await kit.createPlan(tokenAddress, "Medical", { rules: PLAN, assessors: 3 });
  // Both tokens share the ERC-20 and mint functions tests use.
  const token = await kit.viem.getContractAt("DemoToken", tokenAddress);
  const { memberTree, assessorTree, assessors } = kit.plan(planId);

  /** Adds the same assessors to another pool's plan 1 (same keys, same order). */
  async function copyAssessorsTo(otherPool: Address) {
    const other = await kit.viem.getContractAt("HuzhuPool", otherPool, { client: { wallet: kit.accounts.planAdmin } });
    for (const key of assessors) await other.write.addAssessor([planId, key.publicKey[0], key.publicKey[1]]);
  }

  return {
    ...kit,
    kit,
    token,
    planId,
    assessors,
    assessorTree,
    memberTree,
    join: (periods = 24, identity: Identity = createIdentity()) => kit.join(planId, periods, identity),
    currentEpoch: () => kit.currentEpoch(planId),
    advanceEpochs: (epochs: number) => kit.advanceEpochs(epochs, PLAN.periodLength),
    makeClaim: ({ identity, ...terms }: FixtureClaimTerms) =>
      kit.makeClaim(planId, identity, { amount: 1_000_000_000n, fee: 20_000_000n, ...terms }),
    copyAssessorsTo,
  };
}

export type PoolFixture = Awaited<ReturnType<typeof poolFixture>>;

/** The fixture plan's rules for another plan in the same pool, paid in the same token. */
export async function planParams(f: PoolFixture, name = "Education") {
  return { token: f.token.address, ...PLAN, admin: f.accounts.planAdmin.account.address, name };
}

/**
 * The member-tree tests' pool: one plan ("scale", 1,000 token units a period, no waiting period)
 * with no assessor, its calls bound to that plan.
 */
export async function treePool() {
  const kit = await poolKit();
  const token = await kit.deployToken();
  const planId = await kit.createPlan(token, "scale", { rules: { contribution: 1_000n, claimCap: 10n ** 12n }, assessors: 0 });
  return {
    ...kit,
    planId,
    join: (identity: Identity = createIdentity(), periods = 12) => kit.join(planId, periods, identity),
    joinMany: (count: number) => kit.joinMany(planId, count, 12),
    renew: (identity: Identity, periods = 6) => kit.renew(planId, identity, periods),
    addAssessor: (key?: AssessorKey) => kit.addAssessor(planId, key),
    chainRoot: () => kit.chainRoot(planId),
  };
}

export type TreePool = Awaited<ReturnType<typeof treePool>>;
