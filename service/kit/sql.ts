/**
 * A service's database, embedded or shared, behind one small interface: an SQLite file
 * (node:sqlite, the default; one process owns it) or a PostgreSQL database several instances
 * share. Statements are written once with `?` placeholders (PostgreSQL gets `$1, $2, ...`), and
 * binary columns are Uint8Array in both. Schemas come from numbered, append-only migrations, applied
 * in order at open, one transaction each, recorded in `schema_version`; a database written by a
 * newer version of the service is refused. In PostgreSQL the first instance to boot migrates under
 * an advisory lock, so instances booting at once migrate once. A store that queries node:sqlite
 * itself opens its file with `openSqliteSync`; one that keeps its own PostgreSQL sessions migrates
 * through `migrate` on a `pgSession`.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import pg from "pg";
import type { Logger } from "pino";
import { ServiceError, ServiceErrorCode } from "./service-error.ts";

export type SqlValue = string | number | bigint | Uint8Array | null;
export type SqlRow = Record<string, unknown>;

export interface SqlQueries {
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
  all<T extends SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  get<T extends SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
}

export interface SqlDatabase extends SqlQueries {
  readonly dialect: "sqlite" | "postgres";
  /** Where it is, for messages (a file path, or a PostgreSQL URL without its password). */
  readonly location: string;
  /** Runs `work` in one transaction: all of it is written, or none (a thrown error rolls back). */
  transaction<T>(work: (tx: SqlQueries) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type SqlDialect = "sqlite" | "postgres";

export interface SqlMigration {
  readonly version: number;
  /** What it changes, for the logs and the `schema_version` table. */
  readonly description: string;
  /** Statements both dialects run, in order; `{blob}` is BLOB in SQLite and BYTEA in PostgreSQL. */
  readonly statements: readonly string[];
  /** Statements only one dialect runs, after `statements`. */
  readonly sqlite?: readonly string[];
  readonly postgres?: readonly string[];
}

export interface SqlSchema {
  /** The service, for messages ("desk"). */
  readonly service: string;
  readonly migrations: readonly SqlMigration[];
  /** The environment variable that points at the database, for messages. */
  readonly urlVariable: string;
  /** A PostgreSQL advisory lock id held while migrating. */
  readonly lockId: bigint;
  /** What messages call the database ("store"); "database" unless given. */
  readonly what?: string;
  /** What the migration logs call it ("claim store"); "<service> database" unless given. */
  readonly label?: string;
  /**
   * For a schema older than its versioning: a database that has `table` but records no version was
   * written before versioning, at `version`; those versions are recorded, not applied again.
   */
  readonly unversioned?: { readonly table: string; readonly version: number };
  /** The message when another process holds the SQLite file; names a data folder and `urlVariable` unless given. */
  readonly inUseMessage?: (path: string) => string;
}

/** The table recording applied migrations; the same statement in both dialects. */
export const SCHEMA_VERSION_TABLE = `CREATE TABLE IF NOT EXISTS schema_version (
  version INTEGER PRIMARY KEY,
  description TEXT NOT NULL,
  applied_at BIGINT NOT NULL)`;

/** The statements a migration runs in a dialect, in order. */
export function migrationStatements(migration: SqlMigration, dialect: SqlDialect): string[] {
  return [...migration.statements, ...(migration[dialect] ?? [])].map((statement) =>
    statement.replaceAll("{blob}", dialect === "sqlite" ? "BLOB" : "BYTEA"),
  );
}

/** The newest version a schema knows. */
export function schemaVersion(schema: Pick<SqlSchema, "migrations">): number {
  return schema.migrations.reduce((latest, migration) => Math.max(latest, migration.version), 0);
}

export function newerSchemaMessage(
  schema: Pick<SqlSchema, "service" | "migrations">,
  what: string,
  location: string,
  version: number,
): string {
  return (
    `the ${schema.service} ${what} ${location} has schema version ${version}, newer than this ${schema.service} knows (${schemaVersion(schema)}); ` +
    `upgrade the ${schema.service}, or point it at a ${what} of its own`
  );
}

/** The migrations a database at `version` lacks, in order; throws if it was written by a newer version. */
export function pendingMigrations(
  schema: Pick<SqlSchema, "service" | "migrations">,
  location: string,
  version: number,
  what = "database",
): SqlMigration[] {
  if (version > schemaVersion(schema))
    throw new ServiceError(ServiceErrorCode.StoreSchemaNewer, newerSchemaMessage(schema, what, location, version));
  return [...schema.migrations].sort((a, b) => a.version - b.version).filter((migration) => migration.version > version);
}

const RECORDED_VERSION = "SELECT MAX(version) AS v FROM schema_version";

const TABLE_EXISTS: Record<SqlDialect, string> = {
  sqlite: "SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = ?",
  postgres: "SELECT 1 AS found FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?",
};

function recordedVersion(row: { v?: unknown } | undefined): number | null {
  return row?.v === null || row?.v === undefined ? null : Number(row.v);
}

/** One transaction of a migration run, and the log line once it commits. */
interface MigrationStep {
  readonly statements: ReadonlyArray<{ readonly sql: string; readonly params?: readonly SqlValue[] }>;
  readonly log: { readonly fields: Record<string, unknown>; readonly message: string };
}

function recordStatement(migration: SqlMigration): { sql: string; params: SqlValue[] } {
  return {
    sql: "INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)",
    params: [migration.version, migration.description, Date.now()],
  };
}

/**
 * The transactions that bring a database to the schema's newest version, from the version it
 * records (null: none) and whether it has the schema's unversioned table; throws if it is newer.
 */
function migrationSteps(
  schema: SqlSchema,
  location: string,
  dialect: SqlDialect,
  recorded: number | null,
  hasUnversionedTable: boolean,
): MigrationStep[] {
  const label = schema.label ?? `${schema.service} database`;
  const version = recorded ?? (hasUnversionedTable && schema.unversioned ? schema.unversioned.version : 0);
  const pending = pendingMigrations(schema, location, version, schema.what);
  const steps: MigrationStep[] = [];
  if (recorded === null && version > 0) {
    // Written before versioning: record what it has, without creating it again.
    steps.push({
      statements: [...schema.migrations]
        .sort((a, b) => a.version - b.version)
        .filter((migration) => migration.version <= version)
        .map(recordStatement),
      log: { fields: { store: location, version }, message: `recorded the schema version of a ${label} written before versioning` },
    });
  }
  for (const migration of pending) {
    steps.push({
      statements: [...migrationStatements(migration, dialect).map((sql) => ({ sql })), recordStatement(migration)],
      log: {
        fields: { store: location, version: migration.version, description: migration.description },
        message: `applied a ${label} migration`,
      },
    });
  }
  return steps;
}

/** Brings `db` to the schema's newest version, one transaction per migration. */
export async function migrate(db: SqlDatabase, schema: SqlSchema, log?: Logger): Promise<void> {
  await db.run(SCHEMA_VERSION_TABLE);
  const recorded = recordedVersion(await db.get(RECORDED_VERSION));
  const unversioned =
    schema.unversioned !== undefined && (await db.get(TABLE_EXISTS[db.dialect], [schema.unversioned.table])) !== undefined;
  for (const step of migrationSteps(schema, db.location, db.dialect, recorded, unversioned)) {
    await db.transaction(async (tx) => {
      for (const { sql, params } of step.statements) await tx.run(sql, params);
    });
    log?.info(step.log.fields, step.log.message);
  }
}

/** `migrate` for a node:sqlite handle, which answers at once: the same steps, run synchronously. */
function migrateSqliteSync(db: DatabaseSync, location: string, schema: SqlSchema, log?: Logger): void {
  db.exec(SCHEMA_VERSION_TABLE);
  const recorded = recordedVersion(db.prepare(RECORDED_VERSION).get());
  const unversioned = schema.unversioned !== undefined && db.prepare(TABLE_EXISTS.sqlite).get(schema.unversioned.table) !== undefined;
  for (const step of migrationSteps(schema, location, "sqlite", recorded, unversioned)) {
    db.exec("BEGIN IMMEDIATE");
    try {
      for (const { sql, params = [] } of step.statements) db.prepare(sql).run(...sqliteParams(params));
      db.exec("COMMIT");
    } catch (error) {
      db.exec("ROLLBACK");
      throw error;
    }
    log?.info(step.log.fields, step.log.message);
  }
}

/** node:sqlite takes numbers, bigints, text, bytes and null; booleans and undefined never reach it. */
function sqliteParams(params: readonly SqlValue[]): SQLInputValue[] {
  return params as SQLInputValue[];
}

class SqliteDatabase implements SqlDatabase {
  readonly dialect = "sqlite" as const;
  readonly #db: DatabaseSync;
  /** node:sqlite runs on one connection: transactions take turns, and statements wait for them. */
  #turn: Promise<unknown> = Promise.resolve();

  readonly location: string;

  constructor(location: string, db: DatabaseSync) {
    this.location = location;
    this.#db = db;
  }

  #queries(): SqlQueries {
    const db = this.#db;
    return {
      run: async (sql, params = []) => ({ changes: Number(db.prepare(sql).run(...sqliteParams(params)).changes) }),
      all: async <T extends SqlRow>(sql: string, params: readonly SqlValue[] = []) => db.prepare(sql).all(...sqliteParams(params)) as T[],
      get: async <T extends SqlRow>(sql: string, params: readonly SqlValue[] = []) =>
        db.prepare(sql).get(...sqliteParams(params)) as T | undefined,
    };
  }

  #inTurn<T>(work: () => Promise<T>): Promise<T> {
    const result = this.#turn.then(work);
    this.#turn = result.catch(() => undefined);
    return result;
  }

  run(sql: string, params?: readonly SqlValue[]) {
    return this.#inTurn(() => this.#queries().run(sql, params));
  }
  all<T extends SqlRow>(sql: string, params?: readonly SqlValue[]) {
    return this.#inTurn(() => this.#queries().all<T>(sql, params));
  }
  get<T extends SqlRow>(sql: string, params?: readonly SqlValue[]) {
    return this.#inTurn(() => this.#queries().get<T>(sql, params));
  }

  transaction<T>(work: (tx: SqlQueries) => Promise<T>): Promise<T> {
    return this.#inTurn(async () => {
      this.#db.exec("BEGIN IMMEDIATE");
      try {
        const result = await work(this.#queries());
        this.#db.exec("COMMIT");
        return result;
      } catch (error) {
        this.#db.exec("ROLLBACK");
        throw error;
      }
    });
  }

  async ping(): Promise<void> {
    await this.get("SELECT 1 AS one");
  }

  async close(): Promise<void> {
    await this.#turn;
    if (this.#db.isOpen) this.#db.close();
  }
}

