/**
 * The relayer against a real Hardhat node with real proofs: the API, every refusal with its code,
 * duplicate submissions, and fuzzed bodies. The relayer runs in this process on 127.0.0.1.
 */
import { connect } from "node:net";
import fc from "fast-check";
import { pino } from "pino";
import { type Address, getAddress } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../service/relayer/config.ts";
import { signQuote } from "../../service/relayer/quotes.ts";
import { startRelayer } from "../../service/relayer/server.ts";
import { BN254_BASE_FIELD, huzhuPoolAbi, releaseProver, SNARK_SCALAR_FIELD } from "../../service/sdk/index.ts";
import {
  getQuote,
  makeClaim,
  paidEvents,
  postClaim,
  RELAYER_ACCOUNT,
  relayerEnv,
  type Stack,
  startStack,
  tokenBalance,
  waitForStatus,
} from "../../testkit/relayer-stack.ts";

async function relayerFor(stack: Stack, extra: Record<string, string> = {}) {
  const config = loadConfig(relayerEnv(stack, { HUZHU_RELAYER_FEE_BPS: "100", ...extra }));
  return startRelayer(config, pino({ level: "silent" }));
}

let stack: Stack;
let relayer: Awaited<ReturnType<typeof relayerFor>>;
let url: string;

beforeAll(async () => {
  stack = await startStack(3);
  relayer = await relayerFor(stack);
  url = relayer.address;
}, 180_000);

afterAll(async () => {
  await relayer?.app.close();
  await stack?.chain.stop();
  await releaseProver();
});

const recipient = (n: number) => `0x${n.toString(16).padStart(40, "0")}` as Address;

describe("relayer API", () => {
  it("GET /v1/info describes chain, pool, relayer, fee policy and plans", async () => {
    const reply = await relayer.app.inject({ method: "GET", url: "/v1/info" });
    expect(reply.statusCode).toBe(200);
    const info = reply.json();
    expect(info.chainId).toBe(31337);
    expect(info.pool.toLowerCase()).toBe(stack.pool.toLowerCase());
    expect(info.relayer).toBe(RELAYER_ACCOUNT.address);
    expect(info.feePolicy).toEqual({ feeBps: 100, minFee: "0", quoteTtlSeconds: 300 });
    expect(info.plans).toEqual([
      {
        planId: "1",
        name: "Demo medical plan",
        token: getAddress(stack.token),
        claimCap: "5000000000",
        maxFeeBps: 300,
        active: true,
        // The stack prices the demo token for gas drops; the suggested drop follows the gas price.
        gasDrop: { maxWei: "10000000000000000", suggestedWei: expect.stringMatching(/^[1-9]\d*$/), tokenPerCoin: "3000000000" },
      },
    ]);
    expect(info.verificationKeyHash).toMatch(/^0x[0-9a-f]{64}$/);
  });

  it("quotes 1% of the amount, signed, and refuses amounts over the cap", async () => {
    const quote = await getQuote(url, 2_000_000n);
    expect(quote.quote.fee).toBe("20000");
    expect(quote.quote.relayer).toBe(RELAYER_ACCOUNT.address);
    const over = await relayer.app.inject({ method: "POST", url: "/v1/quote", payload: { planId: "1", amount: "5000000001" } });
    expect(over.statusCode).toBe(422);
    expect(over.json().code).toBe("AMOUNT_OVER_CAP");
    const unknown = await relayer.app.inject({ method: "POST", url: "/v1/quote", payload: { planId: "9", amount: "1" } });
    expect(unknown.json().code).toBe("UNKNOWN_PLAN");
  });

  it("serves health, readiness, metrics and the OpenAPI document", async () => {
    expect((await relayer.app.inject({ url: "/health" })).json()).toEqual({ status: "ok" });
    const ready = await relayer.app.inject({ url: "/ready" });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().ready).toBe(true);
    const metrics = await relayer.app.inject({ url: "/metrics" });
    expect(metrics.body).toContain("huzhu_relayer_claims_received_total");
    const docs = await relayer.app.inject({ url: "/docs/json" });
    expect(Object.keys(docs.json().paths)).toEqual(expect.arrayContaining(["/v1/claims", "/v1/quote", "/v1/info", "/v1/claims/{id}"]));
  });
});

