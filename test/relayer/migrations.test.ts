/**
 * The claim store's schema migrations, on a real SQLite file and a real PostgreSQL server: a store
 * written by the relayer before versioning (its DDL copied here as a fixture, rows in every state
 * written with plain SQL) opens with every claim intact and ends at the newest version; opening
 * again changes nothing; a store from a newer relayer is refused; and PostgreSQL instances booting
 * at once on a fresh database migrate it once.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import pg from "pg";
import pino, { type Logger } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPostgres, type TestPostgres } from "../../scripts/lib/postgres.ts";
import { ServiceError } from "../../service/kit/service-error.ts";
import { MIGRATIONS, SCHEMA_VERSION } from "../../service/relayer/migrations.ts";
import { type SentTransaction, SqliteClaimStore, type StoredClaim } from "../../service/relayer/store.ts";
import { PostgresClaimStore, type RelayerIdentity, redactDatabaseUrl } from "../../service/relayer/store-postgres.ts";

/** The claims table's columns exactly as the relayer wrote them before versioning (version 1). */
const V1_CLAIM_COLUMNS = `
  id TEXT PRIMARY KEY,
  nullifier TEXT NOT NULL UNIQUE,
  plan_id TEXT NOT NULL,
  amount TEXT NOT NULL,
  fee TEXT NOT NULL,
  recipient TEXT NOT NULL,
  status TEXT NOT NULL,
  payload TEXT NOT NULL,
  nonce INTEGER,
  transactions TEXT NOT NULL DEFAULT '[]',
  tx_hash TEXT,
  block_number TEXT,
  code TEXT,
  reason TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL`;

/** What the unversioned SQLite store ran at every open. */
const V1_SQLITE = `
  PRAGMA journal_mode = WAL;
  PRAGMA synchronous = FULL;
  PRAGMA busy_timeout = 0;
  CREATE TABLE IF NOT EXISTS claims (${V1_CLAIM_COLUMNS});
  CREATE INDEX IF NOT EXISTS claims_status ON claims (status, created_at);
`;

/** What the unversioned PostgreSQL store ran at every open, in one transaction. */
const V1_POSTGRES = [
  `CREATE TABLE IF NOT EXISTS claims (${V1_CLAIM_COLUMNS})`,
  "CREATE INDEX IF NOT EXISTS claims_status ON claims (status, created_at)",
  `CREATE TABLE IF NOT EXISTS relayer_identity (
     only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
     chain_id BIGINT NOT NULL, pool TEXT NOT NULL, relayer TEXT NOT NULL)`,
];

const IDENTITY: RelayerIdentity = {
  chainId: 31337,
  pool: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  relayer: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
};

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

type OldClaim = Omit<StoredClaim, "heldUntil" | "replacements">;

function oldClaim(n: number, fields: Partial<OldClaim>): OldClaim {
  return {
    id: `claim-${n}`,
    nullifier: String(1000 + n),
    planId: "1",
    amount: String(100 * n),
    fee: "1",
    recipient: `0x${n.toString(16).padStart(40, "0")}`,
    status: "queued",
    payload: JSON.stringify({ n }),
    nonce: null,
    transactions: [],
    txHash: null,
    blockNumber: null,
    code: null,
    reason: null,
    createdAt: 1_700_000_000_000 + n,
    updatedAt: 1_700_000_100_000 + n,
    ...fields,
  };
}

/** One claim in every state the old relayer could leave one in (ids out of acceptance order). */
const OLD_CLAIMS: OldClaim[] = [
  oldClaim(5, { createdAt: 1_700_000_000_001 }),
  oldClaim(2, {
    status: "submitted",
    nonce: 3,
    transactions: [sentTransaction(1), sentTransaction(2)],
    txHash: sentTransaction(2).hash,
  }),
  oldClaim(3, {
    status: "submitted",
    nonce: 4,
    transactions: [sentTransaction(3)],
    txHash: sentTransaction(3).hash,
    blockNumber: "41",
  }),
  oldClaim(1, { status: "confirmed", nonce: 2, transactions: [sentTransaction(4)], txHash: sentTransaction(4).hash, blockNumber: "40" }),
  oldClaim(4, { status: "failed", code: "NULLIFIER_SPENT", reason: "already spent" }),
  oldClaim(6, { createdAt: 1_700_000_000_009 }),
];

