/**
 * The relayer's configuration, read once from environment variables at boot and validated there:
 * a bad value stops the process with a message naming the variable and what it should hold.
 */
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { Type } from "typebox";
import {
  ChainEnv,
  ConfigError,
  envAccepts,
  envAddress,
  envBigInt,
  envInteger,
  envList,
  envPostgresUrl,
  envPrivateKey,
  envString,
  readEnv,
  withDeploymentDefaults,
} from "../kit/env.ts";
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
 * The relayer's variables as a TypeBox schema: type, default, bounds, pattern and purpose of each
 * (docs/RELAYER.md lists them). Only the gas-drop price list is parsed below, its parts checked
 * with schemas too.
 */
export const RelayerEnv = Type.Object({
  ...ChainEnv,
  HUZHU_RELAYER_KEY: envPrivateKey("the relayer wallet's private key (or HUZHU_RELAYER_KEY_FILE, a file holding it)", {
    required: "HUZHU_RELAYER_KEY (or HUZHU_RELAYER_KEY_FILE) is required: the relayer wallet's private key",
  }),
  HUZHU_RELAYER_KEY_FILE: envString("a file holding the relayer wallet's private key, read when HUZHU_RELAYER_KEY is unset"),
  HUZHU_RELAYER_DATABASE_URL: envPostgresUrl(
    "PostgreSQL database shared by several relayer instances (default: the embedded SQLite file)",
    "postgres://relayer:secret@db.internal:5432/huzhu",
  ),
  HUZHU_RELAYER_HOST: envString("address to listen on", "127.0.0.1"),
  HUZHU_RELAYER_PORT: envInteger("port to listen on (0: any free port)", 8787, 0, 65535),
  HUZHU_RELAYER_DATA_DIR: envString("folder of the embedded store", ".huzhu/relayer"),
  HUZHU_RELAYER_FEE_BPS: envInteger("fee asked, in basis points of the amount", 100, 0, 1000),
  HUZHU_RELAYER_MIN_FEE: envBigInt("smallest fee asked, in token base units", 0n),
  HUZHU_QUOTE_TTL_SECONDS: envInteger("how long a signed quote holds", 300, 10, 86_400),
  HUZHU_RELAYER_GAS_DROP_MAX_WEI: envBigInt("largest gas drop offered, in wei", 10n ** 16n),
  HUZHU_RELAYER_GAS_DROP_PRICES: envString("token=price pairs, comma-separated: token base units per whole native coin", ""),
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

/** One token of HUZHU_RELAYER_GAS_DROP_PRICES, and its price: a whole number from 1. */
const GasDropToken = envAddress("a token whose gas drops the relayer prices");
const GasDropUnits = Type.String({ pattern: "^[1-9][0-9]*$" });

/** HUZHU_RELAYER_GAS_DROP_PRICES: `token=units,token=units`, token base units per whole native coin. */
function gasDropPrices(raw: string): Map<string, bigint> {
  const prices = new Map<string, bigint>();
  for (const entry of raw.split(",").map((e) => e.trim())) {
    if (entry === "") continue;
    const [token, units, extra] = entry.split("=").map((part) => part.trim());
    if (
      extra !== undefined ||
      token === undefined ||
      units === undefined ||
      !envAccepts(GasDropToken, token) ||
      !envAccepts(GasDropUnits, units)
    ) {
      throw new ConfigError(
        `HUZHU_RELAYER_GAS_DROP_PRICES must list token=price pairs, the price in token base units per whole native coin (e.g. 0x5FbD...0aa3=3000000000 for 3,000 units of a 6-decimal token per ETH); got "${entry}"`,
      );
    }
    prices.set(token.toLowerCase(), BigInt(units));
  }
  return prices;
}

/** HUZHU_RELAYER_KEY_FILE's key (trimmed), when HUZHU_RELAYER_KEY is unset; a file it cannot read is a ConfigError. */
function readKeyFile(env: Env): string | undefined {
  if (!env.HUZHU_RELAYER_KEY_FILE) return undefined;
  try {
    return readFileSync(env.HUZHU_RELAYER_KEY_FILE, "utf8").trim();
  } catch (error) {
    throw new ConfigError(`HUZHU_RELAYER_KEY_FILE: cannot read it (${(error as Error).message})`, { cause: error });
  }
}

/** Reads HUZHU_* variables; a deployment record (HUZHU_DEPLOYMENT) supplies pool, block and RPC URL defaults. */
export function loadConfig(env: Env = process.env): RelayerConfig {
  const e = readEnv(RelayerEnv, withDeploymentDefaults({ ...env, HUZHU_RELAYER_KEY: env.HUZHU_RELAYER_KEY || readKeyFile(env) }));
  return {
    rpcUrl: e.HUZHU_RPC_URL,
    privateKey: e.HUZHU_RELAYER_KEY as `0x${string}`,
    pool: e.HUZHU_POOL as `0x${string}`,
    fromBlock: e.HUZHU_FROM_BLOCK,
    host: e.HUZHU_RELAYER_HOST,
    port: e.HUZHU_RELAYER_PORT,
    dataDir: e.HUZHU_RELAYER_DATA_DIR,
    databaseUrl: e.HUZHU_RELAYER_DATABASE_URL,
    feeBps: e.HUZHU_RELAYER_FEE_BPS,
    minFee: e.HUZHU_RELAYER_MIN_FEE,
    quoteTtlSeconds: e.HUZHU_QUOTE_TTL_SECONDS,
    gasDropMaxWei: e.HUZHU_RELAYER_GAS_DROP_MAX_WEI,
    gasDropTransfers: e.HUZHU_RELAYER_GAS_DROP_TRANSFERS,
    gasDropPrices: gasDropPrices(e.HUZHU_RELAYER_GAS_DROP_PRICES),
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
    logChunk: e.HUZHU_LOG_CHUNK,
  };
}
