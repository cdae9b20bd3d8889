/**
 * Starts a relayer from environment variables (see docs/RELAYER.md): validates the config,
 * connects to the chain, opens the store (the SQLite file, or the shared PostgreSQL database),
 * warms the verifier, resumes unfinished claims, listens. SIGINT or SIGTERM stops accepting, lets
 * the submitter finish its step (a signed transaction is always recorded first), closes the store
 * and exits; unfinished claims resume on the next start (or on another instance sharing the
 * database).
 */
import type { DestinationStream } from "pino";
import { serviceLogger } from "../kit/log.ts";
import { releaseProver } from "../sdk/index.ts";
import { openTreeIndex } from "../trees/server.ts";
import { buildApp } from "./app.ts";
import { PoolGateway } from "./chain.ts";
import { ConfigError, loadConfig, type RelayerConfig } from "./config.ts";
import { type ClaimStore, SqliteClaimStore } from "./store.ts";
import { PostgresClaimStore } from "./store-postgres.ts";
import { ProofVerifier } from "./verifier.ts";

/** The relayer's pino logger, with redaction; `destination` lets `npm start` print readable lines. */
export function relayerLogger(level: string, destination?: DestinationStream) {
  return serviceLogger("relayer", level, destination);
}

export async function startRelayer(config: RelayerConfig, log = relayerLogger(config.logLevel)) {
  const gateway = await PoolGateway.connect(config.rpcUrl, config.privateKey, config.pool);
  const store: ClaimStore = config.databaseUrl
    ? await PostgresClaimStore.open(
        config.databaseUrl,
        { chainId: gateway.chainId, pool: gateway.pool, relayer: gateway.relayer },
        log.child({ component: "store" }),
      )
    : new SqliteClaimStore(config.dataDir, log.child({ component: "store" }));
  const verifier = new ProofVerifier(config.verificationKeyPath, {
    threads: config.verifyThreads,
    timeoutMs: config.verifyTimeoutMs,
    log: log.child({ component: "verifier" }),
  });
  try {
    await verifier.warm();
  } catch (error) {
    await store.close();
    throw error;
  }
  // The member tree index (its own SQLite file beside the claim store): snapshots for members' claims.
  // It is a cache of chain data: if it cannot open, the relayer still relays and members read events.
  const trees = await openTreeIndex(
    {
      rpcUrl: config.rpcUrl,
      pool: gateway.pool,
      fromBlock: config.fromBlock,
      dataDir: config.dataDir,
      pollIntervalMs: config.treesPollIntervalMs,
      logChunk: config.logChunk,
    },
    log.child({ component: "trees" }),
  ).catch((error: Error) => {
    log.error(
      { err: error },
      `the member tree index could not open (${error.message}); serving no tree snapshots: members' clients read the pool's events instead`,
    );
    return undefined;
  });
  const app = await buildApp({
    log,
    gateway,
    store,
    verifier,
    policy: {
      feeBps: config.feeBps,
      minFee: config.minFee,
      quoteTtlSeconds: config.quoteTtlSeconds,
      gasDrop: { maxWei: config.gasDropMaxWei, suggestedTransfers: config.gasDropTransfers, prices: config.gasDropPrices },
    },
    submitter: { confirmations: config.confirmations, repriceAfterMs: config.repriceAfterMs, pollIntervalMs: config.pollIntervalMs },
    minBalanceWei: config.minBalanceWei,
    rateLimitPerMinute: config.rateLimitPerMinute,
    bodyLimitBytes: config.bodyLimitBytes,
    requestTimeoutMs: config.requestTimeoutMs,
    corsOrigins: config.corsOrigins,
    ...(trees ? { trees: trees.index } : {}),
  });
  app.addHook("onClose", async () => {
    await trees?.index.stop();
    trees?.store.close();
    await store.close();
    await verifier.close();
  });
  const address = await app.listen({ host: config.host, port: config.port });
  trees?.index.start();
  const pending = await store.countByStatus();
  log.info(
    {
      url: address,
      chainId: gateway.chainId,
      pool: gateway.pool,
      relayer: gateway.relayer,
      store: store.location,
      resuming: pending.queued + pending.submitted,
    },
    "relayer listening",
  );
  return { app, address, gateway };
}

async function main(): Promise<void> {
  let config: RelayerConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`relayer configuration error: ${error.message}\n(see docs/RELAYER.md for every variable)\n`);
      process.exit(2);
    }
    throw error;
  }
  const log = relayerLogger(config.logLevel);
  let relayer: Awaited<ReturnType<typeof startRelayer>>;
  try {
    relayer = await startRelayer(config, log);
  } catch (error) {
    log.fatal({ err: error }, `relayer could not start: ${(error as Error).message}`);
    process.exit(1);
  }
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, "shutting down: finishing the current step, unfinished claims resume on restart");
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    await relayer.app.close();
    await releaseProver();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

if (import.meta.main) await main();
