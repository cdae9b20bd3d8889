/**
 * The local stack's parts, shared by `npm start`, `npm run demo`, the benchmarks and the
 * end-to-end tests: a Hardhat node on 127.0.0.1, the deployment with a demo token, plan and
 * assessor, relayer and claims desk processes, and the demo assessor's place on the desk.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { network } from "hardhat";
import { type Address, createPublicClient, createWalletClient, erc20Abi, type Hex, http, toHex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { DeskClient, publishRosterEntry, signIn } from "../../service/sdk/desk/index.ts";
import {
  type AssessorKey,
  categoryIndex,
  createIdentity,
  DEV_MNEMONIC,
  type DeploymentRecord,
  demoTokenAbi,
  generateAssessorKey,
  huzhuPoolAbi,
  type Identity,
  termsHash,
} from "../../service/sdk/index.ts";
import { deployHuzhu, deploymentRecord } from "./deploy.ts";
import { ROOT } from "./paths.ts";

export const HOST = "127.0.0.1";
export { DEV_MNEMONIC };

/** Account `index` of the development mnemonic, with its private key. */
export function devAccount(index: number) {
  const account = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: index });
  const key = account.getHdKey().privateKey;
  if (!key) throw new Error("no private key");
  return { account, address: account.address, privateKey: toHex(key) as Hex };
}

/** Dev account roles in the local stack. */
export const DEV_ROLES = { admin: 0, relayer: 1, firstMember: 2 } as const;

async function rpcAnswers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(2_000),
    });
    return response.ok;
  } catch {
    return false;
  }
}

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(true));
    probe.listen(port, HOST, () => probe.close(() => resolve(false)));
  });
}

