/**
 * The shared store: a PostgreSQL database that several relayer instances use at once. Every
 * instance accepts claims (the nullifier's unique key makes a claim sent to two instances one
 * claim) and answers status for all of them; one instance at a time is the writer, the one that
 * gives out nonces and sends transactions.
 *
 * The writer is whoever holds a session-level advisory lock, on a database session of its own that
 * it also uses for every write it makes as the writer; the other instances keep such a session open
 * and ask for the lock on it before each of their passes. If the writer's process dies or its session
 * drops, PostgreSQL releases the lock and another instance takes over at its next pass, resuming
 * every unfinished claim from the table, exactly as a restarted single relayer does. A writer that
 * lost its session cannot record (and so never broadcasts) another transaction, because recording
 * goes through the lost session and fails.
 *
 * One database serves one relayer wallet on one pool and chain: the first instance records them,
 * and an instance configured for another wallet, pool or chain refuses to start. The schema comes
 * from the migrations in migrations.ts, applied by the service kit's `migrate` (service/kit/sql.ts)
 * in the first instance to boot, under an advisory lock, so instances booting at once migrate once.
 */
import pg from "pg";
import type { Logger } from "pino";
import { ServiceError, ServiceErrorCode } from "../kit/service-error.ts";
import { migrateShared, redactedUrl } from "../kit/sql.ts";
import { RelayerError, RelayerErrorCode } from "./errors.ts";
import {
  type ClaimStatus,
  type ClaimStore,
  emptyCounts,
  fromRow,
  type NewClaim,
  RELAYER_SCHEMA,
  REPLACEABLE_STATUSES,
  type Replacement,
  type Row,
  type SentTransaction,
  type StoredClaim,
  type UnfinishedStatus,
  unknownClaim,
} from "./store.ts";

/**
 * The writer's advisory lock key (any fixed number other than the schema's, RELAYER_SCHEMA.lockId;
 * the database belongs to one relayer wallet).
 */
export const WRITER_LOCK = 0x6875_7a68_7531n; // held by the writer for as long as its session lives

/** Sessions in the shared query pool. */
const POOL_SIZE = 8;

/** A new session gives up after this long (a database behind a dead route must not hang a request). */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * Whether a failed query means the database cannot be reached (no connection, a dropped one, the
 * server shutting down), as opposed to an error of the query itself. PostgreSQL reports its own
 * errors with a five-character SQLSTATE; class 08 is "connection exception", 57P0x "operator
 * intervention" (shutdown, crash).
 */
export function isUnreachable(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code.startsWith("08") || code.startsWith("57P0");
  return true;
}

/** Which relayer a database belongs to. */
export interface RelayerIdentity {
  chainId: number;
  pool: string;
  relayer: string;
}

/** `postgres://user:***@host:port/db`: the URL without its password, for logs. */
export const redactDatabaseUrl = redactedUrl;

export class PostgresClaimStore implements ClaimStore {
  readonly location: string;
  readonly #url: string;
  readonly #pool: pg.Pool;
  readonly #log: Logger | undefined;
  /**
   * This instance's own session for the writer's lock, kept open between passes: it asks for the
   * lock while another instance holds it, and once it holds it, every write as the writer goes
   * through it.
   */
  #session: pg.Client | undefined;
  /** Whether `#session` holds WRITER_LOCK. */
  #holdsLock = false;
  #closed = false;

  private constructor(url: string, log: Logger | undefined) {
    this.#url = url;
    this.location = redactDatabaseUrl(url);
    this.#log = log;
    this.#pool = new pg.Pool({ connectionString: url, max: POOL_SIZE, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
    // An idle pooled session that breaks is dropped by the pool; the next query opens another.
    this.#pool.on("error", (error) => this.#log?.warn({ err: error.message }, "a pooled database session failed"));
  }

  /** Connects, migrates the schema if needed and checks the database belongs to `identity`. */
  static async open(url: string, identity: RelayerIdentity, log?: Logger): Promise<PostgresClaimStore> {
    const store = new PostgresClaimStore(url, log);
    try {
      await store.#migrate(identity);
    } catch (error) {
      await store.#pool.end();
      throw error;
    }
    return store;
  }

  async #migrate(identity: RelayerIdentity): Promise<void> {
    // The kit's migration under the schema's lock; the identity is checked under the same lock.
    await migrateShared(this.#pool, this.location, RELAYER_SCHEMA, this.#log, (client) => this.#checkIdentity(client, identity));
  }

