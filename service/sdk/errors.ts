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
  // desk: the claims desk's envelope, roster, messages, decisions and sign-in (service/sdk/desk/)
  /** A sealed case part (document, file, message) that fails to authenticate: altered, or moved from another place or case. */
  DeskPartTampered: "DESK_PART_TAMPERED",
  /** A case or message with no wrapped key for this assessor's desk key. */
  DeskNotARecipient: "DESK_NOT_A_RECIPIENT",
  /** A wrapped key that does not open with this desk key for this plan and case (made for another case or key). */
  DeskWrappedKeyInvalid: "DESK_WRAPPED_KEY_INVALID",
  /** A file whose size or SHA-256 is not the one the case declares. */
  DeskFileMismatch: "DESK_FILE_MISMATCH",
  /** A case or message whose member signature does not verify, or whose key is not the commitment's. */
  DeskMemberSignatureInvalid: "DESK_MEMBER_SIGNATURE_INVALID",
  /** A roster entry whose EdDSA signature does not verify for its assessor key. */
  DeskRosterSignatureInvalid: "DESK_ROSTER_SIGNATURE_INVALID",
  /** A roster entry for another plan than the one asked for. */
  DeskRosterWrongPlan: "DESK_ROSTER_WRONG_PLAN",
  /** A committee record (key set and members' statements) that does not check: do not trust its members. */
  DeskCommitteeRecordInvalid: "DESK_COMMITTEE_RECORD_INVALID",
  /** A committee key file whose key set the desk lists no committee record of, for the plan asked about. */
  DeskCommitteeUnknown: "DESK_COMMITTEE_UNKNOWN",
  /** A roster with no entry that checks: no assessor to file a case to. */
  DeskNoAssessors: "DESK_NO_ASSESSORS",
  /** An assessor message or decision whose EdDSA signature does not verify. */
  DeskAssessorSignatureInvalid: "DESK_ASSESSOR_SIGNATURE_INVALID",
  /** An approval for another loss event than the case's. */
  DeskApprovalWrongEvent: "DESK_APPROVAL_WRONG_EVENT",
  /** A sign-in challenge past its expiry. */
  DeskChallengeExpired: "DESK_CHALLENGE_EXPIRED",
  /** A sign-in signature that does not verify for the challenge and key (or a challenge for another desk). */
  DeskSignInInvalid: "DESK_SIGN_IN_INVALID",
  /** A member case record that does not open with this identity (another identity's, or altered). */
  DeskRecordNotYours: "DESK_RECORD_NOT_YOURS",
  /** Decrypted or received desk data that is not in the desk's format (a bad document, message or record). */
  DeskMalformed: "DESK_MALFORMED",
  /** A file, case or message over the desk's size limits. */
  DeskTooLarge: "DESK_TOO_LARGE",
  // committee: k-of-n FROST key sets, their DKG, signing rounds and key files (service/sdk/committee/)
  /** Committee data that is not in the committee's format (a bad package, share, commitment or key set). */
  CommitteeMalformed: "COMMITTEE_MALFORMED",
  /** A package, commitment or share made for another committee key set than this one. */
  CommitteeWrongKeySet: "COMMITTEE_WRONG_KEY_SET",
  /** A signing package or share over another message than the one being signed (other terms). */
  CommitteeWrongMessage: "COMMITTEE_WRONG_MESSAGE",
  /** A commitment or share from another signing session than this one. */
  CommitteeWrongSession: "COMMITTEE_WRONG_SESSION",
  /** A signer that is not a member of the key set, not in the signing round's commitments, or listed twice. */
  CommitteeUnknownSigner: "COMMITTEE_UNKNOWN_SIGNER",
  /** Fewer signers (or shares) than the committee's threshold k, or more than its size n. */
  CommitteeNotEnoughSigners: "COMMITTEE_NOT_ENOUGH_SIGNERS",
  /** A signature share that fails FROST's share verification; `details.members` names its signers. */
  CommitteeShareInvalid: "COMMITTEE_SHARE_INVALID",
  /** A round-one nonce that has already signed once: a nonce signs one share, never two. */
  CommitteeNonceUsed: "COMMITTEE_NONCE_USED",
  /** A commitment in a signing package whose nonce this signer does not hold (not made here, or lost). */
  CommitteeNonceUnknown: "COMMITTEE_NONCE_UNKNOWN",
  /** A DKG that cannot finish; `details.participant` names the member whose package failed. */
  CommitteeDkgFailed: "COMMITTEE_DKG_FAILED",
  /** Waited longer than allowed for the other members of a committee (a DKG run or a signing round). */
  CommitteeTimedOut: "COMMITTEE_TIMED_OUT",
  /** A committee key file that is not one, or whose share does not belong to its key set. */
  CommitteeInvalidKeyFile: "COMMITTEE_INVALID_KEY_FILE",
  /** A committee key file whose member's key in the committee's checked record is not this assessor's key (another member's file). */
  CommitteeMemberKeyMismatch: "COMMITTEE_MEMBER_KEY_MISMATCH",
  // trees, keys, records and the chain
  /** A member or assessor tree at the circuit's capacity: no more leaves fit. */
  TreeFull: "TREE_FULL",
  /** A member index the tree does not hold. */
  TreeNoSuchMember: "TREE_NO_SUCH_MEMBER",
  /** A tree deeper than the circuit proves. */
  TreeTooDeep: "TREE_TOO_DEEP",
  /** An assessor private key that is not 32 bytes of hex. */
  InvalidAssessorKey: "INVALID_ASSESSOR_KEY",
  /** A deployment record that cannot be read or is not one. */
  DeploymentRecordInvalid: "DEPLOYMENT_RECORD_INVALID",
  /** eth_getLogs kept failing over a block span, after retries with smaller spans. */
  ChainLogsFailed: "CHAIN_LOGS_FAILED",
  /** A pinned dependency whose behaviour the project relies on changed (a self test failed). */
  ToolchainChanged: "TOOLCHAIN_CHANGED",
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
