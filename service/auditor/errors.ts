/** The auditor's own refusals, coded: a checkpoint it cannot resume from, a verifier it cannot rebuild. */
import { CodedError, type CodedErrorOptions } from "../sdk/coded-error.ts";

export const AuditErrorCode = {
  /** A checkpoint file that is not one (or of a version this auditor does not read). */
  CheckpointInvalid: "CHECKPOINT_INVALID",
  /** A checkpoint cut off before its last event (a write that did not finish). */
  CheckpointTruncated: "CHECKPOINT_TRUNCATED",
  /** The verifier source did not compile to the contract the auditor compares with the chain's. */
  VerifierBuildFailed: "VERIFIER_BUILD_FAILED",
} as const;
export type AuditErrorCode = (typeof AuditErrorCode)[keyof typeof AuditErrorCode];

export class AuditError extends CodedError<AuditErrorCode> {
  constructor(code: AuditErrorCode, message: string, options: CodedErrorOptions = {}) {
    super(code, message, options);
    this.name = "AuditError";
  }
}
