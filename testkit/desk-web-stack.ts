/**
 * The web app's stack (testkit/web-stack.ts) with the claims desk beside it: the desk in this process
 * on a free port of 127.0.0.1 with its SQLite store in the stack's folder and its log lines kept,
 * and a web server whose /config.json names the desk.
 */
import { join } from "node:path";
import { pino } from "pino";
import type { Page } from "playwright-core";
import type { Address } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { freePort } from "../scripts/lib/stack.ts";
import { serveWeb, type WebServer } from "../scripts/lib/web.ts";
import { loadDeskConfig } from "../service/desk/config.ts";
import { startDesk } from "../service/desk/server.ts";
import { startWebStack, type WebStack } from "./web-stack.ts";

export interface DeskWebStack extends WebStack {
  /** The web server that points the page at the desk (the stack's own `web` does not). */
  deskWeb: WebServer;
  deskUrl: string;
  /** The desk's SQLite file. */
  deskDatabase: string;
  /** Every line the desk logged. */
  deskLog: string[];
}

export async function startDeskWebStack(): Promise<DeskWebStack> {
  const stack = await startWebStack();
  try {
    const port = await freePort();
    const dataDir = join(stack.stateDir, "desk");
    const config = loadDeskConfig({
      HUZHU_RPC_URL: stack.chain.rpcUrl,
      HUZHU_POOL: stack.deployment.record.pool,
      HUZHU_FROM_BLOCK: String(stack.deployment.record.deployBlock),
      HUZHU_DESK_PORT: String(port),
      HUZHU_DESK_DATA_DIR: dataDir,
      HUZHU_DESK_RATE_LIMIT_PER_MINUTE: "100000",
      HUZHU_LOG_LEVEL: "info",
    });
    const deskLog: string[] = [];
    const desk = await startDesk(config, pino({ level: "info" }, { write: (line: string) => void deskLog.push(line) }));
    const { artifacts: _artifacts, ...webConfig } = stack.web.config;
    const deskWeb = await serveWeb({ port: 0, config: { ...webConfig, deskUrl: desk.address } });
    return {
      ...stack,
      deskWeb,
      deskUrl: desk.address,
      deskDatabase: join(dataDir, "desk.sqlite"),
      deskLog,
      stop: async () => {
        await deskWeb.close();
        await desk.app.close();
        await stack.stop();
      },
    };
  } catch (error) {
    await stack.stop();
    throw error;
  }
}

/**
 * The member's claim from "My cases": opens case `caseId`'s approval in the claim page, sends it
 * through the relayer to a fresh address and waits for the payout; returns that address. `loaded`
 * runs once the approval is in the claim page, before anything is sent.
 */
export async function claimFromMyCase(page: Page, caseId: string, options: { loaded?: () => Promise<void> } = {}): Promise<Address> {
  const card = page.locator(`[data-testid="my-case"][data-case="${caseId}"]`);
  await card.getByRole("button", { name: "Claim the payout" }).click();
  await page.getByTestId("approval-from-case").waitFor();
  await options.loaded?.();
  const recipient = privateKeyToAccount(generatePrivateKey()).address;
  await page.getByTestId("relayer-info").waitFor({ timeout: 30_000 });
  await page.getByLabel(/Recipient address/).fill(recipient);
  await page.getByRole("button", { name: "Make the proof and send the claim" }).click();
  await page.getByTestId("claim-done").waitFor({ timeout: 180_000 });
  return recipient;
}
