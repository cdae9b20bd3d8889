/**
 * The stack the web app runs against in its end-to-end tests: a Hardhat node on a random port, the
 * deployment (pool, demo token, demo plan with one assessor), a relayer in this process and the web
 * server, all on 127.0.0.1; and screenshots at a desktop and a phone size.
 */
import { mkdirSync, mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { type Address, erc20Abi } from "viem";
import {
  type Chain,
  DEMO_GAS_DROP_PRICE,
  DEV_ROLES,
  deployLocal,
  devAccount,
  freePort,
  type LocalDeployment,
  publicClientFor,
  publishDemoTerms,
  startChain,
} from "../scripts/lib/stack.ts";
import { serveWeb, type WebServer } from "../scripts/lib/web.ts";
import { loadConfig } from "../service/relayer/config.ts";
import { relayerLogger, startRelayer } from "../service/relayer/server.ts";
import { huzhuPoolAbi } from "../service/sdk/chain/abi.ts";
import { ensureBrowserAndBuild } from "./browser.ts";
import { until } from "./relayer-stack.ts";

export const SCREENSHOTS = join(import.meta.dirname, "..", "test", "web", "screenshots");

export interface WebStack {
  chain: Chain;
  deployment: LocalDeployment;
  web: WebServer;
  /** A temporary folder for the relayer's state and the test's files. */
  stateDir: string;
  stop(): Promise<void>;
}

/**
 * Waits until the relayer's tree service serves plan `planId` at the root the pool holds now, so that
 * a claim made next takes its member tree from the snapshot rather than from the pool's events.
 */
export async function relayerTreeCaughtUp(stack: Pick<WebStack, "chain" | "deployment" | "web">, planId: bigint): Promise<void> {
  const client = publicClientFor(stack.chain.rpcUrl);
  const [root] = await client.readContract({
    address: stack.deployment.record.pool,
    abi: huzhuPoolAbi,
    functionName: "memberTree",
    args: [planId],
  });
  await until(
    async () => {
      const response = await fetch(`${stack.web.config.relayerUrl}/v1/plans/${planId}/tree/head`);
      return response.ok ? ((await response.json()) as { root: string }).root : `HTTP ${response.status}`;
    },
    (served) => served === root.toString(),
    `the relayer's tree for plan ${planId} reaching root ${root}`,
  );
}

/** Starts the whole stack (and installs the browser and builds the app when missing). */
export async function startWebStack(): Promise<WebStack> {
  ensureBrowserAndBuild();
  const chain = await startChain(await freePort());
  const stateDir = mkdtempSync(join(tmpdir(), "huzhu-web-"));
  let stopRelayer: (() => Promise<void>) | undefined;
  try {
    const deployment = await deployLocal(chain.rpcUrl);
    const config = loadConfig({
      HUZHU_RPC_URL: chain.rpcUrl,
      HUZHU_POOL: deployment.record.pool,
      HUZHU_FROM_BLOCK: String(deployment.record.deployBlock),
      HUZHU_RELAYER_KEY: devAccount(DEV_ROLES.relayer).privateKey,
      HUZHU_RELAYER_PORT: "0",
      HUZHU_RELAYER_DATA_DIR: join(stateDir, "relayer"),
      HUZHU_POLL_INTERVAL_MS: "100",
      // A tenth of the demo rate, so that the small claim these tests make can pay for a gas drop within the plan's 3% fee limit.
      HUZHU_RELAYER_GAS_DROP_PRICES: `${deployment.record.demoToken}=${DEMO_GAS_DROP_PRICE / 10n}`,
    });
    const relayer = await startRelayer(config, relayerLogger("warn"));
    stopRelayer = () => relayer.app.close();
    const web = await serveWeb({
      port: 0,
      config: {
        chainId: deployment.record.chainId,
        rpcUrl: chain.rpcUrl,
        pool: deployment.record.pool,
        deployBlock: deployment.record.deployBlock,
        relayerUrl: relayer.address,
        devWallet: true,
        demoToken: deployment.record.demoToken,
      },
    });
    // The demo plan's terms, served by this web server and named by their hash on chain.
    await publishDemoTerms(chain.rpcUrl, deployment.record, `${web.url}/terms/demo-medical.md`);
    const stopRelayerNow = stopRelayer;
    return {
      chain,
      deployment,
      web,
      stateDir,
      stop: async () => {
        await web.close();
        await stopRelayerNow();
        await chain.stop();
        await rm(stateDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stopRelayer?.();
    await chain.stop();
    await rm(stateDir, { recursive: true, force: true });
    throw error;
  }
}

/** Saves `<name>-desktop.png` (1280x800) and `<name>-phone.png` (390x844), full page, then returns to desktop size. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-phone.png`), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
}

/** The claim the pool paid to `recipient` (its request, with amount, fee and gas drop) and the token it holds now. */
export async function payoutTo(stack: Pick<WebStack, "chain" | "deployment">, recipient: Address) {
  const client = publicClientFor(stack.chain.rpcUrl);
  const [paid] = await client.getContractEvents({
    address: stack.deployment.record.pool,
    abi: huzhuPoolAbi,
    eventName: "ClaimPaid",
    args: { recipient },
    fromBlock: 0n,
  });
  const request = paid?.args.request;
  if (!request) throw new Error(`no claim was paid to ${recipient}`);
  const received = await client.readContract({
    address: stack.deployment.record.demoToken,
    abi: erc20Abi,
    functionName: "balanceOf",
    args: [recipient],
  });
  return { request, received };
}
