/**
 * Reading a Huzhu pool from chain data alone: plans, their books, and the member and assessor
 * trees rebuilt from events (a member needs the whole member tree to prove, and never asks anyone
 * for a Merkle path: asking would reveal which leaf is theirs). Runs in Node and in browsers.
 */
import { type Address, type PublicClient, zeroAddress } from "viem";
import type { PublicKey } from "../encoding.ts";
import { ErrorCode, HuzhuError } from "../errors.ts";
import { categoryName, type PlanDocument } from "../plan-terms.ts";
import { AssessorTree, type MemberRecord, MemberTree } from "../trees.ts";
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
  /** Gifts to the pool (`donate`), counted apart from members' contributions. */
  donated: bigint;
  paidOut: bigint;
  fees: bigint;
  /** Paid back to the wallets that paid, after the plan closed. */
  refunded: bigint;
  /** contributed + donated - paidOut - fees - refunded: what the plan can still pay. */
  balance: bigint;
  /** Its category and terms document (termsHash 0 when its admin has set none). */
  document: PlanDocument;
  /** Epochs after its closing epoch in which claims (as of the closing epoch) are still paid. */
  claimGracePeriods: number;
  /** Its closing timetable, once its admin announced it. */
  closing?: ClosingTimetable;
  /** Whether every join needs its admission officer's voucher. */
  admissionRequired: boolean;
}

/** A closing plan's timetable and refunds, as the pool reports them (closingOf). */
export interface ClosingTimetable {
  /** The plan's last epoch of cover. */
  closingEpoch: bigint;
  /** Claims as of the closing epoch are paid through this epoch (closingEpoch + claim grace periods). */
  lastClaimEpoch: bigint;
  /** Unix time the claims end and refund registration opens. */
  refundsFrom: bigint;
  /** Unix time registration closes and registered wallets may withdraw. */
  refundsPayableFrom: bigint;
  /** Periods registered and not yet withdrawn. */
  unpaidPeriods: bigint;
  refunded: bigint;
}

export interface PoolRef {
  client: PublicClient;
  pool: Address;
  /** First block to scan for events (the deployment block). */
  fromBlock?: bigint;
  /** Largest block span per eth_getLogs call (public RPCs limit it); default 50,000. */
  logChunk?: bigint;
  /**
   * Tries per eth_getLogs call before a scan gives up (default 4). A failed call is tried again
   * after a pause, over half the span (providers refuse a range or a result that is too large).
   */
  logRetries?: number;
}

export async function planCount(ref: PoolRef): Promise<bigint> {
  return ref.client.readContract({ address: ref.pool, abi: huzhuPoolAbi, functionName: "planCount" });
}

/** The address a plan's admin proposed as the next admin (it takes over by accepting), or undefined when none is proposed. */
export async function pendingPlanAdmin(ref: Pick<PoolRef, "client" | "pool">, planId: bigint): Promise<Address | undefined> {
  const pending = await ref.client.readContract({ address: ref.pool, abi: huzhuPoolAbi, functionName: "pendingPlanAdmin", args: [planId] });
  return pending === zeroAddress ? undefined : pending;
}

