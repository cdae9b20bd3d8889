/**
 * A plan administrator's `addAssessor` on a node (a `hardhat node` on 127.0.0.1): what
 * `huzhu assessor add` sends, for tests that put a key, or a committee's group key, in a plan.
 */
import { type Address, createWalletClient, http, type TransactionReceipt } from "viem";
import { devAccount, publicClientFor } from "../scripts/lib/stack.ts";
import { huzhuPoolAbi } from "../service/sdk/chain/abi.ts";
import type { PublicKey } from "../service/sdk/encoding.ts";

export interface AddAssessorOptions {
  /** Default plan 1. */
  planId?: bigint;
  /** The development account that administers the plan (default 0, which `npm start` makes admin). */
  adminAccount?: number;
}

/** Adds `publicKey` to the plan's assessors and waits for the receipt; throws if the pool refused. */
export async function addAssessorOnChain(
  rpcUrl: string,
  pool: Address,
  publicKey: PublicKey,
  options: AddAssessorOptions = {},
): Promise<TransactionReceipt> {
  const wallet = createWalletClient({ account: devAccount(options.adminAccount ?? 0).account, transport: http(rpcUrl) });
  const hash = await wallet.writeContract({
    chain: null,
    address: pool,
    abi: huzhuPoolAbi,
    functionName: "addAssessor",
    args: [options.planId ?? 1n, publicKey[0], publicKey[1]],
  });
  const receipt = await publicClientFor(rpcUrl).waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`addAssessor ${hash} reverted`);
  return receipt;
}
