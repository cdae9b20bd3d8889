/**
 * Fee quotes: the relayer states its fee for a plan, amount and gas drop and signs it (EIP-712),
 * valid for a short time. A member proves with that fee and gas drop in the claim context; the
 * relayer accepts the claim only with its own unexpired quote for the same plan, amount and gas
 * drop, and a fee at least the quoted one.
 *
 * The gas drop is native coin the relayer sends with the claim, which the pool passes on to the
 * recipient: a fresh address can then pay gas to move its payout without first being funded from
 * a wallet that would link it to the member. The relayer prices it in the plan's token at the rate
 * its operator configured for that token, and adds it to the fee.
 */
import type { Address, Hex, LocalAccount } from "viem";
import { gasDropCost, type Quote, quoteTypedData, verifyQuoteSignature } from "../sdk/index.ts";
import { RelayerError, RelayerErrorCode } from "./errors.ts";

export type { Quote };

export interface GasDropPolicy {
  /** The largest drop this relayer sends with one claim (wei); 0 offers none. */
  maxWei: bigint;
  /** Token transfers the suggested drop pays for at the chain's current gas price. */
  suggestedTransfers: number;
  /** Token base units charged per whole native coin (10^18 wei), by lower-case token address. */
  prices: ReadonlyMap<string, bigint>;
}

export interface FeePolicy {
  feeBps: number;
  minFee: bigint;
  quoteTtlSeconds: number;
  gasDrop: GasDropPolicy;
}

/** Gas one ERC-20 transfer takes, with margin (a transfer to a new holder costs about 51k). */
export const TOKEN_TRANSFER_GAS = 65_000n;

/** The gas drop's price in the plan's token (rounded up), or a refusal when this relayer offers none for it. */
export function gasDropFee(policy: GasDropPolicy, token: string, gasDrop: bigint): bigint {
  if (gasDrop === 0n) return 0n;
  const price = policy.prices.get(token.toLowerCase());
  if (price === undefined || policy.maxWei === 0n) {
    throw new RelayerError(
      RelayerErrorCode.GasDropUnavailable,
      "this relayer sends no gas drop with claims of this plan's token; ask for a quote with gasDrop 0, or use a relayer that does",
    );
  }
  if (gasDrop > policy.maxWei) {
    throw new RelayerError(
      RelayerErrorCode.GasDropUnavailable,
      `the gas drop ${gasDrop} wei is above this relayer's largest, ${policy.maxWei} wei; ask for at most that`,
    );
  }
  return gasDropCost(gasDrop, price);
}

/** A plan's gas-drop terms as /v1/info lists them (the suggestion pays for `suggestedTransfers` token transfers at `maxFeePerGas`), or undefined if this relayer sends none for its token. */
export function gasDropTerms(policy: GasDropPolicy, token: string, maxFeePerGas: bigint) {
  const price = policy.prices.get(token.toLowerCase());
  if (price === undefined || policy.maxWei === 0n) return undefined;
  const wanted = BigInt(policy.suggestedTransfers) * TOKEN_TRANSFER_GAS * maxFeePerGas;
  const suggested = wanted < policy.maxWei ? wanted : policy.maxWei;
  return { suggestedWei: suggested.toString(), maxWei: policy.maxWei.toString(), tokenPerCoin: price.toString() };
}

/** The fee this relayer charges (its own plus the gas drop's price), or a refusal when the plan's maximum cannot pay it. */
export function feeFor(policy: FeePolicy, amount: bigint, maxFeeBps: number, dropFee = 0n): bigint {
  const proportional = (amount * BigInt(policy.feeBps)) / 10_000n;
  const fee = (proportional > policy.minFee ? proportional : policy.minFee) + dropFee;
  const maxFee = (amount * BigInt(maxFeeBps)) / 10_000n;
  if (fee > maxFee) {
    const drop = dropFee > 0n ? `, of which ${dropFee} pays for the gas drop,` : "";
    const next = dropFee > 0n ? "ask for a smaller gas drop or none, " : "";
    throw new RelayerError(
      RelayerErrorCode.FeePolicyUnsatisfiable,
      `this relayer's fee (${fee}${drop}) exceeds what the plan allows for this amount (${maxFee}); ${next}ask for a larger amount, use another relayer, or submit directly`,
    );
  }
  return fee;
}

/** Signs a quote with the SDK's EIP-712 definition (the one members verify it with). */
export async function signQuote(account: LocalAccount, chainId: number, pool: Address, quote: Quote): Promise<Hex> {
  return account.signTypedData(quoteTypedData(chainId, pool, quote));
}

/** Checks a quote presented with a claim: signed by this relayer, unexpired, matching the request. */
export async function checkQuote(
  relayer: Address,
  chainId: number,
  pool: Address,
  quote: Quote,
  signature: Hex,
  request: { planId: bigint; amount: bigint; fee: bigint; relayer: Address; gasDrop: bigint },
  nowSeconds: number,
): Promise<void> {
  const valid = quote.relayer.toLowerCase() === relayer.toLowerCase() && (await verifyQuoteSignature(chainId, pool, { quote, signature }));
  if (!valid)
    throw new RelayerError(RelayerErrorCode.QuoteInvalid, "the quote was not signed by this relayer; ask POST /v1/quote for a new one");
  if (BigInt(quote.planId) !== request.planId || BigInt(quote.amount) !== request.amount || BigInt(quote.gasDrop) !== request.gasDrop) {
    throw new RelayerError(
      RelayerErrorCode.QuoteInvalid,
      "the quote is for another plan, amount or gas drop than the claim; ask for a quote for this claim",
    );
  }
  if (quote.expiresAt <= nowSeconds) {
    throw new RelayerError(
      RelayerErrorCode.QuoteExpired,
      "the quote has expired; ask POST /v1/quote for a new one and prove again with its fee",
    );
  }
  if (request.relayer.toLowerCase() !== relayer.toLowerCase()) {
    throw new RelayerError(RelayerErrorCode.WrongRelayer, `the claim names relayer ${request.relayer}, but this relayer is ${relayer}`);
  }
  if (request.fee < BigInt(quote.fee)) {
    throw new RelayerError(RelayerErrorCode.FeeTooLow, `the claim's fee ${request.fee} is below the quoted fee ${quote.fee}`);
  }
}