export async function readPlan(ref: PoolRef, planId: bigint): Promise<PlanInfo> {
  const c = { address: ref.pool, abi: huzhuPoolAbi } as const;
  const [plan, books, name, admin, epoch, tree, assessorRoot, terms, closing] = await Promise.all([
    ref.client.readContract({ ...c, functionName: "getPlan", args: [planId] }),
    ref.client.readContract({ ...c, functionName: "books", args: [planId] }),
    ref.client.readContract({ ...c, functionName: "planName", args: [planId] }),
    ref.client.readContract({ ...c, functionName: "planAdmin", args: [planId] }),
    ref.client.readContract({ ...c, functionName: "currentEpoch", args: [planId] }),
    ref.client.readContract({ ...c, functionName: "memberTree", args: [planId] }),
    ref.client.readContract({ ...c, functionName: "assessorRoot", args: [planId] }),
    ref.client.readContract({ ...c, functionName: "planTerms", args: [planId] }),
    ref.client.readContract({ ...c, functionName: "closingOf", args: [planId] }),
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
    donated: books.donated,
    paidOut: books.paidOut,
    fees: books.fees,
    refunded: books.refunded,
    balance: books.contributed + books.donated - books.paidOut - books.fees - books.refunded,
    document: { category: categoryName(terms.category), termsHash: terms.termsHash, termsUri: terms.termsUri },
    claimGracePeriods: plan.claimGracePeriods,
    ...(closing.announced
      ? {
          closing: {
            closingEpoch: BigInt(closing.closingEpoch),
            lastClaimEpoch: BigInt(closing.lastClaimEpoch),
            refundsFrom: closing.refundsFrom,
            refundsPayableFrom: closing.refundsPayableFrom,
            unpaidPeriods: closing.unpaidPeriods,
            refunded: closing.refunded,
          },
        }
      : {}),
    admissionRequired: plan.admissionRequired,
  };
}

export async function listPlans(ref: PoolRef): Promise<PlanInfo[]> {
  const count = await planCount(ref);
  const ids = Array.from({ length: Number(count) }, (_, i) => BigInt(i + 1));
  return Promise.all(ids.map((id) => readPlan(ref, id)));
}

type PoolEventName =
  | "MemberJoined"
  | "MemberRenewed"
  | "DonationReceived"
  | "AssessorAdded"
  | "AssessorRevoked"
  | "ClaimPaid"
  | "PlanCreated"
  | "ClaimGracePeriodsSet"
  | "ClosingAnnounced"
  | "RefundRegistered"
  | "Refunded";

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
  const events = huzhuPoolAbi.filter((item) => item.type === "event" && (eventNames as readonly string[]).includes(item.name));
  const fetchRange = (fromBlock: bigint, to: bigint) =>
    ref.client.getLogs({
      address: ref.pool,
      events,
      // Every event filtered here has `planId` as its first indexed argument.
      args: (args?.planId === undefined ? undefined : { planId: args.planId }) as never,
      fromBlock,
      toBlock: to,
      strict: true,
    });
  const out: Awaited<ReturnType<typeof fetchRange>> = [];
  await scanRanges(ref, ref.fromBlock ?? 0n, latest, async (from, to) => {
    out.push(...(await fetchRange(from, to)));
  });
  out.sort((a, b) => (a.blockNumber === b.blockNumber ? (a.logIndex ?? 0) - (b.logIndex ?? 0) : a.blockNumber < b.blockNumber ? -1 : 1));
  return out as Array<(typeof out)[number] & { eventName: E }>;
}

