/**
 * Client faults at the HTTP layer, against a real relayer listening on 127.0.0.1 (real chain, real
 * store): malformed HTTP framing, oversized headers and bodies, undecodable URLs, unsupported
 * versions and methods. Every answer carries a relayer code and says what to do; a client's fault
 * is logged below error and no log line names the client's address.
 */
import { execFile } from "node:child_process";
import { connect, type Socket } from "node:net";
import { promisify } from "node:util";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../service/relayer/config.ts";
import { relayerLogger, startRelayer } from "../../service/relayer/server.ts";
import { releaseProver } from "../../service/sdk/index.ts";
import { relayerEnv, type Stack, startStack, until } from "../../testkit/relayer-stack.ts";

const run = promisify(execFile);

interface Relayer {
  app: Awaited<ReturnType<typeof startRelayer>>["app"];
  url: string;
  port: number;
  /** Every log line the relayer wrote, parsed. */
  lines: Array<Record<string, unknown> & { level: number; msg?: string }>;
  raw: string[];
}

async function relayerFor(stack: Stack, extra: Record<string, string> = {}): Promise<Relayer> {
  const raw: string[] = [];
  const lines: Relayer["lines"] = [];
  const log = relayerLogger("debug", {
    write(line: string) {
      raw.push(line);
      lines.push(JSON.parse(line));
    },
  });
  const config = loadConfig(relayerEnv(stack, { HUZHU_RATE_LIMIT_PER_MINUTE: "1000000", ...extra }));
  const { app, address } = await startRelayer(config, log);
  return { app, url: address, port: Number(new URL(address).port), lines, raw };
}

/** A complete HTTP response read off a raw socket. */
interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * A raw TCP client: writes exactly the bytes a test gives it and parses the responses that come
 * back (Content-Length framed, 1xx skipped), so tests can send what no HTTP library would.
 */
class RawClient {
  readonly socket: Socket;
  readonly responses: RawResponse[] = [];
  /** Informational (1xx) responses, in order. */
  readonly informational: number[] = [];
  readonly closed: Promise<void>;
  error: string | undefined;
  #buffer = Buffer.alloc(0);
  #waiters: Array<() => void> = [];
  #isClosed = false;

