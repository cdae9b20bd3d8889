/**
 * Fee quotes: the relayer states its fee for a plan and amount and signs it (EIP-712), valid for a
 * short time. A member proves with that fee in the claim context; the relayer accepts the claim
 * only with its own unexpired quote for the same plan and amount, and a fee at least the quoted one.
 */
import type { Address, Hex, LocalAccount } from "viem";
import { type Quote, quoteTypedData, verifyQuoteSignature } from "../sdk/index.ts";
import { RelayerError, RelayerErrorCode } from "./errors.ts";

export type { Quote };

export interface FeePolicy {
  feeBps: number;
  minFee: bigint;
  quoteTtlSeconds: number;
}

/** The fee this relayer charges, or a refusal when the plan's maximum cannot pay it. */
export function feeFor(policy: FeePolicy, amount: bigint, maxFeeBps: number): bigint {
  const proportional = (amount * BigInt(policy.feeBps)) / 10_000n;
  const fee = proportional > policy.minFee ? proportional : policy.minFee;
  const maxFee = (amount * BigInt(maxFeeBps)) / 10_000n;
  if (fee > maxFee) {
    throw new RelayerError(
      RelayerErrorCode.FeePolicyUnsatisfiable,
      `this relayer's fee (${fee}) exceeds what the plan allows for this amount (${maxFee}); ask for a larger amount, use another relayer, or submit directly`,
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
  request: { planId: bigint; amount: bigint; fee: bigint; relayer: Address },
  nowSeconds: number,
): Promise<void> {
  const valid = quote.relayer.toLowerCase() === relayer.toLowerCase() && (await verifyQuoteSignature(chainId, pool, { quote, signature }));
  if (!valid)
    throw new RelayerError(RelayerErrorCode.QuoteInvalid, "the quote was not signed by this relayer; ask POST /v1/quote for a new one");
  if (BigInt(quote.planId) !== request.planId || BigInt(quote.amount) !== request.amount) {
    throw new RelayerError(
      RelayerErrorCode.QuoteInvalid,
      "the quote is for another plan or amount than the claim; ask for a quote for this claim",
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
