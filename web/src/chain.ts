/**
 * The page's view of the chain: a viem public client on the configured RPC URL, the pool reference
 * the SDK reads with, token metadata, and the paying wallet (an injected EIP-1193 wallet, or on the
 * local chain the built-in development wallet).
 */
import {
  type Address,
  type Chain,
  createPublicClient,
  createWalletClient,
  custom,
  type EIP1193Provider,
  erc20Abi,
  formatUnits,
  type Hex,
  http,
  type PublicClient,
  type WalletClient,
} from "viem";
import type { PoolRef } from "../../service/sdk/chain/pool.ts";
import { CodedError, type CodedErrorOptions } from "../../service/sdk/coded-error.ts";
import { DEV_MNEMONIC } from "../../service/sdk/constants.ts";
import { LOCAL_CHAIN_ID, type RuntimeConfig } from "./config.ts";

export function chainOf(config: RuntimeConfig): Chain {
  return {
    id: config.chainId,
    name: config.chainId === LOCAL_CHAIN_ID ? "Local (Hardhat)" : `Chain ${config.chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [config.rpcUrl] } },
  };
}

export function publicClientFor(config: RuntimeConfig): PublicClient {
  return createPublicClient({ chain: chainOf(config), transport: http(config.rpcUrl, { retryCount: 1 }) });
}

export function poolRef(config: RuntimeConfig, client: PublicClient, pool: Address = config.pool, fromBlock = config.deployBlock): PoolRef {
  return { client, pool, fromBlock: BigInt(fromBlock) };
}

export interface TokenInfo {
  address: Address;
  symbol: string;
  decimals: number;
}

const tokens = new Map<string, Promise<TokenInfo>>();

export function tokenInfo(client: PublicClient, address: Address): Promise<TokenInfo> {
  const key = address.toLowerCase();
  let info = tokens.get(key);
  if (!info) {
    info = Promise.all([
      client.readContract({ address, abi: erc20Abi, functionName: "symbol" }),
      client.readContract({ address, abi: erc20Abi, functionName: "decimals" }),
    ]).then(([symbol, decimals]) => ({ address, symbol, decimals }));
    info.catch(() => tokens.delete(key));
    tokens.set(key, info);
  }
  return info;
}

export function formatAmount(value: bigint, token: TokenInfo | undefined): string {
  if (!token) return value.toString();
  const [whole = "0", fraction] = formatUnits(value, token.decimals).split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${fraction ? `${grouped}.${fraction.slice(0, 6)}` : grouped} ${token.symbol}`;
}

export function shortHex(value: string, keep = 6): string {
  return value.length <= keep * 2 + 2 ? value : `${value.slice(0, keep + 2)}…${value.slice(-keep)}`;
}

/** A wallet the member pays from. */
export interface Payer {
  kind: "dev" | "injected";
  address: Address;
  wallet: WalletClient;
}

/** Account `index` of Hardhat's public development mnemonic; the local chain funds it. */
export async function devWallet(config: RuntimeConfig, index: number): Promise<Payer> {
  if (config.chainId !== LOCAL_CHAIN_ID) {
    throw new WalletError(WalletErrorCode.DevWalletNotLocal, `the development wallet works only on the local chain (${LOCAL_CHAIN_ID})`, {
      chainId: config.chainId,
      expectedChainId: LOCAL_CHAIN_ID,
    });
  }
  const { mnemonicToAccount } = await import("viem/accounts");
  const account = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: index });
  const wallet = createWalletClient({ account, chain: chainOf(config), transport: http(config.rpcUrl) });
  return { kind: "dev", address: account.address, wallet };
}

export const WalletErrorCode = {
  /** No browser wallet in the page, or one that gave no account. */
  NoInjectedWallet: "NO_INJECTED_WALLET",
  /** A browser wallet on another chain than the configured one, that would not switch. */
  WrongChain: "WRONG_CHAIN",
  /** The development wallet asked for on another chain than the local one. */
  DevWalletNotLocal: "DEV_WALLET_NOT_LOCAL",
  /** A transaction mined but reverted (its receipt's status is not success). */
  TransactionReverted: "TRANSACTION_REVERTED",
} as const;
export type WalletErrorCode = (typeof WalletErrorCode)[keyof typeof WalletErrorCode];

/** The paying wallet cannot be used: `code` says why; for WRONG_CHAIN, `chainId` is the wallet's chain and `expectedChainId` the page's. */
export class WalletError extends CodedError<WalletErrorCode> {
  readonly chainId: number | undefined;
  readonly expectedChainId: number | undefined;

  constructor(
    code: WalletErrorCode,
    message: string,
    chains: { chainId?: number; expectedChainId?: number } = {},
    options: CodedErrorOptions = {},
  ) {
    super(code, message, options);
    this.name = "WalletError";
    this.chainId = chains.chainId;
    this.expectedChainId = chains.expectedChainId;
  }
}

export function injectedProvider(): EIP1193Provider | undefined {
  return (globalThis as { ethereum?: EIP1193Provider }).ethereum;
}

export async function injectedWallet(config: RuntimeConfig): Promise<Payer> {
  const provider = injectedProvider();
  if (!provider) throw new WalletError(WalletErrorCode.NoInjectedWallet, "the page has no browser wallet");
  const wallet = createWalletClient({ chain: chainOf(config), transport: custom(provider) });
  const [address] = await wallet.requestAddresses();
  if (!address) throw new WalletError(WalletErrorCode.NoInjectedWallet, "the browser wallet gave no account");
  const chainId = await wallet.getChainId();
  if (chainId !== config.chainId) {
    await wallet.switchChain({ id: config.chainId }).catch((error: unknown) => {
      throw new WalletError(
        WalletErrorCode.WrongChain,
        `the browser wallet is on chain ${chainId} and did not switch to chain ${config.chainId}`,
        { chainId, expectedChainId: config.chainId },
        { cause: error },
      );
    });
  }
  return {
    kind: "injected",
    address,
    wallet: createWalletClient({ account: address, chain: chainOf(config), transport: custom(provider) }),
  };
}

/** Sends a contract call from the payer and waits for its receipt; throws on a revert. */
export async function send(
  client: PublicClient,
  payer: Payer,
  call: { address: Address; abi: readonly unknown[]; functionName: string; args: readonly unknown[] },
): Promise<Hex> {
  const { request } = await client.simulateContract({ ...call, account: payer.wallet.account ?? payer.address } as never);
  const hash = await payer.wallet.writeContract(request as never);
  const receipt = await client.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new WalletError(WalletErrorCode.TransactionReverted, `transaction ${hash} reverted`);
  return hash;
}
