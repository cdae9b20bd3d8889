/**
 * Claim proving: checks a claim in plain terms first (so a member sees "coverage lapsed", not a
 * circom assertion), builds the circuit input, computes the witness and the Groth16 proof with
 * progress reports, and verifies proofs. No Node-only API: this runs in a browser as well.
 */
import * as snarkjs from "snarkjs";
import { type Approval, verifyApproval } from "./assessor.ts";
import { BABYJUBJUB_SUBORDER } from "./constants.ts";
import {
  type ClaimPublicSignals,
  type ContextTerms,
  claimContext,
  claimNullifier,
  decodePublicSignals,
  encodePublicSignals,
  type Groth16Proof,
} from "./encoding.ts";
import { ErrorCode, HuzhuError } from "./errors.ts";
import { type BigNumberish, toEpoch, toField } from "./field.ts";
import type { Identity } from "./identity.ts";
import type { AssessorTree, MemberTree } from "./trees.ts";

export interface ClaimRequest {
  identity: Identity;
  /** The plan's member tree, as read from chain. */
  memberTree: MemberTree;
  /** The plan's assessor set, as read from chain. */
  assessorTree: AssessorTree;
  approval: Approval;
  /** The epoch the claim is made in (the pool accepts only the current one). */
  claimEpoch: BigNumberish;
  /** Payout terms, or an already computed context. */
  context: ContextTerms | bigint;
  /** The amount the member asks for; it must be the approved amount. Defaults to it. */
  amount?: BigNumberish;
}

/** The circuit's input, as the witness calculator takes it (decimal strings). */
export type ClaimCircuitInput = Record<string, string | string[]>;

export interface PreparedClaim {
  input: ClaimCircuitInput;
  /** What the proof will make public, computed without proving. */
  expected: ClaimPublicSignals;
}

/**
 * Checks every condition of the claim statement and returns the circuit input. Throws a
 * HuzhuError whose code names the first failed condition.
 */
export function prepareClaim(request: ClaimRequest): PreparedClaim {
  const { identity, approval, memberTree, assessorTree } = request;
  const secret = identity.secretScalar;
  if (secret >= BABYJUBJUB_SUBORDER)
    throw new HuzhuError(ErrorCode.InvalidSecret, "identity secret is not below the BabyJubjub subgroup order");
  const claimEpoch = toEpoch(request.claimEpoch, "claimEpoch");
  const commitment = identity.commitment;

  if (approval.commitment !== commitment) {
    throw new HuzhuError(ErrorCode.ApprovalNotForMember, "this approval was signed for another identity commitment", {
      approvalCommitment: approval.commitment.toString(),
    });
  }
  const context = typeof request.context === "bigint" ? toField(request.context, "context") : claimContext(request.context);
  if (typeof request.context !== "bigint" && request.context.planId !== approval.planId) {
    throw new HuzhuError(
      ErrorCode.ApprovalWrongPlan,
      `the approval is for plan ${approval.planId}, the claim for plan ${request.context.planId}`,
    );
  }
  const amount = request.amount === undefined ? approval.amount : toField(request.amount, "amount");
  if (amount !== approval.amount) {
    throw new HuzhuError(
      ErrorCode.AmountNotApproved,
      `the assessor approved ${approval.amount}, not ${amount}: claim the approved amount or ask for a new approval`,
      {
        approved: approval.amount.toString(),
        requested: amount.toString(),
      },
    );
  }

  const member = memberTree.find(commitment);
  if (member === undefined) {
    throw new HuzhuError(ErrorCode.NotAMember, "this identity is not a member of the plan: join it first", {
      commitment: commitment.toString(),
    });
  }
  if (claimEpoch < member.eligibleFrom) {
    throw new HuzhuError(ErrorCode.WaitingPeriodNotOver, `cover starts in epoch ${member.eligibleFrom}; this is epoch ${claimEpoch}`, {
      eligibleFrom: member.eligibleFrom.toString(),
    });
  }
  if (claimEpoch > member.paidThrough) {
    throw new HuzhuError(
      ErrorCode.CoverageLapsed,
      `contributions are paid through epoch ${member.paidThrough}; renew to claim in epoch ${claimEpoch}`,
      {
        paidThrough: member.paidThrough.toString(),
      },
    );
  }
  if (claimEpoch > approval.expiresAtEpoch) {
    throw new HuzhuError(
      ErrorCode.ApprovalExpired,
      `the approval expired after epoch ${approval.expiresAtEpoch}; ask the assessor for a new one`,
      {
        expiresAtEpoch: approval.expiresAtEpoch.toString(),
      },
    );
  }
  if (!verifyApproval(approval)) {
    throw new HuzhuError(
      ErrorCode.InvalidApprovalSignature,
      "the approval's signature does not verify: the file was altered or signed over other terms",
    );
  }
  const assessorProof = assessorTree.proof(approval.assessorPublicKey);
  const memberProof = memberTree.proof(member);

  const input: ClaimCircuitInput = {
    planId: approval.planId.toString(),
    claimEpoch: claimEpoch.toString(),
    amount: amount.toString(),
    context: context.toString(),
    secret: secret.toString(),
    eligibleFrom: member.eligibleFrom.toString(),
    paidThrough: member.paidThrough.toString(),
    memberTreeDepth: memberProof.depth.toString(),
    memberTreeIndex: memberProof.index.toString(),
    memberTreeSiblings: memberProof.siblings.map(String),
    assessorPubKey: approval.assessorPublicKey.map(String),
    assessorTreeDepth: assessorProof.depth.toString(),
    assessorTreeIndex: assessorProof.index.toString(),
    assessorTreeSiblings: assessorProof.siblings.map(String),
    approvalR8: approval.signature.R8.map(String),
    approvalS: approval.signature.S.toString(),
    eventId: approval.eventId.toString(),
    expiresAtEpoch: approval.expiresAtEpoch.toString(),
  };
  const expected: ClaimPublicSignals = {
    memberRoot: memberProof.root,
    assessorRoot: assessorProof.root,
    nullifier: claimNullifier(secret, approval.planId, approval.eventId),
    planId: approval.planId,
    claimEpoch,
    amount,
    context,
  };
  return { input, expected };
}

