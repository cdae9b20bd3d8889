/**
 * The relayer's durable claim store. A claim is written (and synced) before the relayer answers
 * 202, and every transaction is recorded before it is broadcast, so a restart can resume every
 * unfinished claim without ever sending a second transaction for it. Exactly one process is the
 * writer, the one that gives out nonces: `writer()` says whether this one is.
 *
 * Two implementations: an embedded SQLite file (node:sqlite, the default), which one process owns
 * through an exclusive lock, and a shared PostgreSQL database (store-postgres.ts), where several
 * relayer instances accept claims and one of them, the holder of an advisory lock, sends them.
 */
import { join } from "node:path";
import type { DatabaseSync } from "node:sqlite";
import type { Logger } from "pino";
import { ServiceError, ServiceErrorCode } from "../kit/service-error.ts";
import { openSqliteSync, type SqlSchema } from "../kit/sql.ts";
import { RelayerError, RelayerErrorCode } from "./errors.ts";
import { MIGRATIONS } from "./migrations.ts";

/**
 * The claim store's schema for the service kit (service/kit/sql.ts), which migrates both stores and
 * records their versions in `schema_version`. A store with the claims table and no recorded version
 * was written before versioning: it is version 1.
 */
export const RELAYER_SCHEMA: SqlSchema = {
  service: "relayer",
  migrations: MIGRATIONS,
  urlVariable: "HUZHU_RELAYER_DATABASE_URL",
  lockId: 0x6875_7a68_7530n, // held while migrating the shared schema and checking its identity
  what: "store",
  label: "claim store",
  unversioned: { table: "claims", version: 1 },
  inUseMessage: (path) =>
    `the relayer store ${path} is in use by another relayer process; stop it or give this one its own HUZHU_RELAYER_DATA_DIR and key`,
};

/** A claim id neither store holds (the relayer's 404 CLAIM_NOT_FOUND). */
export function unknownClaim(id: string): RelayerError {
  return new RelayerError(RelayerErrorCode.ClaimNotFound, `unknown claim ${id}`);
}

/**
 * Where a claim is. `waiting_for_funds`: held until the pool can pay it (until `heldUntil`), with
 * `code` and `reason` saying why; the submitter looks at it again, and the member may replace it.
 */
export type ClaimStatus = "queued" | "waiting_for_funds" | "submitted" | "confirmed" | "failed";

/** The statuses a claim leaves again by itself (the submitter's work lists). */
export type UnfinishedStatus = "queued" | "waiting_for_funds" | "submitted";

/** The statuses a claim can be replaced from (see `ClaimStore.replace`). */
export const REPLACEABLE_STATUSES: readonly ClaimStatus[] = ["queued", "waiting_for_funds", "failed"];

export interface SentTransaction {
  hash: `0x${string}`;
  raw: `0x${string}`;
  gas: string;
  maxFeePerGas: string;
  maxPriorityFeePerGas: string;
  sentAt: number;
}

export interface StoredClaim {
  id: string;
  nullifier: string;
  planId: string;
  amount: string;
  fee: string;
  recipient: string;
  status: ClaimStatus;
  /** The JSON body as accepted (request + proof), what the submitter sends. */
  payload: string;
  nonce: number | null;
  transactions: SentTransaction[];
  txHash: string | null;
  blockNumber: string | null;
  code: string | null;
  reason: string | null;
  /** While `waiting_for_funds`: the unix time (seconds) until which the claim can still be paid. */
  heldUntil: number | null;
  /** How often the member replaced the claim's proof. */
  replacements: number;
  createdAt: number;
  updatedAt: number;
}

/** A row of the claims table as a driver returns it (PostgreSQL's BIGINT arrives as a string). */
export interface Row {
  id: string;
  nullifier: string;
  plan_id: string;
  amount: string;
  fee: string;
  recipient: string;
  status: ClaimStatus;
  payload: string;
  nonce: number | null;
  transactions: string;
  tx_hash: string | null;
  block_number: string | null;
  code: string | null;
  reason: string | null;
  held_until: number | string | null;
  replacements: number;
  created_at: number | string;
  updated_at: number | string;
}

