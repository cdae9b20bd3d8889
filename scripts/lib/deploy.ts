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