describe("relayer limits", () => {
  it("rate-limits a client with 429 RATE_LIMITED and a Retry-After, while /health stays exempt", async () => {
    const limited = await relayerFor(stack, { HUZHU_RATE_LIMIT_PER_MINUTE: "3" });
    try {
      const quote = () => limited.app.inject({ method: "POST", url: "/v1/quote", payload: { planId: "1", amount: "1000" } });
      for (let i = 0; i < 3; i++) expect((await quote()).statusCode).toBe(200);
      const refused = await quote();
      expect(refused.statusCode).toBe(429);
      expect(refused.json()).toMatchObject({ statusCode: 429, code: "RATE_LIMITED" });
      expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
      for (let i = 0; i < 5; i++) expect((await limited.app.inject({ url: "/health" })).statusCode).toBe(200);
    } finally {
      await limited.app.close();
    }
  });

  it("answers 408 and closes the connection of a client whose headers never finish (slowloris)", async () => {
    const slow = await relayerFor(stack, { HUZHU_REQUEST_TIMEOUT_MS: "500" });
    try {
      const { port } = new URL(slow.address);
      const socket = connect(Number(port), "127.0.0.1");
      let received = "";
      socket.on("data", (chunk) => {
        received += chunk.toString();
      });
      const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
      // The headers start and never finish (slowloris).
      socket.write("POST /v1/claims HTTP/1.1\r\nHost: 127.0.0.1\r\n");
      // Closed by the relayer's request timeout (without it the socket stays open until the test times out).
      await closed;
      expect(received).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      await slow.app.close();
    }
  });

  it("answers a web page's CORS preflight and names only configured origins", async () => {
    const narrow = await relayerFor(stack, { HUZHU_RELAYER_CORS_ORIGINS: "http://127.0.0.1:5173" });
    try {
      const preflight = await narrow.app.inject({
        method: "OPTIONS",
        url: "/v1/claims",
        headers: {
          origin: "http://127.0.0.1:5173",
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type",
        },
      });
      expect(preflight.statusCode).toBe(204);
      expect(preflight.headers["access-control-allow-origin"]).toBe("http://127.0.0.1:5173");
      const other = await narrow.app.inject({ method: "GET", url: "/v1/info", headers: { origin: "http://evil.example" } });
      expect(other.headers["access-control-allow-origin"]).toBeUndefined();
    } finally {
      await narrow.app.close();
    }
  });
});

