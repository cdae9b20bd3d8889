/**
 * Stable error codes for everything the SDK refuses. The relayer maps them to HTTP replies and the
 * CLI to messages; callers branch on `code`, never on message text.
 */
import { CodedError, type CodedErrorOptions } from "./coded-error.ts";

export const ErrorCode = {
  FieldOutOfRange: "FIELD_OUT_OF_RANGE",
  EpochOutOfRange: "EPOCH_OUT_OF_RANGE",
  InvalidSecret: "INVALID_SECRET",
  NotAMember: "NOT_A_MEMBER",
  WaitingPeriodNotOver: "WAITING_PERIOD_NOT_OVER",
  CoverageLapsed: "COVERAGE_LAPSED",
  ApprovalExpired: "APPROVAL_EXPIRED",
  ApprovalNotForMember: "APPROVAL_NOT_FOR_MEMBER",
  ApprovalWrongPlan: "APPROVAL_WRONG_PLAN",
  AmountNotApproved: "AMOUNT_NOT_APPROVED",
  InvalidApprovalSignature: "INVALID_APPROVAL_SIGNATURE",
  AssessorNotInSet: "ASSESSOR_NOT_IN_SET",
  InvalidApprovalFile: "INVALID_APPROVAL_FILE",
  InvalidKeystore: "INVALID_KEYSTORE",
  WrongPassword: "WRONG_PASSWORD",
  InvalidPublicSignals: "INVALID_PUBLIC_SIGNALS",
  ProofFailed: "PROOF_FAILED",
  TreeMismatch: "TREE_MISMATCH",
  MemberRootNotRecent: "MEMBER_ROOT_NOT_RECENT",
  /** A tree snapshot or update whose contents are wrong (a tampered node, another plan's, another format). */
  SnapshotInvalid: "SNAPSHOT_INVALID",
  /** A tree snapshot or update shorter or longer than its header says. */
  SnapshotTruncated: "SNAPSHOT_TRUNCATED",
  /** A tree snapshot whose root is not one of the pool's recent roots for the plan. */
  SnapshotStale: "SNAPSHOT_STALE",
  /** A tree service that could not be reached or answered with an error. */
  TreeServiceFailed: "TREE_SERVICE_FAILED",
  /** Plan terms that cannot be set or read (no hash, an unknown category). */
  InvalidTerms: "INVALID_TERMS",
  /** A document whose hash is not the one the pool records for the plan's terms. */
  TermsMismatch: "TERMS_MISMATCH",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class HuzhuError extends CodedError<ErrorCode> {
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options: CodedErrorOptions = {}) {
    super(code, message, options);
    this.name = "HuzhuError";
    this.details = details;
  }
}
