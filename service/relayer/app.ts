/**
 * The relayer as a Fastify app: external plugins (rate limit, OpenAPI), then the relayer's
 * services as decorations, then routes. `server.ts` wires it to config, chain and store and
 * listens; tests build it directly and use `app.inject()`.
 *
 * Every answer, including those to requests that never reach a route (a URL that does not decode,
 * malformed HTTP framing, oversized headers, a timeout), carries a relayer code (`errorBody`), and
 * a client's fault is logged at info without its address: only the relayer's own faults are errors.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import cors from "@fastify/cors";
import rateLimit from "@fastify/rate-limit";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, { type ConnectionError, type FastifyError, type FastifyReply, type FastifyRequest, LogController } from "fastify";
import type { Logger } from "pino";
import { classifyHttpFault, connectionFault, HttpFaultCode, rawResponse } from "../kit/http-faults.ts";
import type { TreeIndex } from "../trees/indexer.ts";
import { treeRoutes } from "../trees/routes.ts";
import type { PoolGateway } from "./chain.ts";
import { ClaimService } from "./claims.ts";
import { errorBody, RelayerError, RelayerErrorCode } from "./errors.ts";
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

/**
 * The bytes of a request body the relayer reads and drops after it has answered the request early
 * (413, 415, 404, 429...), before it closes the connection: a client still sending gets to read the
 * reply instead of a TCP reset. The request timeout, counted from the answer, bounds the time.
 */
const DISCARD_LIMIT_BYTES = 64 * 1024 * 1024;
/** How long a connection refused for its HTTP framing stays open, dropping what arrives, before it closes. */
const LINGER_MS = 2_000;

export { errorBody };

/** Anything thrown in a route as a RelayerError (the kit's HTTP faults carry relayer codes). */
function classify(error: FastifyError | Error): RelayerError {
  if (error instanceof RelayerError) return error;
  return classifyHttpFault(error, relayerFault);
}

const relayerFault = (code: HttpFaultCode, message: string) =>
  new RelayerError(code, code === HttpFaultCode.Internal ? "internal error; the relayer logged it" : message);

