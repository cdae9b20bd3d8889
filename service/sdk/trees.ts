/**
 * Member and assessor trees: Lean incremental Merkle trees with Poseidon(2), the structure the pool
 * keeps on chain (@zk-kit/lean-imt.sol) and Semaphore uses for groups. These mirrors let a client
 * compute roots and Merkle proofs from the leaves it read from chain events.
 */
import { Group } from "@semaphore-protocol/group";
import { poseidon2 } from "poseidon-lite";
import { ASSESSOR_TREE_MAX_DEPTH, MEMBER_TREE_MAX_DEPTH } from "./constants.ts";
import { assessorLeaf, memberLeaf, type PublicKey } from "./encoding.ts";
import { ErrorCode, HuzhuError } from "./errors.ts";
import { type BigNumberish, toEpoch, toField } from "./field.ts";
import { ItemArray, LeanLevels, readField, writeField } from "./lean-levels.ts";
import { FIELD_BYTES, fastPoseidon, loadedFastPoseidon } from "./poseidon-wasm.ts";

/** A Merkle proof in the circuit's shape: actual depth, leaf index, siblings padded with zeros. */
export interface CircuitMerkleProof {
  root: bigint;
  depth: number;
  index: bigint;
  siblings: bigint[];
}

function noSuchMember(index: number, size: number): HuzhuError {
  return new HuzhuError(ErrorCode.TreeNoSuchMember, `no member ${index} in a tree of ${size}`, { index, size });
}

function circuitProof(group: Group, leaf: bigint, maxDepth: number, notFound: () => HuzhuError): CircuitMerkleProof {
  const position = group.indexOf(leaf);
  if (position < 0 || leaf === 0n) throw notFound();
  const proof = group.generateMerkleProof(position);
  const siblings = proof.siblings.map(BigInt);
  if (siblings.length > maxDepth)
    throw new HuzhuError(ErrorCode.TreeTooDeep, `tree depth ${siblings.length} exceeds the circuit's maximum ${maxDepth}`);
  return {
    root: BigInt(proof.root),
    depth: siblings.length,
    index: BigInt(proof.index),
    siblings: [...siblings, ...Array<bigint>(maxDepth - siblings.length).fill(0n)],
  };
}

export interface MemberRecord {
  commitment: bigint;
  eligibleFrom: bigint;
  paidThrough: bigint;
}

/** A member record in 40 bytes: commitment (32, little-endian), eligibleFrom and paidThrough (4 each, little-endian). */
export const RECORD_BYTES = 40;

export function writeRecord(bytes: Uint8Array, offset: number, record: MemberRecord): void {
  writeField(bytes, offset, toField(record.commitment, "commitment"));
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset + FIELD_BYTES, 8);
  view.setUint32(0, Number(toEpoch(record.eligibleFrom, "eligibleFrom")), true);
  view.setUint32(4, Number(toEpoch(record.paidThrough, "paidThrough")), true);
}

export function readRecord(bytes: Uint8Array, offset: number): MemberRecord {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset + FIELD_BYTES, 8);
  return {
    commitment: readField(bytes, offset),
    eligibleFrom: BigInt(view.getUint32(0, true)),
    paidThrough: BigInt(view.getUint32(4, true)),
  };
}

function recordLeaf(record: MemberRecord): bigint {
  const fast = loadedFastPoseidon();
  if (!fast) return memberLeaf(record.commitment, record.eligibleFrom, record.paidThrough);
  const input = new Uint8Array(3 * FIELD_BYTES);
  writeField(input, 0, toField(record.commitment, "commitment"));
  writeField(input, FIELD_BYTES, toEpoch(record.eligibleFrom, "eligibleFrom"));
  writeField(input, 2 * FIELD_BYTES, toEpoch(record.paidThrough, "paidThrough"));
  const out = new Uint8Array(FIELD_BYTES);
  fast.hashMany(input, 3, 1, out, 0);
  return readField(out, 0);
}

/**
 * A plan's member tree, leaf i being member i's Poseidon(commitment, eligibleFrom, paidThrough),
 * with every member's record (to find one's own leaf). Built one event at a time (`add`, `update`:
 * O(log n) hashes each), in bulk (`build`, with the fast WebAssembly Poseidon), or from a tree
 * snapshot (`fromParts`, without the levels below the snapshot's floor).
 */