/** What the provider said (viem keeps it in `details`), else the error's first line. */
function providerReason(error: unknown): string {
  const details = (error as { details?: unknown }).details;
  return typeof details === "string" && details !== "" ? details : (String((error as Error).message).split("\n")[0] ?? "");
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls `read` over [from, to] in spans of at most `ref.logChunk` blocks, in order. A span that
 * fails is tried again after a pause over half as many blocks (a provider's range or result limit),
 * up to `ref.logRetries` tries; the span then stays at that size for the rest of the scan.
 */
export async function scanRanges(
  ref: Pick<PoolRef, "logChunk" | "logRetries">,
  from: bigint,
  to: bigint,
  read: (from: bigint, to: bigint) => Promise<void>,
): Promise<void> {
  let chunk = ref.logChunk ?? 50_000n;
  const tries = Math.max(1, ref.logRetries ?? 4);
  for (let start = from; start <= to; ) {
    for (let attempt = 1; ; attempt++) {
      const end = start + chunk - 1n < to ? start + chunk - 1n : to;
      try {
        await read(start, end);
        start = end + 1n;
        break;
      } catch (error) {
        if (attempt >= tries) {
          throw new HuzhuError(
            ErrorCode.ChainLogsFailed,
            `eth_getLogs over blocks ${start}-${end} failed ${tries} times (${providerReason(error)}): ` +
              "check the RPC endpoint, or give a smaller log span (logChunk / --log-chunk)",
            {},
            { cause: error },
          );
        }
        if (chunk > 1n) chunk /= 2n;
        await sleep(100 * 2 ** (attempt - 1));
      }
    }
  }
}

function treeMismatch(ref: PoolRef, what: string, planId: bigint, block: bigint): HuzhuError {
  return new HuzhuError(
    ErrorCode.TreeMismatch,
    `plan ${planId}'s ${what} rebuilt from the pool's events disagrees with the root the pool recorded in block ${block}: ` +
      `events are missing; read them from the pool's deployment block (fromBlock is ${ref.fromBlock ?? 0n})`,
    { planId: planId.toString(), block: block.toString() },
  );
}

/** A join or renewal as the pool logged it: the member's record, its leaf index and the root after it. */
export interface MemberEvent {
  joined: boolean;
  index: number;
  record: MemberRecord;
  memberRoot: bigint;
  blockNumber: bigint;
  blockHash: `0x${string}`;
  logIndex: number;
  planId: bigint;
}

/** Every MemberJoined / MemberRenewed of `planId` (every plan's if undefined) in block order. */
export async function memberEvents(ref: PoolRef, planId?: bigint, toBlock?: bigint): Promise<MemberEvent[]> {
  const logs = await poolLogs(ref, ["MemberJoined", "MemberRenewed"], planId === undefined ? undefined : { planId }, toBlock);
  return logs.map((log) => {
    const a = log.args as {
      planId: bigint;
      commitment: bigint;
      index: bigint;
      eligibleFrom: bigint;
      paidThrough: bigint;
      memberRoot: bigint;
    };
    return {
      joined: log.eventName === "MemberJoined",
      index: Number(a.index),
      record: { commitment: a.commitment, eligibleFrom: a.eligibleFrom, paidThrough: a.paidThrough },
      memberRoot: a.memberRoot,
      blockNumber: log.blockNumber,
      blockHash: log.blockHash,
      logIndex: log.logIndex ?? 0,
      planId: a.planId,
    };
  });
}

/**
 * The plan's member tree as the contract holds it, rebuilt from MemberJoined / MemberRenewed: the
 * events are replayed into records (no hashing), the tree is hashed once in bulk with the fast
 * Poseidon, and its root must be the one the pool recorded with the last event.
 */
export async function loadMemberTree(ref: PoolRef, planId: bigint): Promise<MemberTree> {
  const records: MemberRecord[] = [];
  let last: MemberEvent | undefined;
  for (const event of await memberEvents(ref, planId)) {
    if (event.joined ? event.index !== records.length : event.index >= records.length)
      throw treeMismatch(ref, "member tree", planId, event.blockNumber);
    records[event.index] = event.record;
    last = event;
  }
  const tree = await MemberTree.build(records);
  if (last && tree.root !== last.memberRoot) throw treeMismatch(ref, "member tree", planId, last.blockNumber);
  return tree;
}

/** An AssessorAdded (with the key) or AssessorRevoked as the pool logged it, and the root after it. */
export interface AssessorChange {
  planId: bigint;
  revoked: boolean;
  leaf: bigint;
  /** The key added (additions only). */
  publicKey?: readonly [bigint, bigint];
  assessorRoot: bigint;
  blockNumber: bigint;
}

/** Every AssessorAdded / AssessorRevoked of `planId` (every plan's if undefined) in block order. */
export async function assessorChanges(ref: PoolRef, planId?: bigint, toBlock?: bigint): Promise<AssessorChange[]> {
  const logs = await poolLogs(ref, ["AssessorAdded", "AssessorRevoked"], planId === undefined ? undefined : { planId }, toBlock);
  return logs.map((log) => {
    const a = log.args as { planId: bigint; leaf: bigint; pubKeyX?: bigint; pubKeyY?: bigint; assessorRoot: bigint };
    const added = log.eventName === "AssessorAdded";
    return {
      planId: a.planId,
      revoked: !added,
      leaf: a.leaf,
      ...(added ? { publicKey: [a.pubKeyX ?? 0n, a.pubKeyY ?? 0n] as const } : {}),
      assessorRoot: a.assessorRoot,
      blockNumber: log.blockNumber,
    };
  });
}

/** The plan's assessor keys now: those added and not revoked, from its AssessorAdded / AssessorRevoked events. */
export async function activeAssessors(ref: PoolRef, planId: bigint): Promise<PublicKey[]> {
  const keys = new Map<bigint, PublicKey>();
  for (const change of await assessorChanges(ref, planId)) {
    if (change.revoked) keys.delete(change.leaf);
    else if (change.publicKey) keys.set(change.leaf, change.publicKey);
  }
  return [...keys.values()];
}

/**
 * The assessor set after `changes` (one plan's, in order); `mismatch` names the change whose root
 * the rebuilt set does not reach, or a revocation of a key never added.
 */
export function assessorTreeFromChanges(changes: readonly AssessorChange[], mismatch: (change: AssessorChange) => Error): AssessorTree {
  const tree = new AssessorTree();
  const keys = new Map<bigint, readonly [bigint, bigint]>();
  for (const change of changes) {
    if (!change.revoked && change.publicKey) {
      keys.set(change.leaf, change.publicKey);
      tree.add(change.publicKey);
    } else {
      const key = keys.get(change.leaf);
      if (!key) throw mismatch(change);
      tree.revoke(key);
    }
    if (tree.root !== change.assessorRoot) throw mismatch(change);
  }
  return tree;
}

/** The plan's assessor set as the contract holds it, rebuilt from AssessorAdded / AssessorRevoked. */
export async function loadAssessorTree(ref: PoolRef, planId: bigint): Promise<AssessorTree> {
  return assessorTreeFromChanges(await assessorChanges(ref, planId), (change) =>
    treeMismatch(ref, "assessor tree", planId, change.blockNumber),
  );
}