/** The claims as the migrated store returns them: the old fields, and the new columns' defaults. */
const MIGRATED: StoredClaim[] = OLD_CLAIMS.map((claim) => ({ ...claim, heldUntil: null, replacements: 0 }));

const INSERT_OLD = `INSERT INTO claims (id, nullifier, plan_id, amount, fee, recipient, status, payload, nonce, transactions,
  tx_hash, block_number, code, reason, created_at, updated_at)`;

function oldValues(claim: OldClaim): Array<string | number | null> {
  return [
    claim.id,
    claim.nullifier,
    claim.planId,
    claim.amount,
    claim.fee,
    claim.recipient,
    claim.status,
    claim.payload,
    claim.nonce,
    JSON.stringify(claim.transactions),
    claim.txHash,
    claim.blockNumber,
    claim.code,
    claim.reason,
    claim.createdAt,
    claim.updatedAt,
  ];
}

interface LogLine {
  msg: string;
  version?: number;
  description?: string;
  store?: string;
}

function capturingLogger(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line) as LogLine) });
  return { log, lines };
}

/** The migrations log lines, as (message, version) pairs. */
function migrationLog(lines: LogLine[]): Array<[string, number | undefined]> {
  return lines.map((line) => [line.msg, line.version]);
}

const APPLIED = "applied a claim store migration";
const RECORDED = "recorded the schema version of a claim store written before versioning";

/** Checks a migrated store answers for every old claim exactly as the old store held it. */
async function expectOldClaims(store: SqliteClaimStore | PostgresClaimStore): Promise<void> {
  for (const claim of MIGRATED) {
    expect(await store.get(claim.id)).toEqual(claim);
    expect(await store.byNullifier(claim.nullifier)).toEqual(claim);
  }
  expect(await store.writer()).toBe(true);
  expect((await store.unfinished("queued")).map((c) => c.id)).toEqual(["claim-5", "claim-6"]);
  expect((await store.unfinished("submitted")).map((c) => c.id)).toEqual(["claim-2", "claim-3"]);
  expect(await store.unfinished("waiting_for_funds")).toEqual([]);
  expect(await store.countByStatus()).toEqual({ queued: 2, waiting_for_funds: 0, submitted: 2, confirmed: 1, failed: 1 });
  expect(await store.maxNonce()).toBe(4);
}

interface VersionRow {
  version: number;
  description: string;
  applied_at: number;
}

const EVERY_VERSION = MIGRATIONS.map((m) => ({ version: m.version, description: m.description }));

it("knows two schema versions, numbered 1 and 2", () => {
  expect(SCHEMA_VERSION).toBe(2);
  expect(MIGRATIONS.map((m) => m.version)).toEqual([1, 2]);
});

