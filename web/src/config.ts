/**
 * The runtime configuration the server writes at /config.json: which chain, pool, relayer and desk
 * the page talks to and where the proving artifacts are. The static build works with any deployment.
 */
import type { Address } from "viem";

export interface RuntimeConfig {
  chainId: number;
  /** JSON-RPC URL the page reads the chain through. */
  rpcUrl: string;
  pool: Address;
  /** First block worth scanning for the pool's events. */
  deployBlock: number;
  /** The relayer suggested to members; they may choose another. */
  relayerUrl: string;
  /** The claims desk members file cases at and assessors review them at (absent: DEFAULT_DESK_URL). */
  deskUrl?: string;
  /** Offer the built-in development wallet (only honoured on chain 31337). */
  devWallet: boolean;
  /** The demo token the development wallet may mint. */
  demoToken?: Address;
  /** Content-addressed URLs of the proving artifacts and the verification key. */
  artifacts: { wasm: string; zkey: string; verificationKey: string };
}

export const LOCAL_CHAIN_ID = 31337;

/** Where `npm run desk` listens by default. */
export const DEFAULT_DESK_URL = "http://127.0.0.1:8788";

export function deskUrlOf(config: RuntimeConfig): string {
  return config.deskUrl || DEFAULT_DESK_URL;
}

export async function loadConfig(): Promise<RuntimeConfig> {
  const response = await fetch("/config.json", { cache: "no-cache" });
  if (!response.ok) throw new Error(`/config.json: HTTP ${response.status}`);
  return (await response.json()) as RuntimeConfig;
}
