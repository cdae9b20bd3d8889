/**
 * The gas drop, with a real relayer process, real proofs and a real chain: a member asks in the
 * quote for a little native coin to be sent to the fresh recipient with the payout, priced into the
 * fee, so the recipient can move its payout at once without a top-up from a wallet that would
 * link the two. The relayer refuses drops it does not offer, drops the plan's fee limit cannot pay
 * for, and claims whose drop is not the quoted one.
 */
import { createWalletClient, erc20Abi, getAddress, http } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_GAS_DROP_PRICE, devAccount, type RelayerProcess, spawnRelayer } from "../../scripts/lib/stack.ts";
import { ConfigError, loadConfig } from "../../service/relayer/config.ts";
import { type Identity, releaseProver } from "../../service/sdk/index.ts";
import {
  getQuote,
  makeClaim,
  paidEvents,
  postClaim,
  relayerEnv,
  type Stack,
  startStack,
  tokenBalance,
  waitForStatus,
} from "../../testkit/relayer-stack.ts";

const DUSD = 1_000_000n;
/** A development account (the node's tenth) that pays for the wallets these tests fund. */
const DEV_FUNDER_KEY = devAccount(10).privateKey;
const MAX_WEI = 10n ** 16n;

let stack: Stack;
let node: RelayerProcess;
const running: RelayerProcess[] = [];

async function relayer(extra: Record<string, string> = {}): Promise<RelayerProcess> {
  const process = await spawnRelayer(relayerEnv(stack, extra));
  running.push(process);
  return process;
}

async function quoteReply(url: string, body: Record<string, string>) {
  const response = await fetch(`${url}/v1/quote`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  stack = await startStack(3);
  node = await relayer();
}, 180_000);

afterAll(async () => {
  for (const process of running) await process.stop("SIGKILL");
  await stack?.chain.stop();
  await releaseProver();
});

describe("gas drop terms", () => {
  it("lists each plan's drop in /info: the suggestion (3 token transfers at the current gas price), the largest and the rate", async () => {
    const info = (await (await fetch(`${node.url}/v1/info`)).json()) as {
      plans: Array<{ planId: string; gasDrop?: { suggestedWei: string; maxWei: string; tokenPerCoin: string } }>;
    };
    const offer = info.plans.find((p) => p.planId === "1")?.gasDrop;
    expect(offer).toMatchObject({ maxWei: MAX_WEI.toString(), tokenPerCoin: DEMO_GAS_DROP_PRICE.toString() });
    const suggested = BigInt(offer?.suggestedWei ?? "0");
    expect(suggested).toBeGreaterThan(0n);
    expect(suggested).toBeLessThanOrEqual(MAX_WEI);
    expect(suggested % (3n * 65_000n)).toBe(0n);
  });

  it("prices the drop into the fee at the operator's rate, rounded up, and signs the drop into the quote", async () => {
    const withDrop = await getQuote(node.url, 50n * DUSD, 10n ** 14n);
    // 1% of 50 dUSD, plus 10^14 wei at 3,000 dUSD per 10^18 wei = 0.3 dUSD.
    expect(withDrop.quote).toMatchObject({ fee: "800000", gasDrop: "100000000000000" });
    const odd = await getQuote(node.url, 50n * DUSD, 1n);
    expect(odd.quote).toMatchObject({ fee: "500001", gasDrop: "1" });
    const none = await getQuote(node.url, 50n * DUSD);
    expect(none.quote).toMatchObject({ fee: "500000", gasDrop: "0" });
  });

  it("refuses a drop above its largest with GAS_DROP_UNAVAILABLE", async () => {
    const reply = await quoteReply(node.url, { planId: "1", amount: String(50n * DUSD), gasDrop: String(MAX_WEI + 1n) });
    expect(reply).toEqual({
      status: 422,
      body: expect.objectContaining({
        code: "GAS_DROP_UNAVAILABLE",
        message: `the gas drop ${MAX_WEI + 1n} wei is above this relayer's largest, ${MAX_WEI} wei; ask for at most that`,
      }),
    });
  });

  it("refuses a drop the plan's fee limit cannot pay for with FEE_POLICY_UNSATISFIABLE, naming the drop's part", async () => {
    // 3% of 10 dUSD is 0.3 dUSD; the relayer's 0.1 dUSD plus 3 dUSD for 10^15 wei exceeds it.
    const reply = await quoteReply(node.url, { planId: "1", amount: String(10n * DUSD), gasDrop: String(10n ** 15n) });
    expect(reply).toEqual({
      status: 422,
      body: expect.objectContaining({
        code: "FEE_POLICY_UNSATISFIABLE",
        message:
          "this relayer's fee (3100000, of which 3000000 pays for the gas drop,) exceeds what the plan allows for this amount (300000); ask for a smaller gas drop or none, ask for a larger amount, use another relayer, or submit directly",
      }),
    });
  });

  it("offers no drop where its operator set no rate for the plan's token", async () => {
    const plain = await relayer({ HUZHU_RELAYER_GAS_DROP_PRICES: "" });
    const info = (await (await fetch(`${plain.url}/v1/info`)).json()) as { plans: Array<{ planId: string; gasDrop?: unknown }> };
    expect(info.plans.find((p) => p.planId === "1")).not.toHaveProperty("gasDrop");
    const reply = await quoteReply(plain.url, { planId: "1", amount: String(50n * DUSD), gasDrop: "1000" });
    expect(reply).toEqual({
      status: 422,
      body: expect.objectContaining({
        code: "GAS_DROP_UNAVAILABLE",
        message:
          "this relayer sends no gas drop with claims of this plan's token; ask for a quote with gasDrop 0, or use a relayer that does",
      }),
    });
    await plain.stop();
  });

  it("quotes no drop its wallet cannot fund above its gas reserve (HUZHU_MIN_BALANCE_WEI)", async () => {
    // A relayer with a wallet of its own holding 0.02 coin, a reserve of 0.01 and drops of up to 1 coin.
    const key = generatePrivateKey();
    const funder = createWalletClient({ account: privateKeyToAccount(DEV_FUNDER_KEY), transport: http(stack.chain.rpcUrl) });
    const funded = await funder.sendTransaction({ to: privateKeyToAccount(key).address, value: 2n * 10n ** 16n, chain: null });
    await stack.client.waitForTransactionReceipt({ hash: funded });
    const poor = await relayer({ HUZHU_RELAYER_KEY: key, HUZHU_RELAYER_GAS_DROP_MAX_WEI: String(10n ** 18n) });
    const fits = await quoteReply(poor.url, { planId: "1", amount: String(5_000n * DUSD), gasDrop: String(10n ** 15n) });
    expect(fits.status).toBe(200);
    const reply = await quoteReply(poor.url, { planId: "1", amount: String(5_000n * DUSD), gasDrop: String(2n * 10n ** 16n) });
    expect(reply).toEqual({
      status: 422,
      body: expect.objectContaining({
        code: "GAS_DROP_UNAVAILABLE",
        message: "this relayer's wallet cannot fund that gas drop now; ask for a smaller one or none, or use another relayer",
      }),
    });
    await poor.stop();
  });

  it("refuses a malformed rate at boot, naming the setting and its form", () => {
    expect(() => loadConfig(relayerEnv(stack, { HUZHU_RELAYER_GAS_DROP_PRICES: `${stack.token}=1.5` }))).toThrow(
      new ConfigError(
        `HUZHU_RELAYER_GAS_DROP_PRICES must list token=price pairs, the price in token base units per whole native coin (e.g. 0x5FbD...0aa3=3000000000 for 3,000 units of a 6-decimal token per ETH); got "${stack.token}=1.5"`,
      ),
    );
  });
});

