/**
 * CLI failures: one error class for what the CLI itself refuses, and one translation of SDK,
 * relayer and chain errors into a message that says what to do next. Every failure exits with 1.
 */
import { BaseError, ContractFunctionRevertedError, HttpRequestError } from "viem";
import { HuzhuError } from "../../sdk/errors.ts";
import { RelayerError } from "../../sdk/relayer-client.ts";

export class CliError extends Error {
  readonly code: string;
  readonly hint: string | undefined;

  constructor(code: string, message: string, hint?: string) {
    super(message);
    this.name = "CliError";
    this.code = code;
    this.hint = hint;
  }
}

export interface DescribedError {
  code: string;
  message: string;
  hint?: string;
}

/** What the pool's custom errors mean to someone at a terminal. */
function describeRevert(name: string, args: readonly unknown[]): DescribedError {
  const a = args.map(String);
  const messages: Record<string, DescribedError> = {
    HuzhuPool__UnknownPlan: { code: "UNKNOWN_PLAN", message: `plan ${a[0]} does not exist`, hint: "run `huzhu plans list`" },
    HuzhuPool__PlanInactive: { code: "PLAN_INACTIVE", message: `plan ${a[0]} is paused by its admin` },
    HuzhuPool__NotPlanAdmin: {
      code: "NOT_PLAN_ADMIN",
      message: `this wallet is not the admin of plan ${a[0]}`,
      hint: "use the plan admin's key",
    },
    HuzhuPool__AlreadyMember: {
      code: "ALREADY_MEMBER",
      message: `this identity is already a member of plan ${a[0]}`,
      hint: "use `huzhu renew`",
    },
    HuzhuPool__NotMember: {
      code: "NOT_A_MEMBER",
      message: `this identity is not a member of plan ${a[0]}`,
      hint: "join first with `huzhu join`",
    },
    HuzhuPool__InvalidPeriods: { code: "INVALID_PERIODS", message: `cannot pay for ${a[0]} periods at once` },
    HuzhuPool__AssessorAlreadyAdded: { code: "ASSESSOR_ALREADY_ADDED", message: "this assessor key is already in the plan's set" },
    HuzhuPool__UnknownAssessor: { code: "UNKNOWN_ASSESSOR", message: "this assessor key is not in the plan's set" },
    HuzhuPool__AssessorSetFull: { code: "ASSESSOR_SET_FULL", message: `plan ${a[0]}'s assessor set is full` },
    HuzhuPool__NullifierAlreadySpent: { code: "NULLIFIER_SPENT", message: "this claim was already paid (its nullifier is spent)" },
    HuzhuPool__InsufficientPoolFunds: { code: "INSUFFICIENT_POOL_FUNDS", message: "the plan does not hold enough to pay this claim" },
    HuzhuPool__UnknownMemberRoot: {
      code: "UNKNOWN_MEMBER_ROOT",
      message: "the member root is no longer recent",
      hint: "run the claim again to re-read the tree",
    },
    HuzhuPool__StaleAssessorRoot: { code: "STALE_ASSESSOR_ROOT", message: "the assessor set changed", hint: "run the claim again" },
    HuzhuPool__WrongEpoch: { code: "WRONG_EPOCH", message: "the claim epoch is not the plan's current epoch", hint: "run the claim again" },
    HuzhuPool__AmountOverCap: { code: "AMOUNT_OVER_CAP", message: "the amount exceeds the plan's claim cap" },
    HuzhuPool__FeeTooHigh: { code: "FEE_TOO_HIGH", message: "the fee exceeds the plan's maximum relayer fee" },
    HuzhuPool__InvalidProof: { code: "INVALID_PROOF", message: "the pool rejected the proof" },
    EnforcedPause: { code: "POOL_PAUSED", message: "the pool is paused" },
    ERC20InsufficientBalance: { code: "INSUFFICIENT_BALANCE", message: "the wallet does not hold enough tokens" },
    ERC20InsufficientAllowance: { code: "INSUFFICIENT_ALLOWANCE", message: "the pool is not allowed to take enough tokens" },
  };
  return messages[name] ?? { code: "REVERTED", message: `the transaction would revert with ${name}(${a.join(", ")})` };
}

/** What to do next for the SDK refusals a command line can fix. */
const SDK_HINTS: Partial<Record<HuzhuError["code"], string>> = {
  TREE_MISMATCH: "pass --from-block <the pool's deployment block> (or omit it to use the deployment file's)",
  MEMBER_ROOT_NOT_RECENT: "run the claim again to re-read the tree",
};

export function describeError(error: unknown): DescribedError {
  if (error instanceof CliError) return { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) };
  if (error instanceof HuzhuError) {
    const hint = SDK_HINTS[error.code];
    return { code: error.code, message: error.message, ...(hint ? { hint } : {}) };
  }
  if (error instanceof RelayerError) {
    if (error.statusCode === 0) {
      return {
        code: error.code,
        message: error.message,
        ...(error.code === "UNREACHABLE" ? { hint: "is the relayer running? pass --relayer <url> or set HUZHU_RELAYER_URL" } : {}),
      };
    }
    return { code: error.code, message: `the relayer refused (${error.code}): ${error.message}` };
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
  if (error instanceof Error) return { code: "ERROR", message: error.message };
  return { code: "ERROR", message: String(error) };
}
