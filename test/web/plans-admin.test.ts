/**
 * Running plans in the web app, in headless Chromium against a real stack (Hardhat node,
 * deployment, relayer, web server): each plan card shows the relayer's queue of claims waiting for
 * funds; a plan created in the form is listed with its category and its terms checked against the
 * hash on chain; the plan admin adds and revokes an assessor and the pool's assessor root follows;
 * "My membership" lists the plan joined with its payment and cover, from chain data read in the page;
 * a claim the pool cannot pay yet is held by the relayer, shown in the plan's queue and in "My
 * membership", and paid once a donation arrives.
 */
import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { createWalletClient, formatUnits, http, keccak256, toBytes } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_PLAN, DEV_ROLES, devAccount, publicClientFor, rpc } from "../../scripts/lib/stack.ts";
import {
  generateAssessorKey,
  huzhuPoolAbi,
  randomFieldElement,
  releaseProver,
  serializeApproval,
  signApproval,
} from "../../service/sdk/index.ts";
import { addAssessorOnChain } from "../../testkit/assessors.ts";
import { launchBrowser } from "../../testkit/browser.ts";
import { screenshot, startWebStack, type WebStack } from "../../testkit/web-stack.ts";
import { createIdentityInPage, useDevWallet } from "./pages.ts";

const PASSWORD = "correct horse battery staple 9";
/** The wallet granted the plan-creator role: it creates plan 2 and is its admin. */
const CREATOR_WALLET = 9;
/** A wallet with no role and no plan. */
const OTHER_WALLET = 10;
const PLAN_NAME = "Village school fees";
const TERMS = `# ${PLAN_NAME}: terms\n\n1. A claim pays a term's school fees for a member's child, up to the cap.\n2. Evidence: the school's invoice.\n`;

let stack: WebStack;
let context: BrowserContext;
let page: Page;
let termsServer: Server;
let termsUrl: string;

/** Serves the terms document from another origin, as any web host would (the page checks its hash). */
async function serveTerms(): Promise<Server> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "text/markdown; charset=utf-8", "access-control-allow-origin": "*" });
    response.end(TERMS);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

const readPool = <F extends "assessorRoot" | "planTerms" | "planAdmin">(functionName: F, planId: bigint) =>
  publicClientFor(stack.chain.rpcUrl).readContract({
    address: stack.deployment.record.pool,
    abi: huzhuPoolAbi,
    functionName,
    args: [planId],
  } as never) as Promise<
    F extends "assessorRoot" ? bigint : F extends "planAdmin" ? string : { category: number; termsHash: string; termsUri: string }
  >;

beforeAll(async () => {
  stack = await startWebStack();
  // The pool's admin lets one development wallet create plans, as an operator would.
  const admin = devAccount(DEV_ROLES.admin);
  const wallet = createWalletClient({ account: admin.account, chain: hardhat, transport: http(stack.chain.rpcUrl) });
  const client = publicClientFor(stack.chain.rpcUrl);
  const pool = stack.deployment.record.pool;
  const role = await client.readContract({ address: pool, abi: huzhuPoolAbi, functionName: "PLAN_CREATOR_ROLE" });
  const hash = await wallet.writeContract({
    address: pool,
    abi: huzhuPoolAbi,
    functionName: "grantRole",
    args: [role, devAccount(CREATOR_WALLET).address],
  });
  await client.waitForTransactionReceipt({ hash });
  termsServer = await serveTerms();
  termsUrl = `http://127.0.0.1:${(termsServer.address() as AddressInfo).port}/school-fees.md`;
  context = await launchBrowser();
  page = await context.newPage();
});

afterAll(async () => {
  await context?.close();
  await new Promise((resolve) => termsServer?.close(resolve));
  await stack?.stop();
  await releaseProver();
});

