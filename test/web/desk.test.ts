/**
 * The claims desk in the web app, end to end in headless Chromium against a real stack (Hardhat
 * node, deployment, relayer, desk, web server): a member files a case with a PDF (picked) and a
 * photo (dropped), the assessor signs in with an encrypted key file in a browser of its own, opens
 * the case and sees the files decrypted, asks for more, the member replies with a file, the assessor
 * approves less than asked, and the member claims from "My cases" and is paid. No request of either
 * browser carries the identity secret, the assessor's key, a password or the case's plaintext, and
 * the desk's database and log hold none of it.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { crc32, deflateSync } from "node:zlib";
import type { BrowserContext, Page } from "playwright-core";
import type { Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { joinMembers } from "../../scripts/lib/stack.ts";
import { assessorKeyFile } from "../../service/cli/lib/assessor-key.ts";
import { createIdentity, type Identity, releaseProver } from "../../service/sdk/index.ts";
import { launchBrowser } from "../../testkit/browser.ts";
import { claimFromMyCase, type DeskWebStack, startDeskWebStack } from "../../testkit/desk-web-stack.ts";
import { payoutTo, screenshot } from "../../testkit/web-stack.ts";
import { describeCase, importIdentityInPage } from "./pages.ts";

const MARKER = "desk-web-plaintext-marker-5c1e";
const PASSWORD = "member password for the desk 3";
const KEY_PASSWORD = "assessor key file password 9";

interface Recorded {
  url: string;
  method: string;
  headers: string;
  body: string;
}

/** A 24x16 RGB PNG (a gradient) carrying `text` in a tEXt chunk. */
function png(text: string): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), body.length + 4);
    return out;
  };
  const [width, height] = [24, 16];
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) rows.set([x * 10, y * 15, 128], y * (width * 3 + 1) + 1 + x * 3);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("tEXt", Buffer.from(`Comment\0${text}`, "latin1")),
    chunk("IDAT", deflateSync(rows)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** A one-page PDF whose text is `text`. */
function pdf(text: string): Buffer {
  const stream = `BT /F1 18 Tf 40 100 Td (${text}) Tj ET`;
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 200] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
  ];
  let body = "%PDF-1.4\n";
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(body.length);
    body += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`).join("")}`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, "latin1");
}

let stack: DeskWebStack;
let member: BrowserContext;
let assessor: BrowserContext;
let memberPage: Page;
let assessorPage: Page;
let identity: Identity;
const requests: Recorded[] = [];

function record(context: BrowserContext): void {
  context.on("request", (request) => {
    requests.push({
      url: request.url(),
      method: request.method(),
      headers: JSON.stringify(request.headers()),
      body: request.postDataBuffer()?.toString("latin1") ?? "",
    });
  });
}

beforeAll(async () => {
  stack = await startDeskWebStack();
  identity = createIdentity();
  await joinMembers(stack.chain.rpcUrl, stack.deployment.record, [identity], 3);
  // The member and the assessor are two people: two browsers with profiles of their own.
  member = await launchBrowser();
  assessor = await launchBrowser();
  record(member);
  record(assessor);
  memberPage = await member.newPage();
  assessorPage = await assessor.newPage();
}, 240_000);

afterAll(async () => {
  await member?.close();
  await assessor?.close();
  await stack?.stop();
  await releaseProver();
});