export class MemberTree {
  readonly #records: ItemArray;
  readonly #levels: LeanLevels;

  constructor(records?: ItemArray, levels?: LeanLevels) {
    this.#records = records ?? new ItemArray(RECORD_BYTES);
    this.#levels = levels ?? new LeanLevels((i) => recordLeaf(this.record(i)));
  }

  static from(records: Iterable<MemberRecord>): MemberTree {
    const tree = new MemberTree();
    for (const record of records) tree.add(record);
    return tree;
  }

  /** The tree of `records` hashed in bulk: one Poseidon(3) per member and n - 1 Poseidon(2) in all. */
  static async build(records: readonly MemberRecord[]): Promise<MemberTree> {
    const hasher = await fastPoseidon();
    const n = records.length;
    const recordBytes = new ItemArray(RECORD_BYTES);
    recordBytes.resize(n);
    const inputs = new Uint8Array(n * 3 * FIELD_BYTES);
    records.forEach((record, i) => {
      writeRecord(recordBytes.bytes, i * RECORD_BYTES, record);
      writeField(inputs, 3 * i * FIELD_BYTES, record.commitment);
      writeField(inputs, (3 * i + 1) * FIELD_BYTES, record.eligibleFrom);
      writeField(inputs, (3 * i + 2) * FIELD_BYTES, record.paidThrough);
    });
    const leaves = new Uint8Array(n * FIELD_BYTES);
    hasher.hashMany(inputs, 3, n, leaves, 0);
    let tree: MemberTree | undefined;
    const levels = LeanLevels.build(leaves, n, hasher, (i) => recordLeaf((tree as MemberTree).record(i)));
    tree = new MemberTree(recordBytes, levels);
    return tree;
  }

  /** A tree from a snapshot's parts: `size` records (RECORD_BYTES each) and levels `floor`..depth. */
  static fromParts(records: Uint8Array, size: number, levels: Uint8Array[], floor: number): MemberTree {
    let tree: MemberTree | undefined;
    const lean = LeanLevels.fromLevels(levels, size, floor, (i) => recordLeaf((tree as MemberTree).record(i)));
    tree = new MemberTree(new ItemArray(RECORD_BYTES, records, size), lean);
    return tree;
  }

  get root(): bigint {
    return this.#levels.root;
  }

  get size(): number {
    return this.#levels.size;
  }

  get depth(): number {
    return this.#levels.depth;
  }