describe("running plans in the web app", () => {
  it("creates an identity for the member's pages", async () => {
    await createIdentityInPage(page, stack.web.url, PASSWORD);
  });

  it("shows each plan's queue of claims waiting for funds at the relayer: 0 when it holds none", async () => {
    await page.getByRole("link", { name: "Plans" }).click();
    await page.getByText(DEMO_PLAN.name).waitFor();
    await expect.poll(() => page.getByTestId("queue-1").textContent(), { timeout: 30_000 }).toBe("approved claims held at the relayer: 0");
  });

  it("says quietly that the queue cannot be read when the relayer does not answer", async () => {
    await page.route("**/v1/plans/*/held", (route) => route.abort());
    try {
      await page.getByRole("button", { name: "Refresh" }).click();
      await expect.poll(() => page.getByTestId("queue-1").textContent()).toBe("the relayer's queue cannot be read now");
      expect(await page.getByTestId("queue-1").getAttribute("class")).toBe("quiet");
      expect(await page.getByRole("alert").count()).toBe(0);
    } finally {
      await page.unroute("**/v1/plans/*/held");
    }
  });

  it("refuses to create a plan from a wallet without the plan-creator role, saying who grants it", async () => {
    await page.getByRole("link", { name: "Run a plan" }).click();
    await useDevWallet(page, OTHER_WALLET);
    await page.getByLabel("Name", { exact: true }).fill(PLAN_NAME);
    await page.getByLabel(/^Terms: the claim conditions/).fill(TERMS);
    await page.getByRole("button", { name: "Create plan" }).click();
    await expect
      .poll(() => page.getByRole("alert").textContent(), { timeout: 30_000 })
      .toContain(
        `This wallet (${devAccount(OTHER_WALLET).address}) may not create plans: the pool's admin grants it the plan-creator role.`,
      );
  });

  it("creates a plan in the form; the plans list shows its category, and its terms check against the hash on chain", async () => {
    await useDevWallet(page, CREATOR_WALLET);
    await page.getByLabel("Contribution per period").fill("10");
    await page.getByLabel("Period length (days)").fill("1");
    await page.getByLabel("Waiting periods").fill("1");
    await page.getByLabel("Claim cap").fill("200");
    await page.getByLabel(/^Relayer fee limit/).fill("250");
    await page.getByLabel("Covers").selectOption("education");
    await page.getByLabel(/^Terms URL/).fill(termsUrl);
    expect(await page.getByTestId("terms-hash").textContent()).toContain(keccak256(toBytes(TERMS)));
    await page.getByRole("button", { name: "Create plan" }).click();
    await expect.poll(() => page.getByTestId("plan-created").textContent(), { timeout: 60_000 }).toContain(`Created plan 2 (${PLAN_NAME})`);
    await screenshot(page, "plan-admin");

    const terms = await readPool("planTerms", 2n);
    expect(terms).toMatchObject({ category: 1, termsHash: keccak256(toBytes(TERMS)), termsUri: termsUrl });
    expect((await readPool("planAdmin", 2n)).toLowerCase()).toBe(devAccount(CREATOR_WALLET).address.toLowerCase());

    await page.getByRole("link", { name: "Plans" }).click();
    const card = page.locator('article[data-plan="2"]');
    await card.waitFor({ timeout: 30_000 });
    expect(await card.textContent()).toContain(PLAN_NAME);
    expect(await card.textContent()).toContain("education");
    expect(await card.textContent()).toContain("10 dUSD per 1 days");
    expect(await card.textContent()).toContain("2.50%");
    await card.getByRole("button", { name: "Check the terms" }).click();
    await card.getByText("The text at this address is the plan's: its hash matches the one on chain.").waitFor();
    await expect.poll(() => page.getByTestId("queue-2").textContent()).toBe("approved claims held at the relayer: 0");
  });

  it("adds and revokes an assessor as the plan's admin; the pool's assessor root follows; a key twice and a wallet that is not the admin are refused", async () => {
    const assessor = generateAssessorKey();
    const keyText = `${assessor.publicKey[0]},${assessor.publicKey[1]}`;
    await page.getByRole("link", { name: "Run a plan" }).click();
    await page.getByTestId("assessor-plan").selectOption("2");
    const empty = await readPool("assessorRoot", 2n);
    await expect.poll(() => page.getByTestId("assessor-root").textContent()).toBe(empty.toString());

    await page.getByLabel("Assessor public key (x,y)").fill(keyText);
    await page.getByRole("button", { name: "Add assessor" }).click();
    await page.getByText(/^Added in transaction 0x[0-9a-f]{64}\.$/).waitFor({ timeout: 60_000 });
    const added = await readPool("assessorRoot", 2n);
    expect(added).not.toBe(empty);
    await expect.poll(() => page.getByTestId("assessor-root").textContent()).toBe(added.toString());
    await page.locator(`li[data-key="${keyText}"]`).waitFor();

    await page.getByLabel("Assessor public key (x,y)").fill(keyText);
    await page.getByRole("button", { name: "Add assessor" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("This key is already one of the plan's assessors.");

    await useDevWallet(page, OTHER_WALLET);
    await page.locator(`li[data-key="${keyText}"]`).getByRole("button", { name: "Revoke" }).click();
    await expect
      .poll(() => page.getByRole("alert").textContent())
      .toContain(`This wallet (${devAccount(OTHER_WALLET).address}) is not plan 2's admin`);
    expect(await readPool("assessorRoot", 2n)).toBe(added);

    await useDevWallet(page, CREATOR_WALLET);
    await page.locator(`li[data-key="${keyText}"]`).getByRole("button", { name: "Revoke" }).click();
    await page.getByText(/^Revoked in transaction 0x[0-9a-f]{64}\.$/).waitFor({ timeout: 60_000 });
    const revoked = await readPool("assessorRoot", 2n);
    expect(revoked).not.toBe(added);
    await expect.poll(() => page.getByTestId("assessor-root").textContent()).toBe(revoked.toString());
    expect(await page.locator(`li[data-key="${keyText}"]`).count()).toBe(0);
  });

  it('lists the plan joined in "My membership" with its payment and cover, and no plan it did not join', async () => {
    await page.getByRole("link", { name: "Plans" }).click();
    await page.getByRole("button", { name: "Get 1,000 demo tokens" }).click();
    await expect.poll(() => page.getByTestId("payer-balance").textContent(), { timeout: 30_000 }).toContain("1,000 dUSD");
    const card = page.locator('article[data-plan="2"]');
    await card.getByLabel("Periods").fill("3");
    await card.getByRole("button", { name: "Join" }).click();
    await expect.poll(() => page.getByTestId("cover-2").textContent(), { timeout: 60_000 }).toContain("waiting until epoch 1");

    await page.getByRole("link", { name: "My membership" }).click();
    const membership = page.getByTestId("membership-2");
    await membership.waitFor({ timeout: 30_000 });
    expect(await page.getByTestId("membership-1").count()).toBe(0);
    expect(await page.getByTestId("membership-paid-2").textContent()).toBe("30 dUSD");
    expect(await page.getByTestId("membership-payments-2").textContent()).toMatch(
      /block [0-9]+: joined, paid 30 dUSD; cover after it: epochs 1–2/,
    );
    expect(await page.getByTestId("membership-cover-2").textContent()).toContain("waiting until epoch 1");
    expect(await page.getByTestId("membership-cases-2").textContent()).toBe("none");
    expect(await page.getByTestId("membership-claims-2").textContent()).toBe("none");
    await screenshot(page, "membership");
  });

  it('holds a claim the pool cannot pay yet: the plan shows its queue and shortfall, "My membership" the claim waiting, then its payout after a donation', async () => {
    const rpcUrl = stack.chain.rpcUrl;
    const client = publicClientFor(rpcUrl);
    const keystore = JSON.parse((await page.evaluate(() => localStorage.getItem("huzhu.keystore"))) ?? "null");
    const assessor = generateAssessorKey();
    await addAssessorOnChain(rpcUrl, stack.deployment.record.pool, assessor.publicKey, { planId: 2n, adminAccount: CREATOR_WALLET });
    // A day later: epoch 1, the member's cover has begun. The pool holds 30 dUSD; the claim asks 100.
    await rpc(rpcUrl, "evm_increaseTime", [86_400]);
    await rpc(rpcUrl, "evm_mine");
    const approval = signApproval(assessor, {
      commitment: BigInt(keystore.commitment),
      planId: 2n,
      eventId: randomFieldElement(),
      amount: 100_000_000n,
      expiresAtEpoch: 2n,
    });
    const file = join(stack.stateDir, "approval-plan-2.json");
    writeFileSync(file, JSON.stringify(serializeApproval(approval)));
    const recipient = privateKeyToAccount(generatePrivateKey()).address;

    await page.getByRole("link", { name: "Claim" }).click();
    await page.getByTestId("approval-file").setInputFiles(file);
    await expect.poll(() => page.getByTestId("approval-summary").textContent()).toContain("100 dUSD");
    await page.getByTestId("relayer-info").waitFor();
    await page.getByLabel(/Recipient address/).fill(recipient);
    await page.getByRole("button", { name: "Make the proof and send the claim" }).click();
    await expect.poll(() => page.getByTestId("claim-status").getAttribute("data-status"), { timeout: 180_000 }).toBe("waiting_for_funds");

    await page.getByRole("link", { name: "Plans" }).click();
    await expect
      .poll(() => page.getByTestId("queue-2").textContent(), { timeout: 30_000 })
      .toBe("approved claims held at the relayer: 1, asking 100 dUSD in all; the pool is short 70 dUSD");
    await screenshot(page, "plans-queue");
    await page.getByRole("link", { name: "My membership" }).click();
    await expect
      .poll(() => page.getByTestId("membership-claims-2").textContent(), { timeout: 30_000 })
      .toContain("asked 100 dUSD, valid, waiting until the pool can pay it");

    await page.getByRole("link", { name: "Plans" }).click();
    const card = page.locator('article[data-plan="2"]');
    await card.getByLabel(/Amount to give/).fill("100");
    await card.getByRole("button", { name: "Donate" }).click();
    await card.getByText(/Thank you: donated in transaction/).waitFor({ timeout: 30_000 });
    const paid = async () =>
      (
        await client.getContractEvents({
          address: stack.deployment.record.pool,
          abi: huzhuPoolAbi,
          eventName: "ClaimPaid",
          args: { recipient },
          fromBlock: 0n,
        })
      )[0];
    await expect.poll(paid, { timeout: 60_000 }).toBeDefined();
    const fee = (await paid())?.args.request?.fee ?? 0n;
    await page.getByRole("link", { name: "My membership" }).click();
    await expect
      .poll(
        async () => {
          await page.getByRole("button", { name: "Refresh" }).click();
          return page.getByTestId("membership-claims-2").textContent();
        },
        { timeout: 60_000 },
      )
      .toContain(`asked 100 dUSD, paid out ${formatUnits(100_000_000n - fee, 6)} dUSD in transaction`);
    await page.getByRole("link", { name: "Plans" }).click();
    await expect.poll(() => page.getByTestId("queue-2").textContent(), { timeout: 30_000 }).toBe("approved claims held at the relayer: 0");
  });

  it("shows the new pages in Simplified Chinese", async () => {
    await page.getByRole("button", { name: "切换到简体中文" }).click();
    await page.getByRole("link", { name: "我的会员" }).click();
    await expect.poll(() => page.getByRole("heading", { level: 2 }).textContent()).toBe("我的会员资格");
    await expect.poll(() => page.getByTestId("membership-paid-2").textContent()).toBe("30 dUSD");
    await expect.poll(() => page.getByTestId("membership-payments-2").textContent()).toContain("加入，缴纳 30 dUSD");
    await page.getByRole("link", { name: "管理计划" }).click();
    await expect.poll(() => page.getByRole("heading", { level: 2 }).textContent()).toBe("管理计划");
    await page.getByRole("link", { name: "计划" }).first().click();
    await expect.poll(() => page.getByTestId("queue-1").textContent(), { timeout: 30_000 }).toBe("中继处等待的已批准理赔：0 笔");
    await page.getByRole("button", { name: "Switch to English" }).click();
  });
});
