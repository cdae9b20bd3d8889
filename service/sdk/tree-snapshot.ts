/**
 * Member tree snapshots: the binary files a tree service (the relayer, or `service/trees/server.ts`)
 * serves so that a member's client need not rebuild a plan's tree from every event. A snapshot
 * holds every member's record and every node from level SNAPSHOT_FLOOR up, and is named by its
 * root; an update carries the records and nodes that changed from one root to a newer one.
 *
 * Nobody has to trust the service: the client finds its own leaf, hashes its path to the root
 * (the 2^SNAPSHOT_FLOOR - 1 nodes of its own block below the floor from the records) and checks
 * that root is one of the pool's recent roots (service/sdk/chain/tree-source.ts). A node on its
 * path that was changed, a root the pool never had, or a cut-off file is refused with a code.
 *
 * Layout (little-endian throughout; field elements 32 bytes, records RECORD_BYTES):
 *   snapshot: header (SNAPSHOT_HEADER_BYTES) | size records | levels floor..depth, each ceil(size / 2^level) nodes
 *   update:   header (UPDATE_HEADER_BYTES) | count u32 | count x (index u32, record) | count u32 | count x (level u8, index u32, node)
 */
import { type Address, getAddress } from "viem";
import { fromPrefixedHex, toPrefixedHex } from "./bytes.ts";
import { ErrorCode, HuzhuError } from "./errors.ts";
import { type ItemArray, levelLength, readField, treeDepth, writeField } from "./lean-levels.ts";
import { FIELD_BYTES } from "./poseidon-wasm.ts";
import { MemberTree, RECORD_BYTES } from "./trees.ts";

/** Levels below this are left out of snapshots (they are 2/3 of a tree's nodes); 16 leaves per block. */
export const SNAPSHOT_FLOOR = 4;
export const SNAPSHOT_FORMAT = 1;
const SNAPSHOT_MAGIC = 0x53545a48; // "HZTS"
const UPDATE_MAGIC = 0x55545a48; // "HZTU"

/** Which tree a snapshot or update belongs to, and the chain state it reflects. */
export interface TreeId {
  chainId: bigint;
  pool: Address;
  planId: bigint;
}

export interface SnapshotHead extends TreeId {
  /** The last block whose events the tree includes, and its hash. */
  block: bigint;
  blockHash: `0x${string}`;
  size: number;
  root: bigint;
}

export interface DecodedSnapshot {
  head: SnapshotHead;
  tree: MemberTree;
}

/** magic, format, floor, reserved, chainId, pool, planId: shared by both headers. */
const ID_BYTES = 4 + 1 + 1 + 2 + 8 + 20 + 32;
/** id, block, blockHash, size, root. */
export const SNAPSHOT_HEADER_BYTES = ID_BYTES + 8 + 32 + 4 + 32;
/** id, fromRoot, fromSize, block, blockHash, size, root. */
export const UPDATE_HEADER_BYTES = ID_BYTES + 32 + 4 + 8 + 32 + 4 + 32;

function invalid(what: string, details: Record<string, unknown> = {}): HuzhuError {
  return new HuzhuError(
    ErrorCode.SnapshotInvalid,
    `${what}; fetch the tree from another tree service or read it from the pool's events`,
    details,
  );
}

function truncated(kind: string, got: number, expected: number): HuzhuError {
  return new HuzhuError(
    ErrorCode.SnapshotTruncated,
    `the tree ${kind} is ${got} bytes, ${expected} expected: the download was cut off or padded; fetch it again or from another tree service`,
    { got, expected },
  );
}

class Writer {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  at = 0;
  constructor(length: number) {
    this.bytes = new Uint8Array(length);
    this.view = new DataView(this.bytes.buffer);
  }
  u8(x: number) {
    this.view.setUint8(this.at, x);
    this.at += 1;
  }
  u32(x: number) {
    this.view.setUint32(this.at, x, true);
    this.at += 4;
  }
  u64(x: bigint) {
    this.view.setBigUint64(this.at, x, true);
    this.at += 8;
  }
  field(x: bigint) {
    writeField(this.bytes, this.at, x);
    this.at += FIELD_BYTES;
  }
  raw(bytes: Uint8Array) {
    this.bytes.set(bytes, this.at);
    this.at += bytes.length;
  }
  hex(value: `0x${string}`, length: number) {
    const bytes = fromPrefixedHex(value);
    if (bytes.length !== length) throw new TypeError(`expected ${length} bytes of hex, got ${bytes.length}`);
    this.raw(bytes);
  }
}

