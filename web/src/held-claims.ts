/**
 * A plan's approved claims held at the relayer until its pool can pay them, as the plans view and
 * the assessors' desk both show them: so members, donors and assessors see the need.
 */
import type { HeldClaims } from "../../service/sdk/relayer-client.ts";
import { RelayerClient } from "../../service/sdk/relayer-client.ts";
import { formatAmount, type TokenInfo } from "./chain.ts";
import type { RuntimeConfig } from "./config.ts";
import type { Translate } from "./i18n.ts";

/** The relayer's queue for a plan, or undefined when it cannot be read (the page says so quietly). */
export async function heldClaimsOf(config: RuntimeConfig, planId: bigint): Promise<HeldClaims | undefined> {
  if (!config.relayerUrl) return undefined;
  try {
    return await new RelayerClient(config.relayerUrl, { timeoutMs: 5_000 }).heldClaims(planId);
  } catch {
    return undefined;
  }
}

/** "approved claims held at the relayer: 2, asking 30 dUSD in all; the pool is short 5 dUSD". */
export function heldText(t: Translate, queue: HeldClaims | undefined, balance: bigint, token: TokenInfo): string {
  if (!queue) return t("queueUnknown");
  if (queue.claims === 0) return t("heldEmpty");
  const short = queue.amount > balance ? queue.amount - balance : 0n;
  return t("queueLine", { claims: queue.claims, amount: formatAmount(queue.amount, token), short: formatAmount(short, token) });
}
