/**
 * Where the tree index keeps its state between runs: an embedded SQLite file
 * (`trees-<chainId>-<pool>.sqlite` in the data folder) with every plan's member records and tree nodes, the join and renewal events it
 * applied (to answer "what changed since root X" and to undo them on a reorganisation), and the
 * last block it read with that block's hash.
 *
 * The file is a cache of chain data: losing it costs a rescan, never money. That is why it is its
 * own file, not tables in the relayer's claim store (whose migrations, service/relayer/migrations.ts,
 * also run on a shared PostgreSQL database): every instance can keep its own index, and several
 * relayers sharing one claim database need not share a tree.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { ServiceError, ServiceErrorCode } from "../kit/service-error.ts";
import { FIELD_BYTES } from "../sdk/poseidon-wasm.ts";
import { RECORD_BYTES } from "../sdk/trees.ts";
import { TreeIndexError } from "./errors.ts";

/** Version of this file's layout; a file from a newer version is refused. */
export const TREE_STORE_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS tree_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tree_events (
  plan_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  block_number INTEGER NOT NULL,
  block_hash TEXT NOT NULL,
  log_index INTEGER NOT NULL,
  leaf_index INTEGER NOT NULL,
  joined INTEGER NOT NULL,
  record BLOB NOT NULL,
  previous BLOB,
  size INTEGER NOT NULL,
  root TEXT NOT NULL,
  PRIMARY KEY (plan_id, seq));
