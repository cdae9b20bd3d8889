/**
 * A member's claim from chain data: reads the plan's member tree (from tree services' snapshots,
 * or every event) and assessor tree and the epoch a claim names now, checks and proves the claim locally, and returns the pool's `ClaimRequest` with the
 * proof. Nothing here leaves the member's device; the caller decides whom to send it to.
 */
import type { Address } from "viem";
import type { Approval } from "../assessor.ts";
import { type Groth16Proof, type SolidityProof, toSolidityProof } from "../encoding.ts";
import { ErrorCode, HuzhuError } from "../errors.ts";
import type { Identity } from "../identity.ts";
import { type ClaimProof, type ProofProgress, type ProverArtifacts, prepareClaim, proveClaim } from "../prover.ts";
import type { MemberTree } from "../trees.ts";
import { huzhuPoolAbi } from "./abi.ts";
import { claimEpochNow } from "./closing.ts";
import { loadAssessorTree, loadMemberTree, type PoolRef } from "./pool.ts";
import { type PoolClaimRequest, poolClaimRequest } from "./request.ts";
import { type LoadedMemberTree, loadAssessorTreeFromServices, loadMemberTreeFromServices, type TreeSourceOptions } from "./tree-source.ts";

export {
  CLAIM_REQUEST_FIELDS,
  type ClaimRequestBody,
  type ClaimTerms,
  type PoolClaimRequest,
  poolClaimRequest,
  requestFromJson,
  requestToJson,
} from "./request.ts";

export interface BuiltClaim {
  request: PoolClaimRequest;
  proof: Groth16Proof;
  solidityProof: SolidityProof;
  claimProof: ClaimProof;
}

export interface BuildClaimOptions {
  identity: Identity;
  approval: Approval;
  recipient: Address;
  /** Who submits and receives the fee: a relayer's address, or the member's own wallet. */
  relayer: Address;
  fee: bigint;
  /** Native coin (wei) the submitter sends with the claim for the recipient (a relayer's quoted gas drop); default none. */
  gasDrop?: bigint;
  artifacts: ProverArtifacts;
  onProgress?: (progress: ProofProgress) => void;
  /**
   * Take the member tree from these tree services' snapshots (checked against the pool and the
   * member's own path; a wrong one is refused and the next source tried) and the assessor set from
   * their assessor changes (checked against the pool's assessor root), instead of every event.
   */
  trees?: Omit<TreeSourceOptions, "commitment">;
  /** Where the member tree came from, and which sources were refused. */
  onMemberTree?: (loaded: Omit<LoadedMemberTree, "tree">) => void;
}

/** The plan's member tree for this claim: from tree services if given (falling back to events), else from events. */
async function claimMemberTree(ref: PoolRef, planId: bigint, options: BuildClaimOptions): Promise<MemberTree> {
  if (!options.trees) return loadMemberTree(ref, planId);
  const { tree, ...loaded } = await loadMemberTreeFromServices(ref, planId, { ...options.trees, commitment: options.identity.commitment });
  options.onMemberTree?.(loaded);
  return tree;
}

export async function buildClaim(ref: PoolRef, options: BuildClaimOptions): Promise<BuiltClaim> {
  const planId = options.approval.planId;
  const gasDrop = options.gasDrop ?? 0n;
  const [chainId, memberTree, assessorTree, claimEpoch] = await Promise.all([
    ref.client.getChainId(),
    claimMemberTree(ref, planId, options),
    options.trees ? loadAssessorTreeFromServices(ref, planId, options.trees).then((loaded) => loaded.tree) : loadAssessorTree(ref, planId),
    // The current epoch, or in a closing plan past its closing epoch the closing epoch.
    claimEpochNow(ref, planId),
  ]);
  const prepared = prepareClaim({
    identity: options.identity,
    memberTree,
    assessorTree,
    approval: options.approval,
    claimEpoch,
    context: {
      chainId: BigInt(chainId),
      pool: ref.pool,
      planId,
      recipient: options.recipient,
      relayer: options.relayer,
      fee: options.fee,
      gasDrop,
    },
  });
  const claimProof = await proveClaim(prepared, options.artifacts, options.onProgress);
  const c = claimProof.claim;
  const memberRootSeq = await findMemberRootSeq(ref, planId, c.memberRoot);
  return {
    request: poolClaimRequest(c, { memberRootSeq, recipient: options.recipient, relayer: options.relayer, fee: options.fee, gasDrop }),
    proof: claimProof.proof,
    solidityProof: toSolidityProof(claimProof.proof),
    claimProof,
  };
}

/**
 * The sequence number under which the pool keeps `memberRoot` among the plan's recent member roots,
 * as a claim must name it. Throws if the root is not one of them (never a root of the plan, or
 * more than the pool's window of joins and renewals ago): the claim must then be proved again.
 */
export async function findMemberRootSeq(ref: PoolRef, planId: bigint, memberRoot: bigint): Promise<bigint> {
  const seq = await ref.client.readContract({
    address: ref.pool,
    abi: huzhuPoolAbi,
    functionName: "memberRootSeq",
    args: [planId, memberRoot],
  });
  if (seq === 0n) {
    throw new HuzhuError(
      ErrorCode.MemberRootNotRecent,
      `member root ${memberRoot} is not one of plan ${planId}'s recent roots (too many members joined or renewed since): build the claim again`,
    );
  }
  return seq;
}
