/**
 * The tree index: keeps every plan's member tree up to date from the pool's MemberJoined and
 * MemberRenewed events, O(log n) hashes per event, and serves it as snapshots and updates
 * (service/sdk/tree-snapshot.ts). Each poll reads the blocks since the last one it read (paged
 * within the RPC's range limit), applies their events, checks every event's root, and commits
 * events, changed leaves and nodes and the new cursor in one transaction (service/trees/store.ts),
 * so a restart resumes where the last commit ended.
 *
 * Before reading on, it checks that the block it read last is still on the chain. If not (a
 * reorganisation), it walks back to the newest block holding applied events that is still on the
 * chain, undoes the events after it (joins truncated, renewals restored) and reads again from there.
 *
 * Nothing it serves needs to be trusted: clients check their own path against the pool's roots.
 */
import "../sdk/poseidon-circomlibjs.ts";
import type { Logger } from "pino";
import type { Address } from "viem";
import { type AssessorChange, assessorChanges, type MemberEvent, memberEvents, type PoolRef } from "../sdk/chain/pool.ts";
import { levelLength } from "../sdk/lean-levels.ts";
import { fastPoseidon } from "../sdk/poseidon-wasm.ts";
import { encodeSnapshot, encodeUpdate, type SnapshotHead } from "../sdk/tree-snapshot.ts";
import { MemberTree, readRecord } from "../sdk/trees.ts";
import { TreeIndexError, type TreeIndexErrorCode } from "./errors.ts";
import type { Cursor, StoredEvent, TreeStore, TreeWrite } from "./store.ts";

export interface TreeIndexOptions {
  ref: PoolRef;
  chainId: number;
  store: TreeStore;
  log: Logger;
  /** How often to look for new blocks (default 2 s). */
  pollIntervalMs?: number;
  /** Blocks of event history searched for the fork point of a reorganisation (default 256). */
  maxReorgEventBlocks?: number;
}

export interface SyncResult {
  /** Events applied in this poll. */
  applied: number;
  /** Events undone by a reorganisation in this poll. */
  undone: number;
  block: bigint;
}

export { TreeIndexError, type TreeIndexErrorCode };

export class TreeIndex {
  readonly #options: TreeIndexOptions;
  readonly #trees = new Map<bigint, MemberTree>();
  readonly #lastSeq = new Map<bigint, number>();
  readonly #snapshots = new Map<bigint, { root: bigint; block: bigint; bytes: Uint8Array }>();
  /**
   * Every plan's assessor changes, in order. A few events per plan: kept in memory only, read again
   * from the deployment block after a restart or a reorganisation.
   */
  #assessors: Map<bigint, AssessorChange[]> | undefined;
  #cursor: Cursor | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<unknown> | undefined;
  #stopped = false;
  /** Why the last poll failed, if it did (readiness; the next poll tries again). */
  lastError: string | undefined;

  private constructor(options: TreeIndexOptions) {
    this.#options = options;
  }

  /** Loads every plan's tree from the store and checks each against the root its last event recorded. */
  static open(options: TreeIndexOptions): TreeIndex {
    const index = new TreeIndex(options);
    const { store } = options;
    index.#cursor = store.cursor();
    for (const planId of store.planIds()) {
      const stored = store.loadPlan(planId);
      const tree = MemberTree.fromParts(stored.records, stored.size, stored.levels, 0);
      const last = store.lastEvent(planId);
      if (!last || last.root !== tree.root || last.size !== tree.size) {
        throw new TreeIndexError(
          "TREE_INDEX_CORRUPT",
          `the tree index ${store.location} holds a tree for plan ${planId} whose root is not its last event's; delete the file to rebuild it from the chain`,
        );
      }
      index.#trees.set(planId, tree);
      index.#lastSeq.set(planId, last.seq);
    }
    return index;
  }

  get pool(): Address {
    return this.#options.ref.pool;
  }

  get cursor(): Cursor | undefined {
    return this.#cursor;
  }

