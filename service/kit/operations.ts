/**
 * What an operator's monitoring polls, for any service of the project: `/health` (the process
 * answers), `/ready` (every readiness check passes, in order; the first that fails answers 503
 * NOT_READY with its reason) and `/metrics` (Prometheus text from the service's registry).
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { Registry } from "prom-client";
import { Type } from "typebox";
import { errorReply } from "./error-reply.ts";

/**
 * One readiness check: resolves with a reason when the service cannot serve (a store or chain
 * unreachable, no workers), or with undefined when this part is ready.
 */
export type ReadinessCheck = () => Promise<string | undefined>;

/** The last readiness step: why the service is not ready, or the body of its ready answer. */
export type Readiness = { reason: string } | { body: Record<string, unknown> };

export interface OperationsOptions {
  /** Run in order on every /ready; the first reason stops the rest. */
  checks: readonly ReadinessCheck[];
  /** Runs once every check passed. */
  ready: () => Promise<Readiness>;
  registry: Registry;
}

export const operationsPlugin: FastifyPluginAsyncTypebox<OperationsOptions> = async (app, options) => {
  app.get("/health", { schema: { hide: true, response: { 200: Type.Object({ status: Type.Literal("ok") }) } } }, async () => ({
    status: "ok" as const,
  }));

  app.get("/ready", { schema: { hide: true } }, async (_request, reply) => {
    for (const check of options.checks) {
      const reason = await check();
      if (reason !== undefined) return reply.code(503).send(errorReply(503, "NOT_READY", reason));
    }
    const readiness = await options.ready();
    if ("reason" in readiness) return reply.code(503).send(errorReply(503, "NOT_READY", readiness.reason));
    return readiness.body;
  });

  app.get("/metrics", { schema: { hide: true } }, async (_request, reply) => {
    return reply.type(options.registry.contentType).send(await options.registry.metrics());
  });
};
