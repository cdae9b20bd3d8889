/**
 * Joining and renewing from an injected EIP-1193 wallet (`window.ethereum`) in headless Chromium
 * against a real stack. The wallet put into the page is a minimal provider that forwards every
 * JSON-RPC call to the Hardhat node, whose development accounts are unlocked: the node signs
 * `eth_sendTransaction` itself, as a browser wallet would after the member confirms. It answers
 * `eth_requestAccounts` and `eth_accounts` with one development account and emits no events.
 */
import type { BrowserContext, Page } from "playwright-core";
import { type Address, createWalletClient, getAddress, type Hex, http } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_PLAN, DEV_ROLES, devAccount, joinMembers, publicClientFor } from "../../scripts/lib/stack.ts";
import { demoTokenAbi, huzhuPoolAbi } from "../../service/sdk/chain/abi.ts";
import { createIdentity, decryptIdentity, type Identity } from "../../service/sdk/index.ts";
import { launchBrowser } from "../../testkit/browser.ts";
import { screenshot, startWebStack, type WebStack } from "../../testkit/web-stack.ts";

const PASSWORD = "wallet test password 12";
/** The injected wallet's account: used by no other web test. */
const WALLET = devAccount(12).address;
const PLAN_ID = 1n;
/** The demo token: ERC-20 and its open mint. */
const token = demoTokenAbi;

/** What the injected wallet saw: every method called, and the hashes its `eth_sendTransaction` returned. */
interface WalletLog {
  methods: string[];
  sent: Hex[];
}

/**
 * Runs in the page before its scripts: a minimal EIP-1193 provider on `window.ethereum`, and what
 * it saw on `window.injectedWalletLog`. It refers to nothing outside itself: playwright sends its
 * source to the page.
 */
function injectWallet({ rpcUrl, account }: { rpcUrl: string; account: string }): void {
  const log: WalletLog = { methods: [], sent: [] };
  let id = 0;
  const provider = {
    async request({ method, params }: { method: string; params?: unknown[] }): Promise<unknown> {
      log.methods.push(method);
      if (method === "eth_requestAccounts" || method === "eth_accounts") return [account];
      const response = await fetch(rpcUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params: params ?? [] }),
      });
      const reply = (await response.json()) as { result?: unknown; error?: { code: number; message: string; data?: unknown } };
      if (reply.error) throw Object.assign(new Error(reply.error.message), { code: reply.error.code, data: reply.error.data });
      if (method === "eth_sendTransaction") log.sent.push(reply.result as Hex);
      return reply.result;
    },
  };
  Object.assign(window, { ethereum: provider, injectedWalletLog: log });
}

let stack: WebStack;
let context: BrowserContext;
let page: Page;
let identity: Identity;

const client = () => publicClientFor(stack.chain.rpcUrl);
const coverage = () =>
  client().readContract({
    address: stack.deployment.record.pool,
    abi: huzhuPoolAbi,
    functionName: "coverageOf",
    args: [PLAN_ID, identity.commitment],
  });
const tokenBalance = (address: Address) =>
  client().readContract({ address: stack.deployment.record.demoToken, abi: token, functionName: "balanceOf", args: [address] });
const walletLog = () => page.evaluate(() => (window as unknown as { injectedWalletLog: WalletLog }).injectedWalletLog);
const planCard = () => page.locator('article[data-plan="1"]');

beforeAll(async () => {
  stack = await startWebStack();
  // Two members before this one, so the member's leaf has a real Merkle path to renew with.
  await joinMembers(stack.chain.rpcUrl, stack.deployment.record, [createIdentity(), createIdentity()], 3);
  context = await launchBrowser();
  await context.addInitScript(injectWallet, { rpcUrl: stack.chain.rpcUrl, account: WALLET });
  page = await context.newPage();
});

afterAll(async () => {
  await context?.close();
  await stack?.stop();
});

