/** Token amounts on the command line: whole tokens with decimals ("250", "12.5") or raw units ("raw:250000000"). */
import { formatUnits, parseUnits } from "viem";
import type { TokenInfo } from "./chain.ts";
import { CliError } from "./errors.ts";

export const AMOUNT_HELP = 'in tokens ("250" or "12.5", scaled by the token\'s decimals) or in raw units ("raw:250000000")';

/** Whether the amount is given in raw units (needs no token decimals). */
export function isRawAmount(text: string): boolean {
  return text.startsWith("raw:");
}

export function parseAmount(text: string, decimals: number | undefined, name = "amount"): bigint {
  if (isRawAmount(text)) {
    const raw = text.slice(4);
    if (!/^(0|[1-9][0-9]*)$/.test(raw))
      throw new CliError("BAD_AMOUNT", `${name} raw:<n> takes a whole number of units, got ${JSON.stringify(raw)}`);
    return BigInt(raw);
  }
  if (!/^[0-9]+(\.[0-9]+)?$/.test(text)) {
    throw new CliError("BAD_AMOUNT", `${name} must be a number of tokens like 250 or 12.5, or raw:<units>; got ${JSON.stringify(text)}`);
  }
  if (decimals === undefined) throw new Error("token decimals are needed to parse a token amount");
  const fraction = text.split(".")[1] ?? "";
  if (fraction.length > decimals) throw new CliError("BAD_AMOUNT", `${name} ${text} has more than the token's ${decimals} decimals`);
  return parseUnits(text, decimals);
}

export function formatAmount(raw: bigint, token: Pick<TokenInfo, "decimals" | "symbol">): string {
  return `${formatUnits(raw, token.decimals)} ${token.symbol}`;
}

/** JSON form of an amount: raw units and the human value. */
export function amountJson(raw: bigint, token: Pick<TokenInfo, "decimals" | "symbol">) {
  return { raw: raw.toString(), formatted: formatUnits(raw, token.decimals), symbol: token.symbol };
}
