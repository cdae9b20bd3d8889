/**
 * The relayer's configuration, read once from environment variables at boot and validated there:
 * a bad value stops the process with a message naming the variable and what it should hold.
 */
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { isAddress, isHex } from "viem";
import { CodedError, type CodedErrorOptions } from "../sdk/coded-error.ts";

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
}

export class ConfigError extends CodedError<"CONFIG_INVALID"> {
  constructor(message: string, options: CodedErrorOptions = {}) {
    super("CONFIG_INVALID", message, options);
    this.name = "ConfigError";
  }
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return Number(raw);
}

function big(env: Env, name: string, fallback: bigint): bigint {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  return BigInt(raw);
}

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
  let deployment: { pool?: string; deployBlock?: number; rpcUrl?: string } = {};
  if (env.HUZHU_DEPLOYMENT) {
    try {
      deployment = JSON.parse(readFileSync(env.HUZHU_DEPLOYMENT, "utf8"));
    } catch (error) {
      throw new ConfigError(`HUZHU_DEPLOYMENT: cannot read ${env.HUZHU_DEPLOYMENT} (${(error as Error).message})`, { cause: error });
    }
  }
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
  const feeBps = int(env, "HUZHU_RELAYER_FEE_BPS", 100, 0, 1000);
  return {
    rpcUrl,
    privateKey: privateKey as `0x${string}`,
    pool,
    fromBlock: big(env, "HUZHU_FROM_BLOCK", BigInt(deployment.deployBlock ?? 0)),
    host: env.HUZHU_RELAYER_HOST || "127.0.0.1",
    port: int(env, "HUZHU_RELAYER_PORT", 8787, 0, 65535),
    dataDir: env.HUZHU_RELAYER_DATA_DIR || ".huzhu/relayer",
    databaseUrl: databaseUrl(env),
    feeBps,
    minFee: big(env, "HUZHU_RELAYER_MIN_FEE", 0n),
    quoteTtlSeconds: int(env, "HUZHU_QUOTE_TTL_SECONDS", 300, 10, 86_400),
    gasDropMaxWei: big(env, "HUZHU_RELAYER_GAS_DROP_MAX_WEI", 10n ** 16n),
    gasDropTransfers: int(env, "HUZHU_RELAYER_GAS_DROP_TRANSFERS", 3, 1, 100),
    gasDropPrices: gasDropPrices(env),
    confirmations: int(env, "HUZHU_CONFIRMATIONS", 1, 1, 100),
    repriceAfterMs: int(env, "HUZHU_REPRICE_AFTER_SECONDS", 30, 1, 3600) * 1000,
    pollIntervalMs: int(env, "HUZHU_POLL_INTERVAL_MS", 500, 50, 60_000),
    minBalanceWei: big(env, "HUZHU_MIN_BALANCE_WEI", 10n ** 16n),
    rateLimitPerMinute: int(env, "HUZHU_RATE_LIMIT_PER_MINUTE", 600, 1, 1_000_000),
    bodyLimitBytes: int(env, "HUZHU_BODY_LIMIT_BYTES", 16_384, 1024, 1_048_576),
    requestTimeoutMs: int(env, "HUZHU_REQUEST_TIMEOUT_MS", 30_000, 100, 600_000),
    verificationKeyPath: env.HUZHU_VERIFICATION_KEY || undefined,
    verifyThreads: int(env, "HUZHU_VERIFY_THREADS", availableParallelism(), 1, 64),
    verifyTimeoutMs: int(env, "HUZHU_VERIFY_TIMEOUT_MS", 5_000, 100, 120_000),
    logLevel: env.HUZHU_LOG_LEVEL || "info",
    corsOrigins: (env.HUZHU_RELAYER_CORS_ORIGINS || "*")
      .split(",")
      .map((origin) => origin.trim())
      .filter((origin) => origin !== ""),
  };
}