describe("paying from an injected EIP-1193 wallet", () => {
  it("connects the browser wallet: its one account pays, and no demo-token button is offered", async () => {
    await page.goto(`${stack.web.url}/#/identity`);
    await page.getByLabel("Password", { exact: true }).first().fill(PASSWORD);
    await page.getByLabel("Repeat the password").fill(PASSWORD);
    await page.getByLabel("Repeat the password").press("Enter");
    await page.getByTestId("identity-state").getByText("Unlocked").waitFor({ timeout: 30_000 });
    const keystore = JSON.parse((await page.evaluate(() => localStorage.getItem("huzhu.keystore"))) ?? "null");
    identity = await decryptIdentity(keystore, PASSWORD);

    await page.getByRole("link", { name: "Plans" }).click();
    await expect.poll(() => page.getByTestId("cover-1").textContent()).toContain("not a member");
    await page.getByRole("button", { name: "Connect browser wallet" }).click();
    await expect.poll(() => page.getByTestId("payer").textContent()).toContain(WALLET);
    expect(await page.getByTestId("payer").textContent()).not.toContain("(dev)");
    await expect.poll(() => page.getByTestId("payer-balance").textContent()).toBe("0 dUSD");
    expect(await page.getByRole("button", { name: "Get 1,000 demo tokens" }).count()).toBe(0);
    expect((await walletLog()).methods).toContain("eth_requestAccounts");
  });

  it("refuses to join while the wallet lacks the contribution, saying how much it needs", async () => {
    await planCard().getByRole("button", { name: "Join" }).click();
    await expect
      .poll(() => planCard().getByRole("alert").textContent())
      .toBe(`Not enough dUSD in ${WALLET}: it needs 30 dUSD. Add funds to the wallet.`);
    expect((await walletLog()).sent).toEqual([]);
    expect((await coverage()).joined).toBe(false);
  });

  it("joins a plan: the pool records the cover and the injected account sent the join", async () => {
    // The demo token's mint is open: the administrator's account funds the wallet.
    const admin = createWalletClient({ account: devAccount(DEV_ROLES.admin).account, transport: http(stack.chain.rpcUrl) });
    const minted = await admin.writeContract({
      chain: null,
      address: stack.deployment.record.demoToken,
      abi: token,
      functionName: "mint",
      args: [WALLET, 1_000_000_000n],
    });
    await client().waitForTransactionReceipt({ hash: minted });

    await planCard().getByLabel("Periods to pay").fill("3");
    await planCard().getByRole("button", { name: "Join" }).click();
    await expect.poll(() => page.getByTestId("cover-1").textContent(), { timeout: 60_000 }).toContain("covered, epochs 0–2");

    const cover = await coverage();
    expect(cover).toEqual({ eligibleFrom: 0, paidThrough: 2, index: 2, joined: true });
    const [joined] = await client().getContractEvents({
      address: stack.deployment.record.pool,
      abi: huzhuPoolAbi,
      eventName: "MemberJoined",
      args: { planId: PLAN_ID, commitment: identity.commitment },
      fromBlock: BigInt(stack.deployment.record.deployBlock),
    });
    if (!joined) throw new Error("expected a MemberJoined event for the member's commitment");
    expect(joined.args.payer).toBe(WALLET);
    expect(joined.args.paid).toBe(3n * DEMO_PLAN.contribution);
    const tx = await client().getTransaction({ hash: joined.transactionHash });
    expect(getAddress(tx.from)).toBe(WALLET);
    // Sent through the injected wallet (approve, then join), and shown to the member.
    expect((await walletLog()).sent).toEqual([expect.any(String), joined.transactionHash]);
    expect(await planCard().getByRole("status").textContent()).toBe(`Done: transaction ${joined.transactionHash}`);
    expect(await tokenBalance(WALLET)).toBe(1_000_000_000n - 3n * DEMO_PLAN.contribution);
    await expect.poll(() => page.getByTestId("payer-balance").textContent()).toBe("970 dUSD");
  });

  it("renews the cover for more periods: paidThrough grows by exactly the periods paid", async () => {
    const before = await coverage();
    await expect.poll(() => planCard().getByRole("button", { name: "Renew" }).count()).toBe(1);
    await planCard().getByLabel("Periods to pay").fill("5");
    await planCard().getByRole("button", { name: "Renew" }).click();
    await expect.poll(() => page.getByTestId("cover-1").textContent(), { timeout: 60_000 }).toContain("covered, epochs 0–7");

    const after = await coverage();
    expect(after.paidThrough - before.paidThrough).toBe(5);
    // The same leaf, updated in place; the waiting period is not restarted.
    expect(after).toEqual({ ...before, paidThrough: before.paidThrough + 5 });
    const [renewed] = await client().getContractEvents({
      address: stack.deployment.record.pool,
      abi: huzhuPoolAbi,
      eventName: "MemberRenewed",
      args: { planId: PLAN_ID, commitment: identity.commitment },
      fromBlock: BigInt(stack.deployment.record.deployBlock),
    });
    if (!renewed) throw new Error("expected a MemberRenewed event for the member's commitment");
    expect(renewed.args.paid).toBe(5n * DEMO_PLAN.contribution);
    expect(renewed.args.paidThrough).toBe(7n);
    const tx = await client().getTransaction({ hash: renewed.transactionHash });
    expect(getAddress(tx.from)).toBe(WALLET);
    const sent = (await walletLog()).sent;
    expect(sent).toHaveLength(4);
    expect(sent[3]).toBe(renewed.transactionHash);
    // The approval was for exactly the cost, and all of it was spent.
    expect(
      await client().readContract({
        address: stack.deployment.record.demoToken,
        abi: token,
        functionName: "allowance",
        args: [WALLET, stack.deployment.record.pool],
      }),
    ).toBe(0n);
    expect(await tokenBalance(WALLET)).toBe(1_000_000_000n - 8n * DEMO_PLAN.contribution);
    await expect.poll(() => page.getByTestId("payer-balance").textContent()).toBe("920 dUSD");
  });

  it("renews again on the same page: the Merkle path is rebuilt from the renewed leaf", async () => {
    const before = await coverage();
    await planCard().getByLabel("Periods to pay").fill("1");
    await planCard().getByRole("button", { name: "Renew" }).click();
    await expect.poll(() => page.getByTestId("cover-1").textContent(), { timeout: 60_000 }).toContain("covered, epochs 0–8");
    expect(await coverage()).toEqual({ ...before, paidThrough: before.paidThrough + 1 });
    expect((await walletLog()).sent).toHaveLength(6);
    await expect.poll(() => page.getByTestId("payer-balance").textContent()).toBe("910 dUSD");
    await screenshot(page, "plans-wallet");
  });
});