describe("claims through the relayer", () => {
  let paid: Awaited<ReturnType<typeof makeClaim>>;

  it("pays a valid claim: amount - fee to the recipient, the fee to the relayer", async () => {
    const quote = await getQuote(url, 1_500_000n);
    paid = await makeClaim(stack, stack.members[0] as never, quote, recipient(0xa1));
    const relayerBefore = await tokenBalance(stack, RELAYER_ACCOUNT.address);
    const accepted = await postClaim(url, paid.body);
    expect(accepted.status).toBe(202);
    expect(accepted.body.status).toBe("queued");
    const done = await waitForStatus(url, accepted.body.id as string, ["confirmed", "failed"]);
    expect(done.status).toBe("confirmed");
    expect(done.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(await tokenBalance(stack, recipient(0xa1))).toBe(1_500_000n - 15_000n);
    expect((await tokenBalance(stack, RELAYER_ACCOUNT.address)) - relayerBefore).toBe(15_000n);
    const receipt = await stack.client.getTransactionReceipt({ hash: done.txHash as `0x${string}` });
    expect(receipt.from.toLowerCase()).toBe(RELAYER_ACCOUNT.address.toLowerCase());
    expect(await paidEvents(stack, paid.body.request.nullifier)).toHaveLength(1);
  });

  it("answers a re-submission of a paid claim with the same claim, not a second transaction", async () => {
    const again = await postClaim(url, paid.body);
    expect(again.status).toBe(200);
    expect(again.body.duplicate).toBe(true);
    expect(again.body.status).toBe("confirmed");
  });

  it("refuses a claim whose nullifier another relayer already paid with 409 NULLIFIER_SPENT", async () => {
    const other = await relayerFor(stack);
    try {
      const reply = await other.app.inject({ method: "POST", url: "/v1/claims", payload: paid.body });
      expect(reply.statusCode).toBe(409);
      expect(reply.json().code).toBe("NULLIFIER_SPENT");
    } finally {
      await other.app.close();
    }
  });

  it("turns 20 concurrent submissions of one claim into one claim and one transaction", async () => {
    const quote = await getQuote(url, 1_000_000n);
    const claim = await makeClaim(stack, stack.members[1] as never, quote, recipient(0xa2));
    const nonceBefore = await stack.client.getTransactionCount({ address: RELAYER_ACCOUNT.address });
    const replies = await Promise.all(Array.from({ length: 20 }, () => postClaim(url, claim.body)));
    expect(replies.filter((r) => r.status === 202)).toHaveLength(1);
    expect(replies.filter((r) => r.status === 200 && r.body.duplicate === true)).toHaveLength(19);
    expect(new Set(replies.map((r) => r.body.id)).size).toBe(1);
    const done = await waitForStatus(url, replies[0]?.body.id as string, ["confirmed", "failed"]);
    expect(done.status).toBe("confirmed");
    expect(await stack.client.getTransactionCount({ address: RELAYER_ACCOUNT.address })).toBe(nonceBefore + 1);
    expect(await tokenBalance(stack, recipient(0xa2))).toBe(990_000n);
    expect(await paidEvents(stack, claim.body.request.nullifier)).toHaveLength(1);
  });

  describe("refusals, each with its code", () => {
    let fresh: Awaited<ReturnType<typeof makeClaim>>;
    beforeAll(async () => {
      fresh = await makeClaim(stack, stack.members[2] as never, await getQuote(url, 700_000n), recipient(0xa3));
    }, 60_000);

    const post = (body: unknown) => relayer.app.inject({ method: "POST", url: "/v1/claims", payload: body as object });
    const withRequest = (patch: Record<string, string>) => ({ ...fresh.body, request: { ...fresh.body.request, ...patch } });

    it("a wrong proof: 422 INVALID_PROOF", async () => {
      const proof = { ...fresh.body.proof, pi_a: [fresh.body.proof.pi_c[0], fresh.body.proof.pi_c[1], "1"] };
      const reply = await post({ ...fresh.body, proof });
      expect(reply.statusCode).toBe(422);
      expect(reply.json().code).toBe("INVALID_PROOF");
    });

    it("a front-run context (recipient changed): 422 INVALID_PROOF", async () => {
      const reply = await post(withRequest({ recipient: recipient(0xbad) }));
      expect(reply.json()).toMatchObject({ statusCode: 422, code: "INVALID_PROOF" });
    });

    it("a raised fee changes the context too: 422 INVALID_PROOF", async () => {
      const reply = await post(withRequest({ fee: (BigInt(fresh.body.request.fee) + 1n).toString() }));
      expect(reply.json()).toMatchObject({ statusCode: 422, code: "INVALID_PROOF" });
    });

    it("an expired quote: 422 QUOTE_EXPIRED", async () => {
      const account = RELAYER_ACCOUNT.account;
      const expired = { ...fresh.body.quote, expiresAt: Math.floor(Date.now() / 1000) - 1 };
      const signature = await signQuote(account as never, 31337, stack.pool, { ...expired, relayer: expired.relayer as Address });
      const reply = await post({ ...fresh.body, quote: expired, quoteSignature: signature });
      expect(reply.json()).toMatchObject({ statusCode: 422, code: "QUOTE_EXPIRED" });
    });

    it("a quote not signed by this relayer: 422 QUOTE_INVALID", async () => {
      const reply = await post({ ...fresh.body, quote: { ...fresh.body.quote, fee: "1" } });
      expect(reply.json()).toMatchObject({ statusCode: 422, code: "QUOTE_INVALID" });
    });

    it("an amount over the plan's cap: 422 AMOUNT_OVER_CAP", async () => {
      const reply = await post(withRequest({ amount: "5000000001" }));
      expect(reply.json()).toMatchObject({ statusCode: 422, code: "AMOUNT_OVER_CAP" });
    });

    it("an unknown member root: 422 UNKNOWN_MEMBER_ROOT", async () => {
      const reply = await post(withRequest({ memberRoot: "12345" }));
      expect(reply.json()).toMatchObject({ statusCode: 422, code: "UNKNOWN_MEMBER_ROOT" });
    });

    it("the right member root under a wrong or missing memberRootSeq: 422 UNKNOWN_MEMBER_ROOT, 400 without it", async () => {
      const seq = BigInt(fresh.body.request.memberRootSeq);
      for (const memberRootSeq of [String(seq + 1n), String(seq - 1n), "0"]) {
        const reply = await post(withRequest({ memberRootSeq }));
        expect(reply.json()).toMatchObject({
          statusCode: 422,
          code: "UNKNOWN_MEMBER_ROOT",
          message: "the member root is not a recent root of this plan at the given memberRootSeq; re-read the member tree and prove again",
        });
      }
      const { memberRootSeq: _dropped, ...withoutSeq } = fresh.body.request;
      const reply = await post({ ...fresh.body, request: withoutSeq });
      expect(reply.statusCode).toBe(400);
      expect(reply.json().message).toContain("memberRootSeq");
    });

    it("a stale assessor root: 422 STALE_ASSESSOR_ROOT", async () => {
      const reply = await post(withRequest({ assessorRoot: "12345" }));
      expect(reply.json()).toMatchObject({ statusCode: 422, code: "STALE_ASSESSOR_ROOT" });
    });

    it("a wrong epoch: 422 WRONG_EPOCH", async () => {
      const reply = await post(withRequest({ claimEpoch: "40" }));
      expect(reply.json()).toMatchObject({ statusCode: 422, code: "WRONG_EPOCH" });
    });

    it("another relayer named in the request: 422 WRONG_RELAYER", async () => {
      const reply = await post(withRequest({ relayer: recipient(0xbeef) }));
      expect(reply.json()).toMatchObject({ statusCode: 422, code: "WRONG_RELAYER" });
    });

    it("a fee below the quote: 422 FEE_TOO_LOW", async () => {
      const reply = await post(withRequest({ fee: "0" }));
      expect(reply.json()).toMatchObject({ statusCode: 422, code: "FEE_TOO_LOW" });
    });

    it("a number >= r: 400 FIELD_OUT_OF_RANGE", async () => {
      const reply = await post(withRequest({ nullifier: SNARK_SCALAR_FIELD.toString() }));
      expect(reply.json()).toMatchObject({
        statusCode: 400,
        code: "FIELD_OUT_OF_RANGE",
        message: "request.nullifier must be below the SNARK scalar field order r",
      });
    });

    it("a proof coordinate >= q: 400 FIELD_OUT_OF_RANGE naming it", async () => {
      const pi_a = [BN254_BASE_FIELD.toString(), ...fresh.body.proof.pi_a.slice(1)];
      const reply = await post({ ...fresh.body, proof: { ...fresh.body.proof, pi_a } });
      expect(reply.json()).toMatchObject({
        statusCode: 400,
        code: "FIELD_OUT_OF_RANGE",
        message: "proof.pi_a[0] must be below the BN254 base field order q",
      });
    });

    it("an unknown field is refused, not stripped: 400 INVALID_BODY", async () => {
      const reply = await post({ ...fresh.body, extra: 1 });
      expect(reply.json()).toMatchObject({ statusCode: 400, code: "INVALID_BODY" });
      expect(reply.json().message).toContain('unknown field "extra"');
    });

    it("a number where a decimal string belongs: 400 INVALID_BODY", async () => {
      const reply = await post({ ...fresh.body, request: { ...fresh.body.request, amount: 700000 } });
      expect(reply.json()).toMatchObject({ statusCode: 400, code: "INVALID_BODY" });
      expect(reply.json().message).toContain("/request/amount");
    });

    it("malformed JSON: 400 INVALID_JSON", async () => {
      const reply = await relayer.app.inject({
        method: "POST",
        url: "/v1/claims",
        headers: { "content-type": "application/json" },
        payload: '{"quote": ',
      });
      expect(reply.json()).toMatchObject({ statusCode: 400, code: "INVALID_JSON" });
    });

    it("an oversized body: 413 BODY_TOO_LARGE", async () => {
      const reply = await relayer.app.inject({
        method: "POST",
        url: "/v1/claims",
        headers: { "content-type": "application/json" },
        payload: JSON.stringify({ padding: "x".repeat(20_000) }),
      });
      expect(reply.json()).toMatchObject({ statusCode: 413, code: "BODY_TOO_LARGE" });
    });

    it("an unknown claim id: 404 CLAIM_NOT_FOUND", async () => {
      const reply = await relayer.app.inject({ url: `/v1/claims/${"0".repeat(32)}` });
      expect(reply.json()).toMatchObject({ statusCode: 404, code: "CLAIM_NOT_FOUND" });
    });

    it("none of the refused bodies was stored or sent", async () => {
      expect(await relayer.app.relayer.claims.store.byNullifier(fresh.body.request.nullifier)).toBeUndefined();
    });
  });

  it("never answers 5xx or crashes on fuzzed bodies", async () => {
    const body = fc.oneof(
      fc.jsonValue({ maxDepth: 6 }),
      fc.record({
        quote: fc.jsonValue({ maxDepth: 3 }),
        quoteSignature: fc.string(),
        request: fc.dictionary(
          fc.constantFrom("planId", "amount", "nullifier", "fee", "recipient", "x"),
          fc.oneof(fc.string(), fc.bigInt().map(String), fc.double()),
        ),
        proof: fc.jsonValue({ maxDepth: 3 }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(body, async (payload) => {
        const reply = await relayer.app.inject({
          method: "POST",
          url: "/v1/claims",
          headers: { "content-type": "application/json" },
          payload: JSON.stringify(payload),
        });
        expect(reply.statusCode).toBeGreaterThanOrEqual(400);
        expect(reply.statusCode).toBeLessThan(500);
        expect(typeof reply.json().code).toBe("string");
      }),
      { numRuns: 150 },
    );
    const text = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.integer({ min: 1, max: 5000 }).map((depth) => `${'{"quote":'.repeat(depth)}1${"}".repeat(depth)}`),
      fc.integer({ min: 1, max: 5000 }).map((depth) => `${"[".repeat(depth)}${"]".repeat(depth)}`),
      fc.bigInt({ min: 0n, max: 1n << 400n }).map((n) => JSON.stringify({ planId: n.toString(), amount: n.toString() })),
      fc.integer({ min: 8_000, max: 40_000 }).map((size) => JSON.stringify({ quote: "x".repeat(size) })),
    );
    await fc.assert(
      fc.asyncProperty(text, async (raw) => {
        const reply = await relayer.app.inject({
          method: "POST",
          url: "/v1/claims",
          headers: { "content-type": "application/json" },
          payload: raw,
        });
        expect(reply.statusCode).toBeLessThan(500);
        // Over the 16 KiB limit is always 413, whatever the body holds.
        if (Buffer.byteLength(raw) > 16_384) expect(reply.json()).toMatchObject({ statusCode: 413, code: "BODY_TOO_LARGE" });
      }),
      { numRuns: 100 },
    );
    expect((await relayer.app.inject({ url: "/health" })).statusCode).toBe(200);
  });

  it("never records a nullifier in two ClaimPaid events, whatever the tests before it paid", async () => {
    const logs = await stack.client.getContractEvents({ address: stack.pool, abi: huzhuPoolAbi, eventName: "ClaimPaid", fromBlock: 0n });
    expect(new Set(logs.map((l) => l.args.nullifier)).size).toBe(logs.length);
  });
});
