/**
 * A small plan built with the SDK: members with their coverage epochs, an assessor set, and one
 * member holding an approval. Tests derive broken variants from it.
 */
import type { Address } from "viem";
import {
  type Approval,
  type AssessorKey,
  AssessorTree,
  type ClaimRequest,
  type ContextTerms,
  createIdentity,
  generateAssessorKey,
  type Identity,
  MemberTree,
  randomFieldElement,
  signApproval,
} from "../service/sdk/index.ts";

export interface ClaimScenario {
  identity: Identity;
  memberTree: MemberTree;
  assessorTree: AssessorTree;
  assessor: AssessorKey;
  approval: Approval;
  claimEpoch: bigint;
  contextTerms: ContextTerms;
  request: ClaimRequest;
}

export interface ScenarioOptions {
  eligibleFrom?: bigint;
  paidThrough?: bigint;
  claimEpoch?: bigint;
  expiresAtEpoch?: bigint;
  amount?: bigint;
  otherMembers?: number;
  otherAssessors?: number;
}

export const POOL: Address = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
export const RECIPIENT: Address = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
export const RELAYER: Address = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";

export function claimScenario(options: ScenarioOptions = {}): ClaimScenario {
  const planId = 1n;
  const claimEpoch = options.claimEpoch ?? 7n;
  const identity = createIdentity();
  const memberTree = new MemberTree();
  for (let i = 0; i < (options.otherMembers ?? 4); i++) {
    memberTree.add({ commitment: createIdentity().commitment, eligibleFrom: 3n, paidThrough: 12n });
  }
  memberTree.add({ commitment: identity.commitment, eligibleFrom: options.eligibleFrom ?? 3n, paidThrough: options.paidThrough ?? 12n });
  memberTree.add({ commitment: createIdentity().commitment, eligibleFrom: 5n, paidThrough: 9n });

  const assessor = generateAssessorKey();
  const assessorTree = new AssessorTree();
  for (let i = 0; i < (options.otherAssessors ?? 2); i++) assessorTree.add(generateAssessorKey().publicKey);
  assessorTree.add(assessor.publicKey);

  const approval = signApproval(assessor, {
    commitment: identity.commitment,
    planId,
    eventId: randomFieldElement(),
    amount: options.amount ?? 1_500_000_000n,
    expiresAtEpoch: options.expiresAtEpoch ?? 9n,
  });
  const contextTerms: ContextTerms = {
    chainId: 31337n,
    pool: POOL,
    planId,
    recipient: RECIPIENT,
    relayer: RELAYER,
    fee: 15_000_000n,
    gasDrop: 0n,
  };
  return {
    identity,
    memberTree,
    assessorTree,
    assessor,
    approval,
    claimEpoch,
    contextTerms,
    request: { identity, memberTree, assessorTree, approval, claimEpoch, context: contextTerms },
  };
}
