/**
 * A service's first look at its chain when it starts (the relayer, the desk, the tree service): the
 * node answers, and the pool address holds a contract there. Refused as a ServiceError that names
 * the variable to check.
 */
import type { Address, PublicClient } from "viem";
import { ServiceError, ServiceErrorCode } from "./service-error.ts";

/** The chain id, once the node at `rpcUrl` answers and `pool` holds code on it. */
export async function checkPoolChain(client: Pick<PublicClient, "getChainId" | "getCode">, rpcUrl: string, pool: Address): Promise<number> {
  let chainId: number;
  try {
    chainId = await client.getChainId();
  } catch (error) {
    throw new ServiceError(
      ServiceErrorCode.ChainUnreachable,
      `cannot reach the chain at ${rpcUrl} (${(error as Error).message.split("\n")[0]}); is the node running? check HUZHU_RPC_URL`,
      { cause: error },
    );
  }
  const code = await client.getCode({ address: pool });
  if (!code || code === "0x") {
    throw new ServiceError(
      ServiceErrorCode.NoPoolContract,
      `no contract at HUZHU_POOL ${pool} on chain ${chainId}; check the address and the RPC URL`,
    );
  }
  return chainId;
}
