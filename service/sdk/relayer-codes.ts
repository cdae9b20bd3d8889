/**
 * The relayer's refusal codes, an agreement between the relayer (which answers with them) and its
 * clients (the SDK's client, the CLI and the web app, which branch on them), and what each one
 * tells a client to do next. The pool's own codes among them mean what the SDK's catalogue
 * (pool-errors.ts) says, except where the relayer refuses at a check of its own, before anything
 * is sent: those are decided here, once.
 */
import { type PoolFailureKind, poolFailureKind } from "./pool-errors.ts";

export const RelayerErrorCode = {
  InvalidBody: "INVALID_BODY",
  InvalidJson: "INVALID_JSON",
  UnsupportedMediaType: "UNSUPPORTED_MEDIA_TYPE",
  FieldOutOfRange: "FIELD_OUT_OF_RANGE",
  BodyTooLarge: "BODY_TOO_LARGE",
  UnknownPlan: "UNKNOWN_PLAN",
  PlanInactive: "PLAN_INACTIVE",
  PoolPaused: "POOL_PAUSED",
  UnknownMemberRoot: "UNKNOWN_MEMBER_ROOT",
  StaleAssessorRoot: "STALE_ASSESSOR_ROOT",
  WrongEpoch: "WRONG_EPOCH",
  ClaimsClosed: "CLAIMS_CLOSED",
  ZeroAmount: "ZERO_AMOUNT",
  AmountOverCap: "AMOUNT_OVER_CAP",
  InsufficientPoolFunds: "INSUFFICIENT_POOL_FUNDS",
  ZeroAddress: "ZERO_ADDRESS",
  QuoteInvalid: "QUOTE_INVALID",
  QuoteExpired: "QUOTE_EXPIRED",
  WrongRelayer: "WRONG_RELAYER",
  FeeTooLow: "FEE_TOO_LOW",
  FeePolicyUnsatisfiable: "FEE_POLICY_UNSATISFIABLE",
  GasDropUnavailable: "GAS_DROP_UNAVAILABLE",
  GasDropRefused: "GAS_DROP_REFUSED",
  NullifierSpent: "NULLIFIER_SPENT",
  InvalidProof: "INVALID_PROOF",
  SimulationFailed: "SIMULATION_FAILED",
  ClaimNotFound: "CLAIM_NOT_FOUND",
  NotFound: "NOT_FOUND",
  RateLimited: "RATE_LIMITED",
  NotReady: "NOT_READY",
  VerifierUnavailable: "VERIFIER_UNAVAILABLE",
  HoldExpired: "HOLD_EXPIRED",
  TooManyInvalidProofs: "TOO_MANY_INVALID_PROOFS",
  Internal: "INTERNAL",
  InvalidUrl: "INVALID_URL",
  MalformedRequest: "MALFORMED_REQUEST",
  RequestTimeout: "REQUEST_TIMEOUT",
  HeadersTooLarge: "HEADERS_TOO_LARGE",
  HttpVersionNotSupported: "HTTP_VERSION_NOT_SUPPORTED",
} as const;
export type RelayerErrorCode = (typeof RelayerErrorCode)[keyof typeof RelayerErrorCode];

/**
 * What a client does after a relayer refuses a claim:
 * - `retry`: ask for a new quote and make a fresh proof; it may pass;
 * - `later`: the same request may pass in a while (busy, not ready, the pool holds it);
 * - `elsewhere`: this relayer cannot take it, another relayer (or sending it oneself) may;
 * - `spent`: the claim was paid already; nothing more to do.
 * No advice (`undefined`): the claim or the request is wrong, and the message says what to fix.
 */
export type RelayerAdvice = "retry" | "later" | "elsewhere" | "spent";

/** The pool catalogue's kinds as advice, for a pool code the relayer answers with unchanged. */
const ADVICE_OF_KIND: Record<PoolFailureKind, RelayerAdvice | undefined> = { retry: "retry", hold: "later", final: undefined };

