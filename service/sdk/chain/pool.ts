/**
 * Reading a Huzhu pool from chain data alone: plans, their books, and the member and assessor
 * trees rebuilt from events (a member needs the whole member tree to prove, and never asks anyone
 * for a Merkle path: asking would reveal which leaf is theirs). Runs in Node and in browsers.
 */
import type { Address, PublicClient } from "viem";
import { ErrorCode, HuzhuError } from "../errors.ts";
import { AssessorTree, MemberTree } from "../trees.ts";
import { huzhuPoolAbi } from "./abi.ts";

/** Where a deployment lives; written by `npm start` and `npm run deploy`. */
export interface DeploymentRecord {
  network: string;
  chainId: number;
  pool: Address;
  verifier: Address;
  /** First block worth scanning for the pool's events. */
  deployBlock: number;
  rpcUrl?: string;
  demoToken?: Address;
  demoPlanId?: number;
}

/** A plan's terms as its creator set them: the parameters of its PlanCreated event. */
export interface PlanTerms {
  name: string;
  admin: Address;
  token: Address;
  contribution: bigint;
  periodLength: bigint;
  waitingPeriods: number;
  claimCap: bigint;
  maxFeeBps: number;
}

export interface PlanInfo extends PlanTerms {
  planId: bigint;
  active: boolean;
  start: bigint;
  currentEpoch: bigint;
  members: bigint;
  memberRoot: bigint;
  assessorRoot: bigint;
  contributed: bigint;
  paidOut: bigint;
  fees: bigint;
  /** contributed - paidOut - fees: what the plan can still pay. */
  balance: bigint;
}

export interface PoolRef {
  client: PublicClient;
  pool: Address;
  /** First block to scan for events (the deployment block). */
  fromBlock?: bigint;
  /** Largest block span per eth_getLogs call (public RPCs limit it). */
  logChunk?: bigint;
}

export async function planCount(ref: PoolRef): Promise<bigint> {
  return ref.client.readContract({ address: ref.pool, abi: huzhuPoolAbi, functionName: "planCount" });
}

export async function readPlan(ref: PoolRef, planId: bigint): Promise<PlanInfo> {
  const c = { address: ref.pool, abi: huzhuPoolAbi } as const;
  const [plan, books, name, admin, epoch, tree, assessorRoot] = await Promise.all([
    ref.client.readContract({ ...c, functionName: "getPlan", args: [planId] }),
    ref.client.readContract({ ...c, functionName: "books", args: [planId] }),
    ref.client.readContract({ ...c, functionName: "planName", args: [planId] }),
    ref.client.readContract({ ...c, functionName: "planAdmin", args: [planId] }),
    ref.client.readContract({ ...c, functionName: "currentEpoch", args: [planId] }),
    ref.client.readContract({ ...c, functionName: "memberTree", args: [planId] }),
    ref.client.readContract({ ...c, functionName: "assessorRoot", args: [planId] }),
  ]);
  return {
    planId,
    name,
    admin,
    token: plan.token,
    contribution: plan.contribution,
    periodLength: plan.periodLength,
    waitingPeriods: plan.waitingPeriods,
    claimCap: plan.claimCap,
    maxFeeBps: plan.maxFeeBps,
    active: plan.active,
    start: plan.start,
    currentEpoch: epoch,
    members: tree[1],
    memberRoot: tree[0],
    assessorRoot,
    contributed: books.contributed,
    paidOut: books.paidOut,
    fees: books.fees,
    balance: books.contributed - books.paidOut - books.fees,
  };
}

export async function listPlans(ref: PoolRef): Promise<PlanInfo[]> {
  const count = await planCount(ref);
  const ids = Array.from({ length: Number(count) }, (_, i) => BigInt(i + 1));
  return Promise.all(ids.map((id) => readPlan(ref, id)));
}

type PoolEventName = "MemberJoined" | "MemberRenewed" | "AssessorAdded" | "AssessorRevoked" | "ClaimPaid" | "PlanCreated";

