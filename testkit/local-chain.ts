/**
 * A real local chain for tests that drive the CLI or other processes: `hardhat node` on 127.0.0.1
 * on a free port, the pool deployed as `npm start` deploys it (libraries, verifier, pool), a demo
 * token, and plans administered by dev account 0. Writes a deployment record into a temp state dir.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Address, createPublicClient, http, type PublicClient } from "viem";
import {
  type DeskProcess,
  deployWithPlans,
  devAccount,
  freePort,
  type PlanSpec,
  type RelayerProcess,
  rpc,
  DEMO_PLAN as STACK_DEMO_PLAN,
  spawnDesk,
  spawnRelayer,
  startChain,
} from "../scripts/lib/stack.ts";

export { DEV_MNEMONIC, freePort } from "../scripts/lib/stack.ts";

export function devAddress(index: number): Address {
  return devAccount(index).address;
}

export type { PlanSpec };

/** The plan `npm start` creates. */
export const DEMO_PLAN: PlanSpec = { ...STACK_DEMO_PLAN };

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

/** Starts a node, deploys the pool and a demo token, and creates `plans` (admin: dev account 0). */
export async function startLocalChain(plans: PlanSpec[] = [DEMO_PLAN]): Promise<LocalChain> {
  const { rpcUrl, stop } = await startChain(await freePort(), 90_000);
  try {
    const { deployment, token, record } = await deployWithPlans(rpcUrl, plans);
    const stateDir = mkdtempSync(join(tmpdir(), "huzhu-cli-state-"));
    mkdirSync(join(stateDir, "deployments"));
    const deploymentFile = join(stateDir, "deployments", "localhost.json");
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

/**
 * The CLI's environment for one user of `chain`: the chain's deployment record, `home` for the
 * identity and keystores (password `password`), and no key or RPC endpoint from the shell.
 */
export function cliEnv(chain: LocalChain, home: string, password = "pw"): Record<string, string> {
  return { HUZHU_STATE_DIR: chain.stateDir, HUZHU_HOME: home, HUZHU_PASSWORD: password, HUZHU_PRIVATE_KEY: "", HUZHU_RPC_URL: "" };
}

/** The deployment record and the node, as a relayer or desk process against `chain` reads them. */
function serviceEnv(chain: LocalChain): Record<string, string> {
  return { HUZHU_DEPLOYMENT: chain.deploymentFile, HUZHU_RPC_URL: chain.rpcUrl };
}

/** A relayer process against `chain` on a free port: development account 1's key, its files in `dataDir`, and `extra`. */
export function spawnChainRelayer(chain: LocalChain, dataDir: string, extra: Record<string, string> = {}): Promise<RelayerProcess> {
  return spawnRelayer({
    ...serviceEnv(chain),
    HUZHU_RELAYER_KEY: devAccount(1).privateKey,
    HUZHU_RELAYER_PORT: "0",
    HUZHU_RELAYER_DATA_DIR: dataDir,
    ...extra,
  });
}

/** A claims desk process against `chain` on a free port, its files in `dataDir`. */
export function spawnChainDesk(chain: LocalChain, dataDir: string, extra: Record<string, string> = {}): Promise<DeskProcess> {
  return spawnDesk({ ...serviceEnv(chain), HUZHU_DESK_PORT: "0", HUZHU_DESK_DATA_DIR: dataDir, ...extra });
}
