/**
 * A typed client for the relayer's HTTP API (docs/RELAYER.md). Uses `fetch` only, so the same code
 * runs in Node and in browsers. Error replies become a RelayerRequestError carrying the server's `code`.
 */
import { type Address, type Hex, verifyTypedData } from "viem";
import { type ClaimRequestBody, poolClaimRequest, requestToJson } from "./chain/request.ts";
import { CodedError, type CodedErrorOptions } from "./coded-error.ts";
import { RelayerClientCode } from "./relayer-codes.ts";

export type { ClaimRequestBody } from "./chain/request.ts";

import type { Static, TSchema } from "typebox";
import { Value } from "typebox/value";
import type { Groth16Proof } from "./encoding.ts";
import type { ClaimProof } from "./prover.ts";
import { AcceptedReply, ClaimReply, type ClaimState, HeldReply, InfoReply, QuoteReply, type QuoteSchema } from "./relayer-wire.ts";

export type RelayerInfo = InfoReply;
export type RelayerPlanSummary = InfoReply["plans"][number];
/** The terms a relayer offers; numbers that can exceed 2^53 are decimal strings; `expiresAt` in unix seconds. */
export type Quote = QuoteSchema;

/** A quote with its EIP-712 signature by `quote.relayer`. */
export type SignedQuote = QuoteReply;

export interface ClaimSubmission {
  quote: Quote;
  quoteSignature: Hex;
  request: ClaimRequestBody;
  proof: Groth16Proof;
}

/** `waiting_for_funds`: valid, but the pool cannot pay it yet; the relayer sends it by itself once it can (until `heldUntil`). */
export type { ClaimState };
export type SubmitClaimReply = AcceptedReply;
export type ClaimStatus = ClaimReply;

/**
 * A request to a relayer that failed: its error reply, or a failure to reach it or to read it.
 * (The relayer's own refusals, on the server side, are service/relayer/errors.ts's RelayerRequestError.)
 */
export class RelayerRequestError extends CodedError {
  /** HTTP status; 0 when the relayer could not be reached. */
  readonly statusCode: number;

  /** `code`: the relayer's error code (relayer-codes.ts, docs/RELAYER.md), or one of RelayerClientCode. */
  constructor(code: string, message: string, statusCode: number, options: CodedErrorOptions = {}) {
    super(code, message, options);
    this.name = "RelayerRequestError";
    this.statusCode = statusCode;
  }
}

export interface RelayerClientOptions {
  /** A fetch implementation; the platform's by default. */
  fetch?: typeof fetch;
  /** Per-request timeout in milliseconds (default 15 s). */
  timeoutMs?: number;
}

export interface WaitOptions {
  /** Poll interval in milliseconds (default 1 s). */
  intervalMs?: number;
  /** Give up after this many milliseconds (default 5 minutes). */
  timeoutMs?: number;
  /** Called with every status read, including the final one. */
  onUpdate?: (status: ClaimStatus) => void;
  signal?: AbortSignal;
}

/** The EIP-712 domain and type a relayer signs quotes with. */
export function quoteTypedData(chainId: number, pool: Address, quote: Quote) {
  return {
    domain: { name: "Huzhu Relayer", version: "1", chainId, verifyingContract: pool },
    types: {
      Quote: [
        { name: "planId", type: "uint256" },
        { name: "amount", type: "uint256" },
        { name: "fee", type: "uint256" },
        { name: "gasDrop", type: "uint256" },
        { name: "relayer", type: "address" },
        { name: "expiresAt", type: "uint64" },
      ],
    },
    primaryType: "Quote",
    message: {
      planId: BigInt(quote.planId),
      amount: BigInt(quote.amount),
      fee: BigInt(quote.fee),
      gasDrop: BigInt(quote.gasDrop),
      relayer: quote.relayer,
      expiresAt: BigInt(quote.expiresAt),
    },
  } as const;
}

/** Whether `signed.signature` is the quote's relayer's EIP-712 signature for this chain and pool. */
export async function verifyQuoteSignature(chainId: number, pool: Address, signed: SignedQuote): Promise<boolean> {
  try {
    return await verifyTypedData({
      address: signed.quote.relayer,
      signature: signed.signature,
      ...quoteTypedData(chainId, pool, signed.quote),
    });
  } catch {
    return false;
  }
}

