/**
 * The Fastify app every service of the project starts from (the relayer, the claims desk, the tree
 * service): strict JSON schemas, one error handler that answers every refusal with the service's
 * stable code, request logs without client addresses, CORS, OpenAPI at /docs, a global rate limit,
 * request timeouts, and answers with a code even to requests that never reach a route (a URL that
 * does not decode, malformed HTTP framing, oversized headers, a request that trickles in).
 *
 * A service passes its own error class: `fault` makes one for an HTTP-level fault, `own` says
 * whether a thrown value already is one. Only a service's own faults (`INTERNAL`) are logged as
 * errors; a client's mistake is an info line with the route pattern, never the URL or address.
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
import { errorReply } from "./error-reply.ts";
import { classifyHttpFault, connectionFault, type FaultError, HttpFaultCode, rawResponse } from "./http-faults.ts";

/** What every service error carries: the status its code maps to, the code, a message saying what to do. */
export interface ServiceFault {
  readonly statusCode: number;
  readonly code: string;
  readonly message: string;
  /** The SDK error code behind the refusal, when `code` is broader. */
  readonly reason?: string;
}

export interface ServiceAppOptions<E extends ServiceFault> {
  /** The service's name in messages ("this relayer speaks HTTP/1.1"). */
  name: string;
  log: Logger;
  /** The service's error for an HTTP-level fault (its class, its codes). */
  fault: FaultError<E>;
  /** Whether a thrown value is already the service's error. */
  own: (error: unknown) => error is E;
  /** The service's error for another thrown value it knows (an SDK error from decoding input), if any. */
  adopt?: (error: unknown) => E | undefined;
  bodyLimitBytes: number;
  rateLimitPerMinute: number;
  /** Routes the rate limit does not count (besides /health, /ready and /metrics). */
  rateLimitExempt?: readonly string[];
  /**
   * A request that has not fully arrived in this time is answered 408 and its connection closed;
   * the rest of an early-answered request's body is discarded for at most this long. Default 30 s.
   */
  requestTimeoutMs?: number;
  /** Bytes of an already-answered request's body read and dropped before the connection is closed (default 64 MiB). */
  discardLimitBytes?: number;
  /** Origins whose pages may call the API (the web app); "*" for any. Default ["*"]. */
  corsOrigins?: readonly string[];
  corsMethods: readonly string[];
  corsHeaders: readonly string[];
  openapi: { title: string; description: string };
}

/**
 * The bytes of a request body a service reads and drops after it has answered the request early
 * (413, 415, 404, 429...), before it closes the connection: a client still sending gets to read the
 * reply instead of a TCP reset. The request timeout, counted from the answer, bounds the time.
 */
const DISCARD_LIMIT_BYTES = 64 * 1024 * 1024;
/** How long a connection refused for its HTTP framing stays open, dropping what arrives, before it closes. */
const LINGER_MS = 2_000;
const OPERATIONS_ROUTES = ["/health", "/ready", "/metrics"];

/** The JSON body of a service error's reply. */
export function faultBody(error: ServiceFault) {
  return errorReply(error.statusCode, error.code, error.message, error.reason);
}