  async #checkIdentity(client: pg.PoolClient, identity: RelayerIdentity): Promise<void> {
    await client.query("INSERT INTO relayer_identity (chain_id, pool, relayer) VALUES ($1, $2, $3) ON CONFLICT (only_row) DO NOTHING", [
      identity.chainId,
      identity.pool.toLowerCase(),
      identity.relayer.toLowerCase(),
    ]);
    const { rows } = await client.query<{ chain_id: string; pool: string; relayer: string }>("SELECT * FROM relayer_identity");
    const owner = rows[0];
    if (
      owner &&
      (Number(owner.chain_id) !== identity.chainId ||
        owner.pool !== identity.pool.toLowerCase() ||
        owner.relayer !== identity.relayer.toLowerCase())
    ) {
      throw new ServiceError(
        ServiceErrorCode.StoreOwnedElsewhere,
        `the relayer database ${this.location} belongs to relayer ${owner.relayer} on pool ${owner.pool} (chain ${owner.chain_id}), ` +
          `not to relayer ${identity.relayer.toLowerCase()} on pool ${identity.pool.toLowerCase()} (chain ${identity.chainId}); ` +
          "instances sharing a database must share the relayer key and pool: give this one a database of its own",
      );
    }
  }

  /**
   * A query on the shared pool. A database that cannot be reached becomes a 503 `NOT_READY` with
   * what to do, rather than an internal error: nothing was stored, and the client may try again.
   */
  async #query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    try {
      return await this.#pool.query<R>(text, values);
    } catch (error) {
      if (!isUnreachable(error)) throw error;
      this.#log?.warn({ err: (error as Error).message }, "the relayer database is unreachable");
      throw new RelayerError(
        RelayerErrorCode.NotReady,
        "the relayer's claim store is unreachable, so nothing was stored; try again in a moment",
      );
    }
  }

  async ping(): Promise<void> {
    // A pooled session that dropped since its last use fails once with "Connection terminated" and
    // is discarded; the pool may hold several such, so try again (at most once per pooled session
    // plus one on a new session) to report the database's actual state, not a stale session's.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#pool.query("SELECT 1");
        return;
      } catch (error) {
        const message = (error as Error).message;
        if (/terminated/i.test(message) && attempt < POOL_SIZE) {
          this.#log?.debug({ err: message }, "a pooled database session had dropped; trying a new one");
          continue;
        }
        throw new ServiceError(ServiceErrorCode.StoreUnreachable, `the claim store ${this.location} is unreachable: ${message}`, {
          cause: error,
        });
      }
    }
  }

  async insert(claim: NewClaim): Promise<{ claim: StoredClaim; created: boolean }> {
    const now = Date.now();
    // One round trip for a new claim; a second only to read the claim that holds the nullifier.
    const inserted = await this.#query<Row>(
      `INSERT INTO claims (id, nullifier, plan_id, amount, fee, recipient, status, payload, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7, $8, $8) ON CONFLICT (nullifier) DO NOTHING RETURNING *`,
      [claim.id, claim.nullifier, claim.planId, claim.amount, claim.fee, claim.recipient, claim.payload, now],
    );
    if (inserted.rows[0]) return { claim: fromRow(inserted.rows[0]), created: true };
    const stored = await this.byNullifier(claim.nullifier);
    if (!stored)
      throw new ServiceError(ServiceErrorCode.StoreInconsistent, `claim ${claim.id} vanished from ${this.location} after its insert`);
    return { claim: stored, created: false };
  }

  async get(id: string): Promise<StoredClaim | undefined> {
    const { rows } = await this.#query<Row>("SELECT * FROM claims WHERE id = $1", [id]);
    return rows[0] && fromRow(rows[0]);
  }

  async byNullifier(nullifier: string): Promise<StoredClaim | undefined> {
    const { rows } = await this.#query<Row>("SELECT * FROM claims WHERE nullifier = $1", [nullifier]);
    return rows[0] && fromRow(rows[0]);
  }

  async countByStatus(): Promise<Record<ClaimStatus, number>> {
    const counts = emptyCounts();
    const { rows } = await this.#query<{ status: ClaimStatus; n: string }>("SELECT status, COUNT(*) AS n FROM claims GROUP BY status");
    for (const row of rows) counts[row.status] = Number(row.n);
    return counts;
  }

  /**
   * One round trip on the instance's own session: the writer checks its session is still there
   * (and with it the lock), the others ask for the lock. A session that fails is dropped, losing
   * the lock if it held it, and a new one is opened at the next call.
   */
  async writer(): Promise<boolean> {
    if (this.#closed) return false;
    try {
      const session = this.#session ?? (await this.#openSession());
      if (this.#holdsLock) {
        await session.query("SELECT 1");
      } else {
        const { rows } = await session.query<{ held: boolean }>("SELECT pg_try_advisory_lock($1) AS held", [WRITER_LOCK.toString()]);
        this.#holdsLock = rows[0]?.held === true;
      }
      return this.#holdsLock;
    } catch (error) {
      this.#log?.warn({ err: (error as Error).message, wasWriter: this.#holdsLock }, "the writer's lock session failed");
      this.#dropSession();
      return false;
    }
  }

  async #openSession(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.#url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
    client.on("error", (error) => {
      if (this.#session !== client) return;
      this.#log?.warn({ err: error.message, wasWriter: this.#holdsLock }, "the writer's lock session failed");
      this.#dropSession();
    });
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    this.#session = client;
    return client;
  }

  #dropSession(): void {
    const client = this.#session;
    this.#session = undefined;
    this.#holdsLock = false;
    client?.end().catch(() => undefined);
  }

  /** The session holding the writer's lock; refuses when this instance is not (or no longer) the writer. */
  #writerSession(): pg.Client {
    if (!this.#session || !this.#holdsLock) {
      throw new ServiceError(
        ServiceErrorCode.StoreNotWriter,
        "this relayer instance is not the writer: only the holder of the writer's lock sends claims",
      );
    }
    return this.#session;
  }

  async unfinished(status: UnfinishedStatus): Promise<StoredClaim[]> {
    const { rows } = await this.#writerSession().query<Row>("SELECT * FROM claims WHERE status = $1 ORDER BY created_at, id", [status]);
    return rows.map(fromRow);
  }

  async maxNonce(): Promise<number> {
    const { rows } = await this.#writerSession().query<{ n: number | null }>("SELECT MAX(nonce) AS n FROM claims");
    return rows[0]?.n ?? -1;
  }

  async recordTransaction(id: string, nonce: number, tx: SentTransaction, replacements?: number): Promise<boolean> {
    // One statement appends to the list, so there is no read-modify-write to interleave; with
    // `replacements`, the same statement checks that no newer body replaced the claim meanwhile.
    const result = await this.#writerSession().query(
      `UPDATE claims SET status = 'submitted', nonce = $2, tx_hash = $3, updated_at = $4,
         transactions = ((transactions::jsonb) || jsonb_build_array($5::jsonb))::text
       WHERE id = $1 AND ($6::integer IS NULL OR replacements = $6::integer)`,
      [id, nonce, tx.hash, Date.now(), JSON.stringify(tx), replacements ?? null],
    );
    if (result.rowCount === 1) return true;
    if (replacements !== undefined && (await this.get(id))) return false;
    throw unknownClaim(id);
  }

  async markIncluded(id: string, txHash: string, blockNumber: bigint): Promise<void> {
    await this.#writerSession().query("UPDATE claims SET tx_hash = $2, block_number = $3, updated_at = $4 WHERE id = $1", [
      id,
      txHash,
      blockNumber.toString(),
      Date.now(),
    ]);
  }

  async markUnincluded(id: string): Promise<void> {
    await this.#writerSession().query("UPDATE claims SET block_number = NULL, updated_at = $2 WHERE id = $1", [id, Date.now()]);
  }

  async requeue(id: string): Promise<void> {
    await this.#writerSession().query(
      "UPDATE claims SET status = 'queued', nonce = NULL, block_number = NULL, updated_at = $2 WHERE id = $1",
      [id, Date.now()],
    );
  }

  async markConfirmed(id: string, txHash: string, blockNumber: bigint): Promise<void> {
    await this.#writerSession().query(
      "UPDATE claims SET status = 'confirmed', tx_hash = $2, block_number = $3, updated_at = $4 WHERE id = $1",
      [id, txHash, blockNumber.toString(), Date.now()],
    );
  }

  async markFailed(id: string, code: string, reason: string): Promise<void> {
    await this.#writerSession().query("UPDATE claims SET status = 'failed', code = $2, reason = $3, updated_at = $4 WHERE id = $1", [
      id,
      code,
      reason,
      Date.now(),
    ]);
  }

  async markWaiting(id: string, code: string, reason: string, heldUntil: number): Promise<void> {
    await this.#writerSession().query(
      `UPDATE claims SET status = 'waiting_for_funds', code = $2, reason = $3, held_until = $4, nonce = NULL, block_number = NULL,
         updated_at = $5 WHERE id = $1`,
      [id, code, reason, heldUntil, Date.now()],
    );
  }

  /** From any instance: the one statement is atomic against the writer's updates of the claim. */
  async replace(id: string, next: Replacement, finalCodes: readonly string[]): Promise<{ claim: StoredClaim; replaced: boolean }> {
    const { rows } = await this.#query<Row>(
      `UPDATE claims SET payload = $2, amount = $3, fee = $4, recipient = $5, status = 'queued', nonce = NULL, block_number = NULL,
         code = NULL, reason = NULL, held_until = NULL, replacements = replacements + 1, updated_at = $6
       WHERE id = $1 AND status = ANY($7::text[]) AND (code IS NULL OR NOT (code = ANY($8::text[])))
       RETURNING *`,
      [id, next.payload, next.amount, next.fee, next.recipient, Date.now(), REPLACEABLE_STATUSES, finalCodes],
    );
    if (rows[0]) return { claim: fromRow(rows[0]), replaced: true };
    const claim = await this.get(id);
    if (!claim) throw unknownClaim(id);
    return { claim, replaced: false };
  }

  /** Ends both the pool and the lock session (which releases the writer's lock at once). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const session = this.#session;
    this.#session = undefined;
    this.#holdsLock = false;
    await session?.end().catch(() => undefined);
    await this.#pool.end();
  }
}