/**
 * The body of POST /v1/claims for a proof made with this quote's relayer, fee and gas drop;
 * `memberRootSeq` is where the pool keeps the proof's member root (`findMemberRootSeq`, or
 * `buildClaim`'s request).
 */
export function claimSubmission(signed: SignedQuote, proof: ClaimProof, recipient: Address, memberRootSeq: bigint): ClaimSubmission {
  const terms = {
    memberRootSeq,
    recipient,
    relayer: signed.quote.relayer,
    fee: BigInt(signed.quote.fee),
    gasDrop: BigInt(signed.quote.gasDrop),
  };
  return {
    quote: signed.quote,
    quoteSignature: signed.signature,
    request: requestToJson(poolClaimRequest(proof.claim, terms)),
    proof: proof.proof,
  };
}

const WEI_PER_COIN = 10n ** 18n;

/** What a gas drop of `wei` costs in token base units at `tokenPerCoin` (units per 10^18 wei), rounded up: the relayer's price. */
export function gasDropCost(wei: bigint, tokenPerCoin: bigint): bigint {
  return (wei * tokenPerCoin + WEI_PER_COIN - 1n) / WEI_PER_COIN;
}

/** The relayer's suggested gas drop for a plan and what it adds to the fee, or undefined if it offers none. */
export function gasDropOffer(info: RelayerInfo, planId: bigint): { wei: bigint; cost: bigint } | undefined {
  const offer = info.plans.find((p) => p.planId === planId.toString())?.gasDrop;
  if (!offer || BigInt(offer.suggestedWei) === 0n) return undefined;
  const wei = BigInt(offer.suggestedWei);
  return { wei, cost: gasDropCost(wei, BigInt(offer.tokenPerCoin)) };
}

/** A quote with the relayer's suggested gas drop; `dropped` says why it has none (the relayer offers none, or the plan's fee limit cannot pay for it). */
export interface SuggestedDropQuote {
  signed: SignedQuote;
  dropped?: { reason: "not-offered" } | { reason: "fee-limit"; wei: bigint; message: string };
}

/**
 * The quote a member's client asks for by default: with the relayer's suggested gas drop, and
 * without one where the relayer offers none or the plan's fee limit cannot pay for it. Any other
 * refusal is thrown.
 */
export async function quoteWithSuggestedDrop(
  client: RelayerClient,
  info: RelayerInfo,
  planId: bigint,
  amount: bigint,
): Promise<SuggestedDropQuote> {
  const offer = gasDropOffer(info, planId);
  if (!offer) return { signed: await client.quote(planId, amount), dropped: { reason: "not-offered" } };
  try {
    return { signed: await client.quote(planId, amount, offer.wei) };
  } catch (error) {
    if (!(error instanceof RelayerRequestError) || error.code !== "FEE_POLICY_UNSATISFIABLE") throw error;
    return { signed: await client.quote(planId, amount), dropped: { reason: "fee-limit", wei: offer.wei, message: error.message } };
  }
}

const TERMINAL: readonly ClaimState[] = ["confirmed", "failed"];

/** A relayer's queue of claims waiting for a plan's pool to be able to pay them. */
export interface HeldClaims {
  planId: bigint;
  claims: number;
  amount: bigint;
  firstExpiresAt: string | undefined;
}

export class RelayerClient {
  readonly baseUrl: string;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;

  constructor(baseUrl: string, options: RelayerClientOptions = {}) {
    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch {
      throw new RelayerRequestError(
        RelayerClientCode.BadUrl,
        `not a relayer URL: ${JSON.stringify(baseUrl)} (expected e.g. http://127.0.0.1:8787)`,
        0,
      );
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new RelayerRequestError(RelayerClientCode.BadUrl, `a relayer URL must be http or https, got ${url.protocol}`, 0);
    }
    this.baseUrl = url.href.replace(/\/+$/, "");
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#timeoutMs = options.timeoutMs ?? 15_000;
  }

  info(): Promise<RelayerInfo> {
    return this.#request(InfoReply, "GET", "/v1/info");
  }