/** A Fastify app with the project's HTTP conduct; the service decorates it and registers its routes. */
export async function createServiceApp<E extends ServiceFault>(options: ServiceAppOptions<E>) {
  const { log, name } = options;
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const discardLimitBytes = options.discardLimitBytes ?? DISCARD_LIMIT_BYTES;
  const fault: FaultError<E> = (code, message) =>
    options.fault(code, code === HttpFaultCode.Internal ? `internal error; the ${name} logged it` : message);
  const classify = (error: FastifyError | Error): E =>
    options.own(error) ? error : (options.adopt?.(error) ?? classifyHttpFault(error, fault));
  /** Sockets whose current request was answered before its body arrived (the rest is being discarded). */
  const answered = new WeakSet<Duplex>();
  /** Sockets answered for a fault of the HTTP framing, waiting for the client to stop sending. */
  const lingering = new WeakSet<Duplex>();
  let closing = false;

  /**
   * Writes `refusal` as a whole HTTP response on a socket no request owns, then reads and drops what
   * the client still sends for a moment (at most LINGER_MS, discardLimitBytes) before closing: closed
   * at once, the socket would answer the client's next bytes with a TCP reset, which can destroy the
   * response before the client reads it.
   */
  function answerOnSocket(socket: Duplex, refusal: ServiceFault) {
    lingering.add(socket);
    socket.end(rawResponse(refusal));
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
   * oversized headers, a request that did not arrive in time) with the service's error body. A
   * client fault: an info line, without the client's address or bytes.
   */
  function answerConnectionFault(error: ConnectionError, socket: Duplex) {
    // The client reset the connection, or it is closed or answered already: nobody to answer.
    if (error.code === "ECONNRESET" || socket.destroyed || lingering.has(socket)) return;
    const refusal = connectionFault(error, requestTimeoutMs, fault, name);
    // The response in flight on this socket, if any (as Node's own default handler looks it up).
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (answered.has(socket) || inFlight?.headersSent === true || !socket.writable) {
      // This request has its answer already; a second one would corrupt the stream.
      log.info({ code: refusal.code }, "closed a connection whose request kept arriving malformed after its answer");
      socket.destroy();
      return;
    }
    log.info({ code: refusal.code, status: refusal.statusCode }, "refused a request Node's HTTP parser could not read");
    if (inFlight) {
      // A request on this socket is being handled and its body is malformed: answer and close now
      // (its handler must not write to the socket later); the request's hooks find it closed and stop.
      socket.write(rawResponse(refusal));
      socket.destroy();
      return;
    }
    answerOnSocket(socket, refusal);
  }

  /** Every refusal: a service code and message; only a fault of the service itself is logged as an error. */
  function refuse(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
    const refusal = classify(error);
    if (refusal.statusCode >= 500 && refusal.code === HttpFaultCode.Internal) request.log.error({ err: error }, "unhandled error");
    if (refusal.code === HttpFaultCode.RateLimited) {
      void reply.header("retry-after", reply.getHeader("retry-after") ?? "60");
    }
    return reply.code(refusal.statusCode).send(faultBody(refusal));
  }

  const app = Fastify({
    loggerInstance: log,
    bodyLimit: options.bodyLimitBytes,
    // Requests are logged below without addresses; Fastify's own lines would carry the client IP.
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: false,
    // Requests during shutdown are answered 503 NOT_READY below, with the service's error body.
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
    if (!(Number(request.headers["content-length"]) > options.bodyLimitBytes)) response.writeContinue();
    app.routing(request, response);
  });
  // Node answers another `Expect` with a bare 417; the service ignores it (RFC 9110 allows either).
  app.server.on("checkExpectation", (request: IncomingMessage, response: ServerResponse) => app.routing(request, response));
  // Node drops a CONNECT without a word; no service is a proxy, and it says so.
  app.server.on("connect", (request: IncomingMessage, socket: Duplex) => {
    answerOnSocket(socket, fault(HttpFaultCode.NotFound, `no route CONNECT: the ${name} is not a proxy; see /docs`));
    log.info({ method: request.method, route: "unmatched", status: 404 }, "request");
  });
  // The APIs take JSON (and, where a route says so, octet streams): a text/plain body is refused 415
  // instead of failing the schema.
  app.removeContentTypeParser("text/plain");

  app.setErrorHandler(refuse);
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(faultBody(fault(HttpFaultCode.NotFound, `no route ${request.method} ${request.url.split("?")[0]}; see /docs`))),
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
    // Route pattern, not URL (no ids), and never the client's address.
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
      // `app.inject()`'s requests have a stand-in socket that cannot be destroyed: nothing to close.
      if (socket.destroyed || typeof socket.destroy !== "function") return;
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

  // What Node's parser lets through but no service serves, refused before anything else runs.
  app.addHook("onRequest", async (request, reply) => {
    const raw = request.raw;
    if (raw.httpVersionMajor !== 1) {
      void reply.header("connection", "close");
      throw fault(HttpFaultCode.HttpVersionNotSupported, `this ${name} speaks HTTP/1.1; send the request as HTTP/1.1`);
    }
    if (raw.httpVersionMinor === 1 && raw.headers.host === undefined)
      throw fault(HttpFaultCode.MalformedRequest, "an HTTP/1.1 request needs a Host header; send one");
    if (closing) {
      void reply.header("connection", "close");
      throw fault(HttpFaultCode.NotReady, `the ${name} is shutting down; send the request again in a moment`);
    }
  });
  app.addHook("preClose", async () => {
    closing = true;
  });

  // CORS, so the web app (another origin) can call the API. Requests carry no cookies, so any origin
  // is safe by default; the service's CORS setting narrows it.
  const corsOrigins = options.corsOrigins ?? ["*"];
  await app.register(cors, {
    origin: corsOrigins.includes("*") ? "*" : [...corsOrigins],
    methods: [...options.corsMethods],
    allowedHeaders: [...options.corsHeaders],
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
    openapi: { info: { title: options.openapi.title, version: "1", description: options.openapi.description } },
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });
  const exempt = new Set([...OPERATIONS_ROUTES, ...(options.rateLimitExempt ?? [])]);
  await app.register(rateLimit, {
    global: true,
    max: options.rateLimitPerMinute,
    timeWindow: 60_000,
    allowList: (request) => exempt.has(request.routeOptions.url ?? ""),
    errorResponseBuilder: (_request, context) => {
      const error = fault(HttpFaultCode.RateLimited, `too many requests (limit ${context.max} per minute); retry after ${context.after}`);
      return Object.assign(error, faultBody(error));
    },
  });
  return app;
}

export type ServiceApp = Awaited<ReturnType<typeof createServiceApp>>;