/**
 * Opens (creating) an SQLite file that this process alone writes and migrates it, returning the
 * node:sqlite handle: WAL, synced commits, and an exclusive lock taken at once, so a second process
 * on the same file fails at boot with a message. A file that fails to open or migrate is closed.
 */
export function openSqliteSync(path: string, schema: SqlSchema, log?: Logger): DatabaseSync {
  mkdirSync(dirname(path), { recursive: true });
  const raw = new DatabaseSync(path);
  try {
    raw.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA locking_mode = EXCLUSIVE; PRAGMA busy_timeout = 0;");
    raw.exec("BEGIN EXCLUSIVE; COMMIT;");
  } catch (error) {
    raw.close();
    if (/locked|busy/i.test((error as Error).message)) {
      const message =
        schema.inUseMessage?.(path) ??
        `the ${schema.service} database ${path} is in use by another process; stop it, or give this one another data folder or ${schema.urlVariable}`;
      throw new ServiceError(ServiceErrorCode.StoreInUse, message, { cause: error });
    }
    throw error;
  }
  try {
    migrateSqliteSync(raw, path, schema, log);
  } catch (error) {
    raw.close();
    throw error;
  }
  return raw;
}

/** `openSqliteSync` behind the `SqlDatabase` interface. */
export async function openSqlite(path: string, schema: SqlSchema, log?: Logger): Promise<SqlDatabase> {
  return new SqliteDatabase(path, openSqliteSync(path, schema, log));
}

