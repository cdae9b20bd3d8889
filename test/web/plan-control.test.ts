/**
 * A plan's admin controls and the plan comparison in the web app, in headless Chromium against a
 * real stack (Hardhat node, deployment, relayer, web server): the plan's admin pauses and resumes
 * it and the plans list follows; the admin proposes another wallet as admin, and that wallet accepts
 * in its own page (refused while the proposal names another).
 */
import type { BrowserContext, Page } from "playwright-core";
import { type Address, createWalletClient, http, parseEventLogs, zeroAddress } from "viem";
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
/** The wallet the harvest fund's administration is handed to. */
const NEXT_ADMIN_WALLET = 11;
/** A wallet proposed and then passed over. */
const PASSED_OVER_WALLET = 12;
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

/** The plan's admin (wallet #9) proposes `next` from outside the page, as from another device. */
async function proposeFromNode(planId: bigint, next: number): Promise<void> {
  const hash = await walletOf(ADMIN_WALLET).writeContract({
    address: stack.deployment.record.pool,
    abi: huzhuPoolAbi,
    functionName: "proposePlanAdmin",
    args: [planId, devAccount(next).address],
  });
  await client().waitForTransactionReceipt({ hash });
}

const readPool = <F extends "planAdmin" | "pendingPlanAdmin">(functionName: F, planId: bigint) =>
  client().readContract({
    address: stack.deployment.record.pool,
    abi: huzhuPoolAbi,
    functionName,
    args: [planId],
  } as never) as Promise<Address>;

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

  it("proposes another wallet as the plan's admin: a malformed address and the admin itself are refused, a proposal can be withdrawn", async () => {
    await page.getByRole("link", { name: "Run a plan" }).click();
    await useDevWallet(page, ADMIN_WALLET);
    const control = page.getByTestId(`control-${harvest}`);
    await expect.poll(() => control.getByTestId(`pending-admin-${harvest}`).textContent()).toBe("No handover proposed.");
    const newAdmin = control.getByLabel("New admin's address");
    const proposeButton = control.getByRole("button", { name: "Propose as admin" });

    await newAdmin.fill("0x1234");
    await proposeButton.click();
    await expect.poll(() => control.getByRole("alert").textContent()).toBe("New admin: enter an address (0x and 40 hex digits).");
    await newAdmin.fill(devAccount(ADMIN_WALLET).address.toLowerCase());
    await proposeButton.click();
    await expect
      .poll(() => control.getByRole("alert").textContent())
      .toBe(`${devAccount(ADMIN_WALLET).address} is already plan ${harvest}'s admin.`);

    await newAdmin.fill(devAccount(PASSED_OVER_WALLET).address);
    await proposeButton.click();
    await control
      .getByText(new RegExp(`^Proposed ${devAccount(PASSED_OVER_WALLET).address} as plan ${harvest}'s admin`))
      .waitFor({ timeout: 30_000 });
    expect(await readPool("pendingPlanAdmin", harvest)).toBe(devAccount(PASSED_OVER_WALLET).address);
    await control.getByRole("button", { name: "Withdraw the proposal" }).click();
    await control
      .getByText(new RegExp(`^Withdrew the handover of plan ${harvest} in transaction 0x[0-9a-f]{64}: this wallet stays its admin\\.$`))
      .waitFor({ timeout: 30_000 });
    await expect.poll(() => control.getByTestId(`pending-admin-${harvest}`).textContent()).toBe("No handover proposed.");
    expect(await readPool("pendingPlanAdmin", harvest)).toBe(zeroAddress);

    await newAdmin.fill(devAccount(NEXT_ADMIN_WALLET).address);
    await proposeButton.click();
    await control
      .getByText(
        new RegExp(
          `^Proposed ${devAccount(NEXT_ADMIN_WALLET).address} as plan ${harvest}'s admin in transaction 0x[0-9a-f]{64}; this wallet stays admin until it accepts\\.$`,
        ),
      )
      .waitFor({ timeout: 30_000 });
    await expect
      .poll(() => control.getByTestId(`pending-admin-${harvest}`).textContent())
      .toBe(`Handover proposed to ${devAccount(NEXT_ADMIN_WALLET).address}: it becomes the admin once it accepts from its own wallet.`);
    expect(await readPool("pendingPlanAdmin", harvest)).toBe(devAccount(NEXT_ADMIN_WALLET).address);
    expect(await readPool("planAdmin", harvest)).toBe(devAccount(ADMIN_WALLET).address);
  });

  it("refuses the proposed wallet's acceptance when the admin has meanwhile proposed another, saying whom", async () => {
    await useDevWallet(page, NEXT_ADMIN_WALLET);
    const control = page.getByTestId(`control-${harvest}`);
    const accept = control.getByRole("button", { name: "Accept the administration" });
    await accept.waitFor();
    expect(await control.getByRole("button", { name: "Pause plan" }).count()).toBe(0);
    // The admin changes its mind from another device while this page still shows the proposal.
    await proposeFromNode(harvest, PASSED_OVER_WALLET);
    await accept.click();
    await expect
      .poll(() => page.getByRole("alert").textContent(), { timeout: 30_000 })
      .toBe(
        `This wallet (${devAccount(NEXT_ADMIN_WALLET).address}) is not the admin proposed for plan ${harvest} (${devAccount(PASSED_OVER_WALLET).address}).`,
      );
    expect(await readPool("planAdmin", harvest)).toBe(devAccount(ADMIN_WALLET).address);
    // Read again after the refusal: the page no longer offers this wallet the plan.
    await expect.poll(() => page.getByTestId(`control-${harvest}`).count()).toBe(0);
  });

  it("hands the plan over once the proposed wallet accepts in its own page: the new admin is offered the pause button, the old one no plan", async () => {
    await proposeFromNode(harvest, NEXT_ADMIN_WALLET);
    await page.getByRole("link", { name: "Plans" }).click();
    await page.getByRole("link", { name: "Run a plan" }).click();
    const control = page.getByTestId(`control-${harvest}`);
    await control.getByRole("button", { name: "Accept the administration" }).click();
    await control
      .getByText(
        new RegExp(
          `^This wallet is now plan ${harvest}'s admin \\(was ${devAccount(ADMIN_WALLET).address}\\), in transaction 0x[0-9a-f]{64}\\.$`,
        ),
      )
      .waitFor({ timeout: 30_000 });
    expect(await readPool("planAdmin", harvest)).toBe(devAccount(NEXT_ADMIN_WALLET).address);
    expect(await readPool("pendingPlanAdmin", harvest)).toBe(zeroAddress);
    await expect.poll(() => control.getByTestId(`admin-${harvest}`).textContent()).toBe(devAccount(NEXT_ADMIN_WALLET).address);
    await expect.poll(() => control.getByTestId(`pending-admin-${harvest}`).textContent()).toBe("No handover proposed.");
    await control.getByRole("button", { name: "Pause plan" }).waitFor();
    expect(await control.getByRole("button", { name: "Accept the administration" }).count()).toBe(0);

    await useDevWallet(page, ADMIN_WALLET);
    await expect
      .poll(() => page.getByTestId("control-none").textContent())
      .toBe(`This wallet (${devAccount(ADMIN_WALLET).address}) administers no plan.`);
  });
});
