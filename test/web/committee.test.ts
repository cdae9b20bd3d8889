/**
 * A 3-of-5 committee in the web app, end to end in headless Chromium against a real stack (Hardhat
 * node, deployment, relayer, desk, web server): five assessors make their key set by DKG through
 * the desk (in Node, as `huzhu committee join` does), the plan admin adds the group key on chain,
 * three of them sign in with their assessor and committee key files in three browsers of their own,
 * a member files a case in a fourth, the three approve the same terms (one types them, two agree
 * with another member's), each page signs its share by itself, and the member claims the
 * committee's approval from "My cases" and is paid. No request carries a share, a key or a password.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEV_ROLES, joinMembers } from "../../scripts/lib/stack.ts";
import { assessorKeyFile } from "../../service/cli/lib/assessor-key.ts";
import { type AssessorKey, generateAssessorKey } from "../../service/sdk/assessor.ts";
import { sealCommitteeKey } from "../../service/sdk/committee/key-file.ts";
import { committeePublicKey } from "../../service/sdk/committee/key-set.ts";
import type { CommitteeShare } from "../../service/sdk/committee/share.ts";
import { DeskClient } from "../../service/sdk/desk/client.ts";
import { joinCommitteeRun, startCommitteeRun } from "../../service/sdk/desk/committee-flows.ts";
import { createIdentity, type Identity, releaseProver } from "../../service/sdk/index.ts";
import { addAssessorOnChain } from "../../testkit/assessors.ts";
import { launchBrowser } from "../../testkit/browser.ts";
import { claimFromMyCase, type DeskWebStack, startDeskWebStack } from "../../testkit/desk-web-stack.ts";
import { payoutTo, screenshot } from "../../testkit/web-stack.ts";
import { describeCase, importIdentityInPage } from "./pages.ts";

const PASSWORD = "member password for the committee case 4";
const KEY_PASSWORD = "committee member key password 7";

let stack: DeskWebStack;
let identity: Identity;
let member: BrowserContext;
let memberPage: Page;
const assessors: BrowserContext[] = [];
const pages: Page[] = [];
const keys: AssessorKey[] = Array.from({ length: 5 }, () => generateAssessorKey());
let shares: CommitteeShare[];
const keyFiles: string[] = [];
const shareFiles: string[] = [];
const bodies: string[] = [];

beforeAll(async () => {
  stack = await startDeskWebStack();
  identity = createIdentity();
  await joinMembers(stack.chain.rpcUrl, stack.deployment.record, [identity], 3);

  // The five members' DKG, each with its own key, through the desk.
  const desk = new DeskClient(stack.deskUrl);
  const run = await startCommitteeRun(desk, {
    planId: 1n,
    threshold: 3,
    members: keys.map((k) => k.publicKey),
    key: keys[0] as AssessorKey,
  });
  const joined = await Promise.all(keys.map((k) => joinCommitteeRun(desk, run.dkgId, k, { pollMs: 100 })));
  shares = joined.map((j) => j.share);
  const groupKey = committeePublicKey((shares[0] as CommitteeShare).keySet);
  await addAssessorOnChain(stack.chain.rpcUrl, stack.deployment.record.pool, groupKey, { adminAccount: DEV_ROLES.admin });
  for (const [i, key] of keys.entries()) {
    const keyFile = join(stack.stateDir, `assessor-${i + 1}.json`);
    const shareFile = join(stack.stateDir, `committee-${i + 1}.json`);
    writeFileSync(keyFile, JSON.stringify(await assessorKeyFile(key, KEY_PASSWORD)));
    writeFileSync(shareFile, JSON.stringify(await sealCommitteeKey(shares[i] as CommitteeShare, KEY_PASSWORD)));
    keyFiles.push(keyFile);
    shareFiles.push(shareFile);
  }

  member = await launchBrowser();
  memberPage = await member.newPage();
  for (let i = 0; i < 3; i++) {
    const context = await launchBrowser();
    assessors.push(context);
    pages.push(await context.newPage());
  }
  for (const context of [member, ...assessors]) {
    context.on("request", (request) => {
      bodies.push(`${request.url()}\n${JSON.stringify(request.headers())}\n${request.postDataBuffer()?.toString("latin1") ?? ""}`);
    });
  }
}, 300_000);

afterAll(async () => {
  for (const context of [member, ...assessors]) await context?.close();
  await stack?.stop();
  await releaseProver();
});

/** Signs page `page` in as assessor `keyIndex` with committee file `shareIndex`, with `committeePassword`. */
async function signIn(page: Page, keyIndex: number, shareIndex: number, committeePassword = KEY_PASSWORD): Promise<void> {
  if (!page.url().includes("#/assessor")) await page.goto(`${stack.deskWeb.url}/#/assessor`);
  await page.getByTestId("assessor-key-file").setInputFiles(keyFiles[keyIndex] as string);
  await page.getByLabel("Key file password", { exact: true }).fill(KEY_PASSWORD);
  await page.getByTestId("committee-key-file").setInputFiles(shareFiles[shareIndex] as string);
  await page.getByTestId("committee-key-password").fill(committeePassword);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** Opens the (only) new case in page `page` and returns its review section. */
async function openCase(page: Page) {
  await page.getByRole("button", { name: "Refresh" }).click();
  const queue = page.getByTestId("queue-queueNew");
  await queue.getByRole("button", { name: /new/ }).first().waitFor({ timeout: 30_000 });
  await queue.getByRole("button", { name: /new/ }).first().click();
  const review = page.getByTestId("case-review");
  await review.getByTestId("committee-voting").waitFor({ timeout: 60_000 });
  return review;
}

describe("a 3-of-5 committee in the web app", () => {
  let caseId: string;

  it("refuses a wrong committee password and another member's committee file, then signs three members in", async () => {
    const first = pages[0] as Page;
    await signIn(first, 0, 0, "not the password");
    await expect
      .poll(() => first.getByRole("alert").textContent(), { timeout: 60_000 })
      .toContain("Wrong password for the committee key file. Type it again.");
    await signIn(first, 0, 1);
    await expect
      .poll(() => first.getByRole("alert").textContent(), { timeout: 60_000 })
      .toContain("Your assessor key is not member 2's key in this committee: choose your own committee key file.");
    for (const [i, page] of pages.entries()) {
      await signIn(page, i, i);
      await expect
        .poll(() => page.getByTestId("committee-member").textContent(), { timeout: 60_000 })
        .toBe(`Member ${i + 1} of a 3-of-5 committee.`);
    }
  });

  it("shows the committee's k of n in the plans comparison, and lets the member file a case sealed to the three members who signed in", async () => {
    await importIdentityInPage(memberPage, stack.deskWeb.url, identity.export(), PASSWORD);
    // Comparing plans, the member sees who approves a claim: the committee's k of n beside the demo's own assessor key.
    await memberPage.getByRole("navigation").getByRole("link", { name: "Plans" }).click();
    await expect
      .poll(() => memberPage.getByTestId("approvers-1").textContent(), { timeout: 60_000 })
      .toBe("any one of: a committee, 3 of 5 members; 1 assessor key(s) signing alone");
    const form = await describeCase(memberPage, {
      date: "2026-11-21",
      description: "Flooded kitchen after the storm; a new floor.",
      amount: "20",
    });
    await form.getByRole("button", { name: "Encrypt and file the claim" }).click();
    const filed = memberPage.getByTestId("case-filed");
    await filed.waitFor({ timeout: 60_000 });
    caseId = (await filed.getAttribute("data-case")) ?? "";
    expect(caseId).toMatch(/^[A-Za-z0-9_-]{16,64}$/);
  });

  it("approves with three members' votes on the same terms, each page signing its share itself", async () => {
    const [one, two, three] = await Promise.all(pages.map(openCase));
    if (!one || !two || !three) throw new Error("expected three reviews");
    expect(await one.getAttribute("data-case")).toBe(caseId);

    await one.getByLabel(/Amount to approve/).fill("12");
    await one.getByRole("button", { name: "Sign and approve" }).click();
    await expect.poll(() => one.getByTestId("committee-step").getAttribute("data-step"), { timeout: 60_000 }).toBe("waiting");
    expect(await one.getByTestId("committee-step").textContent()).toBe("Waiting for 3 approvals (1 of 3).");

    // Member 2 reads member 1's terms, opened on its own device, and agrees with them.
    const vote = two.locator('[data-testid="committee-vote"][data-member="1"]');
    await expect.poll(() => vote.textContent(), { timeout: 30_000 }).toContain("Member 1 approves 12 dUSD");
    await vote.getByTestId("committee-agree").click();
    await expect.poll(() => two.getByLabel(/Amount to approve/).inputValue()).toBe("12");
    await two.getByRole("button", { name: "Sign and approve" }).click();
    await expect.poll(() => two.getByTestId("committee-step").textContent(), { timeout: 60_000 }).toBe("Waiting for 3 approvals (2 of 3).");
    await screenshot(pages[1] as Page, "committee-vote");

    const agree = three.locator('[data-testid="committee-vote"][data-member="2"] [data-testid="committee-agree"]');
    await agree.waitFor({ timeout: 30_000 });
    await agree.click();
    await three.getByRole("button", { name: "Sign and approve" }).click();

    // Every page signs its share without a further click, and sees the committee's decision.
    for (const review of [one, two, three]) {
      await expect.poll(() => review.getAttribute("data-status"), { timeout: 90_000 }).toBe("approved");
    }
    for (const page of pages) {
      await expect.poll(() => page.getByTestId("queue-queueDecided").textContent(), { timeout: 30_000 }).toContain("approved");
    }
  });

  it("lets the member claim the committee's approval, and the payout arrives", async () => {
    await memberPage.getByRole("navigation").getByRole("link", { name: "My cases" }).click();
    await memberPage.getByRole("button", { name: "Refresh" }).click();
    const card = memberPage.locator(`[data-testid="my-case"][data-case="${caseId}"]`);
    await expect.poll(() => card.getAttribute("data-status"), { timeout: 60_000 }).toBe("approved");
    expect(await card.getByTestId("case-approved").textContent()).toContain("Approved: 12 dUSD");
    const recipient = await claimFromMyCase(memberPage, caseId);
    const { request, received } = await payoutTo(stack, recipient);
    expect(request.amount).toBe(12_000_000n);
    expect(received).toBe(12_000_000n - request.fee);
  });

  it("sends no request that carries a share, an assessor key or a password", () => {
    const secrets = [
      KEY_PASSWORD,
      PASSWORD,
      identity.export(),
      ...shares.slice(0, 3).map((s) => s.signingShare),
      ...keys.slice(0, 3).map((k) => k.privateKey.replace(/^0x/, "")),
    ];
    expect(bodies.some((b) => b.includes("/votes"))).toBe(true);
    for (const body of bodies) {
      const text = body.toLowerCase();
      for (const secret of secrets) expect(text.includes(secret.toLowerCase())).toBe(false);
    }
  });
});