describe("claims desk in the web app", () => {
  const pdfBytes = pdf(`Hospital bill ${MARKER}`);
  const photoBytes = png(`x-ray ${MARKER}`);
  let caseId: string;
  let recipient: Address;

  it("imports the member's identity, kept encrypted in the browser", async () => {
    await importIdentityInPage(memberPage, stack.deskWeb.url, identity.export(), PASSWORD);
  });

  it("refuses to file while no assessor of the plan has published a key that checks against the chain", async () => {
    const form = await describeCase(memberPage, { date: "2026-11-20", description: `Broken arm at the market. ${MARKER}`, amount: "20" });
    await form.getByRole("button", { name: "Encrypt and file the claim" }).click();
    await expect
      .poll(() => form.getByRole("alert").textContent(), { timeout: 30_000 })
      .toContain("No assessor of this plan has published a key at the desk that checks against the chain");
  });

  it("signs the assessor in with an encrypted key file, refusing a wrong password", async () => {
    const keyFile = join(stack.stateDir, "assessor-key.json");
    writeFileSync(keyFile, JSON.stringify(await assessorKeyFile(stack.deployment.assessor, KEY_PASSWORD)));
    await assessorPage.goto(`${stack.deskWeb.url}/#/assessor`);
    await assessorPage.getByTestId("assessor-key-file").setInputFiles(keyFile);
    await assessorPage.getByLabel("Key file password").fill("not the password");
    await assessorPage.getByRole("button", { name: "Sign in" }).click();
    await expect
      .poll(() => assessorPage.getByRole("alert").textContent(), { timeout: 60_000 })
      .toContain("Wrong password for this key file. Type it again.");
    await assessorPage.getByLabel("Key file password").fill(KEY_PASSWORD);
    // By keyboard: Enter in the password field submits the form.
    await assessorPage.getByLabel("Key file password").press("Enter");
    await expect.poll(() => assessorPage.getByTestId("assessor-signed-in").textContent(), { timeout: 60_000 }).toContain("for plan #1");
    expect(await assessorPage.getByTestId("queue-queueNew").textContent()).toContain("None.");
    // The desk shows the plan's need too: approved claims held at the relayer until the pool can pay them.
    await expect
      .poll(() => assessorPage.getByTestId("assessor-held").textContent())
      .toBe("Waiting for funds: approved claims held at the relayer: 0");
  });

  it("files a case with a picked PDF and a dropped photo, encrypted in the browser", async () => {
    const pdfFile = join(stack.stateDir, "bill.pdf");
    writeFileSync(pdfFile, pdfBytes);
    const form = memberPage.getByTestId("file-case");
    await form.getByTestId("evidence-files").setInputFiles(pdfFile);
    // The photo by drag-and-drop onto the drop zone.
    const transfer = await memberPage.evaluateHandle((bytes) => {
      const data = new DataTransfer();
      data.items.add(new File([new Uint8Array(bytes)], "x-ray.png", { type: "image/png" }));
      return data;
    }, Array.from(photoBytes));
    await form.getByTestId("dropzone").dispatchEvent("drop", { dataTransfer: transfer });
    await expect.poll(() => form.getByTestId("chosen-files").locator("li").count()).toBe(2);
    await form.getByRole("button", { name: "Encrypt and file the claim" }).click();
    const filed = memberPage.getByTestId("case-filed");
    await filed.waitFor({ timeout: 60_000 });
    caseId = (await filed.getAttribute("data-case")) ?? "";
    expect(caseId).toMatch(/^[A-Za-z0-9_-]{16,64}$/);
    // The case record is kept sealed: nothing of it reads in clear.
    const stored = (await memberPage.evaluate(() => localStorage.getItem("huzhu.desk.cases"))) ?? "";
    expect(JSON.parse(stored)).toEqual([{ kind: "huzhu-desk-case-record", version: 1, sealed: expect.any(String) }]);
    expect(stored).not.toContain(caseId);
    await screenshot(memberPage, "desk-file");
  });

  it("shows the assessor the case decrypted: details, the photo rendered and the PDF in a viewer", async () => {
    await assessorPage.getByRole("button", { name: "Refresh" }).click();
    const queue = assessorPage.getByTestId("queue-queueNew");
    await queue.getByRole("button", { name: /new/ }).first().waitFor({ timeout: 30_000 });
    await queue.getByRole("button", { name: /new/ }).first().click();
    const review = assessorPage.getByTestId("case-review");
    await expect.poll(() => review.getByTestId("case-description").textContent(), { timeout: 60_000 }).toContain(MARKER);
    expect(await review.getAttribute("data-case")).toBe(caseId);
    expect(await review.getByTestId("case-details").textContent()).toContain("20 dUSD");
    const image = review.locator('[data-testid="evidence"][data-kind="image"] img');
    await expect.poll(() => image.evaluate((img: HTMLImageElement) => (img.complete ? img.naturalWidth : 0))).toBe(24);
    const viewer = review.locator('[data-testid="evidence"][data-kind="pdf"] object');
    expect(await viewer.getAttribute("type")).toBe("application/pdf");
    const data = (await viewer.getAttribute("data")) ?? "";
    expect(data).toMatch(/^blob:/);
    const shown = await assessorPage.evaluate(
      async (url) => new TextDecoder("latin1").decode(await (await fetch(url)).arrayBuffer()),
      data,
    );
    expect(shown).toBe(pdfBytes.toString("latin1"));
    await screenshot(assessorPage, "desk-review");
  });

  it("lays the case out for a phone with nothing scrolling sideways", async () => {
    await assessorPage.setViewportSize({ width: 390, height: 844 });
    try {
      const overflow = await assessorPage.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow).toBe(0);
    } finally {
      await assessorPage.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it("asks the member for more; the member reads it decrypted and replies with a file", async () => {
    const review = assessorPage.getByTestId("case-review");
    await review.getByLabel("Message to the member").fill("Please send the discharge letter too.");
    await review.getByRole("button", { name: "Encrypt and send" }).click();
    await expect.poll(() => review.getByTestId("review-done").textContent(), { timeout: 30_000 }).toBe("Sent to the member, encrypted.");
    await expect.poll(() => review.getAttribute("data-status")).toBe("more-asked");

    await memberPage.getByRole("navigation").getByRole("link", { name: "My cases" }).click();
    const card = memberPage.locator(`[data-testid="my-case"][data-case="${caseId}"]`);
    await expect.poll(() => card.getAttribute("data-status"), { timeout: 60_000 }).toBe("more-asked");
    expect(await card.locator('[data-from="assessor"]').textContent()).toContain("Please send the discharge letter too.");
    const letter = join(stack.stateDir, "letter.txt");
    writeFileSync(letter, `Discharge letter ${MARKER}`);
    await card.getByLabel("Reply to the assessors").fill(`Here it is. ${MARKER}`);
    await card.getByTestId("reply-files").setInputFiles(letter);
    await card.getByRole("button", { name: "Encrypt and send" }).click();
    await card.getByText("Sent, encrypted to the plan's assessors.").waitFor({ timeout: 60_000 });
    await expect.poll(() => card.getAttribute("data-status"), { timeout: 30_000 }).toBe("replied");
  });

  it("refuses an approval over the amount asked, then approves less than asked", async () => {
    await assessorPage.getByRole("button", { name: "Refresh" }).click();
    const review = assessorPage.getByTestId("case-review");
    await assessorPage
      .getByTestId("queue-queueNew")
      .getByRole("button", { name: /member replied/ })
      .click();
    await expect.poll(() => review.getAttribute("data-status"), { timeout: 60_000 }).toBe("replied");
    const reply = review.locator('[data-testid="case-message"][data-from="member"]');
    await expect.poll(() => reply.textContent(), { timeout: 60_000 }).toContain(`Here it is. ${MARKER}`);
    expect(await reply.locator('[data-testid="evidence"]').getAttribute("data-kind")).toBe("other");
    await review.getByLabel(/Amount to approve/).fill("25");
    await review.getByRole("button", { name: "Sign and approve" }).click();
    await expect
      .poll(() => review.getByRole("alert").textContent())
      .toBe("That is more than the member asked for: approve at most the amount asked.");
    await review.getByLabel(/Amount to approve/).fill("15");
    await review.getByRole("button", { name: "Sign and approve" }).click();
    await expect.poll(() => review.getAttribute("data-status"), { timeout: 60_000 }).toBe("approved");
    await expect.poll(() => assessorPage.getByTestId("queue-queueDecided").textContent()).toContain("approved");
  });

  it("claims from My cases with the approval loaded, and the payout arrives", async () => {
    await memberPage.getByRole("button", { name: "Refresh" }).click();
    const card = memberPage.locator(`[data-testid="my-case"][data-case="${caseId}"]`);
    await expect.poll(() => card.getAttribute("data-status"), { timeout: 60_000 }).toBe("approved");
    expect(await card.getByTestId("case-approved").textContent()).toBe("Approved: 15 dUSD, to claim by epoch 2.");
    await screenshot(memberPage, "desk-cases");
    recipient = await claimFromMyCase(memberPage, caseId, {
      loaded: async () => {
        const summary = memberPage.getByTestId("approval-summary");
        await expect.poll(() => summary.textContent(), { timeout: 30_000 }).toContain("15 dUSD");
        expect(await summary.textContent()).toContain("your identity");
      },
    });
    const { request, received } = await payoutTo(stack, recipient);
    expect(request.amount).toBe(15_000_000n);
    expect(received).toBe(15_000_000n - request.fee);
  });

  it("switches the assessor's area to Simplified Chinese", async () => {
    await assessorPage.getByRole("button", { name: "切换到简体中文" }).click();
    await expect.poll(() => assessorPage.getByRole("heading", { level: 2 }).textContent()).toBe("评估员");
    expect(await assessorPage.getByTestId("case-review").getAttribute("data-status")).toBe("approved");
    expect(await assessorPage.getByTestId("queue-queueDecided").textContent()).toContain("已批准");
    await screenshot(assessorPage, "desk-review-zh");
    await assessorPage.getByRole("button", { name: "Switch to English" }).click();
  });

  it("sends no request that carries a secret or the case's plaintext, and the desk keeps none", () => {
    const key = stack.deployment.assessor.privateKey;
    const secrets = [
      identity.export(),
      identity.secretScalar.toString(),
      identity.secretScalar.toString(16),
      identity.privateKey.toString(),
      key,
      key.toUpperCase(),
      PASSWORD,
      KEY_PASSWORD,
      MARKER,
      encodeURIComponent(MARKER),
      Buffer.from(MARKER).toString("base64").slice(0, 24),
    ];
    // Both browsers talked to the desk: the case, its files, messages both ways and the decision.
    const desk = requests.filter((r) => r.url.startsWith(stack.deskUrl));
    expect(desk.some((r) => r.method === "POST" && r.url.endsWith("/v1/cases"))).toBe(true);
    expect(desk.filter((r) => r.method === "PUT" && /\/files\/[01]$/.test(r.url)).length).toBe(2);
    expect(desk.some((r) => r.method === "POST" && r.url.endsWith("/decision"))).toBe(true);
    for (const request of requests) {
      const text = `${request.url}\n${request.headers}\n${request.body}`.toLowerCase();
      for (const secret of secrets) expect(text.includes(secret.toLowerCase()), `${request.method} ${request.url}`).toBe(false);
    }
    // The store's file and its write-ahead log.
    const folder = dirname(stack.deskDatabase);
    const database = readdirSync(folder)
      .filter((name) => name.startsWith(basename(stack.deskDatabase)))
      .map((name) => readFileSync(join(folder, name)).toString("latin1"))
      .join("\n");
    expect(database.length).toBeGreaterThan(100_000);
    const log = stack.deskLog.join("\n");
    for (const secret of [MARKER, key, identity.export()]) {
      expect(database.includes(secret)).toBe(false);
      expect(log.includes(secret)).toBe(false);
    }
  });
});
