/**
 * The tree service on its own (`node service/trees/server.ts`): the tree index (service/trees/indexer.ts) and its
 * HTTP API (service/trees/routes.ts) for any deployment, for operators who serve trees without
 * running a relayer. The relayer hosts the same index and routes under its /v1.
 *
 * Environment: the variables of `TreeEnv` below (each with its default and bounds), validated once
 * at boot; HUZHU_RPC_URL, HUZHU_POOL and HUZHU_FROM_BLOCK may come from a deployment record
 * (HUZHU_DEPLOYMENT), as for the relayer and the desk.
 */

import type { Logger } from "pino";
import { collectDefaultMetrics, Registry } from "prom-client";
import { Type } from "typebox";
import { type Address, createPublicClient, getAddress, http, type PublicClient } from "viem";
import { checkPoolChain } from "../kit/chain.ts";
import { ChainEnv, ConfigError, envInteger, envList, envLogChunk, envString, readEnv, withDeploymentDefaults } from "../kit/env.ts";
import { createServiceApp } from "../kit/http-app.ts";
import { serviceLogger } from "../kit/log.ts";
import { operationsPlugin } from "../kit/operations.ts";
import { TreeError, treeFault } from "./errors.ts";
import { TreeIndex } from "./indexer.ts";
import { registerTreeMetrics } from "./metrics.ts";
import { treeRoutes } from "./routes.ts";
import { TreeStore } from "./store.ts";

export interface TreeServiceConfig {
  rpcUrl: string;
  pool: Address;
  fromBlock: bigint;
  dataDir: string;
  host: string;
  port: number;
  pollIntervalMs: number;
  logChunk: bigint;
  logLevel: string;
  rateLimitPerMinute: number;
  requestTimeoutMs: number;
  corsOrigins: string[];
}

export class TreeConfigError extends ConfigError {
  override name = "TreeConfigError";
}

/** How a tree index reads the chain; the relayer, which hosts one, reads the same variables. */
export const TreeIndexEnv = {
  HUZHU_TREES_POLL_MS: envInteger("how often the member tree index looks for new blocks", 2_000, 50, 600_000),
  HUZHU_LOG_CHUNK: envLogChunk(),
};

/** The standalone service's plain variables (docs/SCALE.md lists them). */
export const TreeEnv = Type.Object({
  ...ChainEnv,
  ...TreeIndexEnv,
  HUZHU_TREES_DATA_DIR: envString("folder of the index's file", ".huzhu-trees"),
  HUZHU_TREES_HOST: envString("address to listen on", "127.0.0.1"),
  HUZHU_TREES_PORT: envInteger("port to listen on (0: any free port)", 8789, 0, 65_535),
  HUZHU_TREES_RATE_LIMIT_PER_MINUTE: envInteger("requests per client per minute", 600, 1, 1_000_000),
  HUZHU_REQUEST_TIMEOUT_MS: envInteger("time a request may take to arrive", 30_000, 100, 600_000),
  HUZHU_TREES_CORS_ORIGINS: envString("origins allowed to call the API from a browser, comma-separated", "*"),
  HUZHU_LOG_LEVEL: envString("pino log level", "info"),
});

/** The configuration from the environment, validated once. */
export function loadTreeConfig(env: NodeJS.ProcessEnv = process.env): TreeServiceConfig {
  let e: ReturnType<typeof readEnv<typeof TreeEnv>>;
  try {
    e = readEnv(TreeEnv, withDeploymentDefaults(env));
  } catch (error) {
    throw new TreeConfigError((error as Error).message, { cause: error });
  }
  return {
    rpcUrl: e.HUZHU_RPC_URL,
    pool: getAddress(e.HUZHU_POOL),
    fromBlock: e.HUZHU_FROM_BLOCK,
    dataDir: e.HUZHU_TREES_DATA_DIR,
    host: e.HUZHU_TREES_HOST,
    port: e.HUZHU_TREES_PORT,
    pollIntervalMs: e.HUZHU_TREES_POLL_MS,
    logChunk: e.HUZHU_LOG_CHUNK,
    logLevel: e.HUZHU_LOG_LEVEL,
    rateLimitPerMinute: e.HUZHU_TREES_RATE_LIMIT_PER_MINUTE,
    requestTimeoutMs: e.HUZHU_REQUEST_TIMEOUT_MS,
    corsOrigins: envList(e.HUZHU_TREES_CORS_ORIGINS),
  };
}

/** Opens the index (resuming from its file) and the chain; `start()` begins polling. */
export async function openTreeIndex(
  config: Pick<TreeServiceConfig, "rpcUrl" | "pool" | "fromBlock" | "dataDir" | "pollIntervalMs" | "logChunk">,
  log: Logger,
): Promise<{ index: TreeIndex; store: TreeStore; client: PublicClient }> {
  const client = createPublicClient({ transport: http(config.rpcUrl, { retryCount: 2, timeout: 30_000 }) }) as PublicClient;
  const chainId = await checkPoolChain(client, config.rpcUrl, config.pool);
  const store = new TreeStore(config.dataDir, { chainId, pool: config.pool });
  try {
    const index = TreeIndex.open({
      ref: { client, pool: config.pool, fromBlock: config.fromBlock, logChunk: config.logChunk },
      chainId,
      store,
      log,
      pollIntervalMs: config.pollIntervalMs,
    });
    return { index, store, client };
  } catch (error) {
    store.close();
    throw error;
  }
}

/** The standalone service: the kit's app, /health, /ready, /metrics, routes under /v1; stops polling and closes the file on close. */
export async function startTreeService(config: TreeServiceConfig, log: Logger = serviceLogger("trees", config.logLevel)) {
  const { index, store } = await openTreeIndex(config, log);
  await index.sync();
  index.start();
  const app = await createServiceApp({
    name: "tree service",
    log,
    fault: treeFault,
    own: (error): error is TreeError => error instanceof TreeError,
    bodyLimitBytes: 1024,
    rateLimitPerMinute: config.rateLimitPerMinute,
    requestTimeoutMs: config.requestTimeoutMs,
    corsOrigins: config.corsOrigins,
    corsMethods: ["GET"],
    corsHeaders: ["accept"],
    openapi: {
      title: "Huzhu member trees",
      description: "Serves each plan's member tree as whole snapshots and updates, which clients check against the pool.",
    },
  });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "huzhu_trees_" });
  registerTreeMetrics(index, registry);
  await app.register(operationsPlugin, {
    checks: [
      async () => (index.lastError === undefined ? undefined : `the index cannot read the chain (${index.lastError}); it tries again`),
    ],
    ready: async () => ({ body: { ready: true, block: index.cursor?.block.toString() ?? null, plans: index.plans().length } }),
    registry,
  });
  await app.register(treeRoutes, { prefix: "/v1", trees: index });
  app.addHook("onClose", async () => {
    await index.stop();
    store.close();
  });
  const address = await app.listen({ host: config.host, port: config.port });
  log.info({ url: address, pool: config.pool, store: store.location }, "tree service listening");
  return { app, index, address };
}

async function main(): Promise<void> {
  let config: TreeServiceConfig;
  try {
    config = loadTreeConfig();
  } catch (error) {
    if (error instanceof TreeConfigError) {
      process.stderr.write(`tree service configuration error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const service = await startTreeService(config);
  const shutdown = async () => {
    await service.app.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown());
  process.on("SIGTERM", () => void shutdown());
}

if (import.meta.main) await main();
