/**
 * `npm start`: the local stack on 127.0.0.1. Starts a Hardhat node, deploys the pool (libraries,
 * generated verifier, pool), a demo token and a demo plan with one assessor, starts the relayer and
 * the claims desk (the demo assessor's roster entry published there), writes the addresses to
 * .huzhu/deployments/localhost.json, prints what to try next, and keeps running until Ctrl-C,
 * which stops the desk, the relayer (parking unfinished work) and the chain.
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import pretty from "pino-pretty";
import { DEFAULT_DESK } from "../service/cli/lib/desk.ts";
import { loadDeskConfig } from "../service/desk/config.ts";
import { startDesk } from "../service/desk/server.ts";
import { serviceLogger } from "../service/kit/log.ts";
import { loadConfig } from "../service/relayer/config.ts";
import { relayerLogger, startRelayer } from "../service/relayer/server.ts";
import { releaseProver } from "../service/sdk/index.ts";
import { scriptLogger } from "./lib/log.ts";
import { ROOT } from "./lib/paths.ts";
import {
  type Chain,
  DEV_ROLES,
  demoGasDropPrices,
  deployLocal,
  devAccount,
  fundDemoPlan,
  joinDesk,
  publishDemoTerms,
  startChain,
} from "./lib/stack.ts";
import { serveWeb } from "./lib/web.ts";

const log = scriptLogger("start");

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) > 65_535) throw new Error(`${name} must be a port number, got "${raw}"`);
  return Number(raw);
}

let chain: Chain | undefined;
let stopRelayer: (() => Promise<void>) | undefined;
let stopWeb: (() => Promise<void>) | undefined;
let stopDesk: (() => Promise<void>) | undefined;

async function shutdown(code: number): Promise<never> {
  log.info("stopping the desk, the relayer and the chain");
  await stopWeb?.().catch(() => {});
  await stopDesk?.().catch(() => {});
  await stopRelayer?.().catch(() => {});
  await chain?.stop().catch(() => {});
  await releaseProver();
  process.exit(code);
}

async function main(): Promise<void> {
  const stateDir = process.env.HUZHU_STATE_DIR ?? join(ROOT, ".huzhu");
  const chainPort = port("HUZHU_CHAIN_PORT", 8545);
  const relayerPort = port("HUZHU_RELAYER_PORT", 8787);
  const webPort = port("HUZHU_WEB_PORT", 5173);
  const deskPort = port("HUZHU_DESK_PORT", 8788);
  process.on("SIGINT", () => void shutdown(0));
  process.on("SIGTERM", () => void shutdown(0));

  log.info({ port: chainPort }, "starting the local chain (Hardhat node)");
  chain = await startChain(chainPort);
  log.info("deploying the pool, a demo token and the demo plan");
  const { record, assessor } = await deployLocal(chain.rpcUrl);
  log.info("funding the demo plan: three members join and a donor gives 1,000 dUSD");
  await fundDemoPlan(chain.rpcUrl, record);

  await mkdir(join(stateDir, "deployments"), { recursive: true });
  const deploymentFile = join(stateDir, "deployments", "localhost.json");
  await writeFile(deploymentFile, `${JSON.stringify(record, null, 2)}\n`);
  const assessorFile = join(stateDir, "demo-assessor.json");
  await writeFile(
    assessorFile,
    `${JSON.stringify({ privateKey: assessor.privateKey, publicKey: assessor.publicKey.map(String) }, null, 2)}\n`,
    {
      mode: 0o600,
    },
  );

  // The services' view of this chain and pool.
  const onChain = { ...process.env, HUZHU_RPC_URL: chain.rpcUrl, HUZHU_POOL: record.pool, HUZHU_FROM_BLOCK: String(record.deployBlock) };
  // A new chain starts empty, so the relayer's claims from any earlier run are meaningless.
  const relayerDir = join(stateDir, "relayer");
  await rm(relayerDir, { recursive: true, force: true });
  const config = loadConfig({
    ...onChain,
    HUZHU_RELAYER_KEY: devAccount(DEV_ROLES.relayer).privateKey,
    HUZHU_RELAYER_PORT: String(relayerPort),
    HUZHU_RELAYER_DATA_DIR: relayerDir,
    HUZHU_RELAYER_GAS_DROP_PRICES: process.env.HUZHU_RELAYER_GAS_DROP_PRICES ?? demoGasDropPrices(record.demoToken),
  });
  const readable =
    process.env.HUZHU_LOG_FORMAT === "json" ? undefined : pretty({ colorize: process.stdout.isTTY, ignore: "pid,hostname", sync: true });
  const relayer = await startRelayer(config, relayerLogger(process.env.HUZHU_LOG_LEVEL ?? "info", readable));
  stopRelayer = () => relayer.app.close();

  // The claims desk: its cases belong to this chain, so an earlier run's are dropped with it.
  const deskDir = join(stateDir, "desk");
  await rm(deskDir, { recursive: true, force: true });
  const deskConfig = loadDeskConfig({
    ...onChain,
    HUZHU_DESK_PORT: String(deskPort),
    HUZHU_DESK_DATA_DIR: deskDir,
  });
  const desk = await startDesk(deskConfig, serviceLogger("desk", deskConfig.logLevel, readable));
  stopDesk = () => desk.app.close();
  log.info("the demo assessor joins the desk: its roster entry, signed with its key, for plan 1");
  await joinDesk(desk.address, assessor, 1n);
  const web = await serveWeb({
    port: webPort,
    config: {
      chainId: record.chainId,
      rpcUrl: chain.rpcUrl,
      pool: record.pool,
      deployBlock: record.deployBlock,
      relayerUrl: relayer.address,
      deskUrl: desk.address,
      devWallet: true,
      demoToken: record.demoToken,
    },
  });
  stopWeb = web.close;
  await publishDemoTerms(chain.rpcUrl, record, `${web.url}/terms/demo-medical.md`);

  log.info(
    { ...record, deploymentFile, relayer: relayer.address, relayerAddress: relayer.gateway.relayer, desk: desk.address },
    "local stack ready",
  );
  // The CLI finds a desk on its default URL by itself; on another port the commands name it.
  const atDesk = desk.address === DEFAULT_DESK ? "" : ` --desk ${desk.address}`;
  const assessorAt = `--plan 1 --key ${assessorFile}${atDesk}`;
  const today = new Date().toISOString().slice(0, 10);
  const next = [
    "",
    "Huzhu local stack is running:",
    `  chain     ${chain.rpcUrl} (chain id ${record.chainId})`,
    `  pool      ${record.pool}, demo plan ${record.demoPlanId} paying in dUSD ${record.demoToken}`,
    `  relayer   ${relayer.address}  (API docs ${relayer.address}/docs)`,
    `  desk      ${desk.address}  (claims desk: cases end-to-end encrypted; API docs ${desk.address}/docs)`,
    `  web app   ${web.url}  (members, assessors and auditors, in the browser)`,
    `  state     ${deploymentFile}, demo assessor key ${assessorFile}`,
    "",
    "Try, in another terminal:",
    "  npm run huzhu -- plans list",
    "  npm run huzhu -- plan show 1      (its rules, books and terms, the terms checked against the hash on chain)",
    "  npm run huzhu -- identity create",
    "  npm run huzhu -- join 1 --periods 3 --dev-account 2 --mint",
    `  npm run huzhu -- case file --plan 1 --date ${today} --description "Broken arm, two nights in hospital" --amount 250 --file <bill.pdf>${atDesk}      (encrypted here to the plan's assessors; prints the case id)`,
    `  npm run huzhu -- assessor cases ${assessorAt}      (the demo assessor's queue)`,
    `  npm run huzhu -- assessor show <case-id> ${assessorAt}      (decrypts the case and writes its files to a folder)`,
    `  npm run huzhu -- assessor approve <case-id> ${assessorAt} --amount 250 --expires-epoch +30`,
    "  npm run huzhu -- case show <case-id>      (the decision; writes the approval file and prints the claim command)",
    `  npm run huzhu -- claim --plan 1 --approval <approval-file> --recipient <fresh address> --relayer ${relayer.address}`,
    "  npm run demo      (the whole story, unattended)",
    "",
    "Press Ctrl-C to stop.",
    "",
  ];
  process.stdout.write(next.join("\n"));
  await new Promise<never>(() => {});
}

main().catch(async (error: unknown) => {
  log.error({ err: error }, `npm start failed: ${(error as Error).message}`);
  // Never leave an orphaned chain node holding the port.
  await shutdown(1);
});
