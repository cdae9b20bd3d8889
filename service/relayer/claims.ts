/**
 * Accepting a claim: the checks in order of cost (field ranges, then reads from chain: plan, roots,
 * epoch, cap, nullifier; then the fee quote; then the proof off-chain; then an eth_call), and only
 * then a durable record and a 202. Concurrent submissions of one nullifier share one check and
 * one record, so they can never become two transactions.
 */
import { createHash } from "node:crypto";
import type { Address, Hex } from "viem";
import { type ClaimPublicSignals, claimContext, type Groth16Proof, SNARK_SCALAR_FIELD, toSolidityProof } from "../sdk/index.ts";
import type { ClaimArgs, PoolGateway } from "./chain.ts";
import { RelayerError, RelayerErrorCode } from "./errors.ts";
import type { Metrics } from "./metrics.ts";
import { checkQuote, type FeePolicy } from "./quotes.ts";
import type { ClaimBody } from "./schemas.ts";
import type { ClaimStore, StoredClaim } from "./store.ts";
import type { ProofVerifier } from "./verifier.ts";

/** What the submitter needs from an accepted claim, stored as JSON. */
export interface ClaimPayload {
  request: Record<keyof ClaimArgs, string>;
  proof: Groth16Proof;
}

/** A decimal string the schema admitted, refused unless below the SNARK field modulus r. */
export function field(value: string, name: string): bigint {
  const n = BigInt(value);
  if (n >= SNARK_SCALAR_FIELD) throw new RelayerError(RelayerErrorCode.FieldOutOfRange, `${name} is not below the SNARK field modulus r`);
  return n;
}

export function parseRequest(raw: ClaimBody["request"]): ClaimArgs {
  return {
    planId: field(raw.planId, "request.planId"),
    claimEpoch: field(raw.claimEpoch, "request.claimEpoch"),
    amount: field(raw.amount, "request.amount"),
    memberRoot: field(raw.memberRoot, "request.memberRoot"),
    memberRootSeq: field(raw.memberRootSeq, "request.memberRootSeq"),
    assessorRoot: field(raw.assessorRoot, "request.assessorRoot"),
    nullifier: field(raw.nullifier, "request.nullifier"),
    recipient: raw.recipient as Address,
    relayer: raw.relayer as Address,
    fee: field(raw.fee, "request.fee"),
  };
}

function parseProof(raw: ClaimBody["proof"]): Groth16Proof {
  const p = (values: string[], name: string) => values.map((v, i) => field(v, `proof.${name}[${i}]`).toString());
  return {
    pi_a: p(raw.pi_a, "pi_a"),
    pi_b: raw.pi_b.map((pair, i) => p(pair, `pi_b[${i}]`)),
    pi_c: p(raw.pi_c, "pi_c"),
    protocol: "groth16",
    curve: "bn128",
  };
}

export function claimId(pool: Address, nullifier: bigint): string {
  return createHash("sha256").update(`${pool.toLowerCase()}:${nullifier}`).digest("hex").slice(0, 32);
}

export class ClaimService {
  readonly #inflight = new Map<string, Promise<{ claim: StoredClaim; created: boolean }>>();
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

  async accept(body: ClaimBody): Promise<{ claim: StoredClaim; created: boolean }> {
    const request = parseRequest(body.request);
    const proof = parseProof(body.proof);
    const key = request.nullifier.toString();
    const known = await this.store.byNullifier(key);
    if (known) return { claim: known, created: false };
    const pending = this.#inflight.get(key);
    if (pending) {
      const { claim } = await pending;
      return { claim, created: false };
    }
    const work = this.#check(body, request, proof);
    this.#inflight.set(key, work);
    try {
      return await work;
    } finally {
      this.#inflight.delete(key);
    }
  }

  async #check(body: ClaimBody, request: ClaimArgs, proof: Groth16Proof): Promise<{ claim: StoredClaim; created: boolean }> {
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
      }),
    };
    const started = performance.now();
    const valid = await this.verifier.verify(proof, signals);
    this.metrics.verifySeconds.observe((performance.now() - started) / 1000);
    stage("verify");
    if (!valid) {
      throw new RelayerError(
        RelayerErrorCode.InvalidProof,
        "the proof does not verify for these public inputs; a proof is bound to its recipient, relayer and fee, so prove again with the exact request you send",
      );
    }
    await gateway.simulate(request, toSolidityProof(proof));
    stage("simulate");

    const payload: ClaimPayload = {
      request: Object.fromEntries(Object.entries(request).map(([k, v]) => [k, String(v)])) as ClaimPayload["request"],
      proof,
    };
    const result = await this.store.insert({
      id: claimId(gateway.pool, request.nullifier),
      nullifier: request.nullifier.toString(),
      planId: request.planId.toString(),
      amount: request.amount.toString(),
      fee: request.fee.toString(),
      recipient: request.recipient,
      payload: JSON.stringify(payload),
    });
    stage("store");
    if (result.created) this.onAccepted();
    return result;
  }
}
