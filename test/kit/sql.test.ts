/**
 * The service kit's SQLite migrations on real files: a database written before its schema was
 * versioned is recorded at the schema's unversioned version, not created again; a migration that
 * fails rolls back whole and leaves the file free for the next process.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { ServiceError } from "../../service/kit/service-error.ts";
import { openSqlite, openSqliteSync, type SqlMigration, type SqlSchema } from "../../service/kit/sql.ts";

const NOTES: SqlMigration = {
  version: 1,
  description: "notes",
  statements: ["CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"],
};
const TAGS: SqlMigration = { version: 2, description: "tags", statements: ["ALTER TABLE notes ADD COLUMN tag TEXT"] };

function schema(migrations: SqlMigration[], extra: Partial<SqlSchema> = {}): SqlSchema {
  return { service: "notes", migrations, urlVariable: "NOTES_DATABASE_URL", lockId: 1n, ...extra };
}

function tempFile(): string {
  return join(mkdtempSync(join(tmpdir(), "huzhu-kit-sql-")), "notes.sqlite");
}

function versions(file: string): number[] {
  const db = new DatabaseSync(file);
  try {
    return (db.prepare("SELECT version FROM schema_version ORDER BY version").all() as Array<{ version: number }>).map(
      (row) => row.version,
    );
  } finally {
    db.close();
  }
}

function capturingLogger() {
  const lines: Array<{ msg: string; version?: number }> = [];
  const log = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { log, lines };
}

describe("openSqliteSync", () => {
  it("records a database written before versioning at the unversioned version and applies only the later migrations", () => {
    const file = tempFile();
    const old = new DatabaseSync(file);
    old.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL); INSERT INTO notes (body) VALUES ('kept')");
    old.close();
    const { log, lines } = capturingLogger();
    const db = openSqliteSync(file, schema([NOTES, TAGS], { label: "note file", unversioned: { table: "notes", version: 1 } }), log);
    try {
      expect(db.prepare("SELECT body, tag FROM notes").all()).toEqual([{ body: "kept", tag: null }]);
    } finally {
      db.close();
    }
    expect(lines.map((line) => [line.msg, line.version])).toEqual([
      ["recorded the schema version of a note file written before versioning", 1],
      ["applied a note file migration", 2],
    ]);
    expect(versions(file)).toEqual([1, 2]);
  });

  it("creates an empty database from the first migration when the schema has no unversioned table", () => {
    const file = tempFile();
    const { log, lines } = capturingLogger();
    openSqliteSync(file, schema([NOTES, TAGS]), log).close();
    expect(lines.map((line) => [line.msg, line.version])).toEqual([
      ["applied a notes database migration", 1],
      ["applied a notes database migration", 2],
    ]);
    expect(versions(file)).toEqual([1, 2]);
  });

  it("refuses a file another process holds, with the schema's message", () => {
    const file = tempFile();
    const holder = openSqliteSync(file, schema([NOTES]));
    try {
      expect(() => openSqliteSync(file, schema([NOTES], { inUseMessage: (path) => `${path} is taken` }))).toThrow(
        new ServiceError("STORE_IN_USE", `${file} is taken`),
      );
    } finally {
      holder.close();
    }
  });
});

describe("openSqlite", () => {
  it("rolls back a failed migration whole and releases the file", async () => {
    const file = tempFile();
    await (await openSqlite(file, schema([NOTES]))).close();
    const broken: SqlMigration = {
      version: 2,
      description: "broken",
      statements: ["ALTER TABLE notes ADD COLUMN tag TEXT", "ALTER TABLE notes ADD COLUMN tag TEXT"],
    };
    await expect(openSqlite(file, schema([NOTES, broken]))).rejects.toMatchObject({
      code: "ERR_SQLITE_ERROR",
      message: "duplicate column name: tag",
    });
    // Nothing of version 2 was written, and the next open takes the file and migrates it.
    expect(versions(file)).toEqual([1]);
    const db = await openSqlite(file, schema([NOTES, TAGS]));
    try {
      expect(await db.all("SELECT name FROM pragma_table_info('notes') ORDER BY cid")).toEqual([
        { name: "id" },
        { name: "body" },
        { name: "tag" },
      ]);
    } finally {
      await db.close();
    }
    expect(versions(file)).toEqual([1, 2]);
  });
});