class Reader {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  at = 0;
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u8() {
    return this.view.getUint8(this.at++);
  }
  u32() {
    const x = this.view.getUint32(this.at, true);
    this.at += 4;
    return x;
  }
  u64() {
    const x = this.view.getBigUint64(this.at, true);
    this.at += 8;
    return x;
  }
  field() {
    const x = readField(this.bytes, this.at);
    this.at += FIELD_BYTES;
    return x;
  }
  raw(length: number) {
    const out = this.bytes.subarray(this.at, this.at + length);
    this.at += length;
    return out;
  }
  hex(length: number): `0x${string}` {
    return toPrefixedHex(this.raw(length));
  }
}

function writeId(w: Writer, magic: number, id: TreeId) {
  w.u32(magic);
  w.u8(SNAPSHOT_FORMAT);
  w.u8(SNAPSHOT_FLOOR);
  w.u8(0);
  w.u8(0);
  w.u64(id.chainId);
  w.hex(id.pool, 20);
  w.field(id.planId);
}

function readId(r: Reader, magic: number, kind: string): TreeId {
  if (r.bytes.length < ID_BYTES) throw truncated(kind, r.bytes.length, ID_BYTES);
  if (r.u32() !== magic) throw invalid(`this is not a Huzhu member tree ${kind}`);
  const format = r.u8();
  if (format !== SNAPSHOT_FORMAT) throw invalid(`the tree ${kind} has format ${format}; this client reads format ${SNAPSHOT_FORMAT}`);
  const floor = r.u8();
  if (floor !== SNAPSHOT_FLOOR) throw invalid(`the tree ${kind} leaves out levels below ${floor}, not ${SNAPSHOT_FLOOR}`);
  r.at += 2;
  return { chainId: r.u64(), pool: getAddress(r.hex(20)), planId: r.field() };
}

/** Bytes of the stored levels of a tree of `size` leaves. */
function levelsBytes(size: number): number {
  let bytes = 0;
  for (let level = SNAPSHOT_FLOOR; level <= treeDepth(size); level++) bytes += levelLength(size, level) * FIELD_BYTES;
  return bytes;
}

/** The whole tree as a snapshot (the service keeps every level; only those from the floor go out). */
export function encodeSnapshot(tree: MemberTree, head: Omit<SnapshotHead, "size" | "root">): Uint8Array {
  const size = tree.size;
  const w = new Writer(SNAPSHOT_HEADER_BYTES + size * RECORD_BYTES + levelsBytes(size));
  writeId(w, SNAPSHOT_MAGIC, head);
  w.u64(head.block);
  w.hex(head.blockHash, 32);
  w.u32(size);
  w.field(tree.root);
  const { records, levels } = tree.parts;
  w.raw(records.view());
  for (let level = SNAPSHOT_FLOOR; level <= tree.depth; level++) w.raw((levels.levels[level] as ItemArray).view());
  return w.bytes;
}

/**
 * Reads a snapshot and checks its shape: length, format, and that its stored top node is the root
 * it is named by. Whether that root is the pool's is for the caller (it needs the chain).
 */
export function decodeSnapshot(bytes: Uint8Array): DecodedSnapshot {
  const r = new Reader(bytes);
  const id = readId(r, SNAPSHOT_MAGIC, "snapshot");
  if (bytes.length < SNAPSHOT_HEADER_BYTES) throw truncated("snapshot", bytes.length, SNAPSHOT_HEADER_BYTES);
  const block = r.u64();
  const blockHash = r.hex(32);
  const size = r.u32();
  const root = r.field();
  const expected = SNAPSHOT_HEADER_BYTES + size * RECORD_BYTES + levelsBytes(size);
  if (bytes.length !== expected) throw truncated("snapshot", bytes.length, expected);
  // Copies, so the tree can grow with later updates.
  const records = r.raw(size * RECORD_BYTES).slice();
  const levels: Uint8Array[] = [];
  for (let level = SNAPSHOT_FLOOR; level <= treeDepth(size); level++) levels.push(r.raw(levelLength(size, level) * FIELD_BYTES).slice());
  const tree = MemberTree.fromParts(records, size, levels, SNAPSHOT_FLOOR);
  const head = { ...id, block, blockHash, size, root };
  checkRoot(tree, head, "snapshot");
  return { head, tree };
}

function checkRoot(tree: MemberTree, head: SnapshotHead, kind: string) {
  // Below the floor the root is hashed from the records here; above it, it is the stored top node.
  if (tree.root !== head.root) {
    throw invalid(`the tree ${kind} is named by root ${head.root} but its nodes give ${tree.root}`, { root: head.root.toString() });
  }
}

