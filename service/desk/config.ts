/**
 * The desk's configuration, read once from environment variables at boot and validated there: a
 * bad value stops the process with a message naming the variable and what it should hold.
 */
import { Type } from "typebox";
import { type Address, getAddress } from "viem";
import {
  ChainEnv,
  ConfigError,
  envInteger,
  envList,
  envLogChunk,
  envPostgresUrl,
  envString,
  envUrl,
  readEnv,
  withDeploymentDefaults,
} from "../kit/env.ts";

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

/** The desk's variables, each checked against its schema (docs/DESK.md lists them). */
export const DeskEnv = Type.Object({
  ...ChainEnv,
  HUZHU_DESK_HOST: envString("address to listen on", "127.0.0.1"),
  HUZHU_DESK_PORT: envInteger("port to listen on (0: any free port)", 8788, 0, 65_535),
  HUZHU_DESK_ORIGIN: envUrl("the desk's public URL, named in assessors' sign-in challenges (default: the address it listens on)", {
    must: "the desk's public URL",
    example: "https://desk.example.org",
    optional: true,
  }),
  HUZHU_DESK_NAME: envString("the desk's name, shown to members and assessors", "Huzhu claims desk"),
  HUZHU_DESK_DATA_DIR: envString("folder of the embedded store", ".huzhu/desk"),
  HUZHU_DESK_DATABASE_URL: envPostgresUrl(
    "PostgreSQL database shared by several desk instances (default: the SQLite file in the data folder)",
    "postgres://desk:secret@db.internal:5432/huzhu_desk",
  ),
  HUZHU_DESK_SESSION_TTL_SECONDS: envInteger("how long an assessor's sign-in lasts", 12 * 3600, 60, 7 * 86_400),
  HUZHU_DESK_RATE_LIMIT_PER_MINUTE: envInteger("requests per client per minute", 600, 1, 1_000_000),
  HUZHU_DESK_REQUEST_TIMEOUT_MS: envInteger("time a request (a 10 MB file on a slow link) may take to arrive", 120_000, 1_000, 3_600_000),
  HUZHU_DESK_CORS_ORIGINS: envString("origins allowed to call the API from a browser, comma-separated", "*"),
  HUZHU_LOG_CHUNK: envLogChunk(),
  HUZHU_LOG_LEVEL: envString("pino log level", "info"),
});

type Env = Record<string, string | undefined>;

/** Reads HUZHU_* variables; a deployment record (HUZHU_DEPLOYMENT) supplies pool, block and RPC URL defaults. */
export function loadDeskConfig(env: Env = process.env): DeskConfig {
  const e = readEnv(DeskEnv, withDeploymentDefaults(env));
  return {
    rpcUrl: e.HUZHU_RPC_URL,
    pool: getAddress(e.HUZHU_POOL),
    fromBlock: e.HUZHU_FROM_BLOCK,
    host: e.HUZHU_DESK_HOST,
    port: e.HUZHU_DESK_PORT,
    origin: e.HUZHU_DESK_ORIGIN === undefined ? undefined : new URL(e.HUZHU_DESK_ORIGIN).origin,
    name: e.HUZHU_DESK_NAME,
    dataDir: e.HUZHU_DESK_DATA_DIR,
    databaseUrl: e.HUZHU_DESK_DATABASE_URL,
    sessionTtlSeconds: e.HUZHU_DESK_SESSION_TTL_SECONDS,
    rateLimitPerMinute: e.HUZHU_DESK_RATE_LIMIT_PER_MINUTE,
    requestTimeoutMs: e.HUZHU_DESK_REQUEST_TIMEOUT_MS,
    corsOrigins: envList(e.HUZHU_DESK_CORS_ORIGINS),
    logChunk: e.HUZHU_LOG_CHUNK,
    logLevel: e.HUZHU_LOG_LEVEL,
  };
}
