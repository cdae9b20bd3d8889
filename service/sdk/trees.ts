/**
 * Member and assessor trees: Lean incremental Merkle trees with Poseidon(2), the structure the pool
 * keeps on chain (@zk-kit/lean-imt.sol) and Semaphore uses for groups. These mirrors let a client
 * compute roots and Merkle proofs from the leaves it read from chain events.
 */
import { Group } from "@semaphore-protocol/group";
import { ASSESSOR_TREE_MAX_DEPTH, MEMBER_TREE_MAX_DEPTH } from "./constants.ts";
import { assessorLeaf, memberLeaf, type PublicKey } from "./encoding.ts";
import { ErrorCode, HuzhuError } from "./errors.ts";
import type { BigNumberish } from "./field.ts";

/** A Merkle proof in the circuit's shape: actual depth, leaf index, siblings padded with zeros. */
export interface CircuitMerkleProof {
  root: bigint;
  depth: number;
  index: bigint;
  siblings: bigint[];
}

function circuitProof(group: Group, leaf: bigint, maxDepth: number, notFound: () => HuzhuError): CircuitMerkleProof {
  const position = group.indexOf(leaf);
  if (position < 0 || leaf === 0n) throw notFound();
  const proof = group.generateMerkleProof(position);
  const siblings = proof.siblings.map(BigInt);
  if (siblings.length > maxDepth) throw new Error(`tree depth ${siblings.length} exceeds the circuit's maximum ${maxDepth}`);
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

/** A plan's member tree, leaf i being member i's Poseidon(commitment, eligibleFrom, paidThrough). */
export class MemberTree {
  readonly #group = new Group();
  readonly #records: MemberRecord[] = [];

  static from(records: Iterable<MemberRecord>): MemberTree {
    const tree = new MemberTree();
    for (const record of records) tree.add(record);
    return tree;
  }

  get root(): bigint {
    return this.#group.root ?? 0n;
  }

  get size(): number {
    return this.#group.size;
  }

  /** Appends a member (join); returns its index. */
  add(record: MemberRecord): number {
    if (this.#group.size >= 2 ** MEMBER_TREE_MAX_DEPTH) throw new Error("member tree is full");
    this.#group.addMember(memberLeaf(record.commitment, record.eligibleFrom, record.paidThrough));
    this.#records.push({ ...record });
    return this.#group.size - 1;
  }

  /** Replaces member `index`'s record (renewal). */
  update(index: number, record: MemberRecord): void {
    this.#group.updateMember(index, memberLeaf(record.commitment, record.eligibleFrom, record.paidThrough));
    this.#records[index] = { ...record };
  }

  /** The current record of a commitment, if it is a member. */
  find(commitment: BigNumberish): MemberRecord | undefined {
    const c = BigInt(commitment);
    return this.#records.find((record) => record.commitment === c);
  }

  proof(record: MemberRecord): CircuitMerkleProof {
    const leaf = memberLeaf(record.commitment, record.eligibleFrom, record.paidThrough);
    return circuitProof(
      this.#group,
      leaf,
      MEMBER_TREE_MAX_DEPTH,
      () =>
        new HuzhuError(ErrorCode.NotAMember, "this identity (with these coverage epochs) is not in the plan's member tree", {
          commitment: record.commitment.toString(),
        }),
    );
  }
}

/** A plan's assessor set: leaf i is Poseidon(Ax, Ay) of assessor i's key; a revoked key's leaf is 0. */
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
    if (this.#group.size >= 2 ** ASSESSOR_TREE_MAX_DEPTH) throw new Error(`assessor tree is full (${2 ** ASSESSOR_TREE_MAX_DEPTH} keys)`);
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
