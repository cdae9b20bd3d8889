/**
 * The claim store's behaviour, the same for the embedded SQLite file and the shared PostgreSQL
 * database (a real server, started for these tests), and what only the shared store does: one
 * writer among the instances, handed over when the writer stops or its session dies, and a
 * database refused to a relayer it does not belong to.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPostgres, type TestPostgres } from "../../scripts/lib/postgres.ts";
import { type ClaimStore, type NewClaim, type SentTransaction, SqliteClaimStore } from "../../service/relayer/store.ts";
import {
  isUnreachable,
  PostgresClaimStore,
  type RelayerIdentity,
  redactDatabaseUrl,
  WRITER_LOCK,
} from "../../service/relayer/store-postgres.ts";

const IDENTITY: RelayerIdentity = {
  chainId: 31337,
  pool: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  relayer: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
};

let server: TestPostgres;
let databases = 0;

beforeAll(async () => {
  server = await startPostgres();
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

function newClaim(n: number): NewClaim {
  return {
    id: `claim-${n}`,
    nullifier: String(1000 + n),
    planId: "1",
    amount: String(100 * n),
    fee: "1",
    recipient: `0x${n.toString(16).padStart(40, "0")}`,
    payload: JSON.stringify({ n }),
  };
}

function sentTransaction(n: number): SentTransaction {
  return {
    hash: `0x${n.toString(16).padStart(64, "0")}`,
    raw: `0x02${n.toString(16).padStart(8, "0")}`,
    gas: "400000",
    maxFeePerGas: String(2_000_000_000 + n),
    maxPriorityFeePerGas: "1000000000",
    sentAt: 1_700_000_000_000 + n,
  };
}

async function freshPostgresStore(identity = IDENTITY): Promise<{ store: PostgresClaimStore; url: string }> {
  databases += 1;
  const url = await server.database(`store_${databases}`);
  return { store: await PostgresClaimStore.open(url, identity), url };
}

const kinds: Array<[string, () => Promise<ClaimStore>]> = [
  ["SQLite file", async () => new SqliteClaimStore(mkdtempSync(join(tmpdir(), "huzhu-store-")))],
  ["PostgreSQL database", async () => (await freshPostgresStore()).store],
];

describe.each(kinds)("claim store (%s)", (_kind, open) => {
  it("stores a claim once per nullifier: a second insert returns the first claim, not created", async () => {
    const store = await open();
    try {
      const first = await store.insert(newClaim(1));
      expect(first.created).toBe(true);
      expect(first.claim).toMatchObject({ id: "claim-1", nullifier: "1001", status: "queued", nonce: null, transactions: [] });
      const again = await store.insert({ ...newClaim(1), id: "another-id", amount: "5" });
      expect(again.created).toBe(false);
      expect(again.claim.id).toBe("claim-1");
      expect(again.claim.amount).toBe("100");
      expect((await store.get("claim-1"))?.nullifier).toBe("1001");
      expect((await store.byNullifier("1001"))?.id).toBe("claim-1");
      expect(await store.get("another-id")).toBeUndefined();
      expect(await store.byNullifier("999")).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it("follows a claim from queued through its transactions to confirmed, oldest claims first", async () => {
    const store = await open();
    try {
      expect(await store.writer()).toBe(true);
      for (const n of [1, 2, 3]) await store.insert(newClaim(n));
      expect((await store.unfinished("queued")).map((c) => c.id)).toEqual(["claim-1", "claim-2", "claim-3"]);
      expect(await store.maxNonce()).toBe(-1);

      await store.recordTransaction("claim-1", 7, sentTransaction(1));
      await store.recordTransaction("claim-1", 7, sentTransaction(2));
      const submitted = await store.get("claim-1");
      expect(submitted).toMatchObject({ status: "submitted", nonce: 7, txHash: sentTransaction(2).hash });
      expect(submitted?.transactions).toEqual([sentTransaction(1), sentTransaction(2)]);
      expect(await store.maxNonce()).toBe(7);

      await store.markIncluded("claim-1", sentTransaction(2).hash, 41n);
      expect((await store.get("claim-1"))?.blockNumber).toBe("41");
      await store.markUnincluded("claim-1");
      expect((await store.get("claim-1"))?.blockNumber).toBeNull();
      await store.markConfirmed("claim-1", sentTransaction(2).hash, 42n);
      expect(await store.get("claim-1")).toMatchObject({ status: "confirmed", blockNumber: "42" });

      await store.recordTransaction("claim-2", 8, sentTransaction(3));
      await store.requeue("claim-2");
      expect(await store.get("claim-2")).toMatchObject({ status: "queued", nonce: null, transactions: [sentTransaction(3)] });
      await store.markFailed("claim-3", "NULLIFIER_SPENT", "already spent");
      expect(await store.get("claim-3")).toMatchObject({ status: "failed", code: "NULLIFIER_SPENT", reason: "already spent" });

      expect(await store.countByStatus()).toEqual({ queued: 1, submitted: 0, confirmed: 1, failed: 1 });
      expect((await store.unfinished("submitted")).length).toBe(0);
      await expect(store.recordTransaction("no-such-claim", 9, sentTransaction(4))).rejects.toThrow("unknown claim no-such-claim");
    } finally {
      await store.close();
    }
  });
});

describe("shared PostgreSQL store", () => {
  it("makes exactly one of several instances the writer, and hands over when the writer closes", async () => {
    const { store: a, url } = await freshPostgresStore();
    const b = await PostgresClaimStore.open(url, IDENTITY);
    try {
      expect(await a.writer()).toBe(true);
      expect(await b.writer()).toBe(false);
      expect(await a.writer()).toBe(true);
      // Every instance accepts and reads claims; only the writer records transactions.
      await b.insert(newClaim(1));
      expect((await a.unfinished("queued")).map((c) => c.id)).toEqual(["claim-1"]);
      await expect(b.recordTransaction("claim-1", 0, sentTransaction(1))).rejects.toThrow(
        "this relayer instance is not the writer: only the holder of the writer's lock sends claims",
      );
      await expect(b.unfinished("queued")).rejects.toThrow("this relayer instance is not the writer");
      await a.recordTransaction("claim-1", 0, sentTransaction(1));
      await a.close();
      expect(await b.writer()).toBe(true);
      expect(await b.get("claim-1")).toMatchObject({ status: "submitted", nonce: 0, transactions: [sentTransaction(1)] });
      expect(await b.maxNonce()).toBe(0);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("hands the writer's role over when the writer's database session is killed, and the old writer can no longer record", async () => {
    const { store: a, url } = await freshPostgresStore();
    const b = await PostgresClaimStore.open(url, IDENTITY);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await a.insert(newClaim(1));
      expect(await a.writer()).toBe(true);
      const { rows } = await admin.query<{ pid: number }>(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = $1",
        // A bigint advisory key shows in pg_locks as its high half (classid) and low half (objid).
        [Number(WRITER_LOCK & 0xffff_ffffn)],
      );
      expect(rows.length).toBe(1);
      await admin.query("SELECT pg_terminate_backend($1)", [rows[0]?.pid]);
      expect(await b.writer()).toBe(true);
      // The old writer notices at its next question and steps down: it cannot record any more.
      expect(await a.writer()).toBe(false);
      await expect(a.recordTransaction("claim-1", 0, sentTransaction(1))).rejects.toThrow("this relayer instance is not the writer");
      expect((await b.get("claim-1"))?.transactions).toEqual([]);
    } finally {
      await admin.end();
      await a.close();
      await b.close();
    }
  });

  it("tells a database it cannot reach from an error of the query itself", () => {
    expect(isUnreachable(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" }))).toBe(true);
    expect(isUnreachable(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(isUnreachable(Object.assign(new Error("connection failure"), { code: "08006" }))).toBe(true);
    expect(isUnreachable(Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" }))).toBe(true);
    expect(isUnreachable(Object.assign(new Error("duplicate key value violates unique constraint"), { code: "23505" }))).toBe(false);
    expect(isUnreachable(Object.assign(new Error('relation "claims" does not exist'), { code: "42P01" }))).toBe(false);
  });

  it("refuses a database that belongs to another relayer wallet or pool, naming both", async () => {
    const { store, url } = await freshPostgresStore();
    await store.close();
    const other = { ...IDENTITY, relayer: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC" };
    await expect(PostgresClaimStore.open(url, other)).rejects.toThrow(
      `the relayer database ${redactDatabaseUrl(url)} belongs to relayer ${IDENTITY.relayer.toLowerCase()} on pool ${IDENTITY.pool.toLowerCase()} (chain 31337), ` +
        `not to relayer ${other.relayer.toLowerCase()} on pool ${IDENTITY.pool.toLowerCase()} (chain 31337); ` +
        "instances sharing a database must share the relayer key and pool: give this one a database of its own",
    );
  });

  it("says which database it cannot reach, without its password", async () => {
    const url = server.url.replace(/\/relayer$/, "/no_such_database");
    const error = await PostgresClaimStore.open(url, IDENTITY).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe(
      `cannot connect to the relayer database ${redactDatabaseUrl(url)}: database "no_such_database" does not exist; check HUZHU_RELAYER_DATABASE_URL`,
    );
    expect((error as Error).message).not.toContain(new URL(url).password);
  });
});
