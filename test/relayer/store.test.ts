/**
 * The claim store's behaviour, the same for the embedded SQLite file and the shared PostgreSQL
 * database (a real server, started for these tests), and what only the shared store does: one
 * writer among the instances, handed over when the writer stops or its session dies, and a
 * database refused to a relayer it does not belong to. Claims held while waiting for pool funds
 * and claims replaced with a newer proof are covered here too; migrations.test.ts covers the
 * schema's versions.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPostgres, type TestPostgres } from "../../scripts/lib/postgres.ts";
import { type ClaimStore, type NewClaim, type Replacement, type SentTransaction, SqliteClaimStore } from "../../service/relayer/store.ts";
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

/** Codes after which a claim can never be paid, whatever proof the member sends (as the caller would pass them). */
const FINAL_CODES = ["NULLIFIER_SPENT", "PLAN_INACTIVE"] as const;

function replacement(n: number): Replacement {
  return { payload: JSON.stringify({ n, replaced: true }), amount: String(50 * n), fee: "2", recipient: `0x${"ab".repeat(20)}` };
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
      expect(first.claim).toMatchObject({
        id: "claim-1",
        nullifier: "1001",
        status: "queued",
        nonce: null,
        transactions: [],
        heldUntil: null,
        replacements: 0,
      });
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

      expect(await store.countByStatus()).toEqual({ queued: 1, waiting_for_funds: 0, submitted: 0, confirmed: 1, failed: 1 });
      expect((await store.unfinished("submitted")).length).toBe(0);
      await expect(store.recordTransaction("no-such-claim", 9, sentTransaction(4))).rejects.toThrow("unknown claim no-such-claim");
      await expect(store.recordTransaction("no-such-claim", 9, sentTransaction(4))).rejects.toMatchObject({
        name: "RelayerError",
        code: "CLAIM_NOT_FOUND",
        statusCode: 404,
      });
    } finally {
      await store.close();
    }
  });

  it("holds claims waiting for funds, without nonce or block, and lists them in acceptance order", async () => {
    const store = await open();
    try {
      expect(await store.writer()).toBe(true);
      // Accepted in the order 3, 1, 2 (a few milliseconds apart), so acceptance order is neither id order nor marking order.
      for (const n of [3, 1, 2]) {
        await store.insert(newClaim(n));
        await sleep(5);
      }
      await store.recordTransaction("claim-2", 5, sentTransaction(5));
      await store.markIncluded("claim-2", sentTransaction(5).hash, 40n);
      await store.markWaiting("claim-2", "INSUFFICIENT_POOL_FUNDS", "the pool holds 50, the claim needs 200", 1_900_000_000);
      expect(await store.get("claim-2")).toMatchObject({
        status: "waiting_for_funds",
        code: "INSUFFICIENT_POOL_FUNDS",
        reason: "the pool holds 50, the claim needs 200",
        heldUntil: 1_900_000_000,
        nonce: null,
        blockNumber: null,
        transactions: [sentTransaction(5)],
        replacements: 0,
      });
      expect((await store.unfinished("queued")).map((c) => c.id)).toEqual(["claim-3", "claim-1"]);
      await store.markWaiting("claim-1", "INSUFFICIENT_POOL_FUNDS", "the pool holds 50, the claim needs 100", 1_900_000_100);
      await store.markWaiting("claim-3", "INSUFFICIENT_POOL_FUNDS", "the pool holds 50, the claim needs 300", 1_900_000_200);
      expect((await store.unfinished("waiting_for_funds")).map((c) => c.id)).toEqual(["claim-3", "claim-1", "claim-2"]);
      expect(await store.unfinished("queued")).toEqual([]);
      expect(await store.unfinished("submitted")).toEqual([]);
      expect(await store.countByStatus()).toEqual({ queued: 0, waiting_for_funds: 3, submitted: 0, confirmed: 0, failed: 0 });
      // Waiting again later moves the hold on.
      await store.markWaiting("claim-3", "INSUFFICIENT_POOL_FUNDS", "the pool holds 60, the claim needs 300", 1_900_000_900);
      expect(await store.get("claim-3")).toMatchObject({ reason: "the pool holds 60, the claim needs 300", heldUntil: 1_900_000_900 });
    } finally {
      await store.close();
    }
  });

  it("replaces a queued, waiting or recoverably failed claim with a newer proof, keeping its transactions", async () => {
    const store = await open();
    try {
      expect(await store.writer()).toBe(true);
      for (const n of [1, 2, 3]) await store.insert(newClaim(n));

      const queued = await store.replace("claim-1", replacement(1), FINAL_CODES);
      expect(queued.replaced).toBe(true);
      expect(queued.claim).toMatchObject({
        id: "claim-1",
        nullifier: "1001",
        planId: "1",
        status: "queued",
        ...replacement(1),
        nonce: null,
        transactions: [],
        replacements: 1,
      });

      await store.markWaiting("claim-2", "INSUFFICIENT_POOL_FUNDS", "the pool holds 50, the claim needs 200", 1_900_000_000);
      const waiting = await store.replace("claim-2", replacement(2), FINAL_CODES);
      expect(waiting.replaced).toBe(true);
      expect(waiting.claim).toMatchObject({
        status: "queued",
        ...replacement(2),
        code: null,
        reason: null,
        heldUntil: null,
        nonce: null,
        blockNumber: null,
        replacements: 1,
      });
      const again = await store.replace("claim-2", replacement(4), FINAL_CODES);
      expect(again.replaced).toBe(true);
      expect(again.claim).toMatchObject({ status: "queued", ...replacement(4), replacements: 2 });
      expect(await store.get("claim-2")).toEqual(again.claim);

      // A claim whose transaction reverted failed with a code the member can fix with a new proof.
      await store.recordTransaction("claim-3", 4, sentTransaction(3));
      await store.markIncluded("claim-3", sentTransaction(3).hash, 41n);
      await store.markFailed("claim-3", "SIMULATION_FAILED", "the pool reverted: stale member root");
      const failed = await store.replace("claim-3", replacement(3), FINAL_CODES);
      expect(failed.replaced).toBe(true);
      expect(failed.claim).toMatchObject({
        status: "queued",
        ...replacement(3),
        code: null,
        reason: null,
        nonce: null,
        blockNumber: null,
        transactions: [sentTransaction(3)],
        replacements: 1,
      });
      expect((await store.unfinished("queued")).map((c) => c.id)).toEqual(["claim-1", "claim-2", "claim-3"]);
      expect(await store.countByStatus()).toEqual({ queued: 3, waiting_for_funds: 0, submitted: 0, confirmed: 0, failed: 0 });
    } finally {
      await store.close();
    }
  });

  it("records no transaction signed from a body that a newer one replaced meanwhile", async () => {
    const store = await open();
    expect(await store.writer()).toBe(true);
    await store.insert(newClaim(1));
    await store.markWaiting("claim-1", "INSUFFICIENT_POOL_FUNDS", "the pool holds 50, the claim needs 100", 1_900_000_000);
    const before = await store.get("claim-1");
    const replaced = await store.replace(
      "claim-1",
      { payload: JSON.stringify({ n: 2 }), amount: "100", fee: "1", recipient: `0x${"2".padStart(40, "0")}` },
      [],
    );
    expect(replaced.replaced).toBe(true);
    // The submitter signed from the body it read before the replacement (replacements 0): refused.
    expect(before?.replacements).toBe(0);
    expect(await store.recordTransaction("claim-1", 9, sentTransaction(9), 0)).toBe(false);
    expect(await store.get("claim-1")).toEqual(replaced.claim);
    // Signed from the newer body: recorded.
    expect(await store.recordTransaction("claim-1", 9, sentTransaction(9), 1)).toBe(true);
    expect(await store.get("claim-1")).toMatchObject({ status: "submitted", nonce: 9, transactions: [sentTransaction(9)] });
    await expect(store.recordTransaction("no-such-claim", 9, sentTransaction(9), 0)).rejects.toThrow("unknown claim no-such-claim");
    await store.close();
  });

  it("leaves a submitted, confirmed or finally failed claim as it is, and refuses an unknown one", async () => {
    const store = await open();
    try {
      expect(await store.writer()).toBe(true);
      for (const n of [1, 2, 3, 4]) await store.insert(newClaim(n));
      await store.recordTransaction("claim-1", 0, sentTransaction(1));
      await store.recordTransaction("claim-2", 1, sentTransaction(2));
      await store.markConfirmed("claim-2", sentTransaction(2).hash, 42n);
      await store.markFailed("claim-3", "NULLIFIER_SPENT", "already spent");
      await store.markFailed("claim-4", "PLAN_INACTIVE", "plan 1 is closed");

      for (const id of ["claim-1", "claim-2", "claim-3", "claim-4"]) {
        const before = await store.get(id);
        expect(await store.replace(id, replacement(9), FINAL_CODES)).toEqual({ claim: before, replaced: false });
        expect(await store.get(id)).toEqual(before);
      }
      expect(await store.get("claim-1")).toMatchObject({ status: "submitted", nonce: 0, replacements: 0 });
      expect(await store.get("claim-3")).toMatchObject({ status: "failed", code: "NULLIFIER_SPENT", replacements: 0 });
      await expect(store.replace("no-such-claim", replacement(9), FINAL_CODES)).rejects.toThrow("unknown claim no-such-claim");

      // Which failure codes are final is the caller's to say: with none, any failed claim is replaceable.
      const anyCode = await store.replace("claim-4", replacement(4), []);
      expect(anyCode.replaced).toBe(true);
      expect(anyCode.claim).toMatchObject({ status: "queued", code: null, reason: null, replacements: 1 });
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
      await expect(b.unfinished("queued")).rejects.toMatchObject({ name: "ServiceError", code: "STORE_NOT_WRITER" });
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

  it("lets any instance replace a claim, while only the writer holds one waiting for funds", async () => {
    const { store: a, url } = await freshPostgresStore();
    const b = await PostgresClaimStore.open(url, IDENTITY);
    try {
      expect(await a.writer()).toBe(true);
      expect(await b.writer()).toBe(false);
      await b.insert(newClaim(1));
      await expect(b.markWaiting("claim-1", "INSUFFICIENT_POOL_FUNDS", "low", 1_900_000_000)).rejects.toThrow(
        "this relayer instance is not the writer: only the holder of the writer's lock sends claims",
      );
      await expect(b.unfinished("waiting_for_funds")).rejects.toThrow("this relayer instance is not the writer");
      await a.markWaiting("claim-1", "INSUFFICIENT_POOL_FUNDS", "low", 1_900_000_000);
      const replaced = await b.replace("claim-1", replacement(1), FINAL_CODES);
      expect(replaced.replaced).toBe(true);
      expect(replaced.claim).toMatchObject({ status: "queued", heldUntil: null, replacements: 1 });
      expect((await a.unfinished("queued")).map((c) => c.id)).toEqual(["claim-1"]);
    } finally {
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
    await expect(PostgresClaimStore.open(url, other)).rejects.toMatchObject({ name: "ServiceError", code: "STORE_OWNED_ELSEWHERE" });
  });

  it("says which database it cannot reach, without its password", async () => {
    const url = server.url.replace(/\/relayer$/, "/no_such_database");
    const error = await PostgresClaimStore.open(url, IDENTITY).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe(
      `cannot connect to the relayer database ${redactDatabaseUrl(url)}: database "no_such_database" does not exist; check HUZHU_RELAYER_DATABASE_URL`,
    );
    expect((error as Error).message).not.toContain(new URL(url).password);
    expect(error).toMatchObject({ name: "ServiceError", code: "STORE_UNREACHABLE" });
  });
});
