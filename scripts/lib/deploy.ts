/**
 * One deployment definition for every network: the Poseidon libraries, the generated claim
 * verifier and the pool (linked to the libraries). Runs through Hardhat's viem helpers, so the
 * same code deploys to the in-process network in tests, to the local node, and to any configured
 * network (`npm run deploy -- --network remote`).
 */
import type { HardhatViemHelpers } from "@nomicfoundation/hardhat-viem/types";
import type { Address } from "viem";

export interface DeployOptions {
  /** Receives the pool's admin, plan-creator and pauser roles. */
  admin: Address;
  /** Deploy a verifier that accepts every proof instead of the real one (fuzz tests only). */
  acceptingVerifier?: boolean;
  /** An already deployed claim verifier (a production setup's), used instead of deploying one. */
  verifier?: Address;
}

export async function deployHuzhu(viem: HardhatViemHelpers, options: DeployOptions) {
  const publicClient = await viem.getPublicClient();
  const poseidonT3 = await viem.deployContract("poseidon-solidity/PoseidonT3.sol:PoseidonT3");
  const poseidonT4 = await viem.deployContract("poseidon-solidity/PoseidonT4.sol:PoseidonT4");
  const verifier = options.verifier
    ? await viem.getContractAt("ClaimVerifier", options.verifier)
    : options.acceptingVerifier
      ? await viem.deployContract("AcceptingVerifier")
      : await viem.deployContract("ClaimVerifier");
  const pool = await viem.deployContract("HuzhuPool", [verifier.address, options.admin], {
    libraries: { PoseidonT3: poseidonT3.address, PoseidonT4: poseidonT4.address },
  });
  const deployBlock = await publicClient.getBlockNumber();
  return { pool, verifier, poseidonT3, poseidonT4, deployBlock, chainId: BigInt(await publicClient.getChainId()) };
}

export type HuzhuDeployment = Awaited<ReturnType<typeof deployHuzhu>>;

/** The addresses clients read (deployments/*.json, .huzhu/deployments/localhost.json). */
export function deploymentRecord(network: string, d: HuzhuDeployment) {
  return {
    network,
    chainId: Number(d.chainId),
    pool: d.pool.address,
    verifier: d.verifier.address,
    poseidonT3: d.poseidonT3.address,
    poseidonT4: d.poseidonT4.address,
    deployBlock: Number(d.deployBlock),
  };
}

/**
 * A demo token (6 decimals) with `amount` minted to `payer`, who approves the pool for any amount:
 * what tests and benches need before members join.
 */
export async function fundedDemoToken(viem: HardhatViemHelpers, pool: Address, payer: Address, amount = 10n ** 18n) {
  const token = await viem.deployContract("DemoToken", ["Demo USD", "dUSD", 6]);
  const wallets = await viem.getWalletClients();
  const wallet = wallets.find((w) => w.account.address.toLowerCase() === payer.toLowerCase());
  if (!wallet) throw new Error(`no wallet for ${payer} on this network`);
  const asPayer = await viem.getContractAt("DemoToken", token.address, { client: { wallet } });
  await asPayer.write.mint([payer, amount]);
  await asPayer.write.approve([pool, 2n ** 255n]);
  return token;
}

/**
 * The pool, a funded demo token and one plan (no waiting period, 30-day periods) on `viem`'s
 * network: dev wallet 0 administers, dev wallet 1 pays for joins. For tests and benches of trees.
 */
export async function poolWithPlan(viem: HardhatViemHelpers, name: string) {
  const [admin, payer] = await viem.getWalletClients();
  if (!admin || !payer) throw new Error("expected two funded accounts");
  const deployment = await deployHuzhu(viem, { admin: admin.account.address });
  const { pool } = deployment;
  const token = await fundedDemoToken(viem, pool.address, payer.account.address);
  const plan = { token: token.address, contribution: 1_000n, periodLength: 30n * 86_400n, waitingPeriods: 0, claimCap: 10n ** 12n };
  await pool.write.createPlan([{ ...plan, maxFeeBps: 300, admin: admin.account.address, name }]);
  const planId = await pool.read.planCount();
  const asPayer = await viem.getContractAt("HuzhuPool", pool.address, { client: { wallet: payer } });
  return { deployment, pool, token, planId, asPayer, admin, payer };
}
