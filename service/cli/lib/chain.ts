/**
 * Connecting to a pool: `--rpc` (or HUZHU_RPC_URL), and either a deployment record (`--deployment`,
 * by default the one `npm start` writes) or `--pool` with `--from-block`. Also reads a plan with
 * its token's symbol and decimals.
 */
import type { Command } from "commander";
import { type Address, type Chain, createPublicClient, defineChain, erc20Abi, getAddress, http, isAddress, type PublicClient } from "viem";
import { type PlanInfo, type PoolRef, planCount, readPlan } from "../../sdk/chain/pool.ts";
import { loadDeployment, localStateDir } from "../../sdk/node.ts";
import { CliError } from "./errors.ts";

export interface ChainOptions {
  rpc?: string;
  deployment?: string;
  pool?: string;
  fromBlock?: string;
  logChunk?: string;
}

export interface PoolConnection {
  client: PublicClient;
  chain: Chain;
  chainId: number;
  rpcUrl: string;
  pool: Address;
  fromBlock: bigint;
  ref: PoolRef;
  /** The local demo token, when the deployment record names one. */
  demoToken?: Address;
}

export function defaultDeploymentPath(): string {
  return `${localStateDir()}/deployments/localhost.json`;
}

export function addChainOptions(command: Command): Command {
  return command
    .option("--rpc <url>", "JSON-RPC URL (env HUZHU_RPC_URL; default: the deployment record's rpcUrl)")
    .option("--deployment <file>", `deployment record (default ${defaultDeploymentPath()})`)
    .option("--pool <address>", "pool address, instead of a deployment record (needs --rpc)")
    .option("--from-block <n>", "with --pool: first block to scan for the pool's events (default 0)")
    .option(
      "--log-chunk <blocks>",
      "largest block span of one eth_getLogs call (env HUZHU_LOG_CHUNK; default 50000; halved and retried on errors)",
    );
}

/** An address argument or option (`--pool`, `--recipient`, a new admin), checksummed; BAD_ADDRESS naming it otherwise. */
export function addressOption(text: string, name: string): Address {
  if (!isAddress(text, { strict: false })) {
    throw new CliError("BAD_ADDRESS", `${name} must be a 20-byte hex address (0x + 40 hex digits), got ${JSON.stringify(text)}`);
  }
  return getAddress(text);
}

/** A block-number option (`--from-block`, `--to-block`, ...): decimal digits; BAD_BLOCK naming the option otherwise. */
export function blockOption(text: string, name: string): bigint {
  if (!/^(0|[1-9][0-9]*)$/.test(text)) throw new CliError("BAD_BLOCK", `${name} must be a block number, got ${JSON.stringify(text)}`);
  return BigInt(text);
}

export async function connectPool(opts: ChainOptions): Promise<PoolConnection> {
  let pool: Address;
  let fromBlock = 0n;
  let rpcUrl = opts.rpc ?? (process.env.HUZHU_RPC_URL || undefined);
  let expectedChainId: number | undefined;
  let demoToken: Address | undefined;
  if (opts.pool !== undefined) {
    pool = addressOption(opts.pool, "--pool");
    if (opts.fromBlock !== undefined) fromBlock = blockOption(opts.fromBlock, "--from-block");
    if (rpcUrl === undefined) throw new CliError("NO_RPC", "--pool needs an RPC URL", "pass --rpc <url> or set HUZHU_RPC_URL");
  } else {
    const record = loadDeployment(opts.deployment ?? defaultDeploymentPath());
    pool = getAddress(record.pool);
    fromBlock = BigInt(record.deployBlock ?? 0);
    expectedChainId = record.chainId;
    demoToken = record.demoToken;
    rpcUrl ??= record.rpcUrl;
    if (rpcUrl === undefined)
      throw new CliError("NO_RPC", "the deployment record names no RPC URL", "pass --rpc <url> or set HUZHU_RPC_URL");
  }
  const probe = createPublicClient({ transport: http(rpcUrl, { retryCount: 0 }) });
  let chainId: number;
  try {
    chainId = await probe.getChainId();
  } catch {
    throw new CliError(
      "CHAIN_UNREACHABLE",
      `cannot reach the chain at ${rpcUrl}`,
      "is the node running (`npm start`)? pass --rpc <url> or set HUZHU_RPC_URL",
    );
  }
  if (expectedChainId !== undefined && expectedChainId !== chainId) {
    throw new CliError("WRONG_CHAIN", `the deployment record is for chain ${expectedChainId}, but ${rpcUrl} is chain ${chainId}`);
  }
  const chain = defineChain({
    id: chainId,
    name: `chain ${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  const client = createPublicClient({ chain, transport: http(rpcUrl), cacheTime: 0 }) as PublicClient;
  const code = await client.getCode({ address: pool });
  if (code === undefined || code === "0x") {
    throw new CliError(
      "NO_POOL",
      `no contract at ${pool} on ${rpcUrl}`,
      "is the deployment record current? a restarted local node starts empty: run `npm start` again",
    );
  }
  const chunkText = opts.logChunk ?? (process.env.HUZHU_LOG_CHUNK || undefined);
  if (chunkText !== undefined && !/^[1-9][0-9]*$/.test(chunkText))
    throw new CliError("BAD_LOG_CHUNK", `--log-chunk must be a positive number of blocks, got ${chunkText}`);
  const logChunk = chunkText === undefined ? undefined : BigInt(chunkText);
  const ref: PoolRef = { client, pool, fromBlock, ...(logChunk ? { logChunk } : {}) };
  return { client, chain, chainId, rpcUrl, pool, fromBlock, ref, ...(demoToken ? { demoToken } : {}) };
}

export interface TokenInfo {
  address: Address;
  symbol: string;
  decimals: number;
}

export async function readToken(client: PublicClient, address: Address): Promise<TokenInfo> {
  const [symbol, decimals] = await Promise.all([
    client.readContract({ address, abi: erc20Abi, functionName: "symbol" }).catch(() => "tokens"),
    client.readContract({ address, abi: erc20Abi, functionName: "decimals" }),
  ]);
  return { address, symbol, decimals };
}

/** Parses a plan id argument. */
export function parsePlanId(text: string): bigint {
  if (!/^[1-9][0-9]*$/.test(text)) throw new CliError("BAD_PLAN_ID", `a plan id is a positive integer, got ${JSON.stringify(text)}`);
  return BigInt(text);
}

/** Reads a plan, refusing an id the pool does not have. */
export async function requirePlan(connection: PoolConnection, planIdText: string): Promise<{ plan: PlanInfo; token: TokenInfo }> {
  const planId = parsePlanId(planIdText);
  const count = await planCount(connection.ref);
  if (planId > count) {
    throw new CliError(
      "UNKNOWN_PLAN",
      `plan ${planId} does not exist on this pool (it has ${count} plan${count === 1n ? "" : "s"})`,
      "run `huzhu plans list`",
    );
  }
  const plan = await readPlan(connection.ref, planId);
  return { plan, token: await readToken(connection.client, plan.token) };
}
