/**
 * The claims this browser sent, kept in localStorage for "My membership": which identity
 * (commitment) made it, the plan, the amount asked, the relayer's claim id and its last status, and
 * the payout's transaction. The recipient address is not kept, so the record does not tie the
 * identity to where the money went. Nothing of it is sent anywhere.
 */
import type { ClaimStatus } from "../../service/sdk/relayer-client.ts";

const CLAIMS_ITEM = "huzhu.claims";

export interface ClaimRecord {
  commitment: string;
  planId: string;
  /** The relayer's claim id and URL, to follow it again. */
  id: string;
  relayerUrl: string;
  /** Token units, as decimal strings. */
  amount: string;
  fee: string;
  status: ClaimStatus["status"];
  txHash?: string;
  /** When it was sent (ISO time). */
  sentAt: string;
}

function storedClaims(): ClaimRecord[] {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(CLAIMS_ITEM) ?? "[]");
    return Array.isArray(parsed) ? (parsed as ClaimRecord[]) : [];
  } catch {
    return [];
  }
}

/** Adds the claim, or updates the one with the same relayer and id. */
export function keepClaimRecord(record: ClaimRecord): void {
  const others = storedClaims().filter((r) => !(r.id === record.id && r.relayerUrl === record.relayerUrl));
  localStorage.setItem(CLAIMS_ITEM, JSON.stringify([...others, record]));
}

/** The claims `commitment` sent from this browser, oldest first. */
export function claimRecords(commitment: string): ClaimRecord[] {
  return storedClaims().filter((r) => r.commitment === commitment);
}
