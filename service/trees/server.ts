/**
 * The tree service on its own (`node service/trees/server.ts`): the tree index (service/trees/indexer.ts) and its
 * HTTP API (service/trees/routes.ts) for any deployment, for operators who serve trees without
 * running a relayer. The relayer hosts the same index and routes under its /v1.
 *
 * Environment: HUZHU_RPC_URL, HUZHU_POOL, HUZHU_FROM_BLOCK (the pool's deployment block),
 * HUZHU_TREES_DATA_DIR (default .huzhu-trees), HUZHU_TREES_HOST (127.0.0.1), HUZHU_TREES_PORT (8788),
 * HUZHU_TREES_POLL_MS (2000), HUZHU_LOG_CHUNK (largest eth_getLogs block span, 50000),
 * HUZHU_LOG_LEVEL (info).
 */
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, { type FastifyError } from "fastify";
import { type Logger, pino } from "pino";
import { type Address, createPublicClient, getAddress, http, isAddress, type PublicClient } from "viem";
import { TreeIndex } from "./indexer.ts";
import { TreeErrorCode, treeRoutes } from "./routes.ts";
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
}

export class TreeConfigError extends Error {
  override name = "TreeConfigError";
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: bigint): bigint {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^[0-9]+$/.test(raw)) throw new TreeConfigError(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return BigInt(raw);
}

/** The configuration from the environment, validated once. */
export function loadTreeConfig(env: NodeJS.ProcessEnv = process.env): TreeServiceConfig {
  const rpcUrl = env.HUZHU_RPC_URL;
  if (!rpcUrl) throw new TreeConfigError("set HUZHU_RPC_URL to the chain's JSON-RPC endpoint");
  const pool = env.HUZHU_POOL ?? "";
  if (!isAddress(pool, { strict: false })) throw new TreeConfigError("set HUZHU_POOL to the pool contract's address (0x + 40 hex digits)");
  const port = Number(integer(env, "HUZHU_TREES_PORT", 8788n));
  if (port > 65_535) throw new TreeConfigError(`HUZHU_TREES_PORT must be a port number, got ${port}`);
  const logChunk = integer(env, "HUZHU_LOG_CHUNK", 50_000n);
  if (logChunk === 0n) throw new TreeConfigError("HUZHU_LOG_CHUNK must be at least 1");
  return {
    rpcUrl,
    pool: getAddress(pool),
    fromBlock: integer(env, "HUZHU_FROM_BLOCK", 0n),
    dataDir: env.HUZHU_TREES_DATA_DIR ?? ".huzhu-trees",
    host: env.HUZHU_TREES_HOST ?? "127.0.0.1",
    port,
    pollIntervalMs: Number(integer(env, "HUZHU_TREES_POLL_MS", 2_000n)),
    logChunk,
    logLevel: env.HUZHU_LOG_LEVEL ?? "info",
  };
}

/** Opens the index (resuming from its file) and the chain; `start()` begins polling. */
export async function openTreeIndex(
  config: Pick<TreeServiceConfig, "rpcUrl" | "pool" | "fromBlock" | "dataDir" | "pollIntervalMs" | "logChunk">,
  log: Logger,
): Promise<{ index: TreeIndex; store: TreeStore; client: PublicClient }> {
  const client = createPublicClient({ transport: http(config.rpcUrl, { retryCount: 2, timeout: 30_000 }) }) as PublicClient;
  const chainId = await client.getChainId();
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

/** The standalone service: index, routes under /v1, /health; stops polling and closes the file on close. */
export async function startTreeService(config: TreeServiceConfig, log: Logger = pino({ name: "trees", level: config.logLevel })) {
  const { index, store } = await openTreeIndex(config, log);
  await index.sync();
  index.start();
  const app = Fastify({ loggerInstance: log, disableRequestLogging: true }).withTypeProvider<TypeBoxTypeProvider>();
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      return reply.code(400).send({
        statusCode: 400,
        code: TreeErrorCode.InvalidParameter,
        error: "Bad Request",
        message: `${error.validationContext ?? "params"}${error.validation[0]?.instancePath ?? ""} ${error.validation[0]?.message ?? "is invalid"}: plan ids and roots are decimal numbers`,
      });
    }
    request.log.error({ err: error }, "unhandled error");
    return reply
      .code(500)
      .send({ statusCode: 500, code: "INTERNAL", error: "Internal Server Error", message: "internal error; the service logged it" });
  });
  app.get("/health", async () => ({
    status: "ok" as const,
    block: index.cursor?.block.toString() ?? null,
    lastError: index.lastError ?? null,
  }));
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
