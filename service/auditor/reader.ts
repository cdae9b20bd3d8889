/**
 * Reads the pool's events into the auditor's event list, in block windows so long ranges report
 * progress, and reads the state the books are compared with (plan books, token balances, the
 * verifier's address), all at one block so the figures are consistent.
 */
import { type Address, erc20Abi, type Hex, type PublicClient } from "viem";
import { huzhuPoolAbi } from "../sdk/chain/abi.ts";
import type { PoolClaimRequest } from "../sdk/chain/claim.ts";
import { type PlanTerms, type PoolRef, poolLogs } from "../sdk/chain/pool.ts";
import type { SolidityProof } from "../sdk/encoding.ts";
import type { PoolEvent } from "./events.ts";

const EVENT_NAMES = [
  "PlanCreated",
  "MemberJoined",
  "MemberRenewed",
  "DonationReceived",
  "AssessorAdded",
  "AssessorRevoked",
  "ClaimPaid",
  "ClaimGracePeriodsSet",
  "ClosingAnnounced",
  "RefundRegistered",
  "Refunded",
] as const;

export interface ReadProgress {
  fromBlock: bigint;
  toBlock: bigint;
  /** Last block read so far. */
  block: bigint;
  events: number;
}

export interface ReadOptions {
  client: PublicClient;
  pool: Address;
  fromBlock: bigint;
  toBlock: bigint;
  /** Blocks per progress step (each step is one or more eth_getLogs calls). */
  window?: bigint;
  /** Largest block span of one eth_getLogs call (public RPCs limit it). */
  logChunk?: bigint;
  onProgress?: (progress: ReadProgress) => void;
}

type Args = Record<string, unknown>;

function ref(log: { blockNumber: bigint; blockHash: Hex; transactionHash: Hex; logIndex: number }) {
  return { block: log.blockNumber, blockHash: log.blockHash, tx: log.transactionHash, logIndex: log.logIndex };
}

/** One decoded pool log as an auditor event. */
function toEvent(eventName: string, args: Args, at: ReturnType<typeof ref>): PoolEvent {
  switch (eventName) {
    case "PlanCreated": {
      const p = args.params as PlanTerms;
      return {
        kind: "plan",
        ...at,
        planId: args.planId as bigint,
        name: p.name,
        admin: p.admin,
        token: p.token,
        contribution: p.contribution,
        periodLength: p.periodLength,
        waitingPeriods: Number(p.waitingPeriods),
        claimCap: p.claimCap,
        maxFeeBps: Number(p.maxFeeBps),
        start: args.start as bigint,
      };
    }
    case "MemberJoined":
    case "MemberRenewed":
      return {
        kind: "member",
        ...at,
        renewal: eventName === "MemberRenewed",
        planId: args.planId as bigint,
        commitment: args.commitment as bigint,
        index: args.index as bigint,
        paid: args.paid as bigint,
        memberRoot: args.memberRoot as bigint,
        payer: args.payer as Hex,
        paidThrough: args.paidThrough as bigint,
      };
    case "DonationReceived":
      return { kind: "donation", ...at, planId: args.planId as bigint, donor: args.donor as Hex, amount: args.amount as bigint };
    case "AssessorAdded":
    case "AssessorRevoked":
      return {
        kind: "assessor",
        ...at,
        revoked: eventName === "AssessorRevoked",
        planId: args.planId as bigint,
        leaf: args.leaf as bigint,
        assessorRoot: args.assessorRoot as bigint,
      };
    case "ClaimPaid": {
      const r = args.request as PoolClaimRequest;
      return {
        kind: "claim",
        ...at,
        planId: r.planId,
        claimEpoch: r.claimEpoch,
        amount: r.amount,
        memberRoot: r.memberRoot,
        memberRootSeq: r.memberRootSeq,
        assessorRoot: r.assessorRoot,
        nullifier: r.nullifier,
        recipient: r.recipient,
        relayer: r.relayer,
        fee: r.fee,
        gasDrop: r.gasDrop,
        context: args.context as bigint,
        proof: args.proof as SolidityProof,
      };
    }
    case "ClaimGracePeriodsSet":
      return { kind: "grace", ...at, planId: args.planId as bigint, periods: args.periods as bigint };
    case "ClosingAnnounced":
      return {
        kind: "closing",
        ...at,
        planId: args.planId as bigint,
        closingEpoch: args.closingEpoch as bigint,
        lastClaimEpoch: args.lastClaimEpoch as bigint,
        refundsFrom: args.refundsFrom as bigint,
        refundsPayableFrom: args.refundsPayableFrom as bigint,
      };
    case "RefundRegistered":
      return {
        kind: "refund",
        ...at,
        registered: true,
        planId: args.planId as bigint,
        payer: args.payer as Hex,
        commitment: args.commitment as bigint,
        periods: args.periods as bigint,
      };
    case "Refunded":
      return {
        kind: "refund",
        ...at,
        registered: false,
        planId: args.planId as bigint,
        payer: args.payer as Hex,
        periods: args.periods as bigint,
        amount: args.amount as bigint,
      };
    default:
      throw new Error(`unexpected pool event ${eventName}`);
  }
}

