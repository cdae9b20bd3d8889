/**
 * A service's database, embedded or shared, behind one small interface: an SQLite file
 * (node:sqlite, the default; one process owns it) or a PostgreSQL database several instances
 * share. Statements are written once with `?` placeholders (PostgreSQL gets `$1, $2, ...`), and
 * binary columns are Uint8Array in both. Schemas come from numbered, append-only migrations, applied
 * in order at open, one transaction each, recorded in `schema_version`; a database written by a
 * newer version of the service is refused. In PostgreSQL the first instance to boot migrates under
 * an advisory lock, so instances booting at once migrate once.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import pg from "pg";
import type { Logger } from "pino";

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
  if (version > schemaVersion(schema)) throw new Error(newerSchemaMessage(schema, what, location, version));
  return [...schema.migrations].sort((a, b) => a.version - b.version).filter((migration) => migration.version > version);
}

async function migrate(db: SqlDatabase, schema: SqlSchema, log?: Logger): Promise<void> {
  await db.run(SCHEMA_VERSION_TABLE);
  const recorded = await db.get<{ v: number | string | null }>("SELECT MAX(version) AS v FROM schema_version");
  const version = recorded?.v === null || recorded?.v === undefined ? 0 : Number(recorded.v);
  for (const migration of pendingMigrations(schema, db.location, version)) {
    await db.transaction(async (tx) => {
      for (const statement of migrationStatements(migration, db.dialect)) await tx.run(statement);
      await tx.run("INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)", [
        migration.version,
        migration.description,
        Date.now(),
      ]);
    });
    log?.info(
      { store: db.location, version: migration.version, description: migration.description },
      `applied a ${schema.service} database migration`,
    );
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
 * Opens (creating) an SQLite file that this process alone writes: WAL, synced commits, and an
 * exclusive lock taken at once, so a second process on the same file fails at boot with a message.
 */
export async function openSqlite(path: string, schema: SqlSchema, log?: Logger): Promise<SqlDatabase> {
  mkdirSync(dirname(path), { recursive: true });
  const raw = new DatabaseSync(path);
  try {
    raw.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA locking_mode = EXCLUSIVE; PRAGMA busy_timeout = 0;");
    raw.exec("BEGIN EXCLUSIVE; COMMIT;");
  } catch (error) {
    raw.close();
    if (/locked|busy/i.test((error as Error).message)) {
      throw new Error(
        `the ${schema.service} database ${path} is in use by another process; stop it, or give this one another data folder or ${schema.urlVariable}`,
        { cause: error },
      );
    }
    throw error;
  }
  const db = new SqliteDatabase(path, raw);
  await migrate(db, schema, log);
  return db;
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

/** Connects to a shared PostgreSQL database and migrates it (once, under an advisory lock). */
export async function openPostgres(url: string, schema: SqlSchema, log?: Logger): Promise<SqlDatabase> {
  const location = redactedUrl(url);
  const pool = new pg.Pool({ connectionString: url, max: 8, connectionTimeoutMillis: 10_000 });
  // An idle client that loses its connection must not take the process down.
  pool.on("error", (error) => log?.warn({ err: error }, `a ${schema.service} database connection failed; it is replaced`));
  const db = new PostgresDatabase(location, pool);
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    await pool.end();
    throw new Error(
      `cannot connect to the ${schema.service} database ${location}: ${(error as Error).message}; check ${schema.urlVariable}`,
      {
        cause: error,
      },
    );
  }
  try {
    await client.query("SELECT pg_advisory_lock($1)", [schema.lockId.toString()]);
    try {
      const locked: SqlDatabase = {
        dialect: "postgres",
        location,
        ...pgQueries(client),
        transaction: (work) => pgTransaction(client, work),
        ping: async () => undefined,
        close: async () => undefined,
      };
      await migrate(locked, schema, log);
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [schema.lockId.toString()]);
    }
  } catch (error) {
    client.release(true);
    await pool.end();
    throw error;
  }
  client.release();
  return db;
}
