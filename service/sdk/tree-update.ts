/**
 * What the pool's leaf updates take. `renew` (a member's leaf) and `revokeAssessor` (an assessor's)
 * replace a leaf of a LeanIMT in place and need its path: the sibling nodes LeanIMT's update reads,
 * which are the proof's own siblings without the zeros that pad them to the circuit's depth.
 */
import type { CircuitMerkleProof } from "./trees.ts";

/** The `siblings` argument of the pool's `renew` / `revokeAssessor` for the leaf `proof` proves. */
export function updateSiblings(proof: Pick<CircuitMerkleProof, "siblings" | "depth">): bigint[] {
  return proof.siblings.slice(0, proof.depth);
}