/** Events the checks hold to the pool's clock: claims (their epoch) and refund steps (their window). */
function timed(event: PoolEvent): event is PoolEvent & { kind: "claim" | "refund"; timestamp?: bigint } {
  return event.kind === "claim" || event.kind === "refund";
}

/** Every pool event in [fromBlock, toBlock], in chain order. Removed (reorged) logs are dropped. */
export async function readPoolEvents(options: ReadOptions): Promise<PoolEvent[]> {
  const window = options.window ?? 20_000n;
  const events: PoolEvent[] = [];
  for (let from = options.fromBlock; from <= options.toBlock; from += window) {
    const to = from + window - 1n < options.toBlock ? from + window - 1n : options.toBlock;
    const poolRef: PoolRef = { client: options.client, pool: options.pool, fromBlock: from };
    if (options.logChunk !== undefined) poolRef.logChunk = options.logChunk;
    const logs = await poolLogs(poolRef, EVENT_NAMES, undefined, to);
    const timestamps = new Map<bigint, bigint>();
    const fresh: PoolEvent[] = [];
    for (const log of logs) {
      if (log.removed || log.blockHash === null || log.transactionHash === null || log.logIndex === null) continue;
      const event = toEvent(
        log.eventName,
        log.args as Args,
        ref(log as { blockNumber: bigint; blockHash: Hex; transactionHash: Hex; logIndex: number }),
      );
      // Some nodes put the block's timestamp in the log; the others are asked once per block.
      const stamp = (log as { blockTimestamp?: bigint | Hex | null }).blockTimestamp;
      if (timed(event) && stamp !== undefined && stamp !== null) timestamps.set(event.block, BigInt(stamp));
      fresh.push(event);
    }
    const missing = [...new Set(fresh.flatMap((e) => (timed(e) && !timestamps.has(e.block) ? [e.block] : [])))];
    const blocks = await Promise.all(missing.map((blockNumber) => options.client.getBlock({ blockNumber })));
    for (const b of blocks) if (b.number !== null) timestamps.set(b.number, b.timestamp);
    for (const e of fresh) {
      if (timed(e)) {
        const timestamp = timestamps.get(e.block);
        if (timestamp !== undefined) e.timestamp = timestamp;
      }
      events.push(e);
    }
    options.onProgress?.({ fromBlock: options.fromBlock, toBlock: options.toBlock, block: to, events: events.length });
  }
  return events;
}

export interface OnChainBooks {
  contributed: bigint;
  donated: bigint;
  paidOut: bigint;
  fees: bigint;
  refunded: bigint;
}

export interface PoolState {
  planCount: bigint;
  verifier: Address;
  memberRootHistory: bigint;
  epochGrace: bigint;
  /** How long a closed plan's refund registration lasts (REFUND_REGISTRATION). */
  refundRegistration: bigint;
  /** books(planId) for plans 1..planCount. */
  books: Map<bigint, OnChainBooks>;
  /** The pool's balance of each token a plan uses. */
  tokenBalances: Map<Address, bigint>;
}

/** The pool's state at `blockNumber`: what the event sums are compared with. */
export async function readPoolState(
  client: PublicClient,
  pool: Address,
  blockNumber: bigint,
  tokens: readonly Address[],
): Promise<PoolState> {
  const c = { address: pool, abi: huzhuPoolAbi, blockNumber } as const;
  const [planCount, verifier, memberRootHistory, epochGrace, refundRegistration] = await Promise.all([
    client.readContract({ ...c, functionName: "planCount" }),
    client.readContract({ ...c, functionName: "VERIFIER" }),
    client.readContract({ ...c, functionName: "MEMBER_ROOT_HISTORY" }),
    client.readContract({ ...c, functionName: "EPOCH_GRACE" }),
    client.readContract({ ...c, functionName: "REFUND_REGISTRATION" }),
  ]);
  const ids = Array.from({ length: Number(planCount) }, (_, i) => BigInt(i + 1));
  const books = new Map<bigint, OnChainBooks>();
  const results = await Promise.all(ids.map((planId) => client.readContract({ ...c, functionName: "books", args: [planId] })));
  ids.forEach((planId, i) => {
    const b = results[i] as OnChainBooks;
    books.set(planId, { contributed: b.contributed, donated: b.donated, paidOut: b.paidOut, fees: b.fees, refunded: b.refunded });
  });
  const tokenBalances = new Map<Address, bigint>();
  // A token whose balanceOf fails is left out: the books check then reports it as unread.
  const balances = await Promise.allSettled(
    tokens.map((token) => client.readContract({ address: token, abi: erc20Abi, functionName: "balanceOf", args: [pool], blockNumber })),
  );
  tokens.forEach((token, i) => {
    const result = balances[i];
    if (result?.status === "fulfilled") tokenBalances.set(token, result.value);
  });
  return { planCount, verifier, memberRootHistory, epochGrace, refundRegistration, books, tokenBalances };
}
