/**
 * The desk's refusals: one stable code per reason, mapped to an HTTP status, beside the service
 * kit's HTTP-level faults. Every client mistake is a 4xx with a message that says what to do; a
 * 5xx never describes internals.
 */
import { HTTP_FAULT_STATUS, HttpFaultCode } from "../kit/http-faults.ts";
import { CodedError, type CodedErrorOptions } from "../sdk/coded-error.ts";

export const DeskErrorCode = {
  ...HttpFaultCode,
  /** No Authorization header, or one that is not `Bearer <token>`. */
  Unauthorized: "DESK_UNAUTHORIZED",
  /** A session token the desk never issued, or one that expired. */
  SessionInvalid: "DESK_SESSION_INVALID",
  /** A signed-in assessor asking for another plan's cases, or a member for another member's case. */
  Forbidden: "DESK_FORBIDDEN",
  /** A public key that is not in the plan's assessor set on chain (never added, or revoked). */
  NotAnAssessor: "DESK_NOT_AN_ASSESSOR",
  /** A challenge this desk did not issue, already used, or expired. */
  ChallengeInvalid: "DESK_CHALLENGE_INVALID",
  SignInInvalid: "DESK_SIGN_IN_INVALID",
  PlanUnknown: "DESK_PLAN_UNKNOWN",
  CaseNotFound: "DESK_CASE_NOT_FOUND",
  /** The same envelope id filed again with another capability. */
  CaseExists: "DESK_CASE_EXISTS",
  FileNotDeclared: "DESK_FILE_NOT_DECLARED",
  /** A file body whose size or SHA-256 is not the one declared when the case was filed. */
  FileMismatch: "DESK_FILE_MISMATCH",
  /** A case over the desk's limits (files, bytes, messages). */
  TooLarge: "DESK_TOO_LARGE",
  /** A decision or message on a case whose files have not all arrived. */
  CaseIncomplete: "DESK_CASE_INCOMPLETE",
  /** A second decision, or a message after the decision. */
  CaseDecided: "DESK_CASE_DECIDED",
  /** A message sealed the wrong way for its sender (a member's must be wrapped to the roster; an assessor's to the member). */
  WrongSender: "DESK_WRONG_SENDER",
  /** A roster entry whose signature does not verify, or for another plan or key than the signed-in assessor's. */
  RosterEntryInvalid: "DESK_ROSTER_ENTRY_INVALID",
  /** No DKG run, committee or signing round by that id at this desk. */
  CommitteeNotFound: "DESK_COMMITTEE_NOT_FOUND",
  /** A committee post out of turn: the run or round is at another step, or the member sent it already. */
  CommitteeState: "DESK_COMMITTEE_STATE",
  /** A committee post that does not check: not signed by its member's key, or its package, key set or share is refused. */
  CommitteeRefused: "DESK_COMMITTEE_REFUSED",
  /** Nonce commitments that a vote used before: a nonce signs once. */
  NonceReused: "DESK_NONCE_REUSED",
  /** A signature share that fails FROST's share verification; `signer` names its member. */
  ShareInvalid: "DESK_SHARE_INVALID",
  /** The chain could not be read to check a plan or an assessor; try again. */
  ChainUnavailable: "DESK_CHAIN_UNAVAILABLE",
} as const;
export type DeskErrorCode = (typeof DeskErrorCode)[keyof typeof DeskErrorCode];

const STATUS: Record<DeskErrorCode, number> = {
  ...HTTP_FAULT_STATUS,
  DESK_UNAUTHORIZED: 401,
  DESK_SESSION_INVALID: 401,
  DESK_FORBIDDEN: 403,
  DESK_NOT_AN_ASSESSOR: 403,
  DESK_CHALLENGE_INVALID: 401,
  DESK_SIGN_IN_INVALID: 401,
  DESK_PLAN_UNKNOWN: 404,
  DESK_CASE_NOT_FOUND: 404,
  DESK_CASE_EXISTS: 409,
  DESK_FILE_NOT_DECLARED: 404,
  DESK_FILE_MISMATCH: 422,
  DESK_TOO_LARGE: 413,
  DESK_CASE_INCOMPLETE: 409,
  DESK_CASE_DECIDED: 409,
  DESK_WRONG_SENDER: 422,
  DESK_ROSTER_ENTRY_INVALID: 422,
  DESK_COMMITTEE_NOT_FOUND: 404,
  DESK_COMMITTEE_STATE: 409,
  DESK_COMMITTEE_REFUSED: 422,
  DESK_NONCE_REUSED: 409,
  DESK_SHARE_INVALID: 422,
  DESK_CHAIN_UNAVAILABLE: 503,
};

export class DeskError extends CodedError<DeskErrorCode> {
  readonly statusCode: number;
  /** The SDK's code for what it refused, sent beside the desk's own (the reply's `reason`). */
  readonly reason?: string;

  constructor(code: DeskErrorCode, message: string, options: CodedErrorOptions & { reason?: string } = {}) {
    super(code, message, options);
    this.name = "DeskError";
    this.statusCode = STATUS[code];
    if (options.reason !== undefined) this.reason = options.reason;
  }
}
