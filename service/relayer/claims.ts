/**
 * Accepting a claim: the checks in order of cost (field ranges, then reads from chain: plan, roots,
 * epoch, cap, nullifier; then the fee quote; then the proof off-chain; then an eth_call), and only
 * then a durable record and a 202.
 *
 * Every body is judged on its own merits: concurrent submissions of the *same* body share one
 * check, but a different body for the same nullifier (a broken one from someone who saw the
 * nullifier, or the member's newer proof) is checked by itself, so a broken body can never decide
 * the fate of a valid one. A client whose proofs keep failing verification is refused for a while
 * before any proof of its is verified again, so invalid bodies cannot crowd out valid ones. One
 * nullifier is still one claim: a valid newer body replaces a claim that is held or failed for a
 * recoverable reason, and is a duplicate of one that is being sent, was paid or failed for good.
 */
import { createHash } from "node:crypto";
import type { Address, Hex } from "viem";
import {
  type ClaimPublicSignals,
  type ClaimRequestBody,
  claimContext,
  type Groth16Proof,
  HuzhuError,
  requestFromJson,
  requestToJson,
  toCoordinate,
  toField,
  toSolidityProof,
} from "../sdk/index.ts";
import type { ClaimBody } from "../sdk/relayer-wire.ts";
import { type ClaimArgs, EPOCH_GRACE_SECONDS, type PoolGateway } from "./chain.ts";
import { FINAL_CODES, isFinal, RelayerError, RelayerErrorCode } from "./errors.ts";
import type { Metrics } from "./metrics.ts";
import { checkQuote, type FeePolicy } from "./quotes.ts";
import type { ClaimStore, StoredClaim } from "./store.ts";
import type { ProofVerifier } from "./verifier.ts";

/** What the submitter needs from an accepted claim, stored as JSON. */
export interface ClaimPayload {
  request: ClaimRequestBody;
  proof: Groth16Proof;
  /** Unix seconds until which the relayer's fee quote holds (a held claim is sent until then). */
  quoteExpiresAt?: number;
  /** sha256 of the body as accepted: the same body sent again is a duplicate, another one is judged anew. */
  bodyHash?: string;
}

/** Invalid proofs one client may send per window before its claims are refused unverified. */
export const INVALID_PROOF_BUDGET = 10;
export const INVALID_PROOF_WINDOW_MS = 60_000;

/** Runs one of the SDK's range checks on what the schema admitted; its refusal is a 400 FIELD_OUT_OF_RANGE. */
function checked<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof HuzhuError) throw new RelayerError(RelayerErrorCode.FieldOutOfRange, error.message, undefined, { cause: error });
    throw error;
  }
}

/** A decimal string the schema admitted, refused unless below the SNARK scalar field order r. */
export function field(value: string, name: string): bigint {
  return checked(() => toField(value, name));
}

/** The request of a claim body, decoded by the SDK's one codec; a value out of range is a 400. */
export function parseRequest(raw: ClaimBody["request"]): ClaimArgs {
  return checked(() => requestFromJson(raw));
}

function parseProof(raw: ClaimBody["proof"]): Groth16Proof {
  const p = (values: string[], name: string) => values.map((v, i) => checked(() => toCoordinate(v, `proof.${name}[${i}]`)).toString());
  return {
    pi_a: p(raw.pi_a, "pi_a"),
    pi_b: raw.pi_b.map((pair, i) => p(pair, `pi_b[${i}]`)),
    pi_c: p(raw.pi_c, "pi_c"),
    protocol: "groth16",
    curve: "bn128",
  };
}

/** The canonical digest of a claim body (its four parts, in a fixed order). */
export function bodyHash(body: ClaimBody): string {
  const canonical = JSON.stringify([body.quote, body.quoteSignature.toLowerCase(), body.request, body.proof]);
  return createHash("sha256").update(canonical).digest("hex");
}

export function claimId(pool: Address, nullifier: bigint): string {
  return createHash("sha256").update(`${pool.toLowerCase()}:${nullifier}`).digest("hex").slice(0, 32);
}