describe("SQLite store migrations", () => {
  function oldStore(): { dir: string; file: string } {
    const dir = mkdtempSync(join(tmpdir(), "huzhu-migrate-"));
    const file = join(dir, "relayer.sqlite");
    const db = new DatabaseSync(file);
    db.exec(V1_SQLITE);
    const insert = db.prepare(`${INSERT_OLD} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    for (const claim of OLD_CLAIMS) insert.run(...oldValues(claim));
    db.close();
    return { dir, file };
  }

  function versions(file: string): VersionRow[] {
    const db = new DatabaseSync(file);
    try {
      return db.prepare("SELECT * FROM schema_version ORDER BY version").all() as unknown as VersionRow[];
    } finally {
      db.close();
    }
  }

  it("opens a store written before versioning as version 1, migrates it to 2 and keeps every claim", async () => {
    const { dir, file } = oldStore();
    const { log, lines } = capturingLogger();
    const store = new SqliteClaimStore(dir, log);
    try {
      await expectOldClaims(store);
    } finally {
      await store.close();
    }
    expect(migrationLog(lines)).toEqual([
      [RECORDED, 1],
      [APPLIED, 2],
    ]);
    expect(lines[1]).toMatchObject({ store: file, description: MIGRATIONS[1]?.description });
    const recorded = versions(file);
    expect(recorded.map(({ version, description }) => ({ version, description }))).toEqual(EVERY_VERSION);

    const db = new DatabaseSync(file);
    const columns = db.prepare("PRAGMA table_info(claims)").all() as Array<{ name: string; notnull: number; dflt_value: string | null }>;
    db.close();
    expect(columns.filter((c) => c.name === "held_until" || c.name === "replacements")).toEqual([
      expect.objectContaining({ name: "held_until", notnull: 0, dflt_value: null }),
      expect.objectContaining({ name: "replacements", notnull: 1, dflt_value: "0" }),
    ]);

    // Opening again migrates nothing and changes nothing.
    const again = capturingLogger();
    const reopened = new SqliteClaimStore(dir, again.log);
    try {
      await expectOldClaims(reopened);
    } finally {
      await reopened.close();
    }
    expect(again.lines).toEqual([]);
    expect(versions(file)).toEqual(recorded);
  });

  it("creates a fresh store at the newest version, applying every migration once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "huzhu-migrate-"));
    const { log, lines } = capturingLogger();
    const store = new SqliteClaimStore(dir, log);
    try {
      const { claim } = await store.insert({
        id: "claim-1",
        nullifier: "1001",
        planId: "1",
        amount: "100",
        fee: "1",
        recipient: `0x${"11".repeat(20)}`,
        payload: "{}",
      });
      expect(claim).toMatchObject({ status: "queued", heldUntil: null, replacements: 0 });
    } finally {
      await store.close();
    }
    expect(migrationLog(lines)).toEqual([
      [APPLIED, 1],
      [APPLIED, 2],
    ]);
    expect(versions(join(dir, "relayer.sqlite")).map(({ version, description }) => ({ version, description }))).toEqual(EVERY_VERSION);
  });

  it("refuses a store whose schema is newer than this relayer knows, and leaves it as it is", async () => {
    const { dir, file } = oldStore();
    await new SqliteClaimStore(dir).close();
    const db = new DatabaseSync(file);
    db.prepare("INSERT INTO schema_version (version, description, applied_at) VALUES (99, 'from the future', 0)").run();
    db.close();
    expect(() => new SqliteClaimStore(dir)).toThrow(
      new ServiceError(
        "STORE_SCHEMA_NEWER",
        `the relayer store ${file} has schema version 99, newer than this relayer knows (2); upgrade the relayer, or point it at a store of its own`,
      ),
    );
    // The refused store released the file, untouched.
    expect(versions(file).map((row) => row.version)).toEqual([1, 2, 99]);
  });
});

describe("PostgreSQL store migrations", () => {
  let server: TestPostgres;
  let databases = 0;

  beforeAll(async () => {
    server = await startPostgres();
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
  });

  async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }

  async function freshDatabase(): Promise<string> {
    databases += 1;
    return server.database(`migrate_${databases}`);
  }

  async function oldDatabase(): Promise<string> {
    const url = await freshDatabase();
    await withClient(url, async (client) => {
      await client.query("BEGIN");
      for (const statement of V1_POSTGRES) await client.query(statement);
      await client.query("INSERT INTO relayer_identity (chain_id, pool, relayer) VALUES ($1, $2, $3)", [
        IDENTITY.chainId,
        IDENTITY.pool.toLowerCase(),
        IDENTITY.relayer.toLowerCase(),
      ]);
      const placeholders = Array.from({ length: 16 }, (_, i) => `$${i + 1}`).join(", ");
      for (const claim of OLD_CLAIMS) await client.query(`${INSERT_OLD} VALUES (${placeholders})`, oldValues(claim));
      await client.query("COMMIT");
    });
    return url;
  }

  async function versions(url: string): Promise<VersionRow[]> {
    return withClient(url, async (client) => (await client.query<VersionRow>("SELECT * FROM schema_version ORDER BY version")).rows);
  }

  it("opens a database written before versioning as version 1, migrates it to 2 and keeps every claim", async () => {
    const url = await oldDatabase();
    const { log, lines } = capturingLogger();
    const store = await PostgresClaimStore.open(url, IDENTITY, log);
    try {
      await expectOldClaims(store);
    } finally {
      await store.close();
    }
    expect(migrationLog(lines)).toEqual([
      [RECORDED, 1],
      [APPLIED, 2],
    ]);
    expect(lines[1]).toMatchObject({ store: redactDatabaseUrl(url), description: MIGRATIONS[1]?.description });
    const recorded = await versions(url);
    expect(recorded.map(({ version, description }) => ({ version, description }))).toEqual(EVERY_VERSION);
    const columns = await withClient(
      url,
      async (client) =>
        (
          await client.query<{ column_name: string; is_nullable: string; column_default: string | null; data_type: string }>(
            `SELECT column_name, is_nullable, column_default, data_type FROM information_schema.columns
             WHERE table_name = 'claims' AND column_name IN ('held_until', 'replacements') ORDER BY column_name`,
          )
        ).rows,
    );
    expect(columns).toEqual([
      { column_name: "held_until", is_nullable: "YES", column_default: null, data_type: "bigint" },
      { column_name: "replacements", is_nullable: "NO", column_default: "0", data_type: "integer" },
    ]);

    const again = capturingLogger();
    const reopened = await PostgresClaimStore.open(url, IDENTITY, again.log);
    try {
      await expectOldClaims(reopened);
    } finally {
      await reopened.close();
    }
    expect(again.lines).toEqual([]);
    expect(await versions(url)).toEqual(recorded);
  });

  it("refuses a database whose schema is newer than this relayer knows, and leaves it as it is", async () => {
    const url = await oldDatabase();
    await (await PostgresClaimStore.open(url, IDENTITY)).close();
    await withClient(url, (client) =>
      client.query("INSERT INTO schema_version (version, description, applied_at) VALUES (99, 'from the future', 0)"),
    );
    await expect(PostgresClaimStore.open(url, IDENTITY)).rejects.toThrow(
      new ServiceError(
        "STORE_SCHEMA_NEWER",
        `the relayer store ${redactDatabaseUrl(url)} has schema version 99, newer than this relayer knows (2); ` +
          "upgrade the relayer, or point it at a store of its own",
      ),
    );
    expect((await versions(url)).map((row) => row.version)).toEqual([1, 2, 99]);
    // The refusal released the schema lock: nobody holds an advisory lock on this database any more.
    const locks = await withClient(
      url,
      async (client) =>
        (
          await client.query(
            "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
          )
        ).rowCount,
    );
    expect(locks).toBe(0);
  });

  it("migrates a fresh database once when several instances boot at the same time", async () => {
    const url = await freshDatabase();
    const loggers = Array.from({ length: 4 }, () => capturingLogger());
    const stores = await Promise.all(loggers.map(({ log }) => PostgresClaimStore.open(url, IDENTITY, log)));
    try {
      const applied = loggers.flatMap(({ lines }) => migrationLog(lines));
      expect(applied).toEqual([
        [APPLIED, 1],
        [APPLIED, 2],
      ]);
      // One instance applied both; the others found the database migrated.
      expect(loggers.map(({ lines }) => lines.length).sort()).toEqual([0, 0, 0, 2]);
      expect((await versions(url)).map(({ version, description }) => ({ version, description }))).toEqual(EVERY_VERSION);
      for (const store of stores)
        expect(await store.countByStatus()).toEqual({ queued: 0, waiting_for_funds: 0, submitted: 0, confirmed: 0, failed: 0 });
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });
});
