/**
 * The relayer's configuration, read once from environment variables at boot and validated there:
 * a bad value stops the process with a message naming the variable and what it should hold.
 */
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { Type } from "typebox";
import { isAddress, isHex } from "viem";
import { ConfigError, envBigInt, envInteger, envList, envString, readDeploymentDefaults, readEnv } from "../kit/env.ts";
import { TreeIndexEnv } from "../trees/server.ts";

export interface RelayerConfig {
  rpcUrl: string;
  /** The relayer's hot wallet: pays gas, receives fees. */
  privateKey: `0x${string}`;
  pool: `0x${string}`;
  /** First block with pool events (the deployment block). */
  fromBlock: bigint;
  host: string;
  port: number;
  dataDir: string;
  /**
   * A PostgreSQL database shared by several instances of this relayer (same key, same pool), or
   * undefined for the embedded SQLite file in `dataDir`.
   */
  databaseUrl: string | undefined;
  feeBps: number;
  /** Smallest fee in token units, whatever the amount. */
  minFee: bigint;
  quoteTtlSeconds: number;
  /** The largest gas drop sent with one claim (wei); 0 sends none. */
  gasDropMaxWei: bigint;
  /** Token transfers the suggested gas drop pays for at the current gas price. */
  gasDropTransfers: number;
  /** Token base units charged per whole native coin for a gas drop, by lower-case token address (none: no drop for that token). */
  gasDropPrices: Map<string, bigint>;
  /** Blocks on top of the inclusion block before a claim counts as confirmed. */
  confirmations: number;
  /** A transaction not mined after this long is sent again with a higher fee. */
  repriceAfterMs: number;
  pollIntervalMs: number;
  /** Below this balance (wei) the relayer reports not ready. */
  minBalanceWei: bigint;
  rateLimitPerMinute: number;
  bodyLimitBytes: number;
  requestTimeoutMs: number;
  verificationKeyPath: string | undefined;
  /** Worker threads verifying proofs (default: one per core). */
  verifyThreads: number;
  /** A proof check not answered in this time counts as a hung verifier process, which is replaced. */
  verifyTimeoutMs: number;
  logLevel: string;
  /** Origins allowed to call the API from a browser (HUZHU_RELAYER_CORS_ORIGINS, comma-separated; default "*"). */
  corsOrigins: string[];
  /** How often the member tree index looks for new blocks (HUZHU_TREES_POLL_MS). */
  treesPollIntervalMs: number;
  /** Largest block span of one eth_getLogs request (HUZHU_LOG_CHUNK). */
  logChunk: bigint;
}

export { ConfigError };

type Env = Record<string, string | undefined>;

/**
 * The relayer's plain variables (numbers and text), as a TypeBox schema: type, default, bounds and
 * purpose of each (docs/RELAYER.md lists them). URLs, keys, the pool and the price list are checked
 * below, with the deployment record's defaults.
 */
export const RelayerEnv = Type.Object({
  HUZHU_FROM_BLOCK: envBigInt("first block to read the pool's events from (default: the deployment record's)", 0n),
  HUZHU_RELAYER_HOST: envString("address to listen on", "127.0.0.1"),
  HUZHU_RELAYER_PORT: envInteger("port to listen on (0: any free port)", 8787, 0, 65535),
  HUZHU_RELAYER_DATA_DIR: envString("folder of the embedded store", ".huzhu/relayer"),
  HUZHU_RELAYER_FEE_BPS: envInteger("fee asked, in basis points of the amount", 100, 0, 1000),
  HUZHU_RELAYER_MIN_FEE: envBigInt("smallest fee asked, in token base units", 0n),
  HUZHU_QUOTE_TTL_SECONDS: envInteger("how long a signed quote holds", 300, 10, 86_400),
  HUZHU_RELAYER_GAS_DROP_MAX_WEI: envBigInt("largest gas drop offered, in wei", 10n ** 16n),
  HUZHU_RELAYER_GAS_DROP_TRANSFERS: envInteger("token transfers a suggested gas drop pays for", 3, 1, 100),
  HUZHU_CONFIRMATIONS: envInteger("blocks on top of a claim's before it counts as confirmed", 1, 1, 100),
  HUZHU_REPRICE_AFTER_SECONDS: envInteger("seconds before a stuck transaction is re-priced", 30, 1, 3600),
  HUZHU_POLL_INTERVAL_MS: envInteger("how often the submitter looks at the chain", 500, 50, 60_000),
  HUZHU_MIN_BALANCE_WEI: envBigInt("wallet balance below which the relayer is not ready", 10n ** 16n),
  HUZHU_RATE_LIMIT_PER_MINUTE: envInteger("requests per client per minute", 600, 1, 1_000_000),
  HUZHU_BODY_LIMIT_BYTES: envInteger("largest request body", 16_384, 1024, 1_048_576),
  HUZHU_REQUEST_TIMEOUT_MS: envInteger("time a request may take to arrive", 30_000, 100, 600_000),
  HUZHU_VERIFICATION_KEY: envString("verification key file (default: the setup's)"),
  HUZHU_VERIFY_THREADS: envInteger("proof verifier processes", availableParallelism(), 1, 64),
  HUZHU_VERIFY_TIMEOUT_MS: envInteger("time one proof verification may take", 5_000, 100, 120_000),
  HUZHU_LOG_LEVEL: envString("pino log level", "info"),
  HUZHU_RELAYER_CORS_ORIGINS: envString("origins allowed to call the API from a browser, comma-separated", "*"),
  ...TreeIndexEnv,
});

