/**
 * A plan's admin controls and the plan comparison in the web app, in headless Chromium against a
 * real stack (Hardhat node, deployment, relayer, web server): the plan's admin pauses and resumes
 * it and the plans list follows; the admin proposes another wallet as admin, and that wallet accepts
 * in its own page (refused while the proposal names another); a member joins a plan with an
 * admission officer with the officer's voucher, signed in Node, after a voucher for another
 * commitment, an expired one and none are refused, each before any transaction; the plan
 * comparison shows what each plan paid in its last 3 periods, a claim paid in Node counted until
 * it is older than that; the new lines in Simplified Chinese.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { type Address, createWalletClient, http, type PublicClient, parseEventLogs, zeroAddress } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_PLAN, DEV_ROLES, devAccount, joinMembers, publicClientFor, rpc } from "../../scripts/lib/stack.ts";
import { signAdmissionVoucher, voucherToJson } from "../../service/sdk/chain/admission.ts";
import { buildClaim, createIdentity, huzhuPoolAbi, randomFieldElement, releaseProver, signApproval } from "../../service/sdk/index.ts";
import { claimArtifacts } from "../../service/sdk/node.ts";
import { launchBrowser } from "../../testkit/browser.ts";
import { screenshot, startWebStack, type WebStack } from "../../testkit/web-stack.ts";
import { createIdentityInPage, useDevWallet } from "./pages.ts";

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
const VETTED = "Vetted village fund";
/** The vetted plan's admin, and its admission officer. */
const VETTED_ADMIN_WALLET = 13;
const OFFICER_WALLET = 7;
/** The wallet the member pays from. */
const MEMBER_WALLET = 14;
/** The demo plan's claimant joins from this wallet, and this one submits its claim. */
const CLAIMANT_WALLET = 15;
const SUBMITTER_WALLET = 16;

let stack: WebStack;
let context: BrowserContext;
let page: Page;
let harvest: bigint;
let vetted: bigint;

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

/** The officer's (or `signer`'s) voucher admitting `commitment` to the vetted plan until `expiresAt`, as a file's text. */
async function voucherText(commitment: bigint, expiresAt: bigint, signer = OFFICER_WALLET): Promise<string> {
  const voucher = await signAdmissionVoucher(devAccount(signer).account, {
    chainId: BigInt(stack.deployment.record.chainId),
    pool: stack.deployment.record.pool,
    planId: vetted,
    commitment,
    expiresAt,
  });
  return JSON.stringify(voucherToJson(voucher), null, 2);
}

const latestTime = async () => (await client().getBlock({ blockTag: "latest" })).timestamp;

const planActive = async (planId: bigint) =>
  (await client().readContract({ address: stack.deployment.record.pool, abi: huzhuPoolAbi, functionName: "getPlan", args: [planId] }))
    .active;