export interface Chain {
  rpcUrl: string;
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** A port on 127.0.0.1 that nothing listens on (the system's choice, so parallel callers differ). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** Starts `hardhat node` on 127.0.0.1:port and waits until it answers. */
export async function startChain(port: number, timeoutMs = 60_000): Promise<Chain> {
  const rpcUrl = `http://${HOST}:${port}`;
  if (await portInUse(port))
    throw new Error(`the chain node cannot use port ${port}: it is already in use; stop what holds it or choose another port`);
  const child = spawn(
    process.execPath,
    [join(ROOT, "node_modules/hardhat/dist/src/cli.js"), "node", "--hostname", HOST, "--port", String(port)],
    {
      cwd: ROOT,
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  };
  const deadline = Date.now() + timeoutMs;
  while (!(await rpcAnswers(rpcUrl))) {
    if (child.exitCode !== null)
      throw new Error(`the chain node exited with code ${child.exitCode}: ${stderr.trim() || "is the port in use?"}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the chain node did not answer on ${rpcUrl} within ${timeoutMs / 1000} s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  // An answer from a node that another process started on the port meanwhile is not ours.
  if (child.exitCode !== null)
    throw new Error(`the chain node exited with code ${child.exitCode}: ${stderr.trim() || "is the port in use?"}`);
  return { rpcUrl, port, child, stop };
}

export interface LocalDeployment {
  record: DeploymentRecord & { rpcUrl: string; demoToken: Address; demoPlanId: number };
  assessor: AssessorKey;
}

export const DEMO_PLAN = {
  contribution: 10_000_000n, // 10 dUSD per period
  periodLength: 86_400n,
  waitingPeriods: 0,
  claimCap: 5_000_000_000n, // 5,000 dUSD
  maxFeeBps: 300,
  name: "Demo medical plan",
} as const;

/**
 * What the local relayer charges for a gas drop in the demo token: 3,000 dUSD (6 decimals) per
 * ETH, a fixed demo rate. A real relayer sets its own rate for each token it serves.
 */
export const DEMO_GAS_DROP_PRICE = 3_000_000_000n;

/** The relayer setting that prices gas drops in the demo token (HUZHU_RELAYER_GAS_DROP_PRICES). */
export function demoGasDropPrices(demoToken: Address): string {
  return `${demoToken}=${DEMO_GAS_DROP_PRICE}`;
}

/** The demo plan's terms document (its hash goes on chain). */
export const DEMO_TERMS_FILE = join(ROOT, "docs", "plans", "demo-medical.md");

/** A plan's terms as createPlan takes them, less its token and admin (the demo token, dev account 0). */
export interface PlanSpec {
  name: string;
  contribution: bigint;
  periodLength: bigint;
  waitingPeriods: number;
  claimCap: bigint;
  maxFeeBps: number;
}

/**
 * Deploys the pool on the node at `rpcUrl` as `npm start` does (libraries, verifier, pool), the
 * demo token, and `plans` in order (ids 1, 2, ...), all administered by dev account 0, which the
 * CLI's `--dev-account 0` and the local stack's admin commands sign with.
 */
export async function deployWithPlans(rpcUrl: string, plans: readonly PlanSpec[]) {
  const { viem } = await network.create({ network: "localhost", override: { url: rpcUrl } });
  const admin = devAccount(DEV_ROLES.admin).address;
  const deployment = await deployHuzhu(viem, { admin });
  const token = await viem.deployContract("DemoToken", ["Demo USD", "dUSD", 6]);
  const publicClient = await viem.getPublicClient();
  for (const plan of plans) {
    const created = await deployment.pool.write.createPlan([{ token: token.address, admin, ...plan }]);
    await publicClient.waitForTransactionReceipt({ hash: created });
  }
  const record: LocalDeployment["record"] = {
    ...deploymentRecord("localhost", deployment),
    rpcUrl,
    demoToken: token.address,
    demoPlanId: 1,
  };
  return { deployment, token, publicClient, record };
}

/** Deploys the pool, a demo token and the demo plan (with its terms) with one assessor. */
export async function deployLocal(rpcUrl: string): Promise<LocalDeployment> {
  const { deployment, publicClient, record } = await deployWithPlans(rpcUrl, [DEMO_PLAN]);
  const terms = { termsHash: termsHash(readFileSync(DEMO_TERMS_FILE)), category: categoryIndex("medical"), termsUri: "" };
  await publicClient.waitForTransactionReceipt({ hash: await deployment.pool.write.setPlanTerms([1n, terms]) });
  const assessor = generateAssessorKey();
  const added = await deployment.pool.write.addAssessor([1n, assessor.publicKey[0], assessor.publicKey[1]]);
  await publicClient.waitForTransactionReceipt({ hash: added });
  return { record, assessor };
}

/**
 * Members join the demo plan, each paying from its own development account (starting at
 * `firstAccount`): the token is minted, approved for exactly the cost, and `join` is sent.
 */
export async function joinMembers(
  rpcUrl: string,
  record: LocalDeployment["record"],
  identities: readonly Identity[],
  periods: number,
  firstAccount: number = DEV_ROLES.firstMember,
): Promise<Array<{ wallet: Address; tx: Hex }>> {
  const client = createPublicClient({ transport: http(rpcUrl) });
  const cost = DEMO_PLAN.contribution * BigInt(periods);
  const joined = [];
  for (const [i, identity] of identities.entries()) {
    const payer = devAccount(firstAccount + i);
    const wallet = createWalletClient({ account: payer.account, transport: http(rpcUrl) });
    const send = async (hash: Hex) => {
      const receipt = await client.waitForTransactionReceipt({ hash });
      if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted`);
      return hash;
    };
    await send(
      await wallet.writeContract({
        chain: null,
        address: record.demoToken,
        abi: demoTokenAbi,
        functionName: "mint",
        args: [payer.address, cost],
      }),
    );
    await send(
      await wallet.writeContract({
        chain: null,
        address: record.demoToken,
        abi: erc20Abi,
        functionName: "approve",
        args: [record.pool, cost],
      }),
    );
    const tx = await send(
      await wallet.writeContract({
        chain: null,
        address: record.pool,
        abi: huzhuPoolAbi,
        functionName: "join",
        args: [1n, identity.commitment, periods],
      }),
    );
    joined.push({ wallet: payer.address, tx });
  }
  return joined;
}

/** Development accounts the local stack's demo members and donor pay from (clear of those its printed commands use). */
export const DEMO_FUNDERS = { firstMember: 15, members: 3, periods: 12, donor: 18, donation: 1_000_000_000n } as const;

/**
 * Funds the demo plan the way a young community would: three members join for 12 periods each and a
 * donor gives 1,000 dUSD, so that a newcomer's first claim (the commands `npm start` prints, or
 * the web app) is paid rather than held for funds.
 */
export async function fundDemoPlan(rpcUrl: string, record: LocalDeployment["record"]): Promise<{ donation: Hex }> {
  const identities = Array.from({ length: DEMO_FUNDERS.members }, () => createIdentity());
  await joinMembers(rpcUrl, record, identities, DEMO_FUNDERS.periods, DEMO_FUNDERS.firstMember);
  const client = createPublicClient({ transport: http(rpcUrl) });
  const donor = devAccount(DEMO_FUNDERS.donor);
  const wallet = createWalletClient({ account: donor.account, transport: http(rpcUrl) });
  const send = async (hash: Hex) => {
    const receipt = await client.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted`);
    return hash;
  };
  const amount = DEMO_FUNDERS.donation;
  const token = { chain: null, address: record.demoToken } as const;
  await send(await wallet.writeContract({ ...token, abi: demoTokenAbi, functionName: "mint", args: [donor.address, amount] }));
  await send(await wallet.writeContract({ ...token, abi: demoTokenAbi, functionName: "approve", args: [record.pool, amount] }));
  const donation = await send(
    await wallet.writeContract({ chain: null, address: record.pool, abi: huzhuPoolAbi, functionName: "donate", args: [1n, amount] }),
  );
  return { donation };
}

/** Records where the demo plan's terms can be read (the local web app serves them); the hash stays the same. */
export async function publishDemoTerms(rpcUrl: string, record: LocalDeployment["record"], termsUri: string): Promise<void> {
  const client = createPublicClient({ transport: http(rpcUrl) });
  const admin = devAccount(DEV_ROLES.admin);
  const wallet = createWalletClient({ account: admin.account, transport: http(rpcUrl) });
  const terms = { termsHash: termsHash(readFileSync(DEMO_TERMS_FILE)), category: categoryIndex("medical"), termsUri };
  const hash = await wallet.writeContract({
    chain: null,
    address: record.pool,
    abi: huzhuPoolAbi,
    functionName: "setPlanTerms",
    args: [1n, terms],
  });
  const receipt = await client.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted`);
}

export interface ServiceProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export type RelayerProcess = ServiceProcess;
export type DeskProcess = ServiceProcess;

/** Starts one of the project's services (`service/<name>/server.ts`) and waits for its "<name> listening" line. */
async function spawnService(name: "relayer" | "desk", env: Record<string, string>, timeoutMs: number): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", join(ROOT, `service/${name}/server.ts`)], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  const listening = new RegExp(`"url":"(http://[^"]+)"[^\n]*${name} listening`);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the ${name} did not start within ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const onData = () => {
      const match = listening.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        resolve(match[1]);
      }
    };
    child.stdout?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the ${name} exited with ${code}:\n${out}`));
    });
  });
  return {
    url,
    child,
    output: () => out,
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      child.kill(signal);
      return exited;
    },
  };
}

/** Starts `service/relayer/server.ts` with the given environment and waits for it to listen. */
export function spawnRelayer(env: Record<string, string>, timeoutMs = 60_000): Promise<RelayerProcess> {
  return spawnService("relayer", env, timeoutMs);
}

/** Starts the claims desk (`service/desk/server.ts`) with the given environment and waits for it to listen. */
export function spawnDesk(env: Record<string, string>, timeoutMs = 60_000): Promise<DeskProcess> {
  return spawnService("desk", env, timeoutMs);
}

/**
 * Signs an assessor in at a claims desk and publishes its roster entry for `planId` (its desk key,
 * signed with its assessor key), so members' clients encrypt new cases to it.
 */
export async function joinDesk(deskUrl: string, assessor: AssessorKey, planId = 1n): Promise<void> {
  const client = new DeskClient(deskUrl);
  const { token } = await signIn(client, assessor, planId);
  await publishRosterEntry(client, token, assessor, planId);
}

/** A JSON-RPC call to the node (mining control in tests and the demo). */
export async function rpc(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

export function publicClientFor(rpcUrl: string) {
  return createPublicClient({ transport: http(rpcUrl) });
}