  /** The records and node levels as stored (for snapshots); levels below `floor` are absent. */
  get parts(): { records: ItemArray; levels: LeanLevels } {
    return { records: this.#records, levels: this.#levels };
  }

  record(index: number): MemberRecord {
    if (index < 0 || index >= this.#records.length) throw noSuchMember(index, this.#records.length);
    return readRecord(this.#records.bytes, index * RECORD_BYTES);
  }

  /** Appends a member (join); returns its index. */
  add(record: MemberRecord): number {
    const index = this.size;
    if (index >= 2 ** MEMBER_TREE_MAX_DEPTH)
      throw new HuzhuError(
        ErrorCode.TreeFull,
        `the member tree is full (${2 ** MEMBER_TREE_MAX_DEPTH} members): the plan takes no more joins`,
      );
    this.#records.resize(index + 1);
    writeRecord(this.#records.bytes, index * RECORD_BYTES, record);
    this.#levels.set(index, recordLeaf(record));
    return index;
  }

  /** Replaces member `index`'s record (renewal). */
  update(index: number, record: MemberRecord): void {
    if (index < 0 || index >= this.size) throw noSuchMember(index, this.size);
    writeRecord(this.#records.bytes, index * RECORD_BYTES, record);
    this.#levels.set(index, recordLeaf(record));
  }

  /** Drops the members from `size` on (joins undone by a reorganisation). */
  truncate(size: number): void {
    this.#levels.truncate(size);
    this.#records.resize(size);
  }

  /** The index of a commitment's leaf, or -1: a scan of the records, no hashing. */
  indexOf(commitment: BigNumberish): number {
    const target = new Uint8Array(FIELD_BYTES);
    writeField(target, 0, toField(commitment, "commitment"));
    const bytes = this.#records.bytes;
    const first = target[0];
    for (let i = 0, at = 0; i < this.#records.length; i++, at += RECORD_BYTES) {
      if (bytes[at] !== first) continue;
      let same = true;
      for (let k = 1; k < FIELD_BYTES && same; k++) same = bytes[at + k] === target[k];
      if (same) return i;
    }
    return -1;
  }

  /** The current record of a commitment, if it is a member. */
  find(commitment: BigNumberish): MemberRecord | undefined {
    const index = this.indexOf(commitment);
    return index < 0 ? undefined : this.record(index);
  }

  /**
   * The circuit's Merkle proof for `record`, hashed from its leaf to the root before it is returned:
   * a tree whose nodes were tampered with on this path is refused (TREE_MISMATCH).
   */
  proof(record: MemberRecord): CircuitMerkleProof {
    const index = this.indexOf(record.commitment);
    const current = index < 0 ? undefined : this.record(index);
    if (!current || current.eligibleFrom !== record.eligibleFrom || current.paidThrough !== record.paidThrough) {
      throw new HuzhuError(ErrorCode.NotAMember, "this identity (with these coverage epochs) is not in the plan's member tree", {
        commitment: record.commitment.toString(),
      });
    }
    const { siblings, index: pathIndex } = this.#levels.proof(index);
    let node = recordLeaf(record);
    siblings.forEach((sibling, level) => {
      node = (pathIndex >> BigInt(level)) & 1n ? poseidon2([sibling, node]) : poseidon2([node, sibling]);
    });
    if (node !== this.root) {
      throw new HuzhuError(
        ErrorCode.TreeMismatch,
        `member ${index}'s Merkle path hashes to ${node}, not to the tree's root ${this.root}: the tree's nodes are corrupt; load it again from another source or from events`,
        { index },
      );
    }
    return {
      root: this.root,
      depth: siblings.length,
      index: pathIndex,
      siblings: [...siblings, ...Array<bigint>(MEMBER_TREE_MAX_DEPTH - siblings.length).fill(0n)],
    };
  }
}

/** A plan's assessor set: leaf i is Poseidon(Ax, Ay) of assessor i's key; a revoked key's leaf is 0. */
/**
 * Keys that may sign for a plan at its desk: the assessor tree's, or (with committees) the tree's
 * and each member key of a committee whose group key is in the tree (`deskAssessors`).
 */
export interface AssessorKeys {
  has(publicKey: PublicKey): boolean;
}

export class AssessorTree {
  readonly #group = new Group();

  static from(publicKeys: Iterable<PublicKey>): AssessorTree {
    const tree = new AssessorTree();
    for (const key of publicKeys) tree.add(key);
    return tree;
  }

  get root(): bigint {
    return this.#group.root ?? 0n;
  }

  get size(): number {
    return this.#group.size;
  }

  has(publicKey: PublicKey): boolean {
    return this.#group.indexOf(assessorLeaf(publicKey)) >= 0;
  }

  add(publicKey: PublicKey): number {
    if (this.#group.size >= 2 ** ASSESSOR_TREE_MAX_DEPTH)
      throw new HuzhuError(ErrorCode.TreeFull, `the assessor tree is full (${2 ** ASSESSOR_TREE_MAX_DEPTH} keys)`);
    this.#group.addMember(assessorLeaf(publicKey));
    return this.#group.size - 1;
  }

  revoke(publicKey: PublicKey): void {
    const index = this.#group.indexOf(assessorLeaf(publicKey));
    if (index < 0) throw new HuzhuError(ErrorCode.AssessorNotInSet, "this assessor key is not in the set");
    this.#group.removeMember(index);
  }

  proof(publicKey: PublicKey): CircuitMerkleProof {
    return circuitProof(
      this.#group,
      assessorLeaf(publicKey),
      ASSESSOR_TREE_MAX_DEPTH,
      () =>
        new HuzhuError(ErrorCode.AssessorNotInSet, "the approval's assessor is not in the plan's assessor set (revoked or never added)"),
    );
  }
}