/**
 * Every relayer code's advice: "pool" where the code is the pool catalogue's and means what its
 * kind says; otherwise decided here (null: no advice, the message says what to fix).
 */
export const RELAYER_ADVICE: Record<RelayerErrorCode, RelayerAdvice | "pool" | null> = {
  INVALID_BODY: null,
  INVALID_JSON: null,
  UNSUPPORTED_MEDIA_TYPE: null,
  FIELD_OUT_OF_RANGE: "pool",
  BODY_TOO_LARGE: null,
  UNKNOWN_PLAN: "pool",
  PLAN_INACTIVE: "pool",
  POOL_PAUSED: "pool",
  UNKNOWN_MEMBER_ROOT: "pool",
  STALE_ASSESSOR_ROOT: "pool",
  WRONG_EPOCH: "pool",
  CLAIMS_CLOSED: "pool",
  ZERO_AMOUNT: "pool",
  AMOUNT_OVER_CAP: "pool",
  INSUFFICIENT_POOL_FUNDS: "pool",
  ZERO_ADDRESS: "pool",
  QUOTE_INVALID: "retry",
  QUOTE_EXPIRED: "retry",
  WRONG_RELAYER: "retry",
  FEE_TOO_LOW: "retry",
  // The plan's fee limit is below this relayer's fee: another relayer, or sending it oneself, may pay it.
  FEE_POLICY_UNSATISFIABLE: "elsewhere",
  GAS_DROP_UNAVAILABLE: "retry",
  GAS_DROP_REFUSED: "pool",
  NULLIFIER_SPENT: "spent",
  // The relayer's own verifier refused the proof before sending anything (on chain the same revert
  // is final): a fresh proof of a fresh quote may pass.
  INVALID_PROOF: "retry",
  SIMULATION_FAILED: null,
  CLAIM_NOT_FOUND: null,
  NOT_FOUND: null,
  RATE_LIMITED: "later",
  NOT_READY: "later",
  VERIFIER_UNAVAILABLE: "later",
  HOLD_EXPIRED: "retry",
  TOO_MANY_INVALID_PROOFS: "later",
  INTERNAL: "later",
  INVALID_URL: null,
  MALFORMED_REQUEST: null,
  REQUEST_TIMEOUT: "later",
  HEADERS_TOO_LARGE: null,
  HTTP_VERSION_NOT_SUPPORTED: null,
};

/** The codes the SDK's relayer client raises itself, when there is no reply to read (HTTP status 0) or it cannot be trusted. */
export const RelayerClientCode = {
  Unreachable: "UNREACHABLE",
  BadUrl: "BAD_URL",
  BadReply: "BAD_REPLY",
  /** A claim the client followed is still pending when the wait ends. */
  Timeout: "TIMEOUT",
} as const;
export type RelayerClientCode = (typeof RelayerClientCode)[keyof typeof RelayerClientCode];

// Unreachable, a bad URL or a reply that cannot be trusted: the message names the relayer to replace.
const CLIENT_ADVICE: Record<RelayerClientCode, RelayerAdvice | null> = {
  UNREACHABLE: null,
  BAD_URL: null,
  BAD_REPLY: null,
  TIMEOUT: "later",
};

/** What to do after a relayer refused with `code`, or the client raised it (undefined: fix what the message names). */
export function relayerAdvice(code: string): RelayerAdvice | undefined {
  const client = (CLIENT_ADVICE as Record<string, RelayerAdvice | null>)[code];
  if (client !== undefined) return client ?? undefined;
  const advice = (RELAYER_ADVICE as Record<string, RelayerAdvice | "pool" | null>)[code];
  if (advice === "pool") {
    const kind = poolFailureKind(code);
    return kind ? ADVICE_OF_KIND[kind] : undefined;
  }
  return advice ?? undefined;
}