describe("claims with a gas drop", () => {
  it("sends the drop to the recipient with the payout, and the recipient moves its payout with that coin alone", async () => {
    const drop = 2n * 10n ** 14n;
    const quote = await getQuote(node.url, 50n * DUSD, drop);
    const owner = privateKeyToAccount(generatePrivateKey());
    const { body } = await makeClaim(stack, stack.members[0] as Identity, quote, owner.address);
    const accepted = await postClaim(node.url, body);
    expect(accepted.status).toBe(202);
    const status = await waitForStatus(node.url, accepted.body.id as string, ["confirmed", "failed"]);
    expect(status).toMatchObject({ status: "confirmed", gasDrop: drop.toString(), fee: quote.quote.fee });

    const [paid] = await paidEvents(stack, body.request.nullifier);
    expect(paid?.args.request?.gasDrop).toBe(drop);
    expect(await stack.client.getBalance({ address: owner.address })).toBe(drop);
    const payout = 50n * DUSD - BigInt(quote.quote.fee);
    expect(await tokenBalance(stack, owner.address)).toBe(payout);

    // The fresh address pays the gas of moving its payout from the drop: no top-up from elsewhere.
    const onward = privateKeyToAccount(generatePrivateKey()).address;
    const wallet = createWalletClient({ account: owner, transport: http(stack.chain.rpcUrl) });
    const hash = await wallet.writeContract({
      address: stack.token,
      abi: erc20Abi,
      functionName: "transfer",
      args: [onward, payout],
      chain: null,
    });
    expect((await stack.client.waitForTransactionReceipt({ hash })).status).toBe("success");
    expect(await tokenBalance(stack, onward)).toBe(payout);
  });

  it("refuses a claim whose request names another drop than its quote with QUOTE_INVALID", async () => {
    const quote = await getQuote(node.url, 20n * DUSD, 10n ** 13n);
    const { body } = await makeClaim(stack, stack.members[1] as Identity, quote, privateKeyToAccount(generatePrivateKey()).address);
    const reply = await postClaim(node.url, { ...body, request: { ...body.request, gasDrop: "1" } });
    expect(reply).toEqual({
      status: 422,
      body: expect.objectContaining({
        code: "QUOTE_INVALID",
        message: "the quote is for another plan, amount or gas drop than the claim; ask for a quote for this claim",
      }),
    });
  });

  it("refuses, before storing it, a claim whose recipient cannot take the coin, with GAS_DROP_REFUSED", async () => {
    const quote = await getQuote(node.url, 20n * DUSD, 10n ** 13n);
    const member = stack.members[2] as Identity;
    // The token contract has no receive function: the pool's transfer of the drop to it fails.
    const { body } = await makeClaim(stack, member, quote, stack.token);
    const reply = await postClaim(node.url, body);
    expect(reply.status).toBe(422);
    expect(reply.body).toMatchObject({ code: "GAS_DROP_REFUSED" });
    expect(reply.body.message).toBe(
      `the pool refuses this claim: the recipient ${getAddress(stack.token)} refused the gas drop of ${10n ** 13n} wei: claim again without a drop or to an address that accepts coin [HuzhuPool__GasDropFailed(${getAddress(stack.token)}, ${10n ** 13n})]`,
    );
  });
});
