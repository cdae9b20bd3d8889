/**
 * A Lean incremental Merkle tree (LeanIMT, as @zk-kit/lean-imt and the pool's @zk-kit/lean-imt.sol
 * build it) kept as flat byte arrays, one per level, 32 bytes per node (little-endian field
 * elements). A node with no right sibling is carried up unchanged, so level L has
 * ceil(n / 2^L) nodes and the root sits at depth ceil(log2 n). Flat arrays keep a tree of 2^20
 * members in about 64 MB and serialise without conversion (tree snapshots, service/sdk/tree-snapshot.ts).
 *
 * Levels below `floor` may be left out (a snapshot omits them to stay small): their nodes are then
 * recomputed from the leaves on demand, which `leafAt` supplies.
 */
import { poseidon2 } from "poseidon-lite";
import { FIELD_BYTES, readField, writeField } from "./field-bytes.ts";
import { type FastPoseidon, loadedFastPoseidon } from "./poseidon-wasm.ts";

export { readField, writeField };

/** Nodes on level `level` of a LeanIMT with `size` leaves. */
export function levelLength(size: number, level: number): number {
  return size === 0 ? 0 : Math.ceil(size / 2 ** level);
}

/** The depth of a LeanIMT with `size` leaves (0 for one leaf or none). */
export function treeDepth(size: number): number {
  let depth = 0;
  while (2 ** depth < size) depth++;
  return depth;
}

/** A growable array of fixed-size items in one byte buffer. */
export class ItemArray {
  bytes: Uint8Array;
  length = 0;
  readonly itemBytes: number;

  constructor(itemBytes: number, bytes?: Uint8Array, length = 0) {
    this.itemBytes = itemBytes;
    this.bytes = bytes ?? new Uint8Array(itemBytes * 16);
    this.length = length;
  }

  /** Makes room for `length` items and sets the length (new items are zero). */
  resize(length: number): void {
    const needed = length * this.itemBytes;
    if (needed > this.bytes.length) {
      const grown = new Uint8Array(Math.max(needed, this.bytes.length * 2));
      grown.set(this.bytes.subarray(0, this.length * this.itemBytes));
      this.bytes = grown;
    }
    this.length = length;
  }

  item(index: number): Uint8Array {
    return this.bytes.subarray(index * this.itemBytes, (index + 1) * this.itemBytes);
  }

  /** The used part of the buffer. */
  view(): Uint8Array {
    return this.bytes.subarray(0, this.length * this.itemBytes);
  }
}

export class LeanLevels {
  /** levels[L] for L >= floor; lower entries are absent. */
  readonly levels: ItemArray[] = [];
  readonly floor: number;
  #size = 0;
  readonly #leafAt: (index: number) => bigint;

  constructor(leafAt: (index: number) => bigint, floor = 0) {
    this.#leafAt = leafAt;
    this.floor = floor;
  }

  get size(): number {
    return this.#size;
  }

  get depth(): number {
    return treeDepth(this.#size);
  }

  get root(): bigint {
    return this.#size === 0 ? 0n : this.node(this.depth, 0);
  }

  #level(level: number): ItemArray {
    let array = this.levels[level];
    if (!array) {
      for (let l = this.levels.length; l <= level; l++) this.levels[l] = new ItemArray(FIELD_BYTES);
      array = this.levels[level] as ItemArray;
    }
    return array;
  }

  /** Node `index` on `level` (recomputed from the leaves below `floor`). */
  node(level: number, index: number): bigint {
    if (level >= this.floor) return readField((this.levels[level] as ItemArray).bytes, index * FIELD_BYTES);
    return this.#computed(level, index);
  }

  /** Node `index` on `level`, hashed up from the leaves. */
  #computed(level: number, index: number): bigint {
    if (level === 0) return this.#leafAt(index);
    const left = this.#computed(level - 1, 2 * index);
    return 2 * index + 1 < levelLength(this.#size, level - 1) ? poseidon2([left, this.#computed(level - 1, 2 * index + 1)]) : left;
  }

