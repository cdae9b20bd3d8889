/**
 * `huzhu plans list|compare --relayer`: each plan's claims waiting for funds at a relayer, beside
 * its balance, so members and donors see the need. The relayer is untrusted: a reply for another
 * plan is refused. (The relayer's own queue, with real held claims, is tested in
 * test/relayer/held-claims.test.ts.) Here the relayer is a small HTTP server on 127.0.0.1 that
 * answers the held route as a relayer would, or wrongly.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../testkit/cli.ts";
import { DEMO_PLAN, type LocalChain, startLocalChain } from "../../testkit/local-chain.ts";

let chain: LocalChain;
let env: Record<string, string>;
let server: Server;
let relayerUrl: string;
let answerFor: (planId: string) => unknown;

beforeAll(async () => {
  chain = await startLocalChain([DEMO_PLAN]);
  env = { HUZHU_STATE_DIR: chain.stateDir, HUZHU_RPC_URL: "" };
  server = createServer((request, response) => {
    const planId = /^\/v1\/plans\/([0-9]+)\/held$/.exec(request.url ?? "")?.[1];
    const body = JSON.stringify(
      planId ? answerFor(planId) : { statusCode: 404, code: "NOT_FOUND", error: "Not Found", message: "no route" },
    );
    response.writeHead(planId ? 200 : 404, { "content-type": "application/json" }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  relayerUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.close();
  await chain?.stop();
});

describe("plans --relayer", () => {
  it("shows each plan's claims waiting for funds and how much the pool is short", async () => {
    answerFor = (planId) => ({ planId, claims: 2, amount: "7000000000", firstExpiresAt: "2026-12-03T00:00:00.000Z" });
    const listed = await runCli(["--json", "plans", "list", "--relayer", relayerUrl], { env });
    expect(listed.code).toBe(0);
    const plan = listed.json<{ plans: Array<{ balance: { raw: string }; waitingForFunds: unknown }> }>().plans[0];
    expect(plan?.waitingForFunds).toEqual({
      claims: 2,
      amount: { raw: "7000000000", formatted: "7000", symbol: "dUSD" },
      firstExpiresAt: "2026-12-03T00:00:00.000Z",
    });
    const balance = BigInt(plan?.balance.raw ?? "0");
    const compared = await runCli(["plans", "compare", "1", "--relayer", relayerUrl], { env });
    expect(compared.code).toBe(0);
    const row = compared.stdout.split("\n").find((line) => line.startsWith("claims waiting for funds"));
    const short = Number(7_000_000_000n - balance) / 1e6;
    expect(row).toMatch(new RegExp(`^claims waiting for funds\\s+2 \\(7000 dUSD, ${short} dUSD short\\)$`));
    // Without --relayer the row is not there.
    const plain = await runCli(["plans", "compare", "1"], { env });
    expect(plain.stdout).not.toContain("claims waiting for funds");
  });

  it("refuses a relayer's answer for another plan, and says when the relayer cannot be reached", async () => {
    answerFor = () => ({ planId: "9", claims: 0, amount: "0" });
    const lying = await runCli(["plans", "list", "--relayer", relayerUrl], { env });
    expect(lying.code).toBe(1);
    expect(lying.stderr).toBe("error: the relayer refused (BAD_REPLY): the relayer answered for plan 9, not 1; use another relayer\n");
    const away = await runCli(["plans", "list", "--relayer", "http://127.0.0.1:9"], { env });
    expect(away.code).toBe(1);
    expect(away.stderr).toMatch(/hint: is the relayer running\? pass --relayer <url> or set HUZHU_RELAYER_URL\n$/);
  });
});