/** PostgreSQL's `$n` placeholders for the `?` ones (statements hold no `?` inside literals). */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

function pgParams(params: readonly SqlValue[]): unknown[] {
  return params.map((value) => (value instanceof Uint8Array && !Buffer.isBuffer(value) ? Buffer.from(value) : value));
}

/** BYTEA arrives as a Buffer; callers see plain Uint8Array rows either way. */
function pgRow<T>(row: SqlRow): T {
  for (const [key, value] of Object.entries(row)) {
    if (Buffer.isBuffer(value)) row[key] = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  }
  return row as T;
}

function pgQueries(client: pg.Pool | pg.PoolClient): SqlQueries {
  return {
    run: async (sql, params = []) => ({ changes: (await client.query(numbered(sql), pgParams(params))).rowCount ?? 0 }),
    all: async <T extends SqlRow>(sql: string, params: readonly SqlValue[] = []) =>
      (await client.query(numbered(sql), pgParams(params))).rows.map((row: SqlRow) => pgRow<T>(row)),
    get: async <T extends SqlRow>(sql: string, params: readonly SqlValue[] = []) => {
      const row = (await client.query(numbered(sql), pgParams(params))).rows[0] as SqlRow | undefined;
      return row ? pgRow<T>(row) : undefined;
    },
  };
}