export interface UpdateSpec {
  fromSize: number;
  fromRoot: bigint;
  /** Leaves joined or renewed since `fromRoot`. */
  changed: Iterable<number>;
}

/** The records and nodes (from the floor up) that changed since `spec.fromRoot`, against `tree`'s current state. */
export function encodeUpdate(tree: MemberTree, head: Omit<SnapshotHead, "size" | "root">, spec: UpdateSpec): Uint8Array {
  const leaves = [...new Set(spec.changed)].sort((a, b) => a - b);
  const depth = tree.depth;
  const nodes: Array<[number, number]> = [];
  for (let level = SNAPSHOT_FLOOR; level <= depth; level++) {
    const seen = new Set<number>();
    for (const leaf of leaves) seen.add(leaf >> level);
    for (const index of [...seen].sort((a, b) => a - b)) nodes.push([level, index]);
  }
  const w = new Writer(UPDATE_HEADER_BYTES + 4 + leaves.length * (4 + RECORD_BYTES) + 4 + nodes.length * (1 + 4 + FIELD_BYTES));
  writeId(w, UPDATE_MAGIC, head);
  w.field(spec.fromRoot);
  w.u32(spec.fromSize);
  w.u64(head.block);
  w.hex(head.blockHash, 32);
  w.u32(tree.size);
  w.field(tree.root);
  const { records, levels } = tree.parts;
  w.u32(leaves.length);
  for (const leaf of leaves) {
    w.u32(leaf);
    w.raw(records.item(leaf));
  }
  w.u32(nodes.length);
  for (const [level, index] of nodes) {
    w.u8(level);
    w.u32(index);
    w.raw((levels.levels[level] as ItemArray).item(index));
  }
  return w.bytes;
}

/**
 * Applies an update to a tree decoded from a snapshot (in place) and returns the new head. Refuses
 * an update for another tree or from another root, a cut-off one, and one whose nodes do not give
 * the root it names.
 */
export function applyUpdate(snapshot: DecodedSnapshot, bytes: Uint8Array): SnapshotHead {
  const r = new Reader(bytes);
  const id = readId(r, UPDATE_MAGIC, "update");
  if (bytes.length < UPDATE_HEADER_BYTES + 4) throw truncated("update", bytes.length, UPDATE_HEADER_BYTES + 4);
  const old = snapshot.head;
  if (id.chainId !== old.chainId || id.pool !== old.pool || id.planId !== old.planId)
    throw invalid(`the tree update is for plan ${id.planId} of pool ${id.pool} on chain ${id.chainId}, not the cached tree's`);
  const fromRoot = r.field();
  const fromSize = r.u32();
  if (fromRoot !== old.root || fromSize !== old.size)
    throw invalid(`the tree update starts from root ${fromRoot} (${fromSize} members), not the cached ${old.root} (${old.size})`);
  const block = r.u64();
  const blockHash = r.hex(32);
  const size = r.u32();
  const root = r.field();
  if (size < old.size) throw invalid(`the tree update shrinks the tree from ${old.size} to ${size} members`);
  const recordCount = r.u32();
  const nodeCountAt = UPDATE_HEADER_BYTES + 4 + recordCount * (4 + RECORD_BYTES);
  if (bytes.length < nodeCountAt + 4) throw truncated("update", bytes.length, nodeCountAt + 4);
  const nodeCount = new DataView(bytes.buffer, bytes.byteOffset + nodeCountAt, 4).getUint32(0, true);
  const expected = nodeCountAt + 4 + nodeCount * (1 + 4 + FIELD_BYTES);
  if (bytes.length !== expected) throw truncated("update", bytes.length, expected);
  const { records, levels } = snapshot.tree.parts;
  records.resize(size);
  levels.resize(size);
  for (let i = 0; i < recordCount; i++) {
    const index = r.u32();
    if (index >= size) throw invalid(`the tree update sets member ${index} of ${size}`);
    records.bytes.set(r.raw(RECORD_BYTES), index * RECORD_BYTES);
  }
  r.u32();
  const depth = treeDepth(size);
  for (let i = 0; i < nodeCount; i++) {
    const level = r.u8();
    const index = r.u32();
    if (level < SNAPSHOT_FLOOR || level > depth || index >= levelLength(size, level))
      throw invalid(`the tree update sets node ${index} of level ${level}, outside a tree of ${size}`);
    levels.setNode(level, index, r.raw(FIELD_BYTES));
  }
  const head = { ...id, block, blockHash, size, root };
  checkRoot(snapshot.tree, head, "update");
  snapshot.head = head;
  return head;
}