  /**
   * Sets leaf `index` (index === size appends) and rehashes its path: O(depth) hashes. Only a tree
   * that keeps every level (floor 0) changes this way; a snapshot's tree takes its nodes from updates.
   */
  set(index: number, leaf: bigint): void {
    if (this.floor !== 0) throw new Error("a tree without its lower levels cannot rehash a path; apply a snapshot update instead");
    if (index > this.#size) throw new Error(`leaf ${index} is past the end of a tree of ${this.#size}`);
    if (index === this.#size) this.#size++;
    const depth = this.depth;
    for (let level = 0; level <= depth; level++) this.#level(level).resize(levelLength(this.#size, level));
    const fast = loadedFastPoseidon();
    if (fast) {
      this.#setPathFast(fast, index, leaf, depth);
      return;
    }
    let at = index;
    let value = leaf;
    writeField(this.#level(0).bytes, at * FIELD_BYTES, value);
    for (let level = 0; level < depth; level++) {
      const sibling = at ^ 1;
      if (sibling < levelLength(this.#size, level)) {
        const other = this.node(level, sibling);
        value = at & 1 ? poseidon2([other, value]) : poseidon2([value, other]);
      }
      at >>= 1;
      writeField(this.#level(level + 1).bytes, at * FIELD_BYTES, value);
    }
  }

  /** The same path rehash on the nodes' bytes with the fast hasher (no bigint per level). */
  #setPathFast(fast: FastPoseidon, index: number, leaf: bigint, depth: number): void {
    const pair = new Uint8Array(2 * FIELD_BYTES);
    let at = index;
    writeField(this.#level(0).bytes, at * FIELD_BYTES, leaf);
    for (let level = 0; level < depth; level++) {
      const nodes = this.#level(level);
      const parent = this.#level(level + 1);
      const left = at & ~1;
      if (left + 1 < levelLength(this.#size, level)) {
        pair.set(nodes.bytes.subarray(left * FIELD_BYTES, (left + 2) * FIELD_BYTES));
        fast.hashPairs(pair, 1, parent.bytes, (at >> 1) * FIELD_BYTES);
      } else {
        parent.bytes.set(nodes.item(at), (at >> 1) * FIELD_BYTES);
      }
      at >>= 1;
    }
  }

  /**
   * Drops the leaves from `size` on (undoing joins after a reorganisation): only the path of the new
   * last leaf changes, so this costs O(depth) hashes.
   */
  truncate(size: number): void {
    if (this.floor !== 0) throw new Error("a tree without its lower levels cannot be truncated");
    if (size > this.#size) throw new Error(`cannot truncate a tree of ${this.#size} leaves to ${size}`);
    this.#size = size;
    this.levels.length = size === 0 ? 0 : this.depth + 1;
    for (let level = 0; level < this.levels.length; level++) this.#level(level).resize(levelLength(size, level));
    if (size > 0) this.set(size - 1, this.node(0, size - 1));
  }

  /** Sets the size of a tree whose nodes are written directly (a snapshot update). */
  resize(size: number): void {
    this.#size = size;
    for (let level = this.floor; level <= this.depth; level++) this.#level(level).resize(levelLength(size, level));
  }

  /** Writes a stored node (from a snapshot update). */
  setNode(level: number, index: number, node: Uint8Array): void {
    this.#level(level).bytes.set(node, index * FIELD_BYTES);
  }

  /** The LeanIMT proof of leaf `index`: siblings that exist, bottom up, and the path bits as an index. */
  proof(index: number): { siblings: bigint[]; index: bigint } {
    const siblings: bigint[] = [];
    let bits = 0n;
    let at = index;
    for (let level = 0; level < this.depth; level++) {
      const sibling = at ^ 1;
      if (sibling < levelLength(this.#size, level)) {
        if (at & 1) bits |= 1n << BigInt(siblings.length);
        siblings.push(this.node(level, sibling));
      }
      at >>= 1;
    }
    return { siblings, index: bits };
  }

  /**
   * Fills every level from leaves given in bulk (32 bytes each), hashing each level with the fast
   * hasher: n - 1 hashes in all, checked once against a root by the caller.
   */
  static build(leaves: Uint8Array, size: number, hasher: FastPoseidon, leafAt: (index: number) => bigint): LeanLevels {
    const tree = new LeanLevels(leafAt, 0);
    tree.#size = size;
    let below = new ItemArray(FIELD_BYTES, leaves.slice(0, size * FIELD_BYTES), size);
    tree.levels[0] = below;
    for (let level = 1; level <= tree.depth; level++) {
      const length = levelLength(size, level);
      const next = new ItemArray(FIELD_BYTES, new Uint8Array(length * FIELD_BYTES), length);
      const pairs = Math.floor(below.length / 2);
      hasher.hashPairs(below.bytes, pairs, next.bytes, 0);
      if (below.length % 2 === 1) next.bytes.set(below.item(below.length - 1), pairs * FIELD_BYTES);
      tree.levels[level] = next;
      below = next;
    }
    return tree;
  }

  /** A tree from stored levels `floor`..depth (a decoded snapshot). */
  static fromLevels(levels: Uint8Array[], size: number, floor: number, leafAt: (index: number) => bigint): LeanLevels {
    const tree = new LeanLevels(leafAt, floor);
    tree.#size = size;
    levels.forEach((bytes, i) => {
      tree.levels[floor + i] = new ItemArray(FIELD_BYTES, bytes, bytes.length / FIELD_BYTES);
    });
    return tree;
  }
}