CREATE INDEX IF NOT EXISTS tree_events_root ON tree_events (plan_id, root);
CREATE INDEX IF NOT EXISTS tree_events_block ON tree_events (block_number);
CREATE TABLE IF NOT EXISTS tree_leaves (
  plan_id TEXT NOT NULL, idx INTEGER NOT NULL, record BLOB NOT NULL,
  PRIMARY KEY (plan_id, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tree_nodes (
  plan_id TEXT NOT NULL, level INTEGER NOT NULL, idx INTEGER NOT NULL, node BLOB NOT NULL,
  PRIMARY KEY (plan_id, level, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tree_cursor (
  only_row INTEGER PRIMARY KEY CHECK (only_row = 1), block_number INTEGER NOT NULL, block_hash TEXT NOT NULL);
`;

export interface StoredEvent {
  planId: bigint;
  seq: number;
  blockNumber: bigint;
  blockHash: `0x${string}`;
  logIndex: number;
  leafIndex: number;
  joined: boolean;
  /** RECORD_BYTES: the record after the event, and (renewals) the one before. */
  record: Uint8Array;
  previous: Uint8Array | null;
  /** The tree's size and root after the event. */
  size: number;
  root: bigint;
}

export interface Cursor {
  block: bigint;
  blockHash: `0x${string}`;
}

export interface StoredPlanTree {
  records: Uint8Array;
  size: number;
  /** Levels 0..depth, each its nodes' bytes in order. */
  levels: Uint8Array[];
}

/** What one batch of applied events (or one rewind) changes in the file. */
export interface TreeWrite {
  planId: bigint;
  /** Leaves whose record and path to the root changed: written with every node above them. */
  leaves: Map<number, Uint8Array>;
  /** Nodes to write, as [level, index, bytes]. */
  nodes: Array<[number, number, Uint8Array]>;
  /** After a rewind: the tree's new size (leaves and nodes past it are deleted). */
  truncateTo?: { size: number; levelLengths: number[] };
}

type Row = Record<string, unknown>;

export class TreeStore {
  readonly #db: DatabaseSync;
  readonly location: string;

  constructor(dataDir: string, identity: { chainId: number; pool: string }) {
    mkdirSync(dataDir, { recursive: true });
    // One file per deployment: a folder reused for another pool (a restarted local chain) starts afresh.
    this.location = join(dataDir, `trees-${identity.chainId}-${identity.pool.toLowerCase()}.sqlite`);
    this.#db = new DatabaseSync(this.location);
    this.#db.exec("PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
    this.#db.exec(SCHEMA);
    const meta = new Map(
      (this.#db.prepare("SELECT key, value FROM tree_meta").all() as Array<{ key: string; value: string }>).map((r) => [r.key, r.value]),
    );
    const expected = { version: String(TREE_STORE_VERSION), chainId: String(identity.chainId), pool: identity.pool.toLowerCase() };
    if (meta.size === 0) {
      const insert = this.#db.prepare("INSERT INTO tree_meta (key, value) VALUES (?, ?)");
      for (const [key, value] of Object.entries(expected)) insert.run(key, value);
    } else {
      if (Number(meta.get("version")) > TREE_STORE_VERSION) {
        this.#db.close();
        throw new ServiceError(
          ServiceErrorCode.StoreSchemaNewer,
          `the tree index ${this.location} has layout version ${meta.get("version")}, newer than this service knows (${TREE_STORE_VERSION}); upgrade, or delete the file to rebuild it from the chain`,
        );
      }
      if (meta.get("chainId") !== expected.chainId || meta.get("pool") !== expected.pool) {
        this.#db.close();
        throw new ServiceError(
          ServiceErrorCode.StoreOwnedElsewhere,
          `the tree index ${this.location} belongs to pool ${meta.get("pool")} on chain ${meta.get("chainId")}, not ${expected.pool} on ${expected.chainId}; give this deployment its own data folder`,
        );
      }
    }
  }

  cursor(): Cursor | undefined {
    const row = this.#db.prepare("SELECT block_number, block_hash FROM tree_cursor").get() as Row | undefined;
    return row ? { block: BigInt(row.block_number as number), blockHash: row.block_hash as `0x${string}` } : undefined;
  }

  planIds(): bigint[] {
    return (this.#db.prepare("SELECT DISTINCT plan_id FROM tree_leaves").all() as Row[]).map((r) => BigInt(r.plan_id as string));
  }

  /** A plan's records and every level of its tree, as stored. */
  loadPlan(planId: bigint): StoredPlanTree {
    const id = planId.toString();
    const leafRows = this.#db.prepare("SELECT idx, record FROM tree_leaves WHERE plan_id = ? ORDER BY idx").all(id) as Row[];
    const size = leafRows.length;
    const records = new Uint8Array(size * RECORD_BYTES);
    leafRows.forEach((row, i) => {
      if (row.idx !== i)
        throw new TreeIndexError(
          "TREE_INDEX_CORRUPT",
          `the tree index ${this.location} lacks member ${i} of plan ${id}; delete the file to rebuild it`,
        );
      records.set(row.record as Uint8Array, i * RECORD_BYTES);
    });
    const levels: Uint8Array[] = [];
    const lengths: number[] = [];
    for (const row of this.#db.prepare("SELECT level, COUNT(*) AS n FROM tree_nodes WHERE plan_id = ? GROUP BY level").all(id) as Row[]) {
      lengths[row.level as number] = row.n as number;
    }
    lengths.forEach((n, level) => {
      levels[level] = new Uint8Array(n * FIELD_BYTES);
    });
    for (const row of this.#db.prepare("SELECT level, idx, node FROM tree_nodes WHERE plan_id = ?").iterate(id) as Iterable<Row>) {
      (levels[row.level as number] as Uint8Array).set(row.node as Uint8Array, (row.idx as number) * FIELD_BYTES);
    }
    return { records, size, levels };
  }

  lastEvent(planId: bigint): StoredEvent | undefined {
    const row = this.#db.prepare("SELECT * FROM tree_events WHERE plan_id = ? ORDER BY seq DESC LIMIT 1").get(planId.toString()) as
      | Row
      | undefined;
    return row ? toEvent(row) : undefined;
  }

  /** The latest event after which the plan's root was `root`. */
  eventWithRoot(planId: bigint, root: bigint): StoredEvent | undefined {
    const row = this.#db
      .prepare("SELECT * FROM tree_events WHERE plan_id = ? AND root = ? ORDER BY seq DESC LIMIT 1")
      .get(planId.toString(), root.toString()) as Row | undefined;
    return row ? toEvent(row) : undefined;
  }

  /** Leaves touched by the plan's events after `seq`. */
  leavesChangedAfter(planId: bigint, seq: number): number[] {
    return (
      this.#db.prepare("SELECT DISTINCT leaf_index FROM tree_events WHERE plan_id = ? AND seq > ?").all(planId.toString(), seq) as Row[]
    ).map((r) => r.leaf_index as number);
  }

  /** Events after block `block`, newest first (what a rewind to `block` undoes). */
  eventsAfter(block: bigint): StoredEvent[] {
    return (
      this.#db
        .prepare("SELECT * FROM tree_events WHERE block_number > ? ORDER BY block_number DESC, log_index DESC")
        .all(Number(block)) as Row[]
    ).map(toEvent);
  }

  /** Distinct blocks holding applied events, newest first, at or below `block`. */
  eventBlocks(block: bigint, limit: number): Array<{ block: bigint; blockHash: `0x${string}` }> {
    return (
      this.#db
        .prepare("SELECT DISTINCT block_number, block_hash FROM tree_events WHERE block_number <= ? ORDER BY block_number DESC LIMIT ?")
        .all(Number(block), limit) as Row[]
    ).map((r) => ({ block: BigInt(r.block_number as number), blockHash: r.block_hash as `0x${string}` }));
  }

  /** Applies a batch atomically: new events, changed leaves and nodes, removed events (rewind), the new cursor. */
  commit(batch: { events: StoredEvent[]; writes: TreeWrite[]; dropEventsAfter?: bigint; cursor: Cursor }): void {
    const db = this.#db;
    db.exec("BEGIN");
    try {
      if (batch.dropEventsAfter !== undefined)
        db.prepare("DELETE FROM tree_events WHERE block_number > ?").run(Number(batch.dropEventsAfter));
      const insertEvent = db.prepare(
        `INSERT INTO tree_events (plan_id, seq, block_number, block_hash, log_index, leaf_index, joined, record, previous, size, root)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const e of batch.events) {
        insertEvent.run(
          e.planId.toString(),
          e.seq,
          Number(e.blockNumber),
          e.blockHash,
          e.logIndex,
          e.leafIndex,
          e.joined ? 1 : 0,
          e.record,
          e.previous,
          e.size,
          e.root.toString(),
        );
      }
      const putLeaf = db.prepare("INSERT OR REPLACE INTO tree_leaves (plan_id, idx, record) VALUES (?, ?, ?)");
      const putNode = db.prepare("INSERT OR REPLACE INTO tree_nodes (plan_id, level, idx, node) VALUES (?, ?, ?, ?)");
      for (const write of batch.writes) {
        const id = write.planId.toString();
        if (write.truncateTo) {
          db.prepare("DELETE FROM tree_leaves WHERE plan_id = ? AND idx >= ?").run(id, write.truncateTo.size);
          const lengths = write.truncateTo.levelLengths;
          db.prepare("DELETE FROM tree_nodes WHERE plan_id = ? AND level >= ?").run(id, lengths.length);
          const trim = db.prepare("DELETE FROM tree_nodes WHERE plan_id = ? AND level = ? AND idx >= ?");
          lengths.forEach((n, level) => {
            trim.run(id, level, n);
          });
        }
        for (const [index, record] of write.leaves) putLeaf.run(id, index, record);
        for (const [level, index, node] of write.nodes) putNode.run(id, level, index, node);
      }
      db.prepare("INSERT OR REPLACE INTO tree_cursor (only_row, block_number, block_hash) VALUES (1, ?, ?)").run(
        Number(batch.cursor.block),
        batch.cursor.blockHash,
      );
      db.exec("COMMIT");
    } catch (error) {
      db.exec("ROLLBACK");
      throw error;
    }
  }

  /** Forgets every plan's tree, event and the cursor (the next poll reads from the deployment block). */
  reset(): void {
    this.#db.exec("BEGIN; DELETE FROM tree_events; DELETE FROM tree_leaves; DELETE FROM tree_nodes; DELETE FROM tree_cursor; COMMIT;");
  }

  close(): void {
    this.#db.close();
  }
}

function toEvent(row: Row): StoredEvent {
  return {
    planId: BigInt(row.plan_id as string),
    seq: row.seq as number,
    blockNumber: BigInt(row.block_number as number),
    blockHash: row.block_hash as `0x${string}`,
    logIndex: row.log_index as number,
    leafIndex: row.leaf_index as number,
    joined: row.joined === 1,
    record: row.record as Uint8Array,
    previous: (row.previous as Uint8Array | null) ?? null,
    size: row.size as number,
    root: BigInt(row.root as string),
  };
}
