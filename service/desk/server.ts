/**
 * Starts the claims desk: `npm run desk` (or `node service/desk/server.ts`). Configuration from
 * the environment (config.ts, docs/DESK.md); the store is an SQLite file under
 * HUZHU_DESK_DATA_DIR, or the PostgreSQL database at HUZHU_DESK_DATABASE_URL.
 */
import { join } from "node:path";
import type { Logger } from "pino";
import { createPublicClient, http, type PublicClient } from "viem";
import { checkPoolChain } from "../kit/chain.ts";
import { serviceLogger } from "../kit/log.ts";
import { openPostgres, openSqlite } from "../kit/sql.ts";
import { buildDeskApp } from "./app.ts";
import { DeskChain } from "./chain.ts";
import { ConfigError, type DeskConfig, loadDeskConfig } from "./config.ts";
import { DESK_SCHEMA } from "./schema.ts";
import { DeskStore } from "./store.ts";

/** Opens the store and the chain, builds the app and listens; `app.close()` closes everything. */
export async function startDesk(config: DeskConfig, log: Logger = serviceLogger("desk", config.logLevel)) {
  const client = createPublicClient({ transport: http(config.rpcUrl, { retryCount: 2, timeout: 30_000 }) }) as PublicClient;
  const chainId = await checkPoolChain(client, config.rpcUrl, config.pool);
  const db = config.databaseUrl
    ? await openPostgres(config.databaseUrl, DESK_SCHEMA, log)
    : await openSqlite(join(config.dataDir, "desk.sqlite"), DESK_SCHEMA, log);
  const store = new DeskStore(db);
  const chain = new DeskChain(client, config.pool, config.fromBlock, config.logChunk);
  const app = await buildDeskApp({
    log,
    store,
    chain,
    chainId,
    name: config.name,
    // Set to the listening address below unless configured.
    origin: config.origin ?? "",
    sessionTtlSeconds: config.sessionTtlSeconds,
    rateLimitPerMinute: config.rateLimitPerMinute,
    requestTimeoutMs: config.requestTimeoutMs,
    corsOrigins: config.corsOrigins,
  });
  app.addHook("onClose", async () => {
    await store.close();
  });
  const address = await app.listen({ host: config.host, port: config.port });
  if (config.origin === undefined) app.desk.deps.origin = new URL(address).origin;
  log.info({ url: address, chainId, pool: config.pool, store: store.location, cases: await store.countByStatus() }, "desk listening");
  return { app, store, address };
}

async function main(): Promise<void> {
  let config: DeskConfig;
  try {
    config = loadDeskConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`desk configuration error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const log = serviceLogger("desk", config.logLevel);
  const desk = await startDesk(config, log).catch((error: Error) => {
    log.fatal({ err: error }, error.message);
    process.exit(1);
  });
  const shutdown = async (signal: string) => {
    log.info({ signal }, "shutting down");
    await desk.app.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

if (import.meta.main) await main();
