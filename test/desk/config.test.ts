/** The desk's configuration from the environment (service/desk/config.ts, through service/kit/env.ts). */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadDeskConfig } from "../../service/desk/config.ts";

const POOL = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const BASE = { HUZHU_RPC_URL: "http://127.0.0.1:8545", HUZHU_POOL: POOL.toLowerCase() };

describe("desk configuration", () => {
  it("fills unset variables with their defaults and takes the chain from a deployment record", () => {
    const dir = mkdtempSync(join(tmpdir(), "huzhu-desk-config-"));
    const record = join(dir, "deployment.json");
    writeFileSync(record, JSON.stringify({ pool: POOL, deployBlock: 42, rpcUrl: "http://127.0.0.1:8545" }));
    expect(loadDeskConfig({ HUZHU_DEPLOYMENT: record, HUZHU_DESK_HOST: "" })).toMatchObject({
      rpcUrl: "http://127.0.0.1:8545",
      pool: POOL,
      fromBlock: 42n,
      host: "127.0.0.1",
      port: 8788,
      origin: undefined,
      databaseUrl: undefined,
      logChunk: 50_000n,
      corsOrigins: ["*"],
    });
  });

  it("reads the origin as a URL's origin and a postgres:// database URL", () => {
    const config = loadDeskConfig({
      ...BASE,
      HUZHU_DESK_ORIGIN: "https://desk.example.org/members",
      HUZHU_DESK_DATABASE_URL: "postgres://desk:secret@db.internal:5432/huzhu_desk",
      HUZHU_LOG_CHUNK: "1000",
    });
    expect(config).toMatchObject({
      pool: POOL,
      origin: "https://desk.example.org",
      databaseUrl: "postgres://desk:secret@db.internal:5432/huzhu_desk",
      logChunk: 1000n,
    });
  });

  it.each([
    [
      "HUZHU_RPC_URL",
      "",
      "HUZHU_RPC_URL is required: the JSON-RPC URL of the chain the pool is on (or HUZHU_DEPLOYMENT, a deployment record)",
    ],
    [
      "HUZHU_DESK_ORIGIN",
      "desk.example.org",
      'HUZHU_DESK_ORIGIN must be the desk\'s public URL, e.g. https://desk.example.org, got "desk.example.org"',
    ],
    ["HUZHU_DESK_DATABASE_URL", "sqlite://desk.db", "HUZHU_DESK_DATABASE_URL must be a postgres:// URL, got a sqlite: URL"],
    [
      "HUZHU_DESK_DATABASE_URL",
      "desk:secret@db.internal",
      "HUZHU_DESK_DATABASE_URL must be a postgres:// URL, e.g. postgres://desk:secret@db.internal:5432/huzhu_desk",
    ],
    ["HUZHU_DESK_PORT", "65536", 'HUZHU_DESK_PORT must be a whole number from 0 to 65535, got "65536"'],
    ["HUZHU_DESK_SESSION_TTL_SECONDS", "1h", 'HUZHU_DESK_SESSION_TTL_SECONDS must be a whole number from 60 to 604800, got "1h"'],
    ["HUZHU_LOG_CHUNK", "0", 'HUZHU_LOG_CHUNK must be a whole number of at least 1, got "0"'],
    ["HUZHU_FROM_BLOCK", "-1", 'HUZHU_FROM_BLOCK must be a whole number, got "-1"'],
  ])("refuses %s=%j with ConfigError saying what it must be", (name, value, message) => {
    expect(() => loadDeskConfig({ ...BASE, [name]: value })).toThrow(new ConfigError(message));
    expect(() => loadDeskConfig({ ...BASE, [name]: value })).toThrow(
      expect.objectContaining({ name: "ConfigError", code: "CONFIG_INVALID" }),
    );
  });
});