/** `work` in one transaction on `client`; a failed ROLLBACK marks the session broken (not pooled again). */
async function pgTransaction<T>(client: pg.PoolClient, work: (tx: SqlQueries) => Promise<T>, onBroken: () => void = () => {}): Promise<T> {
  await client.query("BEGIN");
  try {
    const result = await work(pgQueries(client));
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch(onBroken);
    throw error;
  }
}

/**
 * One PostgreSQL session as a `SqlDatabase` (for `migrate` under a session-level advisory lock):
 * its transactions run on the session; ping and close leave it to its owner.
 */
export function pgSession(client: pg.PoolClient, location: string): SqlDatabase {
  return {
    dialect: "postgres",
    location,
    ...pgQueries(client),
    transaction: (work) => pgTransaction(client, work),
    ping: async () => undefined,
    close: async () => undefined,
  };
}

class PostgresDatabase implements SqlDatabase {
  readonly dialect = "postgres" as const;
  readonly #pool: pg.Pool;
  readonly #queries: SqlQueries;

  readonly location: string;

  constructor(location: string, pool: pg.Pool) {
    this.location = location;
    this.#pool = pool;
    this.#queries = pgQueries(pool);
  }

  run(sql: string, params?: readonly SqlValue[]) {
    return this.#queries.run(sql, params);
  }
  all<T extends SqlRow>(sql: string, params?: readonly SqlValue[]) {
    return this.#queries.all<T>(sql, params);
  }
  get<T extends SqlRow>(sql: string, params?: readonly SqlValue[]) {
    return this.#queries.get<T>(sql, params);
  }

  async transaction<T>(work: (tx: SqlQueries) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    let broken = false;
    try {
      return await pgTransaction(client, work, () => {
        broken = true;
      });
    } finally {
      client.release(broken);
    }
  }

  async ping(): Promise<void> {
    await this.#pool.query("SELECT 1");
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}

/** A PostgreSQL URL without its password, for messages and logs. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparsable URL)";
  }
}

/**
 * Takes one session from `pool` and, under the schema's advisory lock (a session-level lock, held
 * across the migrations' transactions), migrates the database and runs `underLock` (checks that must
 * see the migrated schema before another instance boots). A session that may still hold the lock,
 * or sits in a failed transaction, is not pooled again. Instances booting at once migrate once.
 */
export async function migrateShared(
  pool: pg.Pool,
  location: string,
  schema: SqlSchema,
  log?: Logger,
  underLock?: (client: pg.PoolClient) => Promise<void>,
): Promise<void> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw new ServiceError(
      ServiceErrorCode.StoreUnreachable,
      `cannot connect to the ${schema.service} database ${location}: ${(error as Error).message}; check ${schema.urlVariable}`,
      { cause: error },
    );
  }
  let broken = false;
  try {
    await client.query("SELECT pg_advisory_lock($1)", [schema.lockId.toString()]);
    try {
      await migrate(pgSession(client, location), schema, log);
      await underLock?.(client);
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [schema.lockId.toString()]).catch(() => {
        broken = true;
      });
    }
  } catch (error) {
    broken = true;
    throw error;
  } finally {
    client.release(broken);
  }
}

/** Connects to a shared PostgreSQL database and migrates it (once, under an advisory lock). */
export async function openPostgres(url: string, schema: SqlSchema, log?: Logger): Promise<SqlDatabase> {
  const location = redactedUrl(url);
  const pool = new pg.Pool({ connectionString: url, max: 8, connectionTimeoutMillis: 10_000 });
  // An idle client that loses its connection must not take the process down.
  pool.on("error", (error) => log?.warn({ err: error }, `a ${schema.service} database connection failed; it is replaced`));
  try {
    await migrateShared(pool, location, schema, log);
  } catch (error) {
    await pool.end();
    throw error;
  }
  return new PostgresDatabase(location, pool);
}