/** HUZHU_RELAYER_GAS_DROP_PRICES: `token=units,token=units`, token base units per whole native coin. */
function gasDropPrices(env: Env): Map<string, bigint> {
  const prices = new Map<string, bigint>();
  const raw = env.HUZHU_RELAYER_GAS_DROP_PRICES ?? "";
  for (const entry of raw.split(",").map((e) => e.trim())) {
    if (entry === "") continue;
    const [token, units, extra] = entry.split("=").map((part) => part.trim());
    if (extra !== undefined || token === undefined || !isAddress(token) || units === undefined || !/^[1-9]\d*$/.test(units)) {
      throw new ConfigError(
        `HUZHU_RELAYER_GAS_DROP_PRICES must list token=price pairs, the price in token base units per whole native coin (e.g. 0x5FbD...0aa3=3000000000 for 3,000 units of a 6-decimal token per ETH); got "${entry}"`,
      );
    }
    prices.set(token.toLowerCase(), BigInt(units));
  }
  return prices;
}

function logChunk(span: bigint): bigint {
  if (span === 0n) throw new ConfigError("HUZHU_LOG_CHUNK must be at least 1");
  return span;
}

function databaseUrl(env: Env): string | undefined {
  const raw = env.HUZHU_RELAYER_DATABASE_URL;
  if (raw === undefined || raw === "") return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError("HUZHU_RELAYER_DATABASE_URL must be a postgres:// URL, e.g. postgres://relayer:secret@db.internal:5432/huzhu");
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new ConfigError(`HUZHU_RELAYER_DATABASE_URL must be a postgres:// URL, got a ${url.protocol.slice(0, -1)}: URL`);
  }
  return raw;
}

/** Reads HUZHU_* variables; a deployment record (HUZHU_DEPLOYMENT) supplies pool, block and RPC URL defaults. */
export function loadConfig(env: Env = process.env): RelayerConfig {
  const deployment = readDeploymentDefaults(env);
  const rpcUrl = env.HUZHU_RPC_URL || deployment.rpcUrl;
  if (!rpcUrl) throw new ConfigError("HUZHU_RPC_URL is required: the JSON-RPC URL of the chain the pool is on");
  try {
    const url = new URL(rpcUrl);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("not http(s)");
  } catch {
    throw new ConfigError(`HUZHU_RPC_URL must be an http(s) URL, got "${rpcUrl}"`);
  }
  let privateKey = env.HUZHU_RELAYER_KEY;
  if (!privateKey && env.HUZHU_RELAYER_KEY_FILE) {
    try {
      privateKey = readFileSync(env.HUZHU_RELAYER_KEY_FILE, "utf8").trim();
    } catch (error) {
      throw new ConfigError(`HUZHU_RELAYER_KEY_FILE: cannot read it (${(error as Error).message})`, { cause: error });
    }
  }
  if (!privateKey) throw new ConfigError("HUZHU_RELAYER_KEY (or HUZHU_RELAYER_KEY_FILE) is required: the relayer wallet's private key");
  if (!isHex(privateKey) || privateKey.length !== 66)
    throw new ConfigError("HUZHU_RELAYER_KEY must be a 0x-prefixed 32-byte hex private key");
  const pool = env.HUZHU_POOL || deployment.pool;
  if (!pool) throw new ConfigError("HUZHU_POOL (or HUZHU_DEPLOYMENT, a deployment record) is required: the pool's address");
  if (!isAddress(pool)) throw new ConfigError(`HUZHU_POOL must be an address, got "${pool}"`);
  const e = readEnv(RelayerEnv, {
    ...env,
    HUZHU_FROM_BLOCK: env.HUZHU_FROM_BLOCK || (deployment.deployBlock === undefined ? undefined : String(deployment.deployBlock)),
  });
  return {
    rpcUrl,
    privateKey: privateKey as `0x${string}`,
    pool,
    fromBlock: e.HUZHU_FROM_BLOCK,
    host: e.HUZHU_RELAYER_HOST,
    port: e.HUZHU_RELAYER_PORT,
    dataDir: e.HUZHU_RELAYER_DATA_DIR,
    databaseUrl: databaseUrl(env),
    feeBps: e.HUZHU_RELAYER_FEE_BPS,
    minFee: e.HUZHU_RELAYER_MIN_FEE,
    quoteTtlSeconds: e.HUZHU_QUOTE_TTL_SECONDS,
    gasDropMaxWei: e.HUZHU_RELAYER_GAS_DROP_MAX_WEI,
    gasDropTransfers: e.HUZHU_RELAYER_GAS_DROP_TRANSFERS,
    gasDropPrices: gasDropPrices(env),
    confirmations: e.HUZHU_CONFIRMATIONS,
    repriceAfterMs: e.HUZHU_REPRICE_AFTER_SECONDS * 1000,
    pollIntervalMs: e.HUZHU_POLL_INTERVAL_MS,
    minBalanceWei: e.HUZHU_MIN_BALANCE_WEI,
    rateLimitPerMinute: e.HUZHU_RATE_LIMIT_PER_MINUTE,
    bodyLimitBytes: e.HUZHU_BODY_LIMIT_BYTES,
    requestTimeoutMs: e.HUZHU_REQUEST_TIMEOUT_MS,
    verificationKeyPath: e.HUZHU_VERIFICATION_KEY,
    verifyThreads: e.HUZHU_VERIFY_THREADS,
    verifyTimeoutMs: e.HUZHU_VERIFY_TIMEOUT_MS,
    logLevel: e.HUZHU_LOG_LEVEL,
    corsOrigins: envList(e.HUZHU_RELAYER_CORS_ORIGINS),
    treesPollIntervalMs: e.HUZHU_TREES_POLL_MS,
    logChunk: logChunk(e.HUZHU_LOG_CHUNK),
  };
}
