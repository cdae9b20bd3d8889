/**
 * A real local chain for tests that drive the CLI or other processes: `hardhat node` on 127.0.0.1
 * on a free port, the pool deployed as `npm start` deploys it (libraries, verifier, pool), a demo
 * token, and plans administered by dev account 0. Writes a deployment record into a temp state dir.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { network } from "hardhat";
import { type Address, createPublicClient, http, type PublicClient } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { deployHuzhu, deploymentRecord } from "../../scripts/lib/deploy.ts";

const ROOT = join(import.meta.dirname, "..", "..");
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";

export function devAddress(index: number): Address {
  return mnemonicToAccount(DEV_MNEMONIC, { addressIndex: index }).address;
}

export interface PlanSpec {
  name: string;
  contribution: bigint;
  periodLength: bigint;
  waitingPeriods: number;
  claimCap: bigint;
  maxFeeBps: number;
}

export const DEMO_PLAN: PlanSpec = {
  name: "Demo medical plan",
  contribution: 10_000_000n,
  periodLength: 86_400n,
  waitingPeriods: 0,
  claimCap: 5_000_000_000n,
  maxFeeBps: 300,
};

export interface LocalChain {
  rpcUrl: string;
  chainId: number;
  pool: Address;
  token: Address;
  deployBlock: bigint;
  /** Holds deployments/localhost.json (pass as HUZHU_STATE_DIR or its file as --deployment). */
  stateDir: string;
  deploymentFile: string;
  client: PublicClient;
  /** Moves the chain's clock forward and mines a block. */
  increaseTime(seconds: bigint): Promise<void>;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

async function rpc(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

async function waitForRpc(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`hardhat node exited with code ${child.exitCode}`);
    try {
      await rpc(url, "eth_chainId");
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  throw new Error(`hardhat node did not answer on ${url} within ${timeoutMs} ms`);
}

/** Starts a node, deploys the pool and a demo token, and creates `plans` (admin: dev account 0). */
export async function startLocalChain(plans: PlanSpec[] = [DEMO_PLAN]): Promise<LocalChain> {
  const port = await freePort();
  const rpcUrl = `http://127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    [join(ROOT, "node_modules/hardhat/dist/src/cli.js"), "node", "--hostname", "127.0.0.1", "--port", String(port)],
    {
      cwd: ROOT,
      stdio: ["ignore", "ignore", "ignore"],
    },
  );
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  };
  try {
    await waitForRpc(rpcUrl, child, 90_000);
    const { viem } = await network.create({ network: "localhost", override: { url: rpcUrl } });
    const publicClient = await viem.getPublicClient();
    const admin = devAddress(0);
    const deployment = await deployHuzhu(viem, { admin });
    const token = await viem.deployContract("DemoToken", ["Demo USD", "dUSD", 6]);
    for (const plan of plans) {
      const hash = await deployment.pool.write.createPlan([{ token: token.address, admin, ...plan }]);
      await publicClient.waitForTransactionReceipt({ hash });
    }
    const stateDir = mkdtempSync(join(tmpdir(), "huzhu-cli-state-"));
    mkdirSync(join(stateDir, "deployments"));
    const deploymentFile = join(stateDir, "deployments", "localhost.json");
    const record = { ...deploymentRecord("localhost", deployment), rpcUrl, demoToken: token.address, demoPlanId: 1 };
    writeFileSync(deploymentFile, `${JSON.stringify(record, null, 2)}\n`);
    const client = createPublicClient({ transport: http(rpcUrl) }) as PublicClient;
    return {
      rpcUrl,
      chainId: record.chainId,
      pool: deployment.pool.address,
      token: token.address,
      deployBlock: deployment.deployBlock,
      stateDir,
      deploymentFile,
      client,
      async increaseTime(seconds) {
        await rpc(rpcUrl, "evm_increaseTime", [Number(seconds)]);
        await rpc(rpcUrl, "evm_mine");
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
