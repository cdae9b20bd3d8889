/** Liveness, readiness (claim store reachable, chain reachable, wallet funded) and metrics: what an operator's monitoring polls. */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { errorBody, RelayerError, RelayerErrorCode } from "../errors.ts";

export const operationsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get("/health", { schema: { hide: true, response: { 200: Type.Object({ status: Type.Literal("ok") }) } } }, async () => ({
    status: "ok" as const,
  }));

  app.get("/ready", { schema: { hide: true } }, async (_request, reply) => {
    const { gateway, minBalanceWei, store } = app.relayer.deps;
    const unreachable = await store.ping().then(
      () => undefined,
      (error: Error) => error.message,
    );
    if (unreachable) return reply.code(503).send(errorBody(new RelayerError(RelayerErrorCode.NotReady, unreachable)));
    // Below normal verifier capacity the relayer still answers (more slowly); with none it cannot check claims.
    const verifiers = app.relayer.deps.verifier.capacity();
    if (verifiers.alive === 0) {
      return reply
        .code(503)
        .send(
          errorBody(
            new RelayerError(
              RelayerErrorCode.NotReady,
              `no verifier process is running (0 of ${verifiers.configured}); they are being replaced`,
            ),
          ),
        );
    }
    const state = await gateway.ready(minBalanceWei);
    if (state.balance !== undefined) app.relayer.metrics.balanceWei.set(Number(state.balance));
    if (!state.ready) return reply.code(503).send(errorBody(new RelayerError(RelayerErrorCode.NotReady, state.reason ?? "not ready")));
    return {
      ready: true,
      block: String(state.block),
      balance: String(state.balance),
      verifiers: { alive: verifiers.alive, configured: verifiers.configured, restarts: verifiers.restarts },
      degraded: verifiers.alive < verifiers.configured,
    };
  });

  app.get("/metrics", { schema: { hide: true } }, async (_request, reply) => {
    const { registry } = app.relayer.metrics;
    return reply.type(registry.contentType).send(await registry.metrics());
  });
};
