/** Sends a simulated contract call and waits for it to be mined. */
import type { Hex, TransactionReceipt, WalletClient } from "viem";
import type { PoolConnection } from "./chain.ts";
import { CliError } from "./errors.ts";
import type { Output } from "./output.ts";

/** `simulated` is what `client.simulateContract` returned: a revert surfaces there, before any gas is spent. */
export async function sendSimulated(
  connection: PoolConnection,
  wallet: WalletClient,
  simulated: { request: unknown },
  out: Output,
  label: string,
): Promise<{ hash: Hex; receipt: TransactionReceipt }> {
  const hash = await wallet.writeContract(simulated.request as Parameters<WalletClient["writeContract"]>[0]);
  out.note(`${label}: transaction ${hash}`);
  const receipt = await connection.client.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new CliError("TX_REVERTED", `the ${label} transaction ${hash} reverted`);
  return { hash, receipt };
}
