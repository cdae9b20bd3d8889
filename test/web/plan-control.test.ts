/**
 * A plan's admin controls and the plan comparison in the web app, in headless Chromium against a
 * real stack (Hardhat node, deployment, relayer, web server): the plan's admin pauses and resumes
 * it and the plans list follows.
 */
import type { BrowserContext, Page } from "playwright-core";
import { type Address, createWalletClient, http, parseEventLogs } from "viem";
import { hardhat } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_PLAN, DEV_ROLES, devAccount, publicClientFor } from "../../scripts/lib/stack.ts";
import { huzhuPoolAbi, releaseProver } from "../../service/sdk/index.ts";
import { launchBrowser } from "./browser.ts";
import { createIdentityInPage, useDevWallet } from "./pages.ts";
import { screenshot, startWebStack, type WebStack } from "./stack.ts";

const PASSWORD = "correct horse battery staple 9";
/** The admin of the plans made here (the pool's admin creates them for it). */
const ADMIN_WALLET = 9;
/** A wallet that administers no plan. */
const OTHER_WALLET = 10;
const HARVEST = "Harvest fund";

let stack: WebStack;
let context: BrowserContext;
let page: Page;
let harvest: bigint;

const client = () => publicClientFor(stack.chain.rpcUrl);

function walletOf(index: number) {
  return createWalletClient({ account: devAccount(index).account, chain: hardhat, transport: http(stack.chain.rpcUrl) });
}

/** Creates a plan of the demo token from the pool's admin, administered by `admin`; returns its id. */
async function createPlan(name: string, admin: Address): Promise<bigint> {
  const hash = await walletOf(DEV_ROLES.admin).writeContract({
    address: stack.deployment.record.pool,
    abi: huzhuPoolAbi,
    functionName: "createPlan",
    args: [{ ...DEMO_PLAN, token: stack.deployment.record.demoToken, admin, name }],
  });
  const receipt = await client().waitForTransactionReceipt({ hash });
  const [created] = parseEventLogs({ abi: huzhuPoolAbi, eventName: "PlanCreated", logs: receipt.logs });
  if (!created) throw new Error(`no plan created in ${hash}`);
  return created.args.planId;
}

const planActive = async (planId: bigint) =>
  (await client().readContract({ address: stack.deployment.record.pool, abi: huzhuPoolAbi, functionName: "getPlan", args: [planId] }))
    .active;

beforeAll(async () => {
  stack = await startWebStack();
  harvest = await createPlan(HARVEST, devAccount(ADMIN_WALLET).address);
  context = await launchBrowser();
  page = await context.newPage();
});

afterAll(async () => {
  await context?.close();
  await stack?.stop();
  await releaseProver();
});

describe("a plan's admin controls in the web app", () => {
  it("creates an identity for the member's pages", async () => {
    await createIdentityInPage(page, stack.web.url, PASSWORD);
  });

  it("tells a wallet that administers no plan so, and lists no plan for it", async () => {
    await page.getByRole("link", { name: "Run a plan" }).click();
    await useDevWallet(page, OTHER_WALLET);
    await expect
      .poll(() => page.getByTestId("control-none").textContent())
      .toBe(`This wallet (${devAccount(OTHER_WALLET).address}) administers no plan.`);
    expect(await page.getByTestId(`control-${harvest}`).count()).toBe(0);
  });

  it("pauses the plan from its admin's wallet: the pool stops it, and the plans list shows it paused with joining shut", async () => {
    await useDevWallet(page, ADMIN_WALLET);
    const control = page.getByTestId(`control-${harvest}`);
    await expect.poll(() => control.getByTestId(`plan-state-${harvest}`).textContent()).toBe("active");
    expect(await page.getByTestId("control-1").count()).toBe(0);
    await control.getByRole("button", { name: "Pause plan" }).click();
    await control
      .getByText(new RegExp(`^Paused plan ${harvest} in transaction 0x[0-9a-f]{64}: no joins, renewals or claims until it resumes\\.$`))
      .waitFor({ timeout: 30_000 });
    await expect.poll(() => control.getByTestId(`plan-state-${harvest}`).textContent()).toBe("paused");
    expect(await planActive(harvest)).toBe(false);
    await screenshot(page, "plan-control");

    await page.getByRole("link", { name: "Plans" }).click();
    const card = page.locator(`article[data-plan="${harvest}"]`);
    await card.waitFor({ timeout: 30_000 });
    await expect.poll(() => card.locator(".badge.bad").textContent()).toBe("paused");
    expect(await card.getByRole("button", { name: "Join" }).isDisabled()).toBe(true);
  });

  it("resumes the plan: the pool takes joins again and the badge goes", async () => {
    await page.getByRole("link", { name: "Run a plan" }).click();
    const control = page.getByTestId(`control-${harvest}`);
    await control.getByRole("button", { name: "Resume plan" }).click();
    await control
      .getByText(new RegExp(`^Resumed plan ${harvest} in transaction 0x[0-9a-f]{64}: it takes joins and pays claims again\\.$`))
      .waitFor({ timeout: 30_000 });
    await expect.poll(() => control.getByTestId(`plan-state-${harvest}`).textContent()).toBe("active");
    expect(await planActive(harvest)).toBe(true);

    await page.getByRole("link", { name: "Plans" }).click();
    const card = page.locator(`article[data-plan="${harvest}"]`);
    await card.waitFor({ timeout: 30_000 });
    await expect.poll(() => card.getByRole("button", { name: "Join" }).isEnabled()).toBe(true);
    expect(await card.locator(".badge.bad").count()).toBe(0);
  });
});