  /**
   * A signed quote for a claim; `gasDrop` (wei, default none) asks the relayer to send that much
   * native coin to the recipient with the claim, priced into the fee. A reply whose terms are not
   * the ones asked for is refused (`BAD_REPLY`).
   */
  async quote(planId: bigint | string, amount: bigint | string, gasDrop: bigint | string = 0n): Promise<SignedQuote> {
    const body = { planId: planId.toString(), amount: amount.toString(), ...(BigInt(gasDrop) > 0n ? { gasDrop: gasDrop.toString() } : {}) };
    const signed = await this.#request(QuoteReply, "POST", "/v1/quote", body);
    const q = signed.quote;
    if (q.planId !== body.planId || q.amount !== body.amount || BigInt(q.gasDrop) !== BigInt(gasDrop)) {
      throw new RelayerRequestError(
        RelayerClientCode.BadReply,
        "the relayer quoted other terms (plan, amount or gas drop) than those asked for; use another relayer",
        200,
      );
    }
    return signed;
  }

  submitClaim(submission: ClaimSubmission): Promise<SubmitClaimReply> {
    return this.#request(AcceptedReply, "POST", "/v1/claims", submission);
  }

  /** The plan's claims this relayer holds until the pool can pay them: how many, and what they ask in all. */
  async heldClaims(planId: bigint | string): Promise<HeldClaims> {
    const reply = await this.#request(HeldReply, "GET", `/v1/plans/${encodeURIComponent(planId.toString())}/held`);
    if (reply.planId !== planId.toString()) {
      throw new RelayerRequestError(
        RelayerClientCode.BadReply,
        `the relayer answered for plan ${reply.planId}, not ${planId}; use another relayer`,
        200,
      );
    }
    return { planId: BigInt(reply.planId), claims: reply.claims, amount: BigInt(reply.amount), firstExpiresAt: reply.firstExpiresAt };
  }

  claimStatus(id: string): Promise<ClaimStatus> {
    return this.#request(ClaimReply, "GET", `/v1/claims/${encodeURIComponent(id)}`);
  }

  /** Polls a claim until it is confirmed or failed; resolves with the final status either way. */
  async waitForClaim(id: string, options: WaitOptions = {}): Promise<ClaimStatus> {
    const interval = options.intervalMs ?? 1_000;
    const deadline = Date.now() + (options.timeoutMs ?? 300_000);
    let last: ClaimStatus | undefined;
    for (;;) {
      options.signal?.throwIfAborted();
      const status = await this.claimStatus(id);
      if (last === undefined || status.status !== last.status || status.confirmations !== last.confirmations) options.onUpdate?.(status);
      last = status;
      if (TERMINAL.includes(status.status)) return status;
      if (Date.now() + interval > deadline) {
        throw new RelayerRequestError(RelayerClientCode.Timeout, `claim ${id} is still ${status.status}; check again later with its id`, 0);
      }
      await new Promise((resolve) => setTimeout(resolve, interval));
    }
  }

  /** One API call; a success reply that does not match `schema` is refused (`BAD_REPLY`): a relayer is untrusted. */
  async #request<S extends TSchema>(schema: S, method: "GET" | "POST", path: string, body?: unknown): Promise<Static<S>> {
    const url = `${this.baseUrl}${path}`;
    let response: Response;
    try {
      response = await this.#fetch(url, {
        method,
        headers: body === undefined ? { accept: "application/json" } : { accept: "application/json", "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      throw new RelayerRequestError(
        RelayerClientCode.Unreachable,
        `cannot reach the relayer at ${this.baseUrl} (${(error as Error).message})`,
        0,
        {
          cause: error,
        },
      );
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text.length === 0 ? undefined : JSON.parse(text);
    } catch (error) {
      throw new RelayerRequestError(
        RelayerClientCode.BadReply,
        `the relayer replied to ${method} ${path} with HTTP ${response.status} and a body that is not JSON`,
        response.status,
        { cause: error },
      );
    }
    if (!response.ok) {
      const reply = (parsed ?? {}) as { code?: unknown; message?: unknown; error?: unknown };
      const code = typeof reply.code === "string" ? reply.code : `HTTP_${response.status}`;
      const message =
        typeof reply.message === "string" ? reply.message : typeof reply.error === "string" ? reply.error : `HTTP ${response.status}`;
      throw new RelayerRequestError(code, message, response.status);
    }
    if (!Value.Check(schema, parsed)) {
      const first = [...Value.Errors(schema, parsed)][0];
      throw new RelayerRequestError(
        RelayerClientCode.BadReply,
        `the relayer's reply to ${method} ${path} is not what its API promises (${first ? `${first.instancePath || "reply"} ${first.message}` : "wrong shape"}); use another relayer`,
        response.status,
      );
    }
    return parsed as Static<S>;
  }
}
