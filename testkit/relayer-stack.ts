/**
 * A real local stack for relayer tests: a Hardhat node on 127.0.0.1, the pool with the demo plan,
 * members who joined by paying, an assessor, and helpers to make real claims against a relayer.
 */
import { mkdtempSync } from "node:fs";
import { createServer, Socket as NetSocket, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Address, erc20Abi } from "viem";
import {
  type Chain,
  demoGasDropPrices,
  deployLocal,
  devAccount,
  freePort,
  joinMembers,
  type LocalDeployment,
  publicClientFor,
  startChain,
} from "../scripts/lib/stack.ts";
import {
  type BuildClaimOptions,
  buildClaim,
  createIdentity,
  huzhuPoolAbi,
  type Identity,
  randomFieldElement,
  requestToJson,
  type SignedQuote,
  signApproval,
} from "../service/sdk/index.ts";
import { claimArtifacts } from "../service/sdk/node.ts";
import type { ClaimReply } from "../service/sdk/relayer-wire.ts";

export interface Stack {
  chain: Chain;
  deployment: LocalDeployment;
  members: Identity[];
  pool: Address;
  token: Address;
  client: ReturnType<typeof publicClientFor>;
}

export async function startStack(members = 3): Promise<Stack> {
  const chain = await startChain(await freePort());
  const deployment = await deployLocal(chain.rpcUrl);
  const client = publicClientFor(chain.rpcUrl);
  const { pool, demoToken: token } = deployment.record;
  const identities = Array.from({ length: members }, () => createIdentity());
  await joinMembers(chain.rpcUrl, deployment.record, identities, 12);
  return { chain, deployment, members: identities, pool, token, client };
}

/** The relayer account of the relayer tests (the node's second development account). */
export const RELAYER_ACCOUNT = devAccount(1);

/**
 * A relayer's environment against `stack`: its own data directory (a fresh one unless given),
 * polling every 100 ms, any other variable from `extra`. `rpcUrl` defaults to the stack's node.
 */
export function relayerEnv(stack: Stack, extra: Record<string, string> = {}): Record<string, string> {
  return {
    HUZHU_RPC_URL: stack.chain.rpcUrl,
    HUZHU_RELAYER_KEY: RELAYER_ACCOUNT.privateKey,
    HUZHU_POOL: stack.pool,
    HUZHU_FROM_BLOCK: String(stack.deployment.record.deployBlock),
    HUZHU_RELAYER_PORT: "0",
    HUZHU_RELAYER_DATA_DIR: mkdtempSync(join(tmpdir(), "huzhu-relayer-")),
    HUZHU_POLL_INTERVAL_MS: "100",
    HUZHU_RELAYER_GAS_DROP_PRICES: demoGasDropPrices(stack.token),
    ...extra,
  };
}

/** The pool's ClaimPaid events for one nullifier (a claim paid once has exactly one). */
export async function paidEvents(stack: Stack, nullifier: string) {
  const logs = await stack.client.getContractEvents({ address: stack.pool, abi: huzhuPoolAbi, eventName: "ClaimPaid", fromBlock: 0n });
  return logs.filter((log) => log.args.nullifier === BigInt(nullifier));
}

export function tokenBalance(stack: Stack, who: Address): Promise<bigint> {
  return stack.client.readContract({ address: stack.token, abi: erc20Abi, functionName: "balanceOf", args: [who] });
}

/** A relayer's signed quote, as the SDK's wire schema defines it. */
export type Quote = SignedQuote;

export async function getQuote(relayerUrl: string, amount: bigint, gasDrop?: bigint): Promise<Quote> {
  const response = await fetch(`${relayerUrl}/v1/quote`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ planId: "1", amount: amount.toString(), ...(gasDrop === undefined ? {} : { gasDrop: gasDrop.toString() }) }),
  });
  if (response.status !== 200) throw new Error(`quote failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as Quote;
}

/** An approved claim for `member`, proven for `recipient` with the quote's relayer, fee and gas drop. */
export async function makeClaim(
  stack: Stack,
  member: Identity,
  quote: Quote,
  recipient: Address,
  trees?: Pick<BuildClaimOptions, "trees" | "onMemberTree">,
) {
  const amount = BigInt(quote.quote.amount);
  const approval = signApproval(stack.deployment.assessor, {
    commitment: member.commitment,
    planId: 1n,
    eventId: randomFieldElement(),
    amount,
    expiresAtEpoch: 1000n,
  });
  const built = await buildClaim(
    { client: stack.client, pool: stack.pool, fromBlock: BigInt(stack.deployment.record.deployBlock) },
    {
      identity: member,
      approval,
      recipient,
      relayer: quote.quote.relayer as Address,
      fee: BigInt(quote.quote.fee),
      gasDrop: BigInt(quote.quote.gasDrop),
      artifacts: claimArtifacts(),
      ...trees,
    },
  );
  return {
    built,
    body: { quote: quote.quote, quoteSignature: quote.signature, request: requestToJson(built.request), proof: built.proof },
  };
}

export async function postClaim(relayerUrl: string, body: unknown) {
  const response = await fetch(`${relayerUrl}/v1/claims`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** A claim's status as the relayer reports it (the SDK's wire schema). */
export type ClaimStatusReply = ClaimReply;

export async function claimStatus(relayerUrl: string, id: string): Promise<ClaimStatusReply> {
  const response = await fetch(`${relayerUrl}/v1/claims/${id}`);
  return (await response.json()) as ClaimStatusReply;
}

/** Polls a claim until it reaches one of `statuses`. */
export async function waitForStatus(relayerUrl: string, id: string, statuses: string[], timeoutMs = 60_000): Promise<ClaimStatusReply> {
  const deadline = Date.now() + timeoutMs;
  let last: ClaimStatusReply | undefined;
  while (Date.now() < deadline) {
    try {
      last = await claimStatus(relayerUrl, id);
      if (statuses.includes(last.status)) return last;
    } catch {
      // relayer restarting
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`claim ${id} did not reach ${statuses.join("/")} within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
}

/**
 * Polls `probe` until it returns a value `done` accepts, and returns that value: tests wait for the
 * state they need (a status, a block, a transaction in the mempool), never for a fixed time.
 */
export async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let failure: unknown;
  while (Date.now() < deadline) {
    try {
      last = await probe();
      if (done(last)) return last;
    } catch (error) {
      failure = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms (last: ${JSON.stringify(last) ?? String(failure)})`);
}

/** A TCP proxy in front of the chain node or the database, to cut and restore the relayer's connection to it. */
export class TcpProxy {
  readonly port: number;
  readonly #target: number;
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();

  constructor(port: number, target: number) {
    this.port = port;
    this.#target = target;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const server = createServer((socket) => {
      const upstream = new NetSocket();
      this.#sockets.add(socket).add(upstream);
      upstream.connect(this.#target, "127.0.0.1");
      socket.pipe(upstream).pipe(socket);
      const drop = () => {
        socket.destroy();
        upstream.destroy();
        this.#sockets.delete(socket);
        this.#sockets.delete(upstream);
      };
      socket.on("error", drop).on("close", drop);
      upstream.on("error", drop).on("close", drop);
    });
    await new Promise<void>((resolve) => server.listen(this.port, "127.0.0.1", resolve));
    this.#server = server;
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export { devAccount };