export async function buildApp(deps: RelayerDeps) {
  const metrics = createMetrics();
  const requestTimeoutMs = deps.requestTimeoutMs ?? 30_000;
  const discardLimitBytes = deps.discardLimitBytes ?? DISCARD_LIMIT_BYTES;
  /** Sockets whose current request was answered before its body arrived (the rest is being discarded). */
  const answered = new WeakSet<Duplex>();
  /** Sockets answered for a fault of the HTTP framing, waiting for the client to stop sending. */
  const lingering = new WeakSet<Duplex>();
  let closing = false;

  /**
   * Writes `fault` as a whole HTTP response on a socket no request owns, then reads and drops what the
   * client still sends for a moment (at most LINGER_MS, discardLimitBytes) before closing: closed at
   * once, the socket would answer the client's next bytes with a TCP reset, which can destroy the
   * response before the client reads it.
   */
  function answerOnSocket(socket: Duplex, fault: RelayerError) {
    lingering.add(socket);
    socket.end(rawResponse(fault));
    let dropped = 0;
    const close = () => socket.destroy();
    const timer = setTimeout(close, LINGER_MS).unref();
    socket.on("data", (chunk: Buffer) => {
      dropped += chunk.length;
      if (dropped > discardLimitBytes) close();
    });
    socket.once("end", close);
    socket.once("close", () => clearTimeout(timer));
  }

  /**
   * Answers what Node's HTTP parser refused (a malformed request line, header or chunked framing,
   * oversized headers, a request that did not arrive in time) with the relayer's error body. A
   * client fault: an info line, without the client's address or bytes.
   */
  function answerConnectionFault(error: ConnectionError, socket: Duplex) {
    // The client reset the connection, or it is closed or answered already: nobody to answer.
    if (error.code === "ECONNRESET" || socket.destroyed || lingering.has(socket)) return;
    const fault = connectionFault(error, requestTimeoutMs, relayerFault);
    // The response in flight on this socket, if any (as Node's own default handler looks it up).
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (answered.has(socket) || inFlight?.headersSent === true || !socket.writable) {
      // This request has its answer already; a second one would corrupt the stream.
      deps.log.info({ code: fault.code }, "closed a connection whose request kept arriving malformed after its answer");
      socket.destroy();
      return;
    }
    deps.log.info({ code: fault.code, status: fault.statusCode }, "refused a request Node's HTTP parser could not read");
    if (inFlight) {
      // A request on this socket is being handled and its body is malformed: answer and close now
      // (its handler must not write to the socket later); the request's hooks find it closed and stop.
      socket.write(rawResponse(fault));
      socket.destroy();
      return;
    }
    answerOnSocket(socket, fault);
  }

  /** Every refusal: a relayer code and message; only a fault of the relayer itself is logged as an error. */
  function refuse(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
    const relayerError = classify(error);
    if (relayerError.statusCode >= 500 && relayerError.code === RelayerErrorCode.Internal)
      request.log.error({ err: error }, "unhandled error");
    if (relayerError.code === RelayerErrorCode.RateLimited) {
      void reply.header("retry-after", reply.getHeader("retry-after") ?? "60");
    }
    return reply.code(relayerError.statusCode).send(errorBody(relayerError));
  }

  const app = Fastify({
    loggerInstance: deps.log,
    bodyLimit: deps.bodyLimitBytes,
    // Requests are logged below without addresses; Fastify's own lines would carry the client IP.
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: false,
    // Requests during shutdown are answered 503 NOT_READY below, with the relayer's error body.
    return503OnClosing: false,
    // A client that trickles its request (slowloris) is cut off instead of holding a socket.
    requestTimeout: requestTimeoutMs,
    http: {
      // Node enforces requestTimeout on this interval: check often enough for the limit to mean something.
      connectionsCheckingInterval: Math.min(1_000, requestTimeoutMs),
      // Node would answer a missing Host with a bare 400; the first hook below answers it with a code.
      requireHostHeader: false,
    },
    connectionTimeout: 60_000,
    keepAliveTimeout: 10_000,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false, useDefaults: false } },
    clientErrorHandler: answerConnectionFault,
    // A URL the router cannot decode (FST_ERR_BAD_URL), an overlong path parameter (FST_ERR_MAX_PARAM_LENGTH).
    // These requests never reach a route, so no hook logs them: the line is written here.
    frameworkErrors: (error, request, reply) => {
      void refuse(error, request, reply);
      request.log.info({ method: request.method, route: "unmatched", status: reply.statusCode }, "request");
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // `Expect: 100-continue`: Node would invite any body; a declared length over the limit is refused
  // 413 before the client sends it.
  app.server.on("checkContinue", (request: IncomingMessage, response: ServerResponse) => {
    if (!(Number(request.headers["content-length"]) > deps.bodyLimitBytes)) response.writeContinue();
    app.routing(request, response);
  });
  // Node answers another `Expect` with a bare 417; the relayer ignores it (RFC 9110 allows either).
  app.server.on("checkExpectation", (request: IncomingMessage, response: ServerResponse) => app.routing(request, response));
  // Node drops a CONNECT without a word; the relayer is no proxy, and says so.
  app.server.on("connect", (request: IncomingMessage, socket: Duplex) => {
    answerOnSocket(socket, new RelayerError(RelayerErrorCode.NotFound, "no route CONNECT: the relayer is not a proxy; see /docs"));
    deps.log.info({ method: request.method, route: "unmatched", status: 404 }, "request");
  });
  // The API takes JSON only: a text/plain body is refused 415 instead of failing the schema.
  app.removeContentTypeParser("text/plain");

  app.setErrorHandler(refuse);
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send(errorBody(new RelayerError(RelayerErrorCode.NotFound, `no route ${request.method} ${request.url.split("?")[0]}; see /docs`))),
  );
  app.addHook("onSend", async (request, reply, payload) => {
    // Answered before its body arrived (413, 415, 404, 429...): read and drop the rest of the body,
    // up to a bound, and keep the connection. Closing it now (Fastify's `connection: close`) would
    // reset it under a client still sending, and the client would never read this answer.
    if (!request.raw.complete && !request.raw.socket.destroyed) {
      if (reply.getHeader("connection") === "close") reply.removeHeader("connection");
      discardBody(request);
    }
    return payload;
  });
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

  function discardBody(request: FastifyRequest) {
    const raw = request.raw;
    const socket = raw.socket;
    answered.add(socket);
    let discarded = 0;
    const close = (why: string) => {
      if (socket.destroyed) return;
      request.log.info({ discarded }, `closed a connection whose client kept sending a body it had been answered for (${why})`);
      socket.destroy();
    };
    // Node's request timeout no longer applies once the request is answered: bound the time here.
    const timer = setTimeout(() => close(`over ${requestTimeoutMs} ms`), requestTimeoutMs).unref();
    raw.on("data", (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > discardLimitBytes) close(`over ${discardLimitBytes} bytes`);
    });
    raw.once("end", () => {
      answered.delete(socket);
      clearTimeout(timer);
    });
    socket.once("close", () => clearTimeout(timer));
    raw.resume();
  }

  // What Node's parser lets through but the relayer does not serve, refused before anything else runs.
  app.addHook("onRequest", async (request, reply) => {
    const raw = request.raw;
    if (raw.httpVersionMajor !== 1) {
      void reply.header("connection", "close");
      throw new RelayerError(RelayerErrorCode.HttpVersionNotSupported, "this relayer speaks HTTP/1.1; send the request as HTTP/1.1");
    }
    if (raw.httpVersionMinor === 1 && raw.headers.host === undefined)
      throw new RelayerError(RelayerErrorCode.MalformedRequest, "an HTTP/1.1 request needs a Host header; send one");
    if (closing) {
      void reply.header("connection", "close");
      throw new RelayerError(RelayerErrorCode.NotReady, "the relayer is shutting down; send the request again in a moment");
    }
  });

  // CORS, so the member web app (another origin) can call the API. It carries no credentials and
  // no cookies, so any origin is safe by default; HUZHU_RELAYER_CORS_ORIGINS narrows it.
  const corsOrigins = deps.corsOrigins ?? ["*"];
  await app.register(cors, {
    origin: corsOrigins.includes("*") ? "*" : corsOrigins,
    methods: ["GET", "POST"],
    allowedHeaders: ["content-type", "accept"],
    maxAge: 600,
  });
  // Node's parser may have refused what followed these headers (a malformed chunk) and closed the
  // connection while the hooks above ran: stop here, before anything reads the closed socket (the
  // rate limiter's key is the client's address, which a closed socket no longer has).
  app.addHook("onRequest", async (request, reply) => {
    if (request.raw.socket.destroyed) {
      request.log.debug("the connection closed before its request was handled");
      reply.hijack();
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
  if (deps.trees) await app.register(treeRoutes, { prefix: "/v1", trees: deps.trees });

  app.addHook("onReady", async () => {
    submitter.start();
  });
  app.addHook("preClose", async () => {
    closing = true;
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
