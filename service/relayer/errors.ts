/**
 * The relayer's refusals: one stable code per reason, mapped to an HTTP status. Every client
 * mistake is a 4xx with a message that says what to fix; a 5xx never describes internals.
 */
import { errorReply } from "../kit/error-reply.ts";
import { HTTP_FAULT_STATUS } from "../kit/http-faults.ts";
import { CodedError, type CodedErrorOptions } from "../sdk/coded-error.ts";
import { describePoolRevert, type PoolFailureKind, poolCodesOfKind } from "../sdk/pool-errors.ts";
import { RelayerErrorCode } from "../sdk/relayer-codes.ts";

export { RelayerErrorCode };

const STATUS: Record<RelayerErrorCode, number> = {
  ...HTTP_FAULT_STATUS,
  FIELD_OUT_OF_RANGE: 400,
  UNKNOWN_PLAN: 422,
  PLAN_INACTIVE: 422,
  POOL_PAUSED: 422,
  UNKNOWN_MEMBER_ROOT: 422,
  STALE_ASSESSOR_ROOT: 422,
  WRONG_EPOCH: 422,
  CLAIMS_CLOSED: 422,
  ZERO_AMOUNT: 422,
  AMOUNT_OVER_CAP: 422,
  INSUFFICIENT_POOL_FUNDS: 422,
  ZERO_ADDRESS: 422,
  GAS_DROP_UNAVAILABLE: 422,
  GAS_DROP_REFUSED: 422,
  QUOTE_INVALID: 422,
  QUOTE_EXPIRED: 422,
  WRONG_RELAYER: 422,
  FEE_TOO_LOW: 422,
  FEE_POLICY_UNSATISFIABLE: 422,
  NULLIFIER_SPENT: 409,
  INVALID_PROOF: 422,
  SIMULATION_FAILED: 422,
  CLAIM_NOT_FOUND: 404,
  VERIFIER_UNAVAILABLE: 503,
  HOLD_EXPIRED: 422,
  TOO_MANY_INVALID_PROOFS: 429,
};

/** The JSON body of every error reply: `{ statusCode, code, error, message }`, the reason phrase from node:http. */
export function errorBody(error: RelayerError) {
  return errorReply(error.statusCode, error.code, error.message);
}

/** A refusal the relayer answers with: its code, the HTTP status that code maps to, and the cause kept for the log. */
export class RelayerError extends CodedError<RelayerErrorCode> {
  readonly statusCode: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: RelayerErrorCode, message: string, details?: Record<string, unknown>, options: CodedErrorOptions = {}) {
    super(code, message, options);
    this.name = "RelayerError";
    this.statusCode = STATUS[code];
    this.details = details;
  }
}

const RELAYER_CODES: ReadonlySet<string> = new Set(Object.values(RelayerErrorCode));

function isRelayerCode(code: string): code is RelayerErrorCode {
  return RELAYER_CODES.has(code);
}

/**
 * A pool revert (its ABI name, e.g. `HuzhuPool__FeeTooHigh`) as the relayer's code: the SDK
 * catalogue's (service/sdk/pool-errors.ts), or SIMULATION_FAILED for a revert a claim cannot
 * raise and the relayer has no code for.
 */
export function poolErrorCode(name: string): RelayerErrorCode {
  const { code } = describePoolRevert(name);
  return isRelayerCode(code) ? code : RelayerErrorCode.SimulationFailed;
}

const relayerCodesOfKind = (kind: PoolFailureKind): readonly string[] => poolCodesOfKind(kind).filter(isRelayerCode);

/**
 * What a claim that failed at send time means for the member (the catalogue's `final` kind). Final:
 * no proof for this nullifier can ever be paid through this pool (it is spent, or the claim itself
 * is wrong), and the claim stays failed. Every other failure is recoverable: the member sends a
 * newer proof for the same nullifier (new epoch, root, recipient or quote) and it replaces the
 * failed one.
 */
export const FINAL_CODES: readonly string[] = relayerCodesOfKind("final");

/**
 * Send-time refusals that hold a claim (`waiting_for_funds`) instead of failing it (the catalogue's
 * `hold` kind): it is sent once they pass.
 */
export const HOLD_CODES: readonly string[] = relayerCodesOfKind("hold");

export function isFinal(code: string | null): boolean {
  return code !== null && FINAL_CODES.includes(code);
}
