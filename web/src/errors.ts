/** Turns whatever went wrong into a sentence that says what to do next, in the page's language. */
import { BaseError, ContractFunctionRevertedError, HttpRequestError, UserRejectedRequestError } from "viem";
import { VoucherError, type VoucherErrorCode } from "../../service/sdk/chain/admission.ts";
import { CodedError, type CodedErrorOptions } from "../../service/sdk/coded-error.ts";
import { DeskRequestError } from "../../service/sdk/desk/client.ts";
import { HuzhuError } from "../../service/sdk/errors.ts";
import { describePoolRevert } from "../../service/sdk/pool-errors.ts";
import { RelayerRequestError } from "../../service/sdk/relayer-client.ts";
import { type RelayerAdvice, RelayerClientCode, relayerAdvice } from "../../service/sdk/relayer-codes.ts";
import { WalletError, WalletErrorCode } from "./chain.ts";
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
  DESK_NO_ASSESSORS: "errDeskNoAssessors",
  DESK_PART_TAMPERED: "errDeskTampered",
  DESK_FILE_MISMATCH: "errDeskTampered",
  DESK_WRAPPED_KEY_INVALID: "errDeskTampered",
  DESK_NOT_A_RECIPIENT: "errDeskNotRecipient",
  DESK_MEMBER_SIGNATURE_INVALID: "errDeskMemberSignature",
  DESK_ASSESSOR_SIGNATURE_INVALID: "errDeskAssessorSignature",
  DESK_APPROVAL_WRONG_EVENT: "errDeskWrongEvent",
  DESK_MALFORMED: "errDeskMalformed",
  DESK_TOO_LARGE: "errDeskTooLarge",
};

/** An admission voucher refused before any transaction (the SDK's check, as the pool will make it). */
const VOUCHER_CODES: Record<VoucherErrorCode, MessageKey> = {
  VOUCHER_MALFORMED: "errVoucherMalformed",
  VOUCHER_WRONG_TERMS: "errVoucherWrongTerms",
  VOUCHER_WRONG_SIGNER: "errVoucherWrongSigner",
  VOUCHER_EXPIRED: "errVoucherExpired",
};

/** The desk's refusals whose advice differs from "the desk refused". */
const DESK_NEXT: Record<string, MessageKey> = {
  DESK_TOO_LARGE: "errDeskTooLarge",
  DESK_SESSION_INVALID: "errDeskSession",
  DESK_NOT_AN_ASSESSOR: "errDeskNotAssessor",
  DESK_CASE_NOT_FOUND: "errDeskCaseNotFound",
  DESK_CASE_DECIDED: "errDeskDecided",
  RATE_LIMITED: "errRelayerLater",
  DESK_CHAIN_UNAVAILABLE: "errRelayerLater",
};

/** The sentence for each of the SDK's relayer advices (service/sdk/relayer-codes.ts). */
const RELAYER_NEXT: Record<RelayerAdvice, MessageKey> = {
  retry: "errRelayerRetry",
  later: "errRelayerLater",
  elsewhere: "errRelayerElsewhere",
  spent: "errRelayerSpent",
};

/** A sentence already in the page's language that says what to do next; shown as it is. */
export class UserMessage extends CodedError<"USER_MESSAGE"> {
  constructor(message: string, options: CodedErrorOptions = {}) {
    super("USER_MESSAGE", message, options);
    this.name = "UserMessage";
  }
}

/** A relayer's quote that is not signed by that relayer for this pool (thrown by the claim view before proving). */
export class BadQuote extends CodedError<"BAD_QUOTE"> {
  constructor(message: string) {
    super("BAD_QUOTE", message);
    this.name = "BadQuote";
  }
}

/** A claim refused or failed by the relayer (thrown by the claim view). */
export class ClaimFailed extends CodedError {
  constructor(code: string, reason: string) {
    super(code, reason);
    this.name = "ClaimFailed";
  }
}

export function explain(error: unknown, t: Translate, where: { rpcUrl?: string; chainId?: number } = {}): Explained {
  const raw = error instanceof Error ? error.message : String(error);
  const code = error instanceof HuzhuError || error instanceof WorkerError ? error.code : undefined;
  if (code && SDK_CODES[code]) return { text: t(SDK_CODES[code]), detail: raw };
  if (error instanceof UserMessage) return { text: error.message };
  if (error instanceof VoucherError) return { text: t(VOUCHER_CODES[error.code]), detail: raw };
  if (error instanceof ClaimFailed) return { text: t("errClaimFailed", { code: error.code, reason: error.message }) };
  if (error instanceof DeskRequestError) {
    if (error.code === "UNREACHABLE" || error.code === "BAD_URL" || error.code === "BAD_REPLY") {
      const url = /at (\S+)/.exec(raw)?.[1] ?? "";
      return { text: t(error.code === "BAD_REPLY" ? "errDeskBadReply" : "errDeskUnreachable", { url }), detail: raw };
    }
    const next = DESK_NEXT[error.code];
    return next ? { text: t(next), detail: `${error.code}: ${raw}` } : { text: t("errDeskRefused", { code: error.code, message: raw }) };
  }
  if (error instanceof RelayerRequestError) {
    if (
      error.code === RelayerClientCode.Unreachable ||
      error.code === RelayerClientCode.BadUrl ||
      error.code === RelayerClientCode.BadReply
    ) {
      const url = /at (\S+)/.exec(raw)?.[1] ?? "";
      return { text: t("errRelayerUnreachable", { url }), detail: raw };
    }
    const advice = relayerAdvice(error.code);
    const text = t("errRelayerRefused", { code: error.code, message: error.message });
    return { text: advice ? `${text} ${t(RELAYER_NEXT[advice])}` : text };
  }
  if (error instanceof BadQuote) return { text: t("errRelayerBadQuote") };
  if (error instanceof WalletError) {
    if (error.code === WalletErrorCode.NoInjectedWallet) return { text: t("noInjected") };
    if (error.code === WalletErrorCode.DevWalletNotLocal) return { text: t("errDevWalletNotLocal"), detail: raw };
    if (error.code === WalletErrorCode.TransactionReverted) return { text: t("errReverted", { reason: raw }) };
    return { text: t("wrongChain", { chainId: error.chainId ?? "", expected: error.expectedChainId ?? where.chainId ?? "" }) };
  }
  if (error instanceof BaseError) {
    if (error.walk((e) => e instanceof UserRejectedRequestError)) return { text: t("errRejected") };
    const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (reverted instanceof ContractFunctionRevertedError) {
      if (reverted.data?.errorName) {
        const revert = describePoolRevert(reverted.data.errorName, reverted.data.args ?? []);
        return { text: t("errReverted", { reason: revert.code }), detail: revert.message };
      }
      return { text: t("errReverted", { reason: reverted.reason ?? reverted.shortMessage }) };
    }
    if (error.walk((e) => e instanceof HttpRequestError))
      return { text: t("errChain", { rpc: where.rpcUrl ?? "" }), detail: error.shortMessage };
  }
  if (error instanceof TypeError && /fetch/i.test(raw)) return { text: t("errChain", { rpc: where.rpcUrl ?? "" }), detail: raw };
  return { text: t("errUnknown", { message: raw.split("\n")[0] ?? raw }) };
}
