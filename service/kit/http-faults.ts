/**
 * The HTTP-level faults every service answers the same way: what Fastify and Node's HTTP parser
 * report (validation, body, media type, URL, framing, timeouts, rate limits) as a stable code and
 * a message that says what to fix, and the raw response for a socket no reply owns. A service
 * passes its own error constructor, so the faults arrive as its error class.
 */
import { maxHeaderSize, STATUS_CODES } from "node:http";
import type { ConnectionError, FastifyError } from "fastify";
import { errorReply } from "./error-reply.ts";

/** The codes of HTTP-level faults (a service's own codes include these). */
export const HttpFaultCode = {
  InvalidBody: "INVALID_BODY",
  InvalidJson: "INVALID_JSON",
  UnsupportedMediaType: "UNSUPPORTED_MEDIA_TYPE",
  BodyTooLarge: "BODY_TOO_LARGE",
  InvalidUrl: "INVALID_URL",
  NotFound: "NOT_FOUND",
  RateLimited: "RATE_LIMITED",
  Internal: "INTERNAL",
  MalformedRequest: "MALFORMED_REQUEST",
  RequestTimeout: "REQUEST_TIMEOUT",
  HeadersTooLarge: "HEADERS_TOO_LARGE",
  HttpVersionNotSupported: "HTTP_VERSION_NOT_SUPPORTED",
  NotReady: "NOT_READY",
} as const;
export type HttpFaultCode = (typeof HttpFaultCode)[keyof typeof HttpFaultCode];

/** The HTTP status of each fault; a service's status table spreads this in beside its own codes. */
export const HTTP_FAULT_STATUS: Record<HttpFaultCode, number> = {
  INVALID_BODY: 400,
  INVALID_JSON: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  BODY_TOO_LARGE: 413,
  INVALID_URL: 400,
  NOT_FOUND: 404,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  MALFORMED_REQUEST: 400,
  REQUEST_TIMEOUT: 408,
  HEADERS_TOO_LARGE: 431,
  HTTP_VERSION_NOT_SUPPORTED: 505,
  NOT_READY: 503,
};

/** A service's error for an HTTP fault: its code and message, with the status its code maps to. */
export type FaultError<E> = (code: HttpFaultCode, message: string) => E;

/** Maps a fault Fastify reports for a request to the service's error: client mistakes are 4xx with a code, the rest a bare 500. */
export function classifyHttpFault<E>(error: FastifyError | Error, fault: FaultError<E>): E {
  const e = error as FastifyError;
  if (e.validation) {
    const first = e.validation[0];
    const where = `${e.validationContext ?? "body"}${first?.instancePath ?? ""}`;
    const extra =
      first?.keyword === "additionalProperties"
        ? ` (unknown field "${(first.params as { additionalProperty?: string }).additionalProperty}")`
        : "";
    return fault(HttpFaultCode.InvalidBody, `${where} ${first?.message ?? "is invalid"}${extra}`);
  }
  switch (e.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return fault(HttpFaultCode.BodyTooLarge, "the request body is too large");
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
    case "FST_ERR_ROUTE_MISSING_CONTENT_TYPE":
      return fault(HttpFaultCode.UnsupportedMediaType, "send the body as application/json");
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return fault(HttpFaultCode.InvalidJson, "the body is not valid JSON");
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return fault(HttpFaultCode.InvalidBody, "the body's length does not match its Content-Length header; send it again");
    case "FST_ERR_ROUTE_MISSING_CONTENT":
      return fault(HttpFaultCode.InvalidBody, "send a JSON body");
    case "FST_ERR_BAD_URL":
      return fault(
        HttpFaultCode.InvalidUrl,
        "the URL path has an invalid percent-encoding (a % not followed by two hex digits of UTF-8); encode it with encodeURIComponent",
      );
    case "FST_ERR_MAX_PARAM_LENGTH":
      return fault(HttpFaultCode.InvalidUrl, "a path segment is longer than 100 characters; claim ids are 32 hex characters");
    case "FST_ERR_NOT_FOUND":
      return fault(HttpFaultCode.NotFound, "no such route; see /docs");
    case "ECONNRESET":
      // The client closed the connection in the middle of its body; nobody reads this answer.
      return fault(HttpFaultCode.InvalidBody, "the request body was cut off; send it again");
  }
  if (e.statusCode === 429) return fault(HttpFaultCode.RateLimited, "too many requests; slow down and retry after the Retry-After delay");
  if (error instanceof SyntaxError || (e.statusCode === 400 && /JSON/i.test(e.message))) {
    return fault(HttpFaultCode.InvalidJson, "the body is not valid JSON");
  }
  if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500) return fault(HttpFaultCode.InvalidBody, e.message);
  return fault(HttpFaultCode.Internal, "internal error; the service logged it");
}

/** `fault` as a complete HTTP/1.1 response, for a socket no Fastify reply owns. */
export function rawResponse(fault: { statusCode: number; code: string; message: string }): string {
  const body = JSON.stringify(errorReply(fault.statusCode, fault.code, fault.message));
  return [
    `HTTP/1.1 ${fault.statusCode} ${STATUS_CODES[fault.statusCode]}`,
    "connection: close",
    "content-type: application/json; charset=utf-8",
    `content-length: ${Buffer.byteLength(body)}`,
    "",
    body,
  ].join("\r\n");
}

/** The fault Node's HTTP parser found in what a client sent (the request never reached a route). */
export function connectionFault<E>(error: ConnectionError, requestTimeoutMs: number, fault: FaultError<E>, service = "service"): E {
  switch (error.code) {
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return fault(HttpFaultCode.RequestTimeout, `the request did not arrive within ${requestTimeoutMs} ms; send it again without pausing`);
    case "HPE_HEADER_OVERFLOW":
      return fault(HttpFaultCode.HeadersTooLarge, `the request's headers exceed ${maxHeaderSize} bytes; send fewer or shorter headers`);
    case "HPE_INVALID_VERSION":
      return fault(HttpFaultCode.HttpVersionNotSupported, `this ${service} speaks HTTP/1.1; send the request as HTTP/1.1`);
    default: {
      // llhttp's reasons are fixed strings ("Invalid character in chunk size"), never the client's bytes.
      const reason = (error as ConnectionError & { reason?: unknown }).reason;
      const what = typeof reason === "string" ? ` (${reason})` : "";
      return fault(
        HttpFaultCode.MalformedRequest,
        `the request is not valid HTTP/1.1${what}; send a well-formed request line, headers, and a body framed by Content-Length or chunked encoding`,
      );
    }
  }
}