export interface Accepted {
  claim: StoredClaim;
  /** A new claim was stored (202). */
  created: boolean;
  /** A held or recoverably failed claim took this newer body (202). */
  replaced: boolean;
}

export class ClaimService {
  /** Checks under way, by body digest: the same body sent twice at once is checked once. */
  readonly #inflight = new Map<string, Promise<Accepted>>();
  /** Per client (an in-memory key, never logged or stored): times of its recent invalid proofs. */
  readonly #invalid = new Map<string, number[]>();
  /** Per client: its proof checks in progress, counted against the budget so concurrent bodies cannot overrun it. */
  readonly #checking = new Map<string, number>();
  readonly gateway: PoolGateway;
  readonly store: ClaimStore;
  readonly verifier: ProofVerifier;
  readonly policy: FeePolicy;
  readonly metrics: Metrics;
  /** Called after a new claim is stored, to wake the submitter. */
  onAccepted: () => void = () => {};

  constructor(gateway: PoolGateway, store: ClaimStore, verifier: ProofVerifier, policy: FeePolicy, metrics: Metrics) {
    this.gateway = gateway;
    this.store = store;
    this.verifier = verifier;
    this.policy = policy;
    this.metrics = metrics;
  }

  /** `client` identifies the sender for the invalid-proof budget only (the route passes its address; it is never logged). */
  async accept(body: ClaimBody, client = "local"): Promise<Accepted> {
    const request = parseRequest(body.request);
    const proof = parseProof(body.proof);
    const digest = bodyHash(body);
    const known = await this.store.byNullifier(request.nullifier.toString());
    if (known && !this.#replaceable(known, digest)) return { claim: known, created: false, replaced: false };
    const pending = this.#inflight.get(digest);
    if (pending) {
      const { claim } = await pending;
      return { claim, created: false, replaced: false };
    }
    this.#checkBudget(client);
    // The check holds one of the client's places from the budget test until it ends.
    this.#checking.set(client, (this.#checking.get(client) ?? 0) + 1);
    const work = this.#check(body, request, proof, digest, client);
    this.#inflight.set(digest, work);
    try {
      return await work;
    } finally {
      this.#inflight.delete(digest);
      const left = (this.#checking.get(client) ?? 1) - 1;
      if (left === 0) this.#checking.delete(client);
      else this.#checking.set(client, left);
    }
  }

  /** A stored claim takes a newer body only while it is held or failed for a recoverable reason. */
  #replaceable(claim: StoredClaim, digest: string): boolean {
    if (claim.status !== "waiting_for_funds" && claim.status !== "failed") return false;
    if (claim.status === "failed" && isFinal(claim.code)) return false;
    return (JSON.parse(claim.payload) as ClaimPayload).bodyHash !== digest;
  }

  #recentInvalid(client: string): number[] {
    const since = Date.now() - INVALID_PROOF_WINDOW_MS;
    const times = (this.#invalid.get(client) ?? []).filter((t) => t > since);
    if (times.length === 0) this.#invalid.delete(client);
    else this.#invalid.set(client, times);
    return times;
  }

  #checkBudget(client: string): void {
    const times = this.#recentInvalid(client);
    // A client with failures also has its checks in progress counted, so concurrent bodies cannot
    // overrun the budget; a client without failures is never slowed by its own concurrency.
    const counted = times.length === 0 ? 0 : times.length + (this.#checking.get(client) ?? 0);
    if (counted < INVALID_PROOF_BUDGET) return;
    const retryAfter = Math.ceil(((times[0] ?? Date.now()) + INVALID_PROOF_WINDOW_MS - Date.now()) / 1000);
    throw new RelayerError(
      RelayerErrorCode.TooManyInvalidProofs,
      `${times.length} proofs from this client failed verification in the last minute; no more are checked for ${retryAfter} s. ` +
        "Prove again with the exact request you send (recipient, relayer, fee and gas drop are bound into the proof)",
      { retryAfterSeconds: retryAfter },
    );
  }

  async #check(body: ClaimBody, request: ClaimArgs, proof: Groth16Proof, digest: string, client: string): Promise<Accepted> {
    const gateway = this.gateway;
    let mark = performance.now();
    const stage = (name: string) => {
      const now = performance.now();
      this.metrics.acceptStageSeconds.observe({ stage: name }, (now - mark) / 1000);
      mark = now;
    };
    await gateway.checkClaim(request);
    stage("chain_checks");
    await checkQuote(
      gateway.relayer,
      gateway.chainId,
      gateway.pool,
      { ...body.quote, relayer: body.quote.relayer as Address },
      body.quoteSignature as Hex,
      request,
      Math.floor(Date.now() / 1000),
    );
    stage("quote");

    const signals: ClaimPublicSignals = {
      memberRoot: request.memberRoot,
      assessorRoot: request.assessorRoot,
      nullifier: request.nullifier,
      planId: request.planId,
      claimEpoch: request.claimEpoch,
      amount: request.amount,
      context: claimContext({
        chainId: BigInt(gateway.chainId),
        pool: gateway.pool,
        planId: request.planId,
        recipient: request.recipient,
        relayer: request.relayer,
        fee: request.fee,
        gasDrop: request.gasDrop,
      }),
    };
    const started = performance.now();
    const valid = await this.verifier.verify(proof, signals);
    this.metrics.verifySeconds.observe((performance.now() - started) / 1000);
    stage("verify");
    if (!valid) {
      // Bounded memory: under a flood from very many clients, forget the oldest entries first.
      if (this.#invalid.size >= 10_000) this.#invalid.delete(this.#invalid.keys().next().value as string);
      this.#invalid.set(client, [...this.#recentInvalid(client), Date.now()]);
      throw new RelayerError(
        RelayerErrorCode.InvalidProof,
        "the proof does not verify for these public inputs; a proof is bound to its recipient, relayer, fee and gas drop, so prove again with the exact request you send",
      );
    }
    // A pool that cannot pay yet does not refuse a valid claim: it is stored and held until it can.
    await gateway.simulate(request, toSolidityProof(proof)).catch((error: unknown) => {
      if (error instanceof RelayerError && error.code === RelayerErrorCode.InsufficientPoolFunds) return;
      throw error;
    });
    stage("simulate");

    const payload: ClaimPayload = {
      request: requestToJson(request),
      proof,
      quoteExpiresAt: body.quote.expiresAt,
      bodyHash: digest,
    };
    const id = claimId(gateway.pool, request.nullifier);
    const result = await this.store.insert({
      id,
      nullifier: request.nullifier.toString(),
      planId: request.planId.toString(),
      amount: request.amount.toString(),
      fee: request.fee.toString(),
      recipient: request.recipient,
      payload: JSON.stringify(payload),
    });
    stage("store");
    if (result.created) {
      this.onAccepted();
      return { claim: result.claim, created: true, replaced: false };
    }
    // The nullifier already has a claim: this valid body replaces it if it is held or failed for a
    // recoverable reason (the store decides atomically), and is a duplicate otherwise.
    const replaced = await this.store.replace(
      id,
      { payload: JSON.stringify(payload), amount: request.amount.toString(), fee: request.fee.toString(), recipient: request.recipient },
      FINAL_CODES,
    );
    if (replaced.replaced) this.onAccepted();
    return { claim: replaced.claim, created: false, replaced: replaced.replaced };
  }
}

/** Unix seconds after which a claim can no longer be paid: its quote expires, or the pool stops accepting its epoch. */
export function payableUntil(payload: ClaimPayload, plan: { start: bigint; periodLength: bigint }): number {
  const epochEnd = Number(plan.start + (BigInt(payload.request.claimEpoch) + 1n) * plan.periodLength + EPOCH_GRACE_SECONDS);
  return Math.min(payload.quoteExpiresAt ?? epochEnd, epochEnd);
}