  plans(): bigint[] {
    return [...this.#trees.keys()];
  }

  tree(planId: bigint): MemberTree | undefined {
    return this.#trees.get(planId);
  }

  /** Polls until stopped; a failed poll is logged and tried again at the next interval. */
  start(): void {
    this.#stopped = false;
    const tick = async () => {
      this.#running = this.sync().then(
        () => {
          this.lastError = undefined;
        },
        (error: Error) => {
          this.lastError = error.message;
          this.#options.log.warn({ err: error }, "tree index poll failed; trying again at the next interval");
        },
      );
      await this.#running;
      if (!this.#stopped) this.#timer = setTimeout(tick, this.#options.pollIntervalMs ?? 2_000);
    };
    void tick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running;
  }

  /** One poll: rewind past a reorganisation if there was one, then apply the events of every new block. */
  async sync(): Promise<SyncResult> {
    const { client } = this.#options.ref;
    // Joins and renewals are hashed with the fast Poseidon once it is loaded (about 4x poseidon-lite).
    await fastPoseidon();
    let undone = 0;
    if (this.#cursor) {
      const seen = await this.#blockHash(this.#cursor.block);
      if (seen !== this.#cursor.blockHash) undone = await this.#rewind();
    }
    const latest = await client.getBlockNumber({ cacheTime: 0 });
    const from = this.#cursor ? this.#cursor.block + 1n : (this.#options.ref.fromBlock ?? 0n);
    if (from > latest) return { applied: 0, undone, block: this.#cursor?.block ?? latest };
    const latestHash = await this.#blockHash(latest);
    if (!latestHash)
      throw new TreeIndexError("TREE_BLOCK_VANISHED", `block ${latest} vanished while being read; the next poll reads it again`);
    const events = await memberEvents({ ...this.#options.ref, fromBlock: from }, undefined, latest);
    const assessorsFrom = this.#assessors ? from : (this.#options.ref.fromBlock ?? 0n);
    const changes = await assessorChanges({ ...this.#options.ref, fromBlock: assessorsFrom }, undefined, latest);
    const stored: StoredEvent[] = [];
    const touched = new Map<bigint, Set<number>>();
    for (const event of events) stored.push(this.#apply(event, touched));
    const cursor = { block: latest, blockHash: latestHash };
    this.#options.store.commit({ events: stored, writes: this.#writes(touched), cursor });
    this.#cursor = cursor;
    const assessors = this.#assessors ?? new Map<bigint, AssessorChange[]>();
    for (const change of changes) assessors.set(change.planId, [...(assessors.get(change.planId) ?? []), change]);
    this.#assessors = assessors;
    if (stored.length > 0) this.#options.log.info({ events: stored.length, block: latest.toString() }, "tree index applied events");
    return { applied: stored.length, undone, block: latest };
  }

  async #blockHash(block: bigint): Promise<`0x${string}` | undefined> {
    try {
      return (await this.#options.ref.client.getBlock({ blockNumber: block })).hash ?? undefined;
    } catch {
      return undefined;
    }
  }

  #apply(event: MemberEvent, touched: Map<bigint, Set<number>>): StoredEvent {
    let tree = this.#trees.get(event.planId);
    if (!tree) {
      tree = new MemberTree();
      this.#trees.set(event.planId, tree);
    }
    const consistent = event.joined ? event.index === tree.size : event.index < tree.size;
    if (!consistent) {
      throw new TreeIndexError(
        "TREE_EVENTS_MISSING",
        `plan ${event.planId}'s ${event.joined ? "join" : "renewal"} of member ${event.index} in block ${event.blockNumber} does not follow the ${tree.size} members indexed: events are missing; check the RPC endpoint and the pool's deployment block`,
      );
    }
    const previous = event.joined ? null : recordBytes(tree, event.index);
    if (event.joined) tree.add(event.record);
    else tree.update(event.index, event.record);
    if (tree.root !== event.memberRoot) {
      throw new TreeIndexError(
        "TREE_EVENTS_MISSING",
        `plan ${event.planId}'s member tree after block ${event.blockNumber} has root ${tree.root}, the pool recorded ${event.memberRoot}; events are missing or out of order`,
      );
    }
    let set = touched.get(event.planId);
    if (!set) {
      set = new Set();
      touched.set(event.planId, set);
    }
    set.add(event.index);
    const seq = (this.#lastSeq.get(event.planId) ?? 0) + 1;
    this.#lastSeq.set(event.planId, seq);
    return {
      planId: event.planId,
      seq,
      blockNumber: event.blockNumber,
      blockHash: event.blockHash,
      logIndex: event.logIndex,
      leafIndex: event.index,
      joined: event.joined,
      record: recordBytes(tree, event.index),
      previous,
      size: tree.size,
      root: tree.root,
    };
  }

  /** The leaves, and every node on their paths, that changed in the touched plans. */
  #writes(touched: Map<bigint, Set<number>>, truncated?: Map<bigint, number>): TreeWrite[] {
    const writes: TreeWrite[] = [];
    const plans = new Set([...touched.keys(), ...(truncated?.keys() ?? [])]);
    for (const planId of plans) {
      const tree = this.#trees.get(planId) as MemberTree;
      const leaves = new Map<number, Uint8Array>();
      const nodes: TreeWrite["nodes"] = [];
      const paths = new Set([...(touched.get(planId) ?? [])].filter((i) => i < tree.size));
      if (truncated?.has(planId) && tree.size > 0) paths.add(tree.size - 1);
      const { levels } = tree.parts;
      const seen = new Set<string>();
      for (const leaf of paths) {
        leaves.set(leaf, recordBytes(tree, leaf));
        for (let level = 0; level <= tree.depth; level++) {
          const index = leaf >> level;
          const key = `${level}:${index}`;
          if (seen.has(key)) continue;
          seen.add(key);
          nodes.push([level, index, (levels.levels[level] as NonNullable<(typeof levels.levels)[number]>).item(index).slice()]);
        }
      }
      const write: TreeWrite = { planId, leaves, nodes };
      if (truncated?.has(planId)) {
        write.truncateTo = {
          size: tree.size,
          levelLengths: Array.from({ length: tree.size === 0 ? 0 : tree.depth + 1 }, (_, level) => levelLength(tree.size, level)),
        };
      }
      writes.push(write);
      this.#snapshots.delete(planId);
    }
    return writes;
  }

  /** Undoes the events of blocks that left the chain; returns how many. */
  async #rewind(): Promise<number> {
    const { store, log } = this.#options;
    this.#assessors = undefined;
    const cursor = this.#cursor as Cursor;
    let fork: Cursor | undefined;
    for (const candidate of store.eventBlocks(cursor.block, this.#options.maxReorgEventBlocks ?? 256)) {
      if ((await this.#blockHash(candidate.block)) === candidate.blockHash) {
        fork = candidate;
        break;
      }
    }
    if (!fork) {
      // No block with applied events is still on the chain: start again from the deployment block.
      const undone = store.eventsAfter(-1n).length;
      store.reset();
      this.#trees.clear();
      this.#lastSeq.clear();
      this.#snapshots.clear();
      this.#cursor = undefined;
      log.warn({ undone, was: cursor.block.toString() }, "tree index rewound past a chain reorganisation to the deployment block");
      return undone;
    }
    const undo = store.eventsAfter(fork.block);
    const touched = new Map<bigint, Set<number>>();
    const truncated = new Map<bigint, number>();
    for (const event of undo) {
      const tree = this.#trees.get(event.planId) as MemberTree;
      if (event.joined) {
        tree.truncate(event.leafIndex);
        truncated.set(event.planId, event.leafIndex);
      } else {
        tree.update(event.leafIndex, readRecord(event.previous as Uint8Array, 0));
        let set = touched.get(event.planId);
        if (!set) {
          set = new Set();
          touched.set(event.planId, set);
        }
        set.add(event.leafIndex);
      }
      this.#lastSeq.set(event.planId, event.seq - 1);
    }
    store.commit({ events: [], writes: this.#writes(touched, truncated), dropEventsAfter: fork.block, cursor: fork });
    this.#cursor = fork;
    log.warn(
      { undone: undo.length, fork: fork.block.toString(), was: cursor.block.toString() },
      "tree index rewound past a chain reorganisation",
    );
    return undo.length;
  }

  /** What a snapshot of the plan's current tree says about itself, or undefined for a plan with no members indexed. */
  head(planId: bigint): SnapshotHead | undefined {
    const tree = this.#trees.get(planId);
    if (!tree || !this.#cursor) return undefined;
    return { ...this.#id(planId), block: this.#cursor.block, blockHash: this.#cursor.blockHash, size: tree.size, root: tree.root };
  }

  #id(planId: bigint) {
    return { chainId: BigInt(this.#options.chainId), pool: this.#options.ref.pool, planId };
  }

  /** The plan's assessor changes up to the cursor (added keys and revocations, each with the root after it). */
  assessors(planId: bigint): AssessorChange[] | undefined {
    return this.#assessors?.get(planId);
  }

  /** The current snapshot's bytes (encoded once per root and kept). */
  snapshot(planId: bigint): Uint8Array | undefined {
    const tree = this.#trees.get(planId);
    const cursor = this.#cursor;
    if (!tree || !cursor) return undefined;
    const cached = this.#snapshots.get(planId);
    if (cached && cached.root === tree.root) return cached.bytes;
    const bytes = encodeSnapshot(tree, { ...this.#id(planId), block: cursor.block, blockHash: cursor.blockHash });
    this.#snapshots.set(planId, { root: tree.root, block: cursor.block, bytes });
    return bytes;
  }

  /** The update from `fromRoot` to the current tree, or undefined if this index never had that root. */
  update(planId: bigint, fromRoot: bigint): Uint8Array | undefined {
    const tree = this.#trees.get(planId);
    const cursor = this.#cursor;
    if (!tree || !cursor) return undefined;
    const head = { ...this.#id(planId), block: cursor.block, blockHash: cursor.blockHash };
    if (fromRoot === tree.root) return encodeUpdate(tree, head, { fromRoot, fromSize: tree.size, changed: [] });
    const from = this.#options.store.eventWithRoot(planId, fromRoot);
    if (!from) return undefined;
    const changed = this.#options.store.leavesChangedAfter(planId, from.seq);
    return encodeUpdate(tree, head, { fromRoot, fromSize: from.size, changed });
  }
}

function recordBytes(tree: MemberTree, index: number): Uint8Array {
  return tree.parts.records.item(index).slice();
}
