import { Group } from "@semaphore-protocol/group";
import "../../service/sdk/poseidon-circomlibjs.ts";
import { poseidon2 } from "poseidon-lite";
import { describe, expect, it } from "vitest";
import { memberLeaf } from "../../service/sdk/encoding.ts";
import { readField, writeField } from "../../service/sdk/lean-levels.ts";
import { fastPoseidon, loadedFastPoseidon } from "../../service/sdk/poseidon-wasm.ts";
import { type MemberRecord, MemberTree } from "../../service/sdk/trees.ts";

function records(n: number, seed = 1n): MemberRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    commitment:
      (BigInt(i + 1) * 0x9e3779b97f4a7c15n * seed) % 21888242871839275222246405745257275088548364400416034343698204186575808495617n,
    eligibleFrom: BigInt(i % 7),
    paidThrough: BigInt(10 + (i % 5)),
  }));
}

describe("member tree before the fast hasher is loaded", () => {
  it("hashes with poseidon-lite and gives the LeanIMT's root", async () => {
    expect(loadedFastPoseidon()).toBeUndefined();
    const rs = records(37);
    const group = new Group(rs.map((r) => memberLeaf(r.commitment, r.eligibleFrom, r.paidThrough)));
    const tree = MemberTree.from(rs);
    tree.truncate(30);
    const shorter = new Group(rs.slice(0, 30).map((r) => memberLeaf(r.commitment, r.eligibleFrom, r.paidThrough)));
    expect(tree.root).toBe(shorter.root);
    expect(MemberTree.from(rs).root).toBe(group.root);
  });
});

describe("fast Poseidon", () => {
  it("matches poseidon-lite (circomlib) bit for bit on pairs, including values near r", async () => {
    const hasher = await fastPoseidon();
    expect(hasher.name).toBe("circomlibjs");
    const r = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
    const pairs: Array<[bigint, bigint]> = [
      [0n, 0n],
      [1n, 2n],
      [r - 1n, r - 2n],
      [2n ** 253n, 12345678901234567890n],
      ...Array.from({ length: 300 }, (_, i): [bigint, bigint] => [BigInt(i) * 7919n, (BigInt(i) << 200n) % r]),
    ];
    const input = new Uint8Array(pairs.length * 64);
    pairs.forEach(([a, b], i) => {
      writeField(input, i * 64, a);
      writeField(input, i * 64 + 32, b);
    });
    const out = new Uint8Array(pairs.length * 32);
    hasher.hashPairs(input, pairs.length, out, 0);
    expect(pairs.map((_, i) => readField(out, i * 32))).toEqual(pairs.map(([a, b]) => poseidon2([a, b])));
  });
});

describe("member tree", () => {
  it("has the root and proofs of Semaphore's LeanIMT for every size from 0 to 40, built one by one or in bulk", async () => {
    for (let n = 0; n <= 40; n++) {
      const rs = records(n);
      const group = new Group(rs.map((r) => memberLeaf(r.commitment, r.eligibleFrom, r.paidThrough)));
      const one = MemberTree.from(rs);
      const bulk = await MemberTree.build(rs);
      expect(one.root).toBe(group.root ?? 0n);
      expect(bulk.root).toBe(group.root ?? 0n);
      for (const i of [0, n - 1, Math.floor(n / 2)]) {
        const r = rs[i];
        if (!r) continue;
        const proof = bulk.proof(r);
        const expected = group.generateMerkleProof(i);
        expect(proof.index).toBe(BigInt(expected.index));
        expect(proof.siblings.slice(0, proof.depth)).toEqual(expected.siblings.map(BigInt));
      }
    }
  });

  it("truncates to an earlier size (a reorganisation undoing joins) with the fast hasher too", () => {
    const rs = records(33);
    const tree = MemberTree.from(rs);
    for (const size of [32, 17, 16, 5, 1, 0]) {
      tree.truncate(size);
      expect(tree.root).toBe(new Group(rs.slice(0, size).map((r) => memberLeaf(r.commitment, r.eligibleFrom, r.paidThrough))).root ?? 0n);
    }
  });

  it("follows renewals like the LeanIMT's update", () => {
    const rs = records(25);
    const tree = MemberTree.from(rs);
    const group = new Group(rs.map((r) => memberLeaf(r.commitment, r.eligibleFrom, r.paidThrough)));
    const renewed = { ...(rs[17] as MemberRecord), paidThrough: 99n };
    tree.update(17, renewed);
    group.updateMember(17, memberLeaf(renewed.commitment, renewed.eligibleFrom, renewed.paidThrough));
    expect(tree.root).toBe(group.root);
    expect(tree.find(renewed.commitment)).toEqual(renewed);
  });

  it("refuses a proof for a record whose epochs differ from the tree's with NOT_A_MEMBER", () => {
    const rs = records(5);
    const tree = MemberTree.from(rs);
    expect(() => tree.proof({ ...(rs[2] as MemberRecord), paidThrough: 1000n })).toThrow(expect.objectContaining({ code: "NOT_A_MEMBER" }));
  });
});