beforeAll(async () => {
  stack = await startWebStack();
  harvest = await createPlan(HARVEST, devAccount(ADMIN_WALLET).address);
  vetted = await createPlan(VETTED, devAccount(VETTED_ADMIN_WALLET).address);
  await client().waitForTransactionReceipt({
    hash: await walletOf(VETTED_ADMIN_WALLET).writeContract({
      address: stack.deployment.record.pool,
      abi: huzhuPoolAbi,
      functionName: "setAdmissionOfficer",
      args: [vetted, devAccount(OFFICER_WALLET).address],
    }),
  });
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

describe("joining a plan with an admission voucher in the web app", () => {
  let commitment: bigint;
  const card = () => page.locator(`article[data-plan="${vetted}"]`);
  const sent = () => client().getTransactionCount({ address: devAccount(MEMBER_WALLET).address });
  const coverage = () =>
    client().readContract({
      address: stack.deployment.record.pool,
      abi: huzhuPoolAbi,
      functionName: "coverageOf",
      args: [vetted, commitment],
    });

  /** Clicks Join and waits for the refusal: its sentence, and the SDK's reason in small print. */
  async function refused(text: string, detail?: string): Promise<void> {
    await card().getByRole("button", { name: "Join" }).click();
    const alert = card().getByRole("alert");
    await expect.poll(() => alert.locator("div").first().textContent(), { timeout: 30_000 }).toBe(text);
    if (detail !== undefined) expect(await alert.locator(".detail").textContent()).toBe(detail);
  }

  it("shows the plan admits by voucher, and refuses a join without one, naming the commitment to give the officer", async () => {
    const keystore = JSON.parse((await page.evaluate(() => localStorage.getItem("huzhu.keystore"))) ?? "null");
    commitment = BigInt(keystore.commitment);
    await page.getByRole("link", { name: "Plans" }).click();
    await useDevWallet(page, MEMBER_WALLET);
    await page.getByRole("button", { name: "Get 1,000 demo tokens" }).click();
    await expect.poll(() => page.getByTestId("payer-balance").textContent(), { timeout: 30_000 }).toContain("1,000 dUSD");
    await card().waitFor({ timeout: 30_000 });
    expect(await page.getByTestId(`admission-${vetted}`).textContent()).toBe("with its admission officer's voucher");
    expect(await page.getByTestId(`admission-${harvest}`).textContent()).toBe("open to anyone who pays");
    const before = await sent();
    await refused(
      `Plan ${vetted} admits members only with its admission officer's voucher: give the officer your commitment ${commitment}, then choose or paste the voucher they send.`,
    );
    expect(await sent()).toBe(before);
  });

  it("refuses a voucher for another commitment, before any transaction", async () => {
    const other = commitment + 1n;
    const file = join(stack.stateDir, "voucher-other.json");
    writeFileSync(file, await voucherText(other, (await latestTime()) + 3_600n));
    const before = await sent();
    await card().getByTestId(`voucher-file-${vetted}`).setInputFiles(file);
    await expect.poll(() => card().getByLabel("or paste the voucher (JSON)").inputValue()).toContain(`"commitment": "${other}"`);
    await refused(
      "This voucher does not admit this identity to this plan: it names another commitment, plan or pool. Ask the plan's admission officer for a voucher for your commitment.",
      `this voucher is for commitment ${other}, not this identity's ${commitment}`,
    );
    expect(await sent()).toBe(before);
    expect((await coverage()).joined).toBe(false);
  });

  it("refuses an expired voucher pasted as text, one signed by a wallet that is not the officer, and one that is not a voucher", async () => {
    const before = await sent();
    await card()
      .getByLabel("or paste the voucher (JSON)")
      .fill(await voucherText(commitment, (await latestTime()) - 1n));
    await refused("This voucher has expired. Ask the plan's admission officer for a new one.");
    await card()
      .getByLabel("or paste the voucher (JSON)")
      .fill(await voucherText(commitment, (await latestTime()) + 3_600n, OTHER_WALLET));
    await refused(
      "This voucher is not signed by the plan's admission officer (or it was altered). Ask the officer for it again.",
      `this voucher is signed by ${devAccount(OTHER_WALLET).address}, not by the plan's admission officer ${devAccount(OFFICER_WALLET).address}`,
    );
    await card().getByLabel("or paste the voucher (JSON)").fill('{"kind": "huzhu-approval"}');
    await refused(
      "This is not an admission voucher (or it was altered). Choose the file the plan's admission officer sent, or paste its text.",
      'not an admission voucher (its "kind" is not "huzhu-admission-voucher")',
    );
    expect(await sent()).toBe(before);
  });

  it("joins with the officer's voucher from a file: the pool records the member and the card its cover", async () => {
    const file = join(stack.stateDir, "voucher.json");
    writeFileSync(file, await voucherText(commitment, (await latestTime()) + 3_600n));
    await card().getByTestId(`voucher-file-${vetted}`).setInputFiles(file);
    await expect.poll(() => card().getByLabel("or paste the voucher (JSON)").inputValue()).toContain(`"commitment": "${commitment}"`);
    await card().getByLabel("Periods").fill("2");
    await card().getByRole("button", { name: "Join" }).click();
    await expect.poll(() => page.getByTestId(`cover-${vetted}`).textContent(), { timeout: 60_000 }).toContain("covered, epochs 0–1");
    expect(await coverage()).toMatchObject({ joined: true, eligibleFrom: 0, paidThrough: 1 });
    const [joined] = await client().getContractEvents({
      address: stack.deployment.record.pool,
      abi: huzhuPoolAbi,
      eventName: "MemberJoined",
      args: { planId: vetted, commitment },
      fromBlock: 0n,
    });
    expect(joined?.args.payer).toBe(devAccount(MEMBER_WALLET).address);
    expect(joined?.args.paid).toBe(2n * DEMO_PLAN.contribution);
    expect(await card().getByTestId(`voucher-${vetted}`).count()).toBe(0);
    await screenshot(page, "plans-voucher");
  });
});

describe("comparing plans: what each paid in its last 3 periods", () => {
  const paidRecently = (planId: bigint) => page.getByTestId(`paid-recently-${planId}`).textContent();
  const refreshed = async (planId: bigint) => {
    await page.getByRole("button", { name: "Refresh" }).click();
    return paidRecently(planId);
  };

  it("shows no payouts for plans that paid none", async () => {
    await page.getByRole("link", { name: "Plans" }).click();
    await expect.poll(() => paidRecently(1n), { timeout: 30_000 }).toBe("claims paid: 0, 0 dUSD with relayer fees (epochs 0–0)");
    expect(await page.locator("dt", { hasText: "Paid in the last 3 periods" }).count()).toBe(3);
  });

  it("counts a claim the demo plan paid (amount and fee), and not in the other plans", async () => {
    const rpcUrl = stack.chain.rpcUrl;
    const record = stack.deployment.record;
    const ref = { client: client() as unknown as PublicClient, pool: record.pool, fromBlock: BigInt(record.deployBlock) };
    const identity = createIdentity();
    await joinMembers(rpcUrl, record, [identity], 3, CLAIMANT_WALLET);
    const approval = signApproval(stack.deployment.assessor, {
      commitment: identity.commitment,
      planId: 1n,
      eventId: randomFieldElement(),
      amount: 20_000_000n,
      expiresAtEpoch: 2n,
    });
    const submitter = devAccount(SUBMITTER_WALLET).address;
    const claim = await buildClaim(ref, {
      identity,
      approval,
      recipient: privateKeyToAccount(generatePrivateKey()).address,
      relayer: submitter,
      fee: 500_000n,
      artifacts: claimArtifacts(),
    });
    const hash = await walletOf(SUBMITTER_WALLET).writeContract({
      address: record.pool,
      abi: huzhuPoolAbi,
      functionName: "claim",
      args: [claim.request, claim.solidityProof] as never,
    });
    expect((await client().waitForTransactionReceipt({ hash })).status).toBe("success");

    await expect.poll(() => refreshed(1n), { timeout: 30_000 }).toBe("claims paid: 1, 20 dUSD with relayer fees (epochs 0–0)");
    expect(await paidRecently(harvest)).toBe("claims paid: 0, 0 dUSD with relayer fees (epochs 0–0)");
    await screenshot(page, "plans-paid-recently");
  });

  it("leaves the claim out once it is older than the last 3 periods", async () => {
    await rpc(stack.chain.rpcUrl, "evm_increaseTime", [3 * Number(DEMO_PLAN.periodLength)]);
    await rpc(stack.chain.rpcUrl, "evm_mine");
    await expect.poll(() => refreshed(1n), { timeout: 30_000 }).toBe("claims paid: 0, 0 dUSD with relayer fees (epochs 1–3)");
  });

  it("shows the new lines in Simplified Chinese", async () => {
    await page.getByRole("button", { name: "切换到简体中文" }).click();
    await expect.poll(() => paidRecently(1n)).toBe("已支付理赔 0 笔，含中继费共 0 dUSD（第 1–3 期）");
    expect(await page.locator("dt", { hasText: "最近 3 期已支付" }).count()).toBe(3);
    expect(await page.getByTestId(`admission-${vetted}`).textContent()).toBe("需入会审核员的凭证");
    await page.getByRole("link", { name: "管理计划" }).click();
    await expect.poll(() => page.getByRole("heading", { name: "此钱包管理的计划" }).count()).toBe(1);
    await expect
      .poll(() => page.getByTestId("control-none").textContent())
      .toBe(`此钱包（${devAccount(MEMBER_WALLET).address}）不管理任何计划。`);
    await page.getByRole("button", { name: "Switch to English" }).click();
  });
});