/** Where the prover finds the circuit: file paths in Node, URLs in a browser, or bytes. */
export interface ProverArtifacts {
  wasm: string | Uint8Array;
  zkey: string | Uint8Array;
}

export type ProofStage = "witness" | "prove" | "done";
export interface ProofProgress {
  stage: ProofStage;
  /** 0-100, monotone. */
  percent: number;
  step: string;
}

export interface ClaimProof {
  proof: Groth16Proof;
  publicSignals: string[];
  claim: ClaimPublicSignals;
}

// Milestones of snarkjs's Groth16 prover, in the order it logs them, with rough shares of its time.
const PROVER_MILESTONES: Array<[string, number]> = [
  ["Reading Wtns", 12],
  ["Reading Coeffs", 14],
  ["Building ABC", 18],
  ["IFFT_A", 22],
  ["FFT_A", 27],
  ["IFFT_B", 32],
  ["FFT_B", 37],
  ["IFFT_C", 42],
  ["FFT_C", 47],
  ["Join ABC", 52],
  ["Reading A Points", 55],
  ["Reading B1 Points", 63],
  ["Reading B2 Points", 70],
  ["Reading C Points", 82],
  ["Reading H Points", 88],
];

function asSnarkjsInput(data: string | Uint8Array): string | { type: "mem"; data: Uint8Array } {
  return typeof data === "string" ? data : { type: "mem", data };
}

/** Computes the witness and the Groth16 proof for a prepared claim. */
export async function proveClaim(
  prepared: PreparedClaim,
  artifacts: ProverArtifacts,
  onProgress?: (progress: ProofProgress) => void,
): Promise<ClaimProof> {
  let percent = -1;
  const report = (stage: ProofStage, value: number, step: string) => {
    if (value <= percent) return;
    percent = value;
    onProgress?.({ stage, percent: value, step });
  };
  report("witness", 0, "computing the witness");
  const witness: { type: "mem"; data?: Uint8Array } = { type: "mem" };
  try {
    await snarkjs.wtns.calculate(prepared.input, asSnarkjsInput(artifacts.wasm), witness);
  } catch (error) {
    // prepareClaim checks every condition, so this means the input and the circuit disagree.
    throw new HuzhuError(
      ErrorCode.ProofFailed,
      "the circuit rejected the claim input (are the circuit artifacts current?)",
      {},
      { cause: error },
    );
  }
  report("prove", 10, "proving");
  const logger = {
    debug: (message: string) => {
      const milestone = PROVER_MILESTONES.find(([prefix]) => message.startsWith(prefix));
      if (milestone) report("prove", milestone[1], milestone[0]);
    },
    info: () => {},
    warn: () => {},
    error: () => {},
  };
  const { proof, publicSignals } = await snarkjs.groth16.prove(asSnarkjsInput(artifacts.zkey), witness, logger);
  const claim = decodePublicSignals(publicSignals);
  for (const [name, value] of Object.entries(prepared.expected)) {
    if (claim[name as keyof ClaimPublicSignals] !== value) {
      throw new HuzhuError(
        ErrorCode.ProofFailed,
        `the proof's ${name} differs from the expected value (are the circuit artifacts current?)`,
      );
    }
  }
  report("done", 100, "done");
  return { proof: proof as Groth16Proof, publicSignals, claim };
}

/** Groth16 verification key, as snarkjs exports it. */
export type VerificationKey = Record<string, unknown> & { protocol: "groth16"; nPublic: number };

/** Verifies a claim proof against the verification key; any malformed input verifies false. */
export async function verifyClaimProof(
  vkey: VerificationKey,
  proof: Groth16Proof,
  signals: ClaimPublicSignals | readonly string[],
): Promise<boolean> {
  let publicSignals: string[];
  try {
    publicSignals = Array.isArray(signals)
      ? encodePublicSignals(decodePublicSignals(signals))
      : encodePublicSignals(signals as ClaimPublicSignals);
  } catch {
    return false;
  }
  try {
    return await snarkjs.groth16.verify(vkey, publicSignals, proof);
  } catch {
    return false;
  }
}

/** Ends snarkjs's worker threads so a Node process can exit. */
export async function releaseProver(): Promise<void> {
  // snarkjs caches one bn128 curve (with its worker threads) in globalThis; terminate clears it.
  const cached = (globalThis as { curve_bn128?: { terminate: () => Promise<void> } | null }).curve_bn128;
  await cached?.terminate();
}
