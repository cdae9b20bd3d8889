/**
 * `npm start`: the local stack on 127.0.0.1. Starts a Hardhat node, deploys the pool (libraries,
 * generated verifier, pool), a demo token and a demo plan with one assessor, writes the addresses
 * to .huzhu/deployments/localhost.json, and keeps the chain running until Ctrl-C.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { network } from "hardhat";
import { generateAssessorKey } from "../service/sdk/index.ts";
import { deployHuzhu, deploymentRecord } from "./lib/deploy.ts";
import { scriptLogger } from "./lib/log.ts";
import { ROOT } from "./lib/paths.ts";

const log = scriptLogger("start");
const HOST = "127.0.0.1";
const PORT = Number(process.env.HUZHU_CHAIN_PORT ?? 8545);
const RPC_URL = `http://${HOST}:${PORT}`;
const STATE_DIR = process.env.HUZHU_STATE_DIR ?? join(ROOT, ".huzhu");

async function waitForRpc(url: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the chain node exited with code ${child.exitCode}; is port ${PORT} already in use?`);
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the chain node did not answer on ${url} within ${timeoutMs / 1000} s`);
}

let chain: ChildProcess | undefined;

async function main(): Promise<void> {
  log.info({ rpc: RPC_URL }, "starting the local chain (Hardhat node)");
  chain = spawn(
    process.execPath,
    [join(ROOT, "node_modules/hardhat/dist/src/cli.js"), "node", "--hostname", HOST, "--port", String(PORT)],
    {
      cwd: ROOT,
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  const stop = () => {
    log.info("stopping");
    chain?.kill("SIGTERM");
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  await waitForRpc(RPC_URL, chain);

  const { viem } = await network.create({ network: "localhost", override: { url: RPC_URL } });
  const [admin] = await viem.getWalletClients();
  if (!admin) throw new Error("the local node has no accounts");
  log.info("deploying the pool");
  const deployment = await deployHuzhu(viem, { admin: admin.account.address });
  const token = await viem.deployContract("DemoToken", ["Demo USD", "dUSD", 6]);
  await deployment.pool.write.createPlan([
    {
      token: token.address,
      contribution: 10_000_000n,
      periodLength: 86_400n,
      waitingPeriods: 0,
      claimCap: 5_000_000_000n,
      maxFeeBps: 300,
      admin: admin.account.address,
      name: "Demo medical plan",
    },
  ]);
  const assessor = generateAssessorKey();
  await deployment.pool.write.addAssessor([1n, assessor.publicKey[0], assessor.publicKey[1]]);

  const addresses = { ...deploymentRecord("localhost", deployment), rpcUrl: RPC_URL, demoToken: token.address, demoPlanId: 1 };
  await mkdir(join(STATE_DIR, "deployments"), { recursive: true });
  const deploymentFile = join(STATE_DIR, "deployments", "localhost.json");
  await writeFile(deploymentFile, `${JSON.stringify(addresses, null, 2)}\n`);
  await writeFile(
    join(STATE_DIR, "demo-assessor.json"),
    `${JSON.stringify({ privateKey: assessor.privateKey, publicKey: assessor.publicKey.map(String) }, null, 2)}\n`,
    { mode: 0o600 },
  );
  log.info({ ...addresses, deploymentFile }, "local stack ready");
  log.info(
    `next: the deployment is in ${deploymentFile} and the demo assessor key beside it (demo-assessor.json); ` +
      "the relayer service and the CLI join this stack in a later release. Press Ctrl-C to stop the chain.",
  );
  await new Promise<never>(() => {});
}

main().catch((error: unknown) => {
  log.error({ err: error }, "npm start failed");
  // Never leave an orphaned chain node holding the port.
  chain?.kill("SIGTERM");
  process.exit(1);
});
