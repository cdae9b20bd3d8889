/**
 * The relayer as a Fastify app: external plugins (rate limit, OpenAPI), then the relayer's
 * services as decorations, then routes. `server.ts` wires it to config, chain and store and
 * listens; tests build it directly and use `app.inject()`.
 */
import rateLimit from "@fastify/rate-limit";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, { type FastifyError, LogController } from "fastify";
import type { Logger } from "pino";
import type { PoolGateway } from "./chain.ts";
import { ClaimService } from "./claims.ts";
import { RelayerError, RelayerErrorCode } from "./errors.ts";
import { createMetrics } from "./metrics.ts";
import type { FeePolicy } from "./quotes.ts";
import { claimRoutes } from "./routes/claims.ts";
import { operationsRoutes } from "./routes/operations.ts";
import type { ClaimStore } from "./store.ts";
import { Submitter, type SubmitterOptions } from "./submitter.ts";
import type { ProofVerifier } from "./verifier.ts";

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
  /** A request whose headers are not complete in this time is answered 408 and its connection closed. */
  requestTimeoutMs?: number;
  /** Origins whose pages may call the API (the member web app); "*" for any. Default ["*"]. */
  corsOrigins?: string[];
}

const HTTP_REASON: Record<number, string> = {
  400: "Bad Request",
  404: "Not Found",
  409: "Conflict",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Entity",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

export function errorBody(error: RelayerError) {
  return { statusCode: error.statusCode, code: error.code, error: HTTP_REASON[error.statusCode] ?? "Error", message: error.message };
}

/** Maps anything thrown in a route to a RelayerError: client mistakes are 4xx with a code, the rest a bare 500. */
function classify(error: FastifyError | Error): RelayerError {
  if (error instanceof RelayerError) return error;
  const e = error as FastifyError;
  if (e.validation) {
    const first = e.validation[0];
    const where = `${e.validationContext ?? "body"}${first?.instancePath ?? ""}`;
    const extra =
      first?.keyword === "additionalProperties"
        ? ` (unknown field "${(first.params as { additionalProperty?: string }).additionalProperty}")`
        : "";
    return new RelayerError(RelayerErrorCode.InvalidBody, `${where} ${first?.message ?? "is invalid"}${extra}`);
  }
  switch (e.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new RelayerError(RelayerErrorCode.BodyTooLarge, "the request body is too large");
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new RelayerError(RelayerErrorCode.UnsupportedMediaType, "send the body as application/json");
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return new RelayerError(RelayerErrorCode.InvalidJson, "the body is not valid JSON");
  }
  if (e.statusCode === 429)
    return new RelayerError(RelayerErrorCode.RateLimited, "too many requests; slow down and retry after the Retry-After delay");
  if (error instanceof SyntaxError || (e.statusCode === 400 && /JSON/i.test(e.message))) {
    return new RelayerError(RelayerErrorCode.InvalidJson, "the body is not valid JSON");
  }
  if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500)
    return new RelayerError(RelayerErrorCode.InvalidBody, e.message);
  return new RelayerError(RelayerErrorCode.Internal, "internal error; the relayer logged it");
}

export async function buildApp(deps: RelayerDeps) {
  const metrics = createMetrics();
  const app = Fastify({
    loggerInstance: deps.log,
    bodyLimit: deps.bodyLimitBytes,
    // Requests are logged below without addresses; Fastify's own lines would carry the client IP.
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: false,
    return503OnClosing: true,
    // A client that trickles its request (slowloris) is cut off instead of holding a socket.
    requestTimeout: deps.requestTimeoutMs ?? 30_000,
    // Node enforces requestTimeout on this interval: check often enough for the limit to mean something.
    http: { connectionsCheckingInterval: Math.min(1_000, deps.requestTimeoutMs ?? 30_000) },
    connectionTimeout: 60_000,
    keepAliveTimeout: 10_000,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false, useDefaults: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const relayerError = classify(error);
    if (relayerError.statusCode >= 500 && relayerError.code === RelayerErrorCode.Internal)
      request.log.error({ err: error }, "unhandled error");
    if (relayerError.code === RelayerErrorCode.RateLimited) {
      void reply.header("retry-after", reply.getHeader("retry-after") ?? "60");
    }
    return reply.code(relayerError.statusCode).send(errorBody(relayerError));
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send(errorBody(new RelayerError(RelayerErrorCode.NotFound, `no route ${request.method} ${request.url.split("?")[0]}; see /docs`))),
  );
  app.addHook("onResponse", async (request, reply) => {
    // Route pattern, not URL (no claim ids), and never the client's address.
    request.log.info(
      {
        method: request.method,
        route: request.routeOptions.url ?? "unmatched",
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      "request",
    );
  });

  // CORS, so the member web app (another origin) can call the API. It carries no credentials and
  // no cookies, so any origin is safe by default; HUZHU_RELAYER_CORS_ORIGINS narrows it.
  const corsOrigins = deps.corsOrigins ?? ["*"];
  app.addHook("onRequest", async (request, reply) => {
    const origin = request.headers.origin;
    if (origin === undefined) return;
    const allowed = corsOrigins.includes("*") ? "*" : corsOrigins.includes(origin) ? origin : undefined;
    if (allowed === undefined) return;
    void reply.header("access-control-allow-origin", allowed);
    if (allowed !== "*") void reply.header("vary", "origin");
    if (request.method === "OPTIONS") {
      return reply
        .code(204)
        .header("access-control-allow-methods", "GET, POST")
        .header("access-control-allow-headers", "content-type, accept")
        .header("access-control-max-age", "600")
        .send();
    }
  });

  await app.register(swagger, {
    openapi: {
      info: {
        title: "Huzhu relayer",
        version: "1",
        description: "Submits anonymous mutual-aid claims to the Huzhu pool from the relayer's own address.",
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });
  await app.register(rateLimit, {
    global: true,
    max: deps.rateLimitPerMinute,
    timeWindow: 60_000,
    allowList: (request) =>
      request.routeOptions.url === "/health" || request.routeOptions.url === "/ready" || request.routeOptions.url === "/metrics",
    errorResponseBuilder: (_request, context) => {
      const error = new RelayerError(
        RelayerErrorCode.RateLimited,
        `too many requests (limit ${context.max} per minute); retry after ${context.after}`,
      );
      return Object.assign(error, errorBody(error));
    },
  });

  const claims = new ClaimService(deps.gateway, deps.store, deps.verifier, deps.policy, metrics);
  const submitter = new Submitter(deps.gateway, deps.store, deps.log.child({ component: "submitter" }), metrics, deps.submitter);
  claims.onAccepted = () => submitter.wake();
  app.decorate("relayer", { deps, claims, submitter, metrics });

  await app.register(operationsRoutes);
  await app.register(claimRoutes, { prefix: "/v1" });

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
