/**
 * Liveness, readiness (claim store reachable, a verifier process running, chain reachable, wallet
 * funded) and metrics: the service kit's operations routes with the relayer's checks.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { operationsPlugin } from "../../kit/operations.ts";

export const operationsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { gateway, minBalanceWei, store, verifier } = app.relayer.deps;
  await app.register(operationsPlugin, {
    checks: [
      () =>
        store.ping().then(
          () => undefined,
          (error: Error) => error.message,
        ),
      // Below normal verifier capacity the relayer still answers (more slowly); with none it cannot check claims.
      async () => {
        const verifiers = verifier.capacity();
        return verifiers.alive === 0 ? `no verifier process is running (0 of ${verifiers.configured}); they are being replaced` : undefined;
      },
    ],
    ready: async () => {
      const chain = await gateway.ready(minBalanceWei);
      if (chain.balance !== undefined) app.relayer.metrics.balanceWei.set(Number(chain.balance));
      if (!chain.ready) return { reason: chain.reason ?? "not ready" };
      const verifiers = verifier.capacity();
      return {
        body: {
          ready: true,
          block: String(chain.block),
          balance: String(chain.balance),
          verifiers: { alive: verifiers.alive, configured: verifiers.configured, restarts: verifiers.restarts },
          degraded: verifiers.alive < verifiers.configured,
        },
      };
    },
    registry: app.relayer.metrics.registry,
  });
};
