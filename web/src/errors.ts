/** Turns whatever went wrong into a sentence that says what to do next, in the page's language. */
import { BaseError, ContractFunctionRevertedError, HttpRequestError, UserRejectedRequestError } from "viem";
import { HuzhuError } from "../../service/sdk/errors.ts";
import { RelayerError } from "../../service/sdk/relayer-client.ts";
import type { MessageKey, Translate } from "./i18n.ts";
import { WorkerError } from "./prover.ts";

export interface Explained {
  text: string;
  /** The technical message, shown in small print. */
  detail?: string;
}

const SDK_CODES: Record<string, MessageKey> = {
  WRONG_PASSWORD: "errWrongPassword",
  INVALID_KEYSTORE: "errInvalidKeystore",
  INVALID_SECRET: "errInvalidSecret",
  NOT_A_MEMBER: "errNotAMember",
  WAITING_PERIOD_NOT_OVER: "errWaiting",
  COVERAGE_LAPSED: "errLapsed",
  APPROVAL_EXPIRED: "errApprovalExpired",
  APPROVAL_NOT_FOR_MEMBER: "errApprovalOther",
  APPROVAL_WRONG_PLAN: "errApprovalPlan",
  AMOUNT_NOT_APPROVED: "errAmount",
  INVALID_APPROVAL_SIGNATURE: "errApprovalSig",
  ASSESSOR_NOT_IN_SET: "errAssessor",
  INVALID_APPROVAL_FILE: "errApprovalFile",
  PROOF_FAILED: "errProof",
};

const RELAYER_NEXT: Record<string, MessageKey> = {
  QUOTE_EXPIRED: "errRelayerRetry",
  QUOTE_INVALID: "errRelayerRetry",
  UNKNOWN_MEMBER_ROOT: "errRelayerRetry",
  STALE_ASSESSOR_ROOT: "errRelayerRetry",
  WRONG_EPOCH: "errRelayerRetry",
  INVALID_PROOF: "errRelayerRetry",
  NULLIFIER_SPENT: "errRelayerSpent",
  RATE_LIMITED: "errRelayerLater",
  NOT_READY: "errRelayerLater",
  TIMEOUT: "errRelayerLater",
  FEE_POLICY_UNSATISFIABLE: "errRelayerLater",
};

/** A sentence already in the page's language that says what to do next; shown as it is. */
export class UserMessage extends Error {}

/** A claim refused or failed by the relayer (thrown by the claim view). */
export class ClaimFailed extends Error {
  readonly code: string;
  constructor(code: string, reason: string) {
    super(reason);
    this.code = code;
  }
}

export function explain(error: unknown, t: Translate, where: { rpcUrl?: string; chainId?: number } = {}): Explained {
  const raw = error instanceof Error ? error.message : String(error);
  const code = error instanceof HuzhuError || error instanceof WorkerError ? error.code : undefined;
  if (code && SDK_CODES[code]) return { text: t(SDK_CODES[code]), detail: raw };
  if (error instanceof UserMessage) return { text: error.message };
  if (error instanceof ClaimFailed) return { text: t("errClaimFailed", { code: error.code, reason: error.message }) };
  if (error instanceof RelayerError) {
    if (error.code === "UNREACHABLE" || error.code === "BAD_URL" || error.code === "BAD_REPLY") {
      const url = /at (\S+)/.exec(raw)?.[1] ?? "";
      return { text: t("errRelayerUnreachable", { url }), detail: raw };
    }
    const next = RELAYER_NEXT[error.code];
    const text = t("errRelayerRefused", { code: error.code, message: error.message });
    return { text: next ? `${text} ${t(next)}` : text };
  }
  if (raw === "BAD_QUOTE") return { text: t("errRelayerBadQuote") };
  if (raw === "NO_INJECTED_WALLET") return { text: t("noInjected") };
  if (raw.startsWith("WRONG_CHAIN:")) return { text: t("wrongChain", { chainId: raw.slice(12), expected: where.chainId ?? "" }) };
  if (error instanceof BaseError) {
    if (error.walk((e) => e instanceof UserRejectedRequestError)) return { text: t("errRejected") };
    const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (reverted instanceof ContractFunctionRevertedError) {
      return { text: t("errReverted", { reason: reverted.data?.errorName ?? reverted.reason ?? reverted.shortMessage }) };
    }
    if (error.walk((e) => e instanceof HttpRequestError))
      return { text: t("errChain", { rpc: where.rpcUrl ?? "" }), detail: error.shortMessage };
  }
  if (error instanceof TypeError && /fetch/i.test(raw)) return { text: t("errChain", { rpc: where.rpcUrl ?? "" }), detail: raw };
  return { text: t("errUnknown", { message: raw.split("\n")[0] ?? raw }) };
}
