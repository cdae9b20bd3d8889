/**
 * CLI failures: one error class for what the CLI itself refuses, and one translation of SDK,
 * relayer and chain errors into a message that says what to do next. Every failure exits with 1.
 */
import { BaseError, ContractFunctionRevertedError, HttpRequestError } from "viem";
import { CodedError, type CodedErrorOptions } from "../../sdk/coded-error.ts";
import { DeskRequestError } from "../../sdk/desk/client.ts";
import { HuzhuError } from "../../sdk/errors.ts";
import { describePoolRevert } from "../../sdk/pool-errors.ts";
import { RelayerRequestError } from "../../sdk/relayer-client.ts";
import { type RelayerAdvice, RelayerClientCode, relayerAdvice } from "../../sdk/relayer-codes.ts";
import { describeDeskError, deskHint } from "./desk-errors.ts";

export class CliError extends CodedError {
  readonly hint: string | undefined;

  constructor(code: string, message: string, hint?: string, options: CodedErrorOptions = {}) {
    super(code, message, options);
    this.name = "CliError";
    this.hint = hint;
  }
}

export interface DescribedError {
  code: string;
  message: string;
  hint?: string;
}

/** The CLI command that helps after a pool revert, by the catalogue's code (service/sdk/pool-errors.ts). */
const REVERT_HINTS: Record<string, string> = {
  UNKNOWN_PLAN: "run `huzhu plans list`",
  NOT_PLAN_ADMIN: "use the plan admin's key",
  ALREADY_MEMBER: "use `huzhu renew`",
  NOT_A_MEMBER: "join first with `huzhu join`",
  UNKNOWN_MEMBER_ROOT: "run the claim again to re-read the tree",
  STALE_ASSESSOR_ROOT: "run the claim again",
  WRONG_EPOCH: "run the claim again",
  INSUFFICIENT_BALANCE: "fund the wallet (on the local demo token, pass --mint)",
};

/** What a pool revert means to someone at a terminal: the SDK catalogue's code and message, and a command to try. */
function describeRevert(name: string, args: readonly unknown[]): DescribedError {
  const { code, message } = describePoolRevert(name, args);
  const hint = REVERT_HINTS[code];
  return { code, message, ...(hint ? { hint } : {}) };
}

/** What to do next for the SDK refusals a command line can fix. */
const SDK_HINTS: Partial<Record<HuzhuError["code"], string>> = {
  TREE_MISMATCH: "pass --from-block <the pool's deployment block> (or omit it to use the deployment file's)",
  MEMBER_ROOT_NOT_RECENT: "run the claim again to re-read the tree",
};

/** The hint for each of the SDK's relayer advices (service/sdk/relayer-codes.ts). */
const RELAYER_HINTS: Record<RelayerAdvice, string> = {
  retry: "run the claim again: it asks for a new quote and makes a fresh proof",
  later: "wait a little and run it again, or pass another --relayer",
  elsewhere: "pass another --relayer, or submit it yourself with --direct (which links your wallet to the payout)",
  spent: "nothing more to do: this claim was paid",
};

export function describeError(error: unknown): DescribedError {
  if (error instanceof CliError) return { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) };
  if (error instanceof HuzhuError) {
    const hint = SDK_HINTS[error.code] ?? deskHint(error.code);
    return { code: error.code, message: error.message, ...(hint ? { hint } : {}) };
  }
  if (error instanceof DeskRequestError) return describeDeskError(error);
  if (error instanceof RelayerRequestError) {
    if (error.statusCode === 0) {
      return {
        code: error.code,
        message: error.message,
        ...(error.code === RelayerClientCode.Unreachable
          ? { hint: "is the relayer running? pass --relayer <url> or set HUZHU_RELAYER_URL" }
          : {}),
      };
    }
    const advice = relayerAdvice(error.code);
    return {
      code: error.code,
      message: `the relayer refused (${error.code}): ${error.message}`,
      ...(advice ? { hint: RELAYER_HINTS[advice] } : {}),
    };
  }
  if (error instanceof BaseError) {
    const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (reverted instanceof ContractFunctionRevertedError) {
      if (reverted.data?.errorName) return describeRevert(reverted.data.errorName, reverted.data.args ?? []);
      return { code: "REVERTED", message: `the transaction would revert: ${reverted.reason ?? reverted.shortMessage}` };
    }
    const http = error.walk((e) => e instanceof HttpRequestError);
    if (http instanceof HttpRequestError) {
      return {
        code: "CHAIN_UNREACHABLE",
        message: `cannot reach the chain at ${http.url}`,
        hint: "is the node running (`npm start`)? pass --rpc <url> or set HUZHU_RPC_URL",
      };
    }
    return { code: "CHAIN_ERROR", message: error.shortMessage };
  }
  // Any other coded error (the auditor's, a service's) keeps its own code.
  if (error instanceof CodedError) return { code: error.code, message: error.message };
  if (error instanceof Error) return { code: "ERROR", message: error.message };
  return { code: "ERROR", message: String(error) };
}
