/**
 * The relayer as a Fastify app: the service kit's app (service/kit/http-app.ts: schemas, one error
 * handler, CORS, OpenAPI, rate limit, timeouts, request logs without addresses), then the relayer's
 * services as decorations, then routes. `server.ts` wires it to config, chain and store and
 * listens; tests build it directly and use `app.inject()`. Every answer, including those to
 * requests that never reach a route, carries a relayer code (`errorBody`).
 */
import type { Logger } from "pino";
import { createServiceApp } from "../kit/http-app.ts";
import type { TreeIndex } from "../trees/indexer.ts";
import { registerTreeMetrics } from "../trees/metrics.ts";
import { treeRoutes } from "../trees/routes.ts";
import type { PoolGateway } from "./chain.ts";
import { ClaimService } from "./claims.ts";
import { errorBody, RelayerError } from "./errors.ts";
import { createMetrics } from "./metrics.ts";
import type { FeePolicy } from "./quotes.ts";
import { claimRoutes } from "./routes/claims.ts";
import { operationsRoutes } from "./routes/operations.ts";
import type { ClaimStore } from "./store.ts";
import { Submitter, type SubmitterOptions } from "./submitter.ts";
import type { ProofVerifier, VerifierCapacity } from "./verifier.ts";

export interface RelayerDeps {
  log: Logger;
  gateway: PoolGateway;
  store: ClaimStore;
  verifier: ProofVerifier;
  policy: FeePolicy;
  submitter: SubmitterOptions;
  minBalanceWei: bigint;
  rateLimitPerMinute: number;
  bodyLimitBytes: number;
  /**
   * A request that has not fully arrived in this time is answered 408 and its connection closed;
   * the rest of an early-answered request's body is discarded for at most this long. Default 30 s.
   */
  requestTimeoutMs?: number;
  /** Origins whose pages may call the API (the member web app); "*" for any. Default ["*"]. */
  corsOrigins?: string[];
  /** Bytes of an already-answered request's body read and dropped before the connection is closed (default 64 MiB). */
  discardLimitBytes?: number;
  /** The tree index whose member tree snapshots the relayer serves under /v1/plans/:id/tree (docs/SCALE.md). */
  trees?: TreeIndex;
}

export { errorBody };

export async function buildApp(deps: RelayerDeps) {
  const metrics = createMetrics();
  const app = await createServiceApp({
    name: "relayer",
    log: deps.log,
    fault: (code, message) => new RelayerError(code, message),
    own: (error): error is RelayerError => error instanceof RelayerError,
    bodyLimitBytes: deps.bodyLimitBytes,
    rateLimitPerMinute: deps.rateLimitPerMinute,
    requestTimeoutMs: deps.requestTimeoutMs,
    discardLimitBytes: deps.discardLimitBytes,
    // The API carries no credentials and no cookies, so any origin is safe by default; HUZHU_RELAYER_CORS_ORIGINS narrows it.
    corsOrigins: deps.corsOrigins,
    corsMethods: ["GET", "POST"],
    corsHeaders: ["content-type", "accept"],
    openapi: {
      title: "Huzhu relayer",
      description: "Submits anonymous mutual-aid claims to the Huzhu pool from the relayer's own address.",
    },
  });

  const reportCapacity = (capacity: VerifierCapacity) => {
    metrics.verifiersAlive.set(capacity.alive);
    metrics.verifiersConfigured.set(capacity.configured);
    metrics.verifierRestarts.set(capacity.restarts);
  };
  deps.verifier.onCapacity = reportCapacity;
  reportCapacity(deps.verifier.capacity());

  const claims = new ClaimService(deps.gateway, deps.store, deps.verifier, deps.policy, metrics);
  const submitter = new Submitter(deps.gateway, deps.store, deps.log.child({ component: "submitter" }), metrics, deps.submitter);
  claims.onAccepted = () => submitter.wake();
  app.decorate("relayer", { deps, claims, submitter, metrics });

  await app.register(operationsRoutes);
  await app.register(claimRoutes, { prefix: "/v1" });
  if (deps.trees) {
    registerTreeMetrics(deps.trees, metrics.registry);
    await app.register(treeRoutes, { prefix: "/v1", trees: deps.trees });
  }

  app.addHook("onReady", async () => {
    submitter.start();
  });
  app.addHook("preClose", async () => {
    await submitter.stop();
  });
  return app;
}

export type RelayerApp = Awaited<ReturnType<typeof buildApp>>;

declare module "fastify" {
  interface FastifyInstance {
    relayer: {
      deps: RelayerDeps;
      claims: ClaimService;
      submitter: Submitter;
      metrics: ReturnType<typeof createMetrics>;
    };
  }
}