  constructor(port: number) {
    this.socket = connect(port, "127.0.0.1");
    this.socket.on("data", (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#parse();
    });
    this.socket.on("error", (error: NodeJS.ErrnoException) => {
      this.error = error.code ?? error.message;
    });
    this.closed = new Promise((resolve) =>
      this.socket.on("close", () => {
        this.#isClosed = true;
        for (const wake of this.#waiters.splice(0)) wake();
        resolve();
      }),
    );
  }

  static async open(port: number): Promise<RawClient> {
    const client = new RawClient(port);
    await new Promise<void>((resolve) => client.socket.once("connect", () => resolve()));
    return client;
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Resolves once `count` responses have arrived; rejects if the connection closes first. */
  async response(count = 1): Promise<RawResponse> {
    while (this.responses.length < count) {
      if (this.#isClosed) {
        throw new Error(`connection closed after ${this.responses.length} response(s): ${this.#buffer.toString("latin1").slice(0, 300)}`);
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    return this.responses[count - 1] as RawResponse;
  }

  #parse(): void {
    for (;;) {
      const end = this.#buffer.indexOf("\r\n\r\n");
      if (end < 0) return;
      const [statusLine = "", ...headerLines] = this.#buffer.subarray(0, end).toString("latin1").split("\r\n");
      const status = Number(statusLine.split(" ")[1]);
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(":");
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      if (status >= 100 && status < 200) {
        this.informational.push(status);
        this.#buffer = this.#buffer.subarray(end + 4);
        continue;
      }
      const length = Number(headers["content-length"] ?? 0);
      if (this.#buffer.length < end + 4 + length) return;
      this.responses.push({ status, headers, body: this.#buffer.subarray(end + 4, end + 4 + length).toString("utf8") });
      this.#buffer = this.#buffer.subarray(end + 4 + length);
      for (const wake of this.#waiters.splice(0)) wake();
    }
  }
}

/** Sends `request` on a fresh connection and returns the first response. */
async function exchange(port: number, request: string | Buffer): Promise<RawResponse & { client: RawClient }> {
  const client = await RawClient.open(port);
  client.write(request);
  const response = await client.response();
  client.socket.destroy();
  return { ...response, client };
}

const RELAYER_CODES = new Set([
  "INVALID_BODY",
  "INVALID_JSON",
  "UNSUPPORTED_MEDIA_TYPE",
  "BODY_TOO_LARGE",
  "NOT_FOUND",
  "INVALID_URL",
  "MALFORMED_REQUEST",
  "REQUEST_TIMEOUT",
  "HEADERS_TOO_LARGE",
  "HTTP_VERSION_NOT_SUPPORTED",
  "NOT_READY",
]);

/** Asserts the relayer's documented error shape with this status and code, and returns the message. */
function expectRefusal(response: RawResponse, status: number, code: string): string {
  expect(response.status).toBe(status);
  expect(response.headers["content-type"]).toMatch(/^application\/json/);
  const body = JSON.parse(response.body) as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(["code", "error", "message", "statusCode"]);
  expect(body.statusCode).toBe(status);
  expect(body.code).toBe(code);
  expect(RELAYER_CODES.has(code)).toBe(true);
  expect(typeof body.message).toBe("string");
  expect((body.message as string).length).toBeGreaterThan(10);
  return body.message as string;
}

let stack: Stack;
let relayer: Relayer;
/** Where this test's log lines start. */
let mark = 0;

/** The log lines written since the current test began. */
const testLines = () => relayer.lines.slice(mark);

/** No line at error or above, none naming a client address. */
function expectQuietLog(lines = testLines(), raw = relayer.raw.slice(mark)) {
  expect(lines.filter((line) => line.level >= 50)).toEqual([]);
  for (const line of raw) {
    expect(line).not.toContain("127.0.0.1");
    expect(line).not.toContain("remoteAddress");
    expect(line).not.toContain("rawPacket");
  }
}

beforeAll(async () => {
  stack = await startStack(1);
  relayer = await relayerFor(stack);
}, 180_000);

beforeEach(() => {
  mark = relayer.lines.length;
});

afterAll(async () => {
  await relayer?.app.close();
  await stack?.chain.stop();
  await releaseProver();
});

const HEAD = "Host: 127.0.0.1\r\nContent-Type: application/json";

describe("malformed chunked bodies", () => {
  it("a bad chunk size right after the headers: 400 MALFORMED_REQUEST, logged at info, not as an error", async () => {
    // One packet: the request is routed and its hooks start, then the parser fails on the chunk
    // and the connection closes under them (the rate limiter used to throw on the lost address).
    const reply = await exchange(
      relayer.port,
      `POST /v1/quote HTTP/1.1\r\n${HEAD}\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n{}\r\n0\r\n\r\n`,
    );
    const message = expectRefusal(reply, 400, "MALFORMED_REQUEST");
    expect(message).toContain("Invalid character in chunk size");
    expect(reply.headers.connection).toBe("close");
    await reply.client.closed;
    const refused = await until(
      async () => testLines().filter((line) => line.msg === "refused a request Node's HTTP parser could not read"),
      (found) => found.length === 1,
      "the refusal's log line",
    );
    expect(refused[0]).toMatchObject({ level: 30, code: "MALFORMED_REQUEST", status: 400 });
    // The request's hooks found the connection closed and stopped before the rate limiter.
    await until(
      async () => testLines().filter((line) => line.msg === "the connection closed before its request was handled"),
      (found) => found.length === 1,
      "the stopped request's log line",
    );
    expectQuietLog();
    expect((await fetch(`${relayer.url}/health`)).status).toBe(200);
  });

  it("a bad chunk after the request is in flight: 400 MALFORMED_REQUEST", async () => {
    const client = await RawClient.open(relayer.port);
    const routed = new Promise<void>((resolve) => relayer.app.server.once("request", () => resolve()));
    client.write(`POST /v1/quote HTTP/1.1\r\n${HEAD}\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{"`);
    await routed;
    client.write("XX\r\n0\r\n\r\n");
    expectRefusal(await client.response(), 400, "MALFORMED_REQUEST");
    await client.closed;
    expectQuietLog();
  });

  it("many malformed chunked requests in a row write no error line", async () => {
    for (let i = 0; i < 20; i++) {
      const reply = await exchange(
        relayer.port,
        `POST /v1/claims HTTP/1.1\r\n${HEAD}\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n{}\r\n0\r\n\r\n`,
      );
      expectRefusal(reply, 400, "MALFORMED_REQUEST");
    }
    expectQuietLog();
  });
});

describe("every refusal Node's parser or Fastify produce carries a relayer code", () => {
  const cases: Array<[string, string, number, string]> = [
    ["a request line that is not HTTP", "HELLO\r\n\r\n", 400, "MALFORMED_REQUEST"],
    ["an unknown method token", "FOO /health HTTP/1.1\r\nHost: x\r\n\r\n", 400, "MALFORMED_REQUEST"],
    ["a space before a header's colon", "GET /health HTTP/1.1\r\nHost: x\r\nX-A : b\r\n\r\n", 400, "MALFORMED_REQUEST"],
    [
      "Content-Length and Transfer-Encoding together (request smuggling)",
      `POST /v1/quote HTTP/1.1\r\n${HEAD}\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      400,
      "MALFORMED_REQUEST",
    ],
    [
      "two Content-Lengths",
      `POST /v1/quote HTTP/1.1\r\n${HEAD}\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}`,
      400,
      "MALFORMED_REQUEST",
    ],
    [
      "a Content-Length that is not a number",
      `POST /v1/quote HTTP/1.1\r\n${HEAD}\r\nContent-Length: abc\r\n\r\n`,
      400,
      "MALFORMED_REQUEST",
    ],
    [
      "a Transfer-Encoding other than chunked",
      `POST /v1/quote HTTP/1.1\r\n${HEAD}\r\nTransfer-Encoding: gzip\r\n\r\n{}`,
      400,
      "MALFORMED_REQUEST",
    ],
    [
      "an endless chunk extension",
      `POST /v1/quote HTTP/1.1\r\n${HEAD}\r\nTransfer-Encoding: chunked\r\n\r\n2;${"a".repeat(20_000)}\r\n{}\r\n0\r\n\r\n`,
      400,
      "MALFORMED_REQUEST",
    ],
    ["an HTTP/1.1 request without Host", "GET /health HTTP/1.1\r\n\r\n", 400, "MALFORMED_REQUEST"],
    ["headers over 16 KiB", `GET /health HTTP/1.1\r\nHost: x\r\nX-A: ${"a".repeat(20_000)}\r\n\r\n`, 431, "HEADERS_TOO_LARGE"],
    ["HTTP/3.1", "GET /health HTTP/3.1\r\nHost: x\r\n\r\n", 505, "HTTP_VERSION_NOT_SUPPORTED"],
    ["HTTP/2.0 over an HTTP/1 connection", "GET /health HTTP/2.0\r\nHost: x\r\n\r\n", 505, "HTTP_VERSION_NOT_SUPPORTED"],
    ["HTTP/0.9", "GET /health HTTP/0.9\r\nHost: x\r\n\r\n", 505, "HTTP_VERSION_NOT_SUPPORTED"],
    ["a URL that does not percent-decode (FST_ERR_BAD_URL)", "GET /v1/claims/%E0%A4%A HTTP/1.1\r\nHost: x\r\n\r\n", 400, "INVALID_URL"],
    [
      "a path parameter over 100 characters (FST_ERR_MAX_PARAM_LENGTH)",
      `GET /v1/claims/${"a".repeat(500)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      400,
      "INVALID_URL",
    ],
    ["CONNECT (the relayer is no proxy)", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 404, "NOT_FOUND"],
    ["an unknown route", "PROPFIND /health HTTP/1.1\r\nHost: x\r\n\r\n", 404, "NOT_FOUND"],
    [
      "a text/plain body (FST_ERR_CTP_INVALID_MEDIA_TYPE)",
      "POST /v1/quote HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n{}",
      415,
      "UNSUPPORTED_MEDIA_TYPE",
    ],
    ["a body without Content-Type", "POST /v1/quote HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}", 415, "UNSUPPORTED_MEDIA_TYPE"],
    [
      "an unparsable Content-Type",
      "POST /v1/quote HTTP/1.1\r\nHost: x\r\nContent-Type: ;;;\r\nContent-Length: 2\r\n\r\n{}",
      415,
      "UNSUPPORTED_MEDIA_TYPE",
    ],
    [
      "an empty JSON body (FST_ERR_CTP_EMPTY_JSON_BODY)",
      `POST /v1/quote HTTP/1.1\r\n${HEAD}\r\nContent-Length: 0\r\n\r\n`,
      400,
      "INVALID_JSON",
    ],
    [
      "JSON that does not parse (FST_ERR_CTP_INVALID_JSON_BODY)",
      `POST /v1/quote HTTP/1.1\r\n${HEAD}\r\nContent-Length: 2\r\n\r\n{x`,
      400,
      "INVALID_JSON",
    ],
    [
      "a body declared over the limit (FST_ERR_CTP_BODY_TOO_LARGE)",
      `POST /v1/quote HTTP/1.1\r\n${HEAD}\r\nContent-Length: 20000\r\n\r\n${" ".repeat(20_000)}`,
      413,
      "BODY_TOO_LARGE",
    ],
    [
      "an unknown Expect is ignored: the body is checked as usual",
      `POST /v1/quote HTTP/1.1\r\n${HEAD}\r\nExpect: something\r\nContent-Length: 2\r\n\r\n{}`,
      400,
      "INVALID_BODY",
    ],
  ];

  for (const [what, request, status, code] of cases) {
    it(`${what}: ${status} ${code}`, async () => {
      expectRefusal(await exchange(relayer.port, request), status, code);
      expectQuietLog();
    });
  }

  it("the messages say what to do", async () => {
    const badUrl = await exchange(relayer.port, "GET /v1/claims/%E0%A4%A HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(expectRefusal(badUrl, 400, "INVALID_URL")).toContain("encodeURIComponent");
    const version = await exchange(relayer.port, "GET /health HTTP/3.1\r\nHost: x\r\n\r\n");
    expect(expectRefusal(version, 505, "HTTP_VERSION_NOT_SUPPORTED")).toContain("HTTP/1.1");
    const headers = await exchange(relayer.port, `GET /health HTTP/1.1\r\nHost: x\r\nX-A: ${"a".repeat(20_000)}\r\n\r\n`);
    expect(expectRefusal(headers, 431, "HEADERS_TOO_LARGE")).toContain("shorter headers");
  });

  it("Expect: 100-continue with a declared body over the limit is refused before the body is sent", async () => {
    const client = await RawClient.open(relayer.port);
    client.write(`POST /v1/quote HTTP/1.1\r\n${HEAD}\r\nExpect: 100-continue\r\nContent-Length: 1000000\r\n\r\n`);
    expectRefusal(await client.response(), 413, "BODY_TOO_LARGE");
    expect(client.informational).toEqual([]);
    client.socket.destroy();
  });

  it("Expect: 100-continue within the limit is invited and handled", async () => {
    const client = await RawClient.open(relayer.port);
    client.write(`POST /v1/quote HTTP/1.1\r\n${HEAD}\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n`);
    await until(
      async () => client.informational,
      (seen) => seen.length === 1,
      "100 Continue",
    );
    expect(client.informational).toEqual([100]);
    client.write("{}");
    expectRefusal(await client.response(), 400, "INVALID_BODY");
    client.socket.destroy();
  });
});

describe("bodies over the limit", () => {
  /**
   * A separate Node process streams a 20 MB body to POST /v1/claims `tries` times in a row and
   * reports what each try got: the relayer in this process and the client in another, as in
   * production (in one process the event loop hides the race).
   */
  async function streamBigBodies(mode: "chunked" | "length" | "fetch", tries: number): Promise<string[]> {
    const script = `
      import { request } from "node:http";
      const [url, mode, tries] = process.argv.slice(1);
      const total = 20 * 1024 * 1024;
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      function viaHttp() {
        return new Promise((resolve) => {
          const headers = { "content-type": "application/json" };
          if (mode === "length") headers["content-length"] = String(total);
          const req = request(url + "/v1/claims", { method: "POST", headers });
          // The first outcome counts: the answer, or an error before it (EPIPE, ECONNRESET).
          req.on("response", (res) => {
            let body = "";
            res.on("data", (d) => (body += d));
            res.on("end", () => {
              resolve(res.statusCode + " " + body);
              // Answered: stop uploading, as a client does once it has a final answer.
              req.destroy();
            });
          });
          req.on("error", (error) => resolve("error " + (error.code ?? error.message)));
          let sent = 0;
          const pump = () => {
            while (sent < total && !req.destroyed) {
              sent += chunk.length;
              if (!req.write(chunk)) { req.once("drain", pump); return; }
            }
            if (!req.destroyed) req.end();
          };
          pump();
        });
      }
      async function viaFetch() {
        let sent = 0;
        const body = new ReadableStream({
          pull(controller) {
            if (sent >= total) { controller.close(); return; }
            sent += chunk.length;
            controller.enqueue(new Uint8Array(chunk));
          },
        });
        try {
          const res = await fetch(url + "/v1/claims", { method: "POST", headers: { "content-type": "application/json" }, body, duplex: "half" });
          return res.status + " " + (await res.text());
        } catch (error) {
          return "error " + (error.cause?.code ?? error.message);
        }
      }
      const results = [];
      for (let i = 0; i < Number(tries); i++) results.push(mode === "fetch" ? await viaFetch() : await viaHttp());
      process.stdout.write(JSON.stringify(results));
    `;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script, relayer.url, mode, String(tries)], {
      maxBuffer: 1024 * 1024,
    });
    return JSON.parse(stdout) as string[];
  }

  const TOO_LARGE = JSON.stringify({
    statusCode: 413,
    code: "BODY_TOO_LARGE",
    error: "Payload Too Large",
    message: "the request body is too large",
  });

  for (const mode of ["chunked", "length", "fetch"] as const) {
    it(`a client streaming 20 MB (${mode}) reads its 413 BODY_TOO_LARGE on each of 40 tries`, async () => {
      const results = await streamBigBodies(mode, 40);
      expect(results).toEqual(Array.from({ length: 40 }, () => `413 ${TOO_LARGE}`));
      expectQuietLog();
    });
  }

  it("the connection stays usable after a 413: the rest of the body is read and dropped", async () => {
    const client = await RawClient.open(relayer.port);
    client.write(`POST /v1/quote HTTP/1.1\r\n${HEAD}\r\nContent-Length: 100000\r\n\r\n`);
    expectRefusal(await client.response(1), 413, "BODY_TOO_LARGE");
    client.write(" ".repeat(100_000));
    client.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    const health = await client.response(2);
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ status: "ok" });
    client.socket.destroy();
    expectQuietLog();
  });

  it("a client that keeps sending after its 413 is cut off after 64 MiB", async () => {
    const client = await RawClient.open(relayer.port);
    client.write(`POST /v1/quote HTTP/1.1\r\n${HEAD}\r\nContent-Length: 1000000000\r\n\r\n`);
    const chunk = Buffer.alloc(256 * 1024, 0x20);
    let written = 0;
    const pump = () => {
      while (!client.socket.destroyed && written < 1_000_000_000) {
        written += chunk.length;
        if (!client.socket.write(chunk)) {
          client.socket.once("drain", pump);
          return;
        }
      }
    };
    pump();
    await client.closed;
    expectRefusal(await client.response(), 413, "BODY_TOO_LARGE");
    expect(written).toBeGreaterThan(64 * 1024 * 1024);
    const cut = await until(
      async () => testLines().filter((line) => String(line.msg).startsWith("closed a connection whose client kept sending")),
      (found) => found.length === 1,
      "the cut-off log line",
    );
    expect(cut[0]?.msg).toContain(`over ${64 * 1024 * 1024} bytes`);
    expect(cut[0]?.level).toBe(30);
    expectQuietLog();
  });
});

describe("timeouts and shutdown", () => {
  let short: Relayer;

  beforeAll(async () => {
    short = await relayerFor(stack, { HUZHU_REQUEST_TIMEOUT_MS: "1000" });
  });

  afterAll(async () => {
    await short?.app.close();
  });

  it("headers that never finish: 408 REQUEST_TIMEOUT, connection closed", async () => {
    const start = short.lines.length;
    const client = await RawClient.open(short.port);
    client.write("POST /v1/claims HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    await client.closed;
    expect(expectRefusal(await client.response(), 408, "REQUEST_TIMEOUT")).toContain("1000 ms");
    expectQuietLog(short.lines.slice(start), short.raw.slice(start));
  });

  it("a body that stalls after its 413 is dropped after the request timeout", async () => {
    const start = short.lines.length;
    const client = await RawClient.open(short.port);
    client.write(`POST /v1/quote HTTP/1.1\r\n${HEAD}\r\nContent-Length: 100000\r\n\r\n${" ".repeat(20_000)}`);
    expectRefusal(await client.response(), 413, "BODY_TOO_LARGE");
    await client.closed;
    const cut = await until(
      async () => short.lines.slice(start).filter((line) => String(line.msg).startsWith("closed a connection whose client kept sending")),
      (found) => found.length === 1,
      "the cut-off log line",
    );
    expect(cut[0]?.msg).toContain("over 1000 ms");
    expectQuietLog(short.lines.slice(start), short.raw.slice(start));
  });

  it("a request that arrives while the relayer shuts down: 503 NOT_READY", async () => {
    const closing = await relayerFor(stack);
    const client = await RawClient.open(closing.port);
    // The first request is in flight (its body held back) when shutdown begins; the second,
    // pipelined behind it, arrives during shutdown.
    const routed = new Promise<void>((resolve) => closing.app.server.once("request", () => resolve()));
    client.write(`POST /v1/quote HTTP/1.1\r\n${HEAD}\r\nContent-Length: 2\r\n\r\n{`);
    await routed;
    const closed = closing.app.close();
    client.write("}GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    expectRefusal(await client.response(1), 400, "INVALID_BODY");
    const second = await client.response(2);
    expect(expectRefusal(second, 503, "NOT_READY")).toContain("shutting down");
    expect(second.headers.connection).toBe("close");
    await client.closed;
    await closed;
    expectQuietLog(
      closing.lines,
      closing.raw.filter((line) => !line.includes("listening")),
    );
  });
});
