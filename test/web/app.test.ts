/**
 * The member and auditor web app end to end, in headless Chromium against a real stack (Hardhat
 * node, deployment, relayer, web server): create an identity, join with the development wallet,
 * import an assessor's approval file, claim with the proof made in the browser, payout checked on
 * chain; no request the page makes carries the secret or the password; the auditor view verifies
 * the claim and marks a claim paid through a verifier that accepts anything as failed.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import type { Address } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Chain, DEMO_PLAN, DEV_ROLES, devAccount, type LocalDeployment, publicClientFor, rpc } from "../../scripts/lib/stack.ts";
import type { WebServer } from "../../scripts/lib/web.ts";
import {
  decryptIdentity,
  huzhuPoolAbi,
  type Identity,
  poolLogs,
  randomFieldElement,
  releaseProver,
  serializeApproval,
  signApproval,
} from "../../service/sdk/index.ts";
import { launchBrowser } from "../../testkit/browser.ts";
import { poolKit } from "../../testkit/pool.ts";
import { payoutTo, relayerTreeCaughtUp, screenshot, startWebStack, type WebStack } from "../../testkit/web-stack.ts";

const PASSWORD = "correct horse battery staple 7";
const DEV_WALLET_INDEX = 7;

interface Recorded {
  url: string;
  method: string;
  headers: string;
  body: string;
}

let stack: WebStack;
let chain: Chain;
let deployment: LocalDeployment;
let web: WebServer;
let context: BrowserContext;
let page: Page;
let stateDir: string;
const requests: Recorded[] = [];

beforeAll(async () => {
  stack = await startWebStack();
  ({ chain, deployment, web, stateDir } = stack);
  context = await launchBrowser();
  // Every request of the page and of its workers, with headers and body.
  context.on("request", (request) => {
    requests.push({
      url: request.url(),
      method: request.method(),
      headers: JSON.stringify(request.headers()),
      body: request.postData() ?? "",
    });
  });
  page = await context.newPage();
});

afterAll(async () => {
  await context?.close();
  await stack?.stop();
  await releaseProver();
});

describe("web app", () => {
  let identity: Identity;
  let recipient: Address;

  it("creates an identity kept encrypted in the browser", async () => {
    await page.goto(`${web.url}/#/identity`);
    await page.getByLabel("Password", { exact: true }).first().fill(PASSWORD);
    await page.getByLabel("Repeat the password").fill(PASSWORD);
    // By keyboard: Enter in the last field submits the form.
    await page.getByLabel("Repeat the password").press("Enter");
    await page.getByTestId("identity-state").getByText("Unlocked").waitFor({ timeout: 30_000 });
    const keystore = JSON.parse((await page.evaluate(() => localStorage.getItem("huzhu.keystore"))) ?? "null");
    expect(keystore.kind).toBe("huzhu-identity");
    identity = await decryptIdentity(keystore, PASSWORD);
    expect(await page.getByTestId("commitment").textContent()).toBe(identity.commitment.toString());
    await screenshot(page, "identity");
  });

  it("refuses a wrong password with what to do next", async () => {
    await page.getByRole("button", { name: "Lock" }).click();
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Unlock" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("Wrong password. Type it again");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Unlock" }).click();
    await page.getByTestId("identity-state").getByText("Unlocked").waitFor({ timeout: 30_000 });
  });

  it("lists the plans and joins one, paying from the development wallet", async () => {
    await page.getByRole("link", { name: "Plans" }).click();
    await page.getByText(DEMO_PLAN.name).waitFor();
    await expect.poll(() => page.getByTestId("cover-1").textContent()).toContain("not a member");
    await page.getByLabel("Development account").selectOption(String(DEV_WALLET_INDEX));
    await page.getByRole("button", { name: "Use development wallet" }).click();
    await expect.poll(() => page.getByTestId("payer").textContent()).toContain(devAccount(DEV_WALLET_INDEX).address);
    await page.getByRole("button", { name: "Get 1,000 demo tokens" }).click();
    await expect.poll(() => page.getByTestId("payer-balance").textContent(), { timeout: 30_000 }).toContain("1,000 dUSD");
    await page.getByRole("button", { name: "Join" }).click();
    await expect.poll(() => page.getByTestId("cover-1").textContent(), { timeout: 60_000 }).toContain("covered, epochs 0–2");
    await screenshot(page, "plans");
  });

  it("shows the plan's category and terms, checks the terms against the hash on chain, and takes a donation", async () => {
    const card = page.locator('article[data-plan="1"]');
    expect(await card.textContent()).toContain("medical costs");
    expect(await page.getByTestId("terms-1").textContent()).toContain(`${web.url}/terms/demo-medical.md`);
    await card.getByRole("button", { name: "Check the terms" }).click();
    await card.getByText("The text at this address is the plan's: its hash matches the one on chain.").waitFor();
    expect(await page.getByTestId("donated-1").textContent()).toBe("0 dUSD");
    await card.getByLabel(/Amount to give/).fill("5");
    await card.getByRole("button", { name: "Donate" }).click();
    await card.getByText(/Thank you: donated in transaction 0x[0-9a-f]{64}/).waitFor({ timeout: 30_000 });
    await expect.poll(() => page.getByTestId("donated-1").textContent()).toBe("5 dUSD");
    const books = await publicClientFor(chain.rpcUrl).readContract({
      address: deployment.record.pool,
      abi: huzhuPoolAbi,
      functionName: "books",
      args: [1n],
    });
    expect(books.donated).toBe(5_000_000n);
  });

  it("imports an assessor's approval file and claims through the relayer; the payout arrives", async () => {
    const approval = signApproval(deployment.assessor, {
      commitment: identity.commitment,
      planId: 1n,
      eventId: randomFieldElement(),
      amount: 20_000_000n,
      expiresAtEpoch: 2n,
    });
    const file = join(stateDir, "approval.json");
    writeFileSync(file, JSON.stringify(serializeApproval(approval)));
    recipient = privateKeyToAccount(generatePrivateKey()).address;

    await page.getByRole("link", { name: "Claim" }).click();
    await page.getByTestId("approval-file").setInputFiles(file);
    const summary = page.getByTestId("approval-summary");
    await expect.poll(() => summary.textContent()).toContain("20 dUSD");
    expect(await summary.textContent()).toContain("your identity");
    await page.getByTestId("relayer-info").waitFor();
    await page.getByLabel(/Recipient address/).fill(recipient);
    // The gas drop is offered, and on, by default.
    expect(await page.getByRole("checkbox", { name: /ETH of gas to the recipient/ }).isChecked()).toBe(true);
    // The relayer indexes the member's join on its own schedule; the claim below must find it there.
    await relayerTreeCaughtUp({ chain, deployment, web }, 1n);
    const before = requests.length;
    await page.getByRole("button", { name: "Make the proof and send the claim" }).click();
    await page.getByRole("progressbar").waitFor({ timeout: 30_000 });
    // The proof runs in a Web Worker of its own (the prover's module), not on the page's main thread.
    expect(page.workers().map((worker) => worker.url())).toContainEqual(expect.stringMatching(/prove\.worker/));
    await page.getByTestId("claim-done").waitFor({ timeout: 120_000 });
    await screenshot(page, "claim");

    const client = publicClientFor(chain.rpcUrl);
    const { request, received } = await payoutTo({ chain, deployment }, recipient);
    // The relayer's default fee is 1% (0.2 dUSD), plus the gas drop's price in dUSD.
    expect(request.fee).toBeGreaterThan(200_000n);
    expect(received).toBe(20_000_000n - request.fee);
    expect(request.gasDrop).toBeGreaterThan(0n);
    expect(await client.getBalance({ address: recipient })).toBe(request.gasDrop);
    expect(await page.getByTestId("claim-done").textContent()).toContain(recipient);
    expect(await page.getByTestId("claim-done").textContent()).toContain("ETH to pay gas for moving it");
    // The worker took the member tree from the relayer's snapshot (whole, or the update since one the
    // plan list cached), asking for the whole plan's tree and nothing that names the member, and
    // cached it in IndexedDB for the next claim.
    const treeRequests = requests.slice(before).filter((r) => r.url.startsWith(`${web.config.relayerUrl}/v1/plans/1/tree`));
    expect(treeRequests.map((r) => new URL(r.url).pathname)).toEqual([expect.stringMatching(/^\/v1\/plans\/1\/tree(\/[0-9]+\/update)?$/)]);
    const cached = await page.evaluate(
      () =>
        new Promise<string[]>((resolve, reject) => {
          const opened = indexedDB.open("huzhu-trees");
          opened.onerror = () => reject(opened.error);
          opened.onsuccess = () => {
            const keys = opened.result.transaction("snapshots").objectStore("snapshots").getAllKeys();
            keys.onsuccess = () => resolve(keys.result.map(String));
          };
        }),
    );
    expect(cached).toEqual([`${deployment.record.chainId}-${deployment.record.pool.toLowerCase()}-1`]);
    const commitment = identity.commitment.toString();
    expect(requests.filter((r) => r.url.includes(commitment) || r.body.includes(commitment))).toEqual([]);
  });

  it("sends no request that carries the identity secret or the keystore password", () => {
    const secrets = [
      identity.export(),
      identity.secretScalar.toString(),
      identity.secretScalar.toString(16),
      identity.privateKey.toString(),
      PASSWORD,
      encodeURIComponent(PASSWORD),
    ].filter((s) => typeof s === "string" && s.length >= 8);
    expect(requests.length).toBeGreaterThan(10);
    // The page did talk to the chain, the relayer and its own server.
    expect(requests.some((r) => r.url.includes("/v1/claims") && r.method === "POST")).toBe(true);
    for (const request of requests) {
      const text = `${request.url}\n${request.headers}\n${request.body}`.toLowerCase();
      for (const secret of secrets) expect(text.includes(secret.toLowerCase()), `${request.method} ${request.url}`).toBe(false);
    }
  });

  it("re-verifies the claim's proof in the auditor view", async () => {
    await page.getByRole("link", { name: "Audit" }).click();
    const summary = page.getByTestId("audit-summary");
    await summary.waitFor({ timeout: 60_000 });
    expect(await summary.getAttribute("data-claims")).toBe("1");
    expect(await summary.getAttribute("data-failed")).toBe("0");
    expect(await page.getByTestId("verifier-check").textContent()).toBe("verified");
    expect(await page.locator('tr[data-verified="true"]').count()).toBe(1);
    await screenshot(page, "audit");
  });

  it("shows the audit tables as label-value cards on a phone, with nothing scrolling sideways", async () => {
    const table = page.getByTestId("claims-table");
    const widths = () =>
      table.evaluate((el) => ({
        table: el.scrollWidth,
        box: (el.parentElement as HTMLElement).clientWidth,
        display: getComputedStyle(el).display,
      }));
    expect((await widths()).display).toBe("table");
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      const phone = await widths();
      expect(phone.display).toBe("block");
      expect(phone.table).toBeLessThanOrEqual(phone.box);
      const amount = table.locator('tr[data-verified="true"] td[data-label="Amount"]');
      expect(await amount.evaluate((el) => getComputedStyle(el, "::before").content)).toBe('"Amount"');
      expect(await amount.textContent()).toBe("20 dUSD");
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it("marks as failed a claim a pool paid through a verifier that accepts any proof", async () => {
    // A second pool on the same chain whose verifier accepts anything, paying a claim whose proof
    // is the real one above replayed with other public inputs.
    // Every part played by the stack's admin account: the relayer process owns account 1's nonces.
    const admin = DEV_ROLES.admin;
    const bad = await poolKit({
      rpcUrl: chain.rpcUrl,
      acceptingVerifier: true,
      roles: { admin, planAdmin: admin, payer: admin, relayer: admin, outsider: admin },
    });
    const planId = await bad.createPlan(await bad.deployToken("demo", 1_000_000_000n), DEMO_PLAN.name, { rules: DEMO_PLAN, assessors: 0 });
    await bad.addAssessor(planId, deployment.assessor);
    await bad.join(planId, 12);
    const { publicClient } = bad;
    const [paid] = await poolLogs(
      { client: publicClient, pool: deployment.record.pool, fromBlock: BigInt(deployment.record.deployBlock) },
      ["ClaimPaid"],
    );
    if (!paid) throw new Error("expected the claim paid above");
    const [memberRoot] = await bad.pool.read.memberTree([planId]);
    await bad.submit(
      {
        planId,
        claimEpoch: await bad.currentEpoch(planId),
        amount: 50_000_000n,
        memberRoot,
        memberRootSeq: await bad.pool.read.memberRootSeq([planId, memberRoot]),
        assessorRoot: await bad.pool.read.assessorRoot([planId]),
        nullifier: randomFieldElement(),
        recipient: privateKeyToAccount(generatePrivateKey()).address,
        relayer: bad.accounts.relayer.account.address,
        fee: 0n,
        gasDrop: 0n,
      },
      paid.args.proof,
    );
    const block = await publicClient.getBlockNumber();

    await page.goto(`${web.url}/?pool=${bad.pool.address}&fromBlock=${block - 20n}#/audit`);
    const summary = page.getByTestId("audit-summary");
    await summary.waitFor({ timeout: 60_000 });
    expect(await summary.getAttribute("data-claims")).toBe("1");
    expect(await summary.getAttribute("data-failed")).toBe("1");
    expect(await page.locator('tr[data-verified="false"]').count()).toBe(1);
    expect(await page.locator('tr[data-verified="false"]').textContent()).toContain("FAILED");
    // Its verifier is not the published key's.
    expect(await page.getByTestId("verifier-check").textContent()).toBe("FAILED");
    await screenshot(page, "audit-tampered");
  });

  it("switches the interface to Simplified Chinese", async () => {
    await page.getByRole("button", { name: "切换到简体中文" }).click();
    await expect.poll(() => page.locator("html").getAttribute("lang")).toBe("zh-CN");
    expect(await page.getByRole("heading", { level: 2 }).textContent()).toBe("审计资金池");
    expect(await page.getByRole("link", { name: "理赔" }).count()).toBe(1);
    expect(await page.getByTestId("verifier-check").textContent()).toBe("验证失败");
    await screenshot(page, "audit-zh");
    await page.getByRole("button", { name: "Switch to English" }).click();
    await expect.poll(() => page.getByRole("heading", { level: 2 }).textContent()).toBe("Audit the pool");
  });

  it("refuses to audit what is not an address, saying what to enter", async () => {
    await page.getByLabel("Pool address").fill("0x12");
    await page.getByRole("button", { name: "Audit", exact: true }).click();
    await page.getByText("0x12 is not an address: enter the pool contract's address (0x and 40 hex digits).").waitFor();
  });

  it("says what to do when the approval expired and the coverage lapsed", async () => {
    // Three days later: epoch 3, past the approval (epoch 2) and the paid cover (epochs 0-2).
    await rpc(chain.rpcUrl, "evm_increaseTime", [3 * 86_400]);
    await rpc(chain.rpcUrl, "evm_mine");
    const approval = signApproval(deployment.assessor, {
      commitment: identity.commitment,
      planId: 1n,
      eventId: randomFieldElement(),
      amount: 20_000_000n,
      expiresAtEpoch: 2n,
    });
    const file = join(stateDir, "approval-late.json");
    writeFileSync(file, JSON.stringify(serializeApproval(approval)));
    // A new page load: the identity is locked again until the member types the password.
    await page.goto(`${web.url}/#/identity`);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByLabel("Password").press("Enter");
    await page.getByTestId("identity-state").getByText("Unlocked").waitFor({ timeout: 30_000 });
    await page.getByRole("link", { name: "Claim" }).click();
    await page.getByTestId("approval-file").setInputFiles(file);
    await expect.poll(() => page.getByTestId("approval-summary").textContent()).toContain("expired (now epoch 3)");
    await page.getByLabel(/Recipient address/).fill(privateKeyToAccount(generatePrivateKey()).address);
    await page.getByRole("button", { name: "Make the proof and send the claim" }).click();
    await expect
      .poll(() => page.getByRole("alert").textContent(), { timeout: 30_000 })
      .toContain("Your coverage has lapsed: renew the plan");
  });
});
