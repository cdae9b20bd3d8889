/**
 * The SDK's relayer client against a real HTTP server on 127.0.0.1: typed replies, error replies
 * mapped to RelayerRequestError with the server's code, transport failures, and quote signatures.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { getAddress } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Quote, quoteTypedData, RelayerClient, RelayerRequestError, verifyQuoteSignature } from "../../service/sdk/index.ts";

const POOL = getAddress("0x5fbdb2315678afecb367f032d93f642f64180aa3");
const relayerAccount = privateKeyToAccount("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");

let server: Server;
let baseUrl: string;
const requests: Array<{ method: string; url: string; body: string }> = [];
let statusCalls = 0;
const STATUS = {
  id: "abc",
  status: "submitted",
  planId: "1",
  nullifier: "12345",
  amount: "1000000",
  fee: "10000",
  gasDrop: "0",
  recipient: "0x00000000000000000000000000000000000000b1",
  txHash: "0x01",
  createdAt: "2026-12-01T00:00:00.000Z",
  updatedAt: "2026-12-01T00:00:01.000Z",
};

function handle(req: IncomingMessage, res: ServerResponse, body: string) {
  requests.push({ method: req.method ?? "", url: req.url ?? "", body });
  const reply = (status: number, value: unknown, raw = false) => {
    res.writeHead(status, { "content-type": raw ? "text/plain" : "application/json" });
    res.end(raw ? String(value) : JSON.stringify(value));
  };
  if (req.url === "/v1/quote") {
    return reply(422, {
      statusCode: 422,
      code: "FEE_POLICY_UNSATISFIABLE",
      error: "Unprocessable Entity",
      message: "plan 1 pays at most 3%",
    });
  }
  if (req.url === "/v1/claims/abc") {
    statusCalls += 1;
    return reply(200, { ...STATUS, status: statusCalls < 3 ? "submitted" : "confirmed" });
  }
  // A relayer that answers 200 with a reply that breaks the API: an amount that is not a decimal string.
  if (req.url === "/v1/claims/liar") return reply(200, { ...STATUS, id: "liar", amount: "-5" });
  if (req.url === "/broken/v1/info") return reply(502, "<html>bad gateway</html>", true);
  return reply(404, { statusCode: 404, code: "CLAIM_NOT_FOUND", error: "Not Found", message: "no claim with this id" });
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on("end", () => handle(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe("RelayerClient", () => {
  it("maps an error reply to a RelayerRequestError with the server's code, message and HTTP status", async () => {
    const client = new RelayerClient(baseUrl);
    expect(client.baseUrl).toBe(baseUrl.slice(0, -1));
    const error = await client.quote(1n, 1_000_000n).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RelayerRequestError);
    expect(error).toMatchObject({ code: "FEE_POLICY_UNSATISFIABLE", message: "plan 1 pays at most 3%", statusCode: 422 });
    expect(requests.at(-1)).toEqual({ method: "POST", url: "/v1/quote", body: '{"planId":"1","amount":"1000000"}' });
    await expect(client.claimStatus("nope")).rejects.toMatchObject({ code: "CLAIM_NOT_FOUND", statusCode: 404 });
  });

  it("reports a reply that is not JSON as BAD_REPLY and an unreachable relayer as UNREACHABLE", async () => {
    const broken = new RelayerClient(`${baseUrl}broken`);
    await expect(broken.info()).rejects.toMatchObject({
      code: "BAD_REPLY",
      statusCode: 502,
      message: "the relayer replied to GET /v1/info with HTTP 502 and a body that is not JSON",
    });
    await expect(new RelayerClient("http://127.0.0.1:9").info()).rejects.toMatchObject({ code: "UNREACHABLE", statusCode: 0 });
    expect(() => new RelayerClient("ftp://relayer")).toThrow("a relayer URL must be http or https, got ftp:");
  });

  it("refuses a success reply that does not match the API's schema with BAD_REPLY naming the field", async () => {
    await expect(new RelayerClient(baseUrl).claimStatus("liar")).rejects.toMatchObject({
      code: "BAD_REPLY",
      statusCode: 200,
      message:
        'the relayer\'s reply to GET /v1/claims/liar is not what its API promises (/amount must match pattern "^(0|[1-9][0-9]{0,77})$"); use another relayer',
    });
  });

  it("polls a claim until it is confirmed, reporting each change", async () => {
    const client = new RelayerClient(baseUrl);
    const seen: string[] = [];
    const final = await client.waitForClaim("abc", { intervalMs: 10, onUpdate: (s) => seen.push(s.status) });
    expect(final.status).toBe("confirmed");
    expect(seen).toEqual(["submitted", "confirmed"]);
  });

  it("accepts a quote signed by its relayer for this chain and pool, and nothing else", async () => {
    const quote: Quote = {
      planId: "1",
      amount: "1000000",
      fee: "10000",
      gasDrop: "0",
      relayer: relayerAccount.address,
      expiresAt: 1_900_000_000,
    };
    const signature = await relayerAccount.signTypedData(quoteTypedData(31337, POOL, quote));
    expect(await verifyQuoteSignature(31337, POOL, { quote, signature })).toBe(true);
    expect(await verifyQuoteSignature(1, POOL, { quote, signature })).toBe(false);
    expect(await verifyQuoteSignature(31337, POOL, { quote: { ...quote, fee: "9999" }, signature })).toBe(false);
    expect(await verifyQuoteSignature(31337, POOL, { quote, signature: "0x1234" })).toBe(false);
  });
});