/** eth_getLogs over [fromBlock, latest] in chunks, ordered by block and log index. */
export async function poolLogs<E extends PoolEventName>(
  ref: PoolRef,
  eventNames: readonly E[],
  args?: { planId?: bigint },
  toBlock?: bigint,
) {
  // Not viem's cached block number (kept for the polling interval): a transaction just confirmed
  // may be in a newer block, and its events would be missed.
  const latest = toBlock ?? (await ref.client.getBlockNumber({ cacheTime: 0 }));
  const chunk = ref.logChunk ?? 50_000n;
  const events = huzhuPoolAbi.filter((item) => item.type === "event" && (eventNames as readonly string[]).includes(item.name));
  const out = [];
  for (let from = ref.fromBlock ?? 0n; from <= latest; from += chunk) {
    const to = from + chunk - 1n < latest ? from + chunk - 1n : latest;
    const logs = await ref.client.getLogs({
      address: ref.pool,
      events,
      // Every event filtered here has `planId` as its first indexed argument.
      args: (args?.planId === undefined ? undefined : { planId: args.planId }) as never,
      fromBlock: from,
      toBlock: to,
      strict: true,
    });
    out.push(...logs);
  }
  out.sort((a, b) => (a.blockNumber === b.blockNumber ? (a.logIndex ?? 0) - (b.logIndex ?? 0) : a.blockNumber < b.blockNumber ? -1 : 1));
  return out as Array<(typeof out)[number] & { eventName: E }>;
}

function treeMismatch(ref: PoolRef, what: string, planId: bigint, block: bigint): HuzhuError {
  return new HuzhuError(
    ErrorCode.TreeMismatch,
    `plan ${planId}'s ${what} rebuilt from the pool's events disagrees with the root the pool recorded in block ${block}: ` +
      `events are missing; read them from the pool's deployment block (fromBlock is ${ref.fromBlock ?? 0n})`,
    { planId: planId.toString(), block: block.toString() },
  );
}

/**
 * The plan's member tree as the contract holds it, rebuilt from MemberJoined / MemberRenewed. Every
 * event carries the root the pool computed, and the rebuilt tree must reach it at each step.
 */
export async function loadMemberTree(ref: PoolRef, planId: bigint): Promise<MemberTree> {
  const tree = new MemberTree();
  for (const log of await poolLogs(ref, ["MemberJoined", "MemberRenewed"], { planId })) {
    const a = log.args as { commitment: bigint; index: bigint; eligibleFrom: bigint; paidThrough: bigint; memberRoot: bigint };
    const record = { commitment: a.commitment, eligibleFrom: a.eligibleFrom, paidThrough: a.paidThrough };
    const joined = log.eventName === "MemberJoined";
    if (joined ? a.index !== BigInt(tree.size) : a.index >= BigInt(tree.size))
      throw treeMismatch(ref, "member tree", planId, log.blockNumber);
    if (joined) tree.add(record);
    else tree.update(Number(a.index), record);
    if (tree.root !== a.memberRoot) throw treeMismatch(ref, "member tree", planId, log.blockNumber);
  }
  return tree;
}

/** The plan's assessor set as the contract holds it, rebuilt from AssessorAdded / AssessorRevoked. */
export async function loadAssessorTree(ref: PoolRef, planId: bigint): Promise<AssessorTree> {
  const tree = new AssessorTree();
  const keys = new Map<bigint, readonly [bigint, bigint]>();
  for (const log of await poolLogs(ref, ["AssessorAdded", "AssessorRevoked"], { planId })) {
    if (log.eventName === "AssessorAdded") {
      const a = log.args as { leaf: bigint; pubKeyX: bigint; pubKeyY: bigint };
      const key = [a.pubKeyX, a.pubKeyY] as const;
      keys.set(a.leaf, key);
      tree.add(key);
    } else {
      const a = log.args as { leaf: bigint };
      const key = keys.get(a.leaf);
      if (!key) throw treeMismatch(ref, "assessor tree", planId, log.blockNumber);
      tree.revoke(key);
    }
    if (tree.root !== (log.args as { assessorRoot: bigint }).assessorRoot)
      throw treeMismatch(ref, "assessor tree", planId, log.blockNumber);
  }
  return tree;
}
