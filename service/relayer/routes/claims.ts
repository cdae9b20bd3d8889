/** The member-facing API under /v1: info, quote, submit a claim, follow its status. */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import {
  AcceptedReply,
  ClaimBody,
  ClaimParams,
  ClaimReply,
  ErrorReply,
  HeldReply,
  InfoReply,
  PlanParams,
  QuoteBody,
  QuoteReply,
} from "../../sdk/relayer-wire.ts";
import { type ClaimPayload, field } from "../claims.ts";
import { isFinal, RelayerError, RelayerErrorCode } from "../errors.ts";
import { feeFor, gasDropFee, gasDropTerms, signQuote } from "../quotes.ts";
import type { StoredClaim } from "../store.ts";

const errors = { 400: ErrorReply, 404: ErrorReply, 409: ErrorReply, 413: ErrorReply, 422: ErrorReply, 429: ErrorReply, 503: ErrorReply };

export const claimRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { deps, claims, submitter, metrics } = app.relayer;
  const { gateway, policy, verifier } = deps;

  app.get("/info", { schema: { summary: "Chain, pool, relayer address, fee policy, plans", response: { 200: InfoReply } } }, async () => {
    const [plans, gasPrice] = await Promise.all([gateway.plans(), policy.gasDrop.maxWei > 0n ? gateway.maxFeePerGas() : 0n]);
    return {
      chainId: gateway.chainId,
      pool: gateway.pool,
      relayer: gateway.relayer,
      verificationKeyHash: verifier.keyHash,
      feePolicy: { feeBps: policy.feeBps, minFee: policy.minFee.toString(), quoteTtlSeconds: policy.quoteTtlSeconds },
      plans: plans.map((p) => {
        const gasDrop = gasDropTerms(policy.gasDrop, p.token, gasPrice);
        return {
          planId: p.planId.toString(),
          name: p.name,
          token: p.token,
          claimCap: p.claimCap.toString(),
          maxFeeBps: p.maxFeeBps,
          active: p.active,
          ...(gasDrop ? { gasDrop } : {}),
        };
      }),
    };
  });

  app.post(
    "/quote",
    { schema: { summary: "A signed fee quote for a plan and amount", body: QuoteBody, response: { 200: QuoteReply, ...errors } } },
    async (request) => {
      const planId = field(request.body.planId, "planId");
      const amount = field(request.body.amount, "amount");
      const plan = await gateway.plan(planId);
      if (!plan.active) throw new RelayerError(RelayerErrorCode.PlanInactive, `plan ${planId} is paused`);
      if (amount === 0n) throw new RelayerError(RelayerErrorCode.ZeroAmount, "the amount must be above zero");
      if (amount > plan.claimCap)
        throw new RelayerError(RelayerErrorCode.AmountOverCap, `the amount ${amount} exceeds plan ${planId}'s claim cap ${plan.claimCap}`);
      const gasDrop = request.body.gasDrop === undefined ? 0n : BigInt(request.body.gasDrop);
      const fee = feeFor(policy, amount, plan.maxFeeBps, gasDropFee(policy.gasDrop, plan.token, gasDrop));
      // The wallet pays the drop on top of gas: quote none that would take it below its reserve.
      if (gasDrop > 0n) {
        const balance = await gateway.publicClient.getBalance({ address: gateway.relayer });
        if (balance < deps.minBalanceWei + gasDrop) {
          throw new RelayerError(
            RelayerErrorCode.GasDropUnavailable,
            "this relayer's wallet cannot fund that gas drop now; ask for a smaller one or none, or use another relayer",
          );
        }
      }
      const quote = {
        planId: planId.toString(),
        amount: amount.toString(),
        fee: fee.toString(),
        gasDrop: gasDrop.toString(),
        relayer: gateway.relayer,
        expiresAt: Math.floor(Date.now() / 1000) + policy.quoteTtlSeconds,
      };
      return { quote, signature: await signQuote(gateway.account, gateway.chainId, gateway.pool, quote) };
    },
  );

  app.post(
    "/claims",
    {
      schema: {
        summary: "Submit a claim (202 once stored; the same nullifier always maps to the same claim)",
        body: ClaimBody,
        response: { 200: AcceptedReply, 202: AcceptedReply, ...errors },
      },
    },
    async (request, reply) => {
      const started = performance.now();
      try {
        // The client's address keys the invalid-proof budget in memory only; it is never logged or stored.
        const { claim, created, replaced } = await claims.accept(request.body, request.ip);
        metrics.claimsReceived.inc({ outcome: created ? "accepted" : replaced ? "replaced" : "duplicate" });
        if (created) return reply.code(202).send({ id: claim.id, status: claim.status });
        if (replaced) return reply.code(202).send({ id: claim.id, status: claim.status, replaced: true });
        return reply.code(200).send({ id: claim.id, status: claim.status, duplicate: true });
      } catch (error) {
        metrics.claimsReceived.inc({ outcome: error instanceof RelayerError ? error.code : "error" });
        if (error instanceof RelayerError && error.code === RelayerErrorCode.TooManyInvalidProofs)
          void reply.header("retry-after", String(error.details?.retryAfterSeconds ?? 60));
        throw error;
      } finally {
        metrics.acceptSeconds.observe((performance.now() - started) / 1000);
      }
    },
  );

  app.get(
    "/plans/:planId/held",
    {
      schema: {
        summary: "The plan's claims waiting for funds: how many, and what they ask in all",
        params: PlanParams,
        response: { 200: HeldReply, ...errors },
      },
    },
    async (request) => {
      const held = (await claims.store.unfinished("waiting_for_funds")).filter((claim) => claim.planId === request.params.planId);
      const first = held
        .map((claim) => claim.heldUntil)
        .filter((until): until is number => until !== null)
        .sort((a, b) => a - b)[0];
      return {
        planId: request.params.planId,
        claims: held.length,
        amount: held.reduce((sum, claim) => sum + BigInt(claim.amount), 0n).toString(),
        ...(first === undefined ? {} : { firstExpiresAt: new Date(first * 1000).toISOString() }),
      };
    },
  );

  app.get(
    "/claims/:id",
    { schema: { summary: "A claim's status", params: ClaimParams, response: { 200: ClaimReply, ...errors } } },
    async (request) => {
      const claim = await claims.store.get(request.params.id);
      if (!claim) throw new RelayerError(RelayerErrorCode.ClaimNotFound, `no claim ${request.params.id} on this relayer`);
      return claimReply(claim, await submitter.confirmations(claim));
    },
  );
};

function claimReply(claim: StoredClaim, confirmations: number | undefined) {
  return {
    id: claim.id,
    status: claim.status,
    planId: claim.planId,
    nullifier: claim.nullifier,
    amount: claim.amount,
    fee: claim.fee,
    gasDrop: (JSON.parse(claim.payload) as ClaimPayload).request.gasDrop ?? "0",
    recipient: claim.recipient as `0x${string}`,
    ...(claim.txHash ? { txHash: claim.txHash as `0x${string}` } : {}),
    ...(claim.blockNumber ? { blockNumber: claim.blockNumber } : {}),
    ...(confirmations !== undefined ? { confirmations } : {}),
    ...(claim.code ? { code: claim.code } : {}),
    ...(claim.reason ? { reason: claim.reason } : {}),
    ...(claim.status === "failed" ? { final: isFinal(claim.code) } : {}),
    ...(claim.status === "waiting_for_funds" && claim.heldUntil !== null
      ? { heldUntil: new Date(claim.heldUntil * 1000).toISOString() }
      : {}),
    ...(claim.replacements > 0 ? { replacements: claim.replacements } : {}),
    createdAt: new Date(claim.createdAt).toISOString(),
    updatedAt: new Date(claim.updatedAt).toISOString(),
  };
}