export function fromRow(row: Row): StoredClaim {
  return {
    id: row.id,
    nullifier: row.nullifier,
    planId: row.plan_id,
    amount: row.amount,
    fee: row.fee,
    recipient: row.recipient,
    status: row.status,
    payload: row.payload,
    nonce: row.nonce,
    transactions: JSON.parse(row.transactions) as SentTransaction[],
    txHash: row.tx_hash,
    blockNumber: row.block_number,
    code: row.code,
    reason: row.reason,
    heldUntil: row.held_until === null ? null : Number(row.held_until),
    replacements: Number(row.replacements),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export interface NewClaim {
  id: string;
  nullifier: string;
  planId: string;
  amount: string;
  fee: string;
  recipient: string;
  payload: string;
}

/** What a member's replacement of a claim brings: a new proof for the same nullifier. */
export interface Replacement {
  payload: string;
  amount: string;
  fee: string;
  recipient: string;
}

/** An empty count of every status. */
export function emptyCounts(): Record<ClaimStatus, number> {
  return { queued: 0, waiting_for_funds: 0, submitted: 0, confirmed: 0, failed: 0 };
}

/**
 * What the relayer needs of a store. The methods down to `writer` are safe from any instance; those
 * after it only from the writer.
 */
export interface ClaimStore {
  /** Where the claims live, for the logs (a file, or a database without its password). */
  readonly location: string;
  /** Stores a new claim; returns the existing one if its nullifier is already known. */
  insert(claim: NewClaim): Promise<{ claim: StoredClaim; created: boolean }>;
  get(id: string): Promise<StoredClaim | undefined>;
  byNullifier(nullifier: string): Promise<StoredClaim | undefined>;
  countByStatus(): Promise<Record<ClaimStatus, number>>;
  /**
   * Replaces a claim's proof with a newer one, in one statement, if the claim is `queued`,
   * `waiting_for_funds` or `failed` with a code not in `finalCodes`: the new payload, amount, fee
   * and recipient, back to `queued` with no nonce, block, code, reason or hold, and one more
   * replacement (its earlier transactions stay on record). Returns the claim as it is after the
   * call, and whether it was replaced; throws for an unknown id.
   */
  replace(id: string, next: Replacement, finalCodes: readonly string[]): Promise<{ claim: StoredClaim; replaced: boolean }>;
  /** Resolves if the store answers (for `/ready`); rejects with the reason otherwise. */
  ping(): Promise<void>;
  /**
   * Whether this instance is the writer: the only one that may call the methods below, which give
   * out nonces and record transactions. Asked before every submitter pass; the answer can change
   * (another instance stopped, or this one lost its database session).
   */
  writer(): Promise<boolean>;
  /** Unfinished claims, oldest first. */
  unfinished(status: UnfinishedStatus): Promise<StoredClaim[]>;
  /** The highest nonce any stored transaction used, or -1. */
  maxNonce(): Promise<number>;
  /**
   * Records a signed transaction before it is broadcast. With `replacements`, only if the claim
   * still has that many replacements (the body the transaction was signed from is still the
   * claim's): false means a newer body replaced it meanwhile, so the transaction must not be sent.
   */
  recordTransaction(id: string, nonce: number, tx: SentTransaction, replacements?: number): Promise<boolean>;
  markIncluded(id: string, txHash: string, blockNumber: bigint): Promise<void>;
  /** A receipt vanished (reorg): the claim waits for inclusion again. */
  markUnincluded(id: string): Promise<void>;
  /** Back to the queue with no nonce (its earlier transactions stay on record). */
  requeue(id: string): Promise<void>;
  markConfirmed(id: string, txHash: string, blockNumber: bigint): Promise<void>;
  markFailed(id: string, code: string, reason: string): Promise<void>;
  /**
   * Holds a claim until the pool can pay it: `waiting_for_funds` until `heldUntil` (unix seconds),
   * `code` and `reason` saying why, with no nonce or block.
   */
  markWaiting(id: string, code: string, reason: string, heldUntil: number): Promise<void>;
  close(): Promise<void>;
}

/** The embedded store: one SQLite file, owned by one process (which is therefore the writer). */
export class SqliteClaimStore implements ClaimStore {
  readonly #db: DatabaseSync;
  readonly location: string;

  constructor(dataDir: string, log?: Logger) {
    const file = join(dataDir, "relayer.sqlite");
    this.location = file;
    // Takes the exclusive lock now: a second relayer on the same file fails at boot, not mid-claim.
    this.#db = openSqliteSync(file, RELAYER_SCHEMA, log);
  }

  async insert(claim: NewClaim): Promise<{ claim: StoredClaim; created: boolean }> {
    const now = Date.now();
    const result = this.#db
      .prepare(
        `INSERT INTO claims (id, nullifier, plan_id, amount, fee, recipient, status, payload, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?) ON CONFLICT (nullifier) DO NOTHING`,
      )
      .run(claim.id, claim.nullifier, claim.planId, claim.amount, claim.fee, claim.recipient, claim.payload, now, now);
    const stored = this.#byNullifier(claim.nullifier);
    if (!stored)
      throw new ServiceError(ServiceErrorCode.StoreInconsistent, `claim ${claim.id} vanished from ${this.location} after its insert`);
    return { claim: stored, created: Number(result.changes) === 1 };
  }

  async get(id: string): Promise<StoredClaim | undefined> {
    return this.#get(id);
  }

  #get(id: string): StoredClaim | undefined {
    const row = this.#db.prepare("SELECT * FROM claims WHERE id = ?").get(id) as Row | undefined;
    return row && fromRow(row);
  }

  async byNullifier(nullifier: string): Promise<StoredClaim | undefined> {
    return this.#byNullifier(nullifier);
  }

  #byNullifier(nullifier: string): StoredClaim | undefined {
    const row = this.#db.prepare("SELECT * FROM claims WHERE nullifier = ?").get(nullifier) as Row | undefined;
    return row && fromRow(row);
  }

  async ping(): Promise<void> {
    if (!this.#db.isOpen) throw new ServiceError(ServiceErrorCode.StoreClosed, `the relayer store ${this.location} is closed`);
  }

  /** The file's exclusive lock makes this process the only writer. */
  async writer(): Promise<boolean> {
    return this.#db.isOpen;
  }

  async unfinished(status: UnfinishedStatus): Promise<StoredClaim[]> {
    return (this.#db.prepare("SELECT * FROM claims WHERE status = ? ORDER BY created_at, id").all(status) as unknown as Row[]).map(fromRow);
  }

  async countByStatus(): Promise<Record<ClaimStatus, number>> {
    const counts = emptyCounts();
    for (const row of this.#db.prepare("SELECT status, COUNT(*) AS n FROM claims GROUP BY status").all() as Array<{
      status: ClaimStatus;
      n: number;
    }>) {
      counts[row.status] = Number(row.n);
    }
    return counts;
  }

  async maxNonce(): Promise<number> {
    const row = this.#db.prepare("SELECT MAX(nonce) AS n FROM claims").get() as { n: number | null };
    return row.n ?? -1;
  }

  async recordTransaction(id: string, nonce: number, tx: SentTransaction, replacements?: number): Promise<boolean> {
    const claim = this.#get(id);
    if (!claim) throw unknownClaim(id);
    if (replacements !== undefined && claim.replacements !== replacements) return false;
    const transactions = [...claim.transactions, tx];
    this.#db
      .prepare("UPDATE claims SET status = 'submitted', nonce = ?, transactions = ?, tx_hash = ?, updated_at = ? WHERE id = ?")
      .run(nonce, JSON.stringify(transactions), tx.hash, Date.now(), id);
    return true;
  }

  async markIncluded(id: string, txHash: string, blockNumber: bigint): Promise<void> {
    this.#db
      .prepare("UPDATE claims SET tx_hash = ?, block_number = ?, updated_at = ? WHERE id = ?")
      .run(txHash, blockNumber.toString(), Date.now(), id);
  }

  async markUnincluded(id: string): Promise<void> {
    this.#db.prepare("UPDATE claims SET block_number = NULL, updated_at = ? WHERE id = ?").run(Date.now(), id);
  }

  async requeue(id: string): Promise<void> {
    this.#db
      .prepare("UPDATE claims SET status = 'queued', nonce = NULL, block_number = NULL, updated_at = ? WHERE id = ?")
      .run(Date.now(), id);
  }

  async markConfirmed(id: string, txHash: string, blockNumber: bigint): Promise<void> {
    this.#db
      .prepare("UPDATE claims SET status = 'confirmed', tx_hash = ?, block_number = ?, updated_at = ? WHERE id = ?")
      .run(txHash, blockNumber.toString(), Date.now(), id);
  }

  async markFailed(id: string, code: string, reason: string): Promise<void> {
    this.#db
      .prepare("UPDATE claims SET status = 'failed', code = ?, reason = ?, updated_at = ? WHERE id = ?")
      .run(code, reason, Date.now(), id);
  }

  async markWaiting(id: string, code: string, reason: string, heldUntil: number): Promise<void> {
    this.#db
      .prepare(
        `UPDATE claims SET status = 'waiting_for_funds', code = ?, reason = ?, held_until = ?, nonce = NULL, block_number = NULL,
           updated_at = ? WHERE id = ?`,
      )
      .run(code, reason, heldUntil, Date.now(), id);
  }

  async replace(id: string, next: Replacement, finalCodes: readonly string[]): Promise<{ claim: StoredClaim; replaced: boolean }> {
    const result = this.#db
      .prepare(
        `UPDATE claims SET payload = ?, amount = ?, fee = ?, recipient = ?, status = 'queued', nonce = NULL, block_number = NULL,
           code = NULL, reason = NULL, held_until = NULL, replacements = replacements + 1, updated_at = ?
         WHERE id = ? AND status IN (SELECT value FROM json_each(?))
           AND (code IS NULL OR code NOT IN (SELECT value FROM json_each(?)))`,
      )
      .run(
        next.payload,
        next.amount,
        next.fee,
        next.recipient,
        Date.now(),
        id,
        JSON.stringify(REPLACEABLE_STATUSES),
        JSON.stringify(finalCodes),
      );
    const claim = this.#get(id);
    if (!claim) throw unknownClaim(id);
    return { claim, replaced: Number(result.changes) === 1 };
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
  }
}
