/**
 * The paying wallet for join, renew, assessor changes and direct claims: a key file, the
 * HUZHU_PRIVATE_KEY environment variable, or (local dev chain only) one of Hardhat's test accounts.
 */
import { readFile, stat } from "node:fs/promises";
import type { Command } from "commander";
import { type Account, createWalletClient, type Hex, http, type WalletClient } from "viem";
import { mnemonicToAccount, privateKeyToAccount } from "viem/accounts";
import { DEV_MNEMONIC } from "../../sdk/constants.ts";
import type { PoolConnection } from "./chain.ts";
import { CliError } from "./errors.ts";
import type { Output } from "./output.ts";

export interface WalletOptions {
  keyFile?: string;
  devAccount?: string;
}

/** Hardhat's public test mnemonic: its accounts are funded on a local node and nowhere else. */
const LOCAL_CHAIN_ID = 31337;

export function addWalletOptions(command: Command): Command {
  return command
    .option("--key-file <file>", "file holding the paying wallet's private key (0x + 64 hex); else env HUZHU_PRIVATE_KEY")
    .option("--dev-account <n>", "local dev chain (31337) only: pay from Hardhat's test account n");
}

function parseKey(text: string, source: string): Hex {
  const key = text.trim();
  const hex = key.startsWith("0x") ? key : `0x${key}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex))
    throw new CliError("BAD_KEY", `${source} does not hold a private key (expected 0x followed by 64 hex digits)`);
  return hex as Hex;
}

export async function loadAccount(opts: WalletOptions, connection: PoolConnection, out: Output): Promise<Account> {
  if (opts.keyFile !== undefined && opts.devAccount !== undefined) {
    throw new CliError("WALLET_CONFLICT", "pass either --key-file or --dev-account, not both");
  }
  if (opts.keyFile !== undefined) {
    let text: string;
    try {
      text = await readFile(opts.keyFile, "utf8");
    } catch (error) {
      throw new CliError(
        "FILE_UNREADABLE",
        `cannot read the key file ${opts.keyFile} (${(error as NodeJS.ErrnoException).code})`,
        undefined,
        { cause: error },
      );
    }
    if (((await stat(opts.keyFile)).mode & 0o077) !== 0) out.warn(`${opts.keyFile} is readable by other users: chmod 600 it`);
    return privateKeyToAccount(parseKey(text, opts.keyFile));
  }
  if (opts.devAccount !== undefined) {
    if (connection.chainId !== LOCAL_CHAIN_ID) {
      throw new CliError(
        "NOT_DEV_CHAIN",
        `--dev-account works only on a local dev chain (chain id ${LOCAL_CHAIN_ID}), not chain ${connection.chainId}`,
      );
    }
    if (!/^[0-9]+$/.test(opts.devAccount) || Number(opts.devAccount) > 19) {
      throw new CliError("BAD_DEV_ACCOUNT", `--dev-account is an account number from 0 to 19, got ${opts.devAccount}`);
    }
    return mnemonicToAccount(DEV_MNEMONIC, { addressIndex: Number(opts.devAccount) });
  }
  const fromEnv = process.env.HUZHU_PRIVATE_KEY;
  if (fromEnv !== undefined && fromEnv.length > 0) return privateKeyToAccount(parseKey(fromEnv, "HUZHU_PRIVATE_KEY"));
  throw new CliError(
    "NO_WALLET",
    "this command pays from a wallet, and none was given",
    "pass --key-file <file>, set HUZHU_PRIVATE_KEY, or on a local dev chain pass --dev-account 0",
  );
}

export function walletClient(account: Account, connection: PoolConnection): WalletClient {
  return createWalletClient({ account, chain: connection.chain, transport: http(connection.rpcUrl) });
}
