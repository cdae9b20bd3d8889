/**
 * The desk's configuration, read once from environment variables at boot and validated there: a
 * bad value stops the process with a message naming the variable and what it should hold.
 */
import { Type } from "typebox";
import { type Address, getAddress, isAddress } from "viem";
import { ConfigError, envBigInt, envInteger, envList, envString, readDeploymentDefaults, readEnv } from "../kit/env.ts";

export interface DeskConfig {
  rpcUrl: string;
  pool: Address;
  fromBlock: bigint;
  host: string;
  port: number;
  /** The origin assessors' sign-in challenges name (the desk's public URL); default the address it listens on. */
  origin: string | undefined;
  name: string;
  dataDir: string;
  /** A PostgreSQL database shared by several desk instances, or undefined for the SQLite file in `dataDir`. */
  databaseUrl: string | undefined;
  sessionTtlSeconds: number;
  rateLimitPerMinute: number;
  requestTimeoutMs: number;
  corsOrigins: string[];
  logChunk: bigint;
  logLevel: string;
}

export { ConfigError };

/** The desk's plain variables (docs/DESK.md lists them). */
export const DeskEnv = Type.Object({
  HUZHU_FROM_BLOCK: envBigInt("first block to read the pool's events from (default: the deployment record's)", 0n),
  HUZHU_DESK_HOST: envString("address to listen on", "127.0.0.1"),
  HUZHU_DESK_PORT: envInteger("port to listen on (0: any free port)", 8788, 0, 65_535),
  HUZHU_DESK_ORIGIN: envString("the desk's public URL, named in assessors' sign-in challenges (default: the address it listens on)"),
  HUZHU_DESK_NAME: envString("the desk's name, shown to members and assessors", "Huzhu claims desk"),
  HUZHU_DESK_DATA_DIR: envString("folder of the embedded store", ".huzhu/desk"),
  HUZHU_DESK_SESSION_TTL_SECONDS: envInteger("how long an assessor's sign-in lasts", 12 * 3600, 60, 7 * 86_400),
  HUZHU_DESK_RATE_LIMIT_PER_MINUTE: envInteger("requests per client per minute", 600, 1, 1_000_000),
  HUZHU_DESK_REQUEST_TIMEOUT_MS: envInteger("time a request (a 10 MB file on a slow link) may take to arrive", 120_000, 1_000, 3_600_000),
  HUZHU_DESK_CORS_ORIGINS: envString("origins allowed to call the API from a browser, comma-separated", "*"),
  HUZHU_LOG_CHUNK: envBigInt("largest block span of one eth_getLogs request", 50_000n),
  HUZHU_LOG_LEVEL: envString("pino log level", "info"),
});

type Env = Record<string, string | undefined>;

/** Reads HUZHU_* variables; a deployment record (HUZHU_DEPLOYMENT) supplies pool, block and RPC URL defaults. */
export function loadDeskConfig(env: Env = process.env): DeskConfig {
  const deployment = readDeploymentDefaults(env);
  const rpcUrl = env.HUZHU_RPC_URL || deployment.rpcUrl;
  if (!rpcUrl || !/^https?:\/\//.test(rpcUrl)) {
    throw new ConfigError("HUZHU_RPC_URL must be the http(s) JSON-RPC URL of the chain the pool is on (or set HUZHU_DEPLOYMENT)");
  }
  const pool = env.HUZHU_POOL || deployment.pool;
  if (!pool || !isAddress(pool))
    throw new ConfigError("HUZHU_POOL (or HUZHU_DEPLOYMENT, a deployment record) must give the pool's address");
  const e = readEnv(DeskEnv, {
    ...env,
    HUZHU_FROM_BLOCK: env.HUZHU_FROM_BLOCK || (deployment.deployBlock === undefined ? undefined : String(deployment.deployBlock)),
  });
  const databaseUrl = env.HUZHU_DESK_DATABASE_URL || undefined;
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError("HUZHU_DESK_DATABASE_URL must be a postgres:// URL, e.g. postgres://desk:secret@db.internal:5432/huzhu_desk");
  }
  if (e.HUZHU_LOG_CHUNK === 0n) throw new ConfigError("HUZHU_LOG_CHUNK must be at least 1");
  if (e.HUZHU_DESK_ORIGIN !== undefined && !URL.canParse(e.HUZHU_DESK_ORIGIN)) {
    throw new ConfigError(`HUZHU_DESK_ORIGIN must be the desk's public URL, e.g. https://desk.example.org, got "${e.HUZHU_DESK_ORIGIN}"`);
  }
  return {
    rpcUrl,
    pool: getAddress(pool),
    fromBlock: e.HUZHU_FROM_BLOCK,
    host: e.HUZHU_DESK_HOST,
    port: e.HUZHU_DESK_PORT,
    origin: e.HUZHU_DESK_ORIGIN === undefined ? undefined : new URL(e.HUZHU_DESK_ORIGIN).origin,
    name: e.HUZHU_DESK_NAME,
    dataDir: e.HUZHU_DESK_DATA_DIR,
    databaseUrl,
    sessionTtlSeconds: e.HUZHU_DESK_SESSION_TTL_SECONDS,
    rateLimitPerMinute: e.HUZHU_DESK_RATE_LIMIT_PER_MINUTE,
    requestTimeoutMs: e.HUZHU_DESK_REQUEST_TIMEOUT_MS,
    corsOrigins: envList(e.HUZHU_DESK_CORS_ORIGINS),
    logChunk: e.HUZHU_LOG_CHUNK,
    logLevel: e.HUZHU_LOG_LEVEL,
  };
}
