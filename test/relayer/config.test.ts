/** The relayer's configuration from the environment (service/relayer/config.ts, through service/kit/env.ts). */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, RelayerEnv } from "../../service/relayer/config.ts";

const BASE = {
  HUZHU_RPC_URL: "http://127.0.0.1:8545",
  HUZHU_RELAYER_KEY: `0x${"11".repeat(32)}`,
  HUZHU_POOL: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
};

describe("relayer configuration", () => {
  it("fills every unset or empty variable with its schema's default", () => {
    const config = loadConfig({ ...BASE, HUZHU_RELAYER_HOST: "" });
    expect(config).toMatchObject({
      host: "127.0.0.1",
      port: 8787,
      feeBps: 100,
      minFee: 0n,
      fromBlock: 0n,
      quoteTtlSeconds: 300,
      repriceAfterMs: 30_000,
      corsOrigins: ["*"],
      logLevel: "info",
    });
    expect(config.verificationKeyPath).toBeUndefined();
    expect(Object.keys(RelayerEnv.properties)).toContain("HUZHU_RELAYER_FEE_BPS");
  });

  it("reads numbers, big numbers and lists, and takes the start block from a deployment record unless set", () => {
    const dir = mkdtempSync(join(tmpdir(), "huzhu-config-"));
    const record = join(dir, "deployment.json");
    writeFileSync(record, JSON.stringify({ pool: BASE.HUZHU_POOL, deployBlock: 42, rpcUrl: BASE.HUZHU_RPC_URL }));
    const { HUZHU_POOL: _pool, ...rest } = BASE;
    expect(loadConfig({ ...rest, HUZHU_DEPLOYMENT: record, HUZHU_FROM_BLOCK: "" }).fromBlock).toBe(42n);
    const config = loadConfig({
      ...BASE,
      HUZHU_FROM_BLOCK: "7",
      HUZHU_RELAYER_PORT: "0",
      HUZHU_RELAYER_MIN_FEE: "123456789012345678901234567890",
      HUZHU_RELAYER_CORS_ORIGINS: "http://a.example, http://b.example,",
    });
    expect(config).toMatchObject({
      fromBlock: 7n,
      port: 0,
      minFee: 123456789012345678901234567890n,
      corsOrigins: ["http://a.example", "http://b.example"],
    });
  });

  it.each([
    ["HUZHU_RELAYER_FEE_BPS", "1001", 'HUZHU_RELAYER_FEE_BPS must be a whole number from 0 to 1000, got "1001"'],
    ["HUZHU_RELAYER_PORT", "-1", 'HUZHU_RELAYER_PORT must be a whole number from 0 to 65535, got "-1"'],
    ["HUZHU_QUOTE_TTL_SECONDS", "9", 'HUZHU_QUOTE_TTL_SECONDS must be a whole number from 10 to 86400, got "9"'],
    ["HUZHU_CONFIRMATIONS", "1.5", 'HUZHU_CONFIRMATIONS must be a whole number from 1 to 100, got "1.5"'],
    ["HUZHU_RELAYER_MIN_FEE", "1e3", 'HUZHU_RELAYER_MIN_FEE must be a whole number, got "1e3"'],
  ])("refuses %s=%j with ConfigError naming it and its bounds", (name, value, message) => {
    expect(() => loadConfig({ ...BASE, [name]: value })).toThrow(
      expect.objectContaining({ name: "ConfigError", code: "CONFIG_INVALID", message }),
    );
    expect(() => loadConfig({ ...BASE, [name]: value })).toThrow(ConfigError);
  });

  it.each([
    ["HUZHU_RELAYER_KEY", "", "HUZHU_RELAYER_KEY (or HUZHU_RELAYER_KEY_FILE) is required: the relayer wallet's private key"],
    ["HUZHU_RELAYER_KEY", `0x${"11".repeat(31)}`, "HUZHU_RELAYER_KEY must be a 0x-prefixed 32-byte hex private key"],
    ["HUZHU_RELAYER_KEY", `0x${"zz".repeat(32)}`, "HUZHU_RELAYER_KEY must be a 0x-prefixed 32-byte hex private key"],
    ["HUZHU_RELAYER_DATABASE_URL", "mysql://db.internal/huzhu", "HUZHU_RELAYER_DATABASE_URL must be a postgres:// URL, got a mysql: URL"],
    [
      "HUZHU_RELAYER_DATABASE_URL",
      "postgres//relayer:hunter2@db",
      "HUZHU_RELAYER_DATABASE_URL must be a postgres:// URL, e.g. postgres://relayer:secret@db.internal:5432/huzhu",
    ],
    ["HUZHU_LOG_CHUNK", "0", 'HUZHU_LOG_CHUNK must be a whole number of at least 1, got "0"'],
    ["HUZHU_LOG_CHUNK", "0x10", 'HUZHU_LOG_CHUNK must be a whole number of at least 1, got "0x10"'],
  ])("refuses %s=%j with ConfigError saying what it must be", (name, value, message) => {
    expect(() => loadConfig({ ...BASE, [name]: value })).toThrow(new ConfigError(message));
  });

  it("never quotes a refused key or database URL, which hold secrets", () => {
    for (const [name, value] of [
      ["HUZHU_RELAYER_KEY", `0x${"ab".repeat(33)}`],
      ["HUZHU_RELAYER_DATABASE_URL", "mysql://relayer:hunter2@db.internal/huzhu"],
    ] as const) {
      expect(() => loadConfig({ ...BASE, [name]: value })).toThrow(expect.objectContaining({ code: "CONFIG_INVALID" }));
      expect(() => loadConfig({ ...BASE, [name]: value })).not.toThrow(value.slice(2, 20));
    }
  });

  it("reads the URLs, key, pool and database the schema accepts, the key from HUZHU_RELAYER_KEY_FILE when unset", () => {
    const dir = mkdtempSync(join(tmpdir(), "huzhu-config-"));
    const keyFile = join(dir, "key");
    writeFileSync(keyFile, `0x${"AB".repeat(32)}\n`);
    const config = loadConfig({
      ...BASE,
      HUZHU_RPC_URL: "https://rpc.example.org/v1?key=x",
      HUZHU_RELAYER_KEY: "",
      HUZHU_RELAYER_KEY_FILE: keyFile,
      HUZHU_POOL: BASE.HUZHU_POOL.toLowerCase(),
      HUZHU_RELAYER_DATABASE_URL: "postgresql://relayer:secret@db.internal:5432/huzhu",
      HUZHU_LOG_CHUNK: "1",
    });
    expect(config).toMatchObject({
      rpcUrl: "https://rpc.example.org/v1?key=x",
      privateKey: `0x${"AB".repeat(32)}`,
      pool: BASE.HUZHU_POOL.toLowerCase(),
      databaseUrl: "postgresql://relayer:secret@db.internal:5432/huzhu",
      logChunk: 1n,
    });
    expect(() => loadConfig({ ...BASE, HUZHU_RELAYER_KEY: "", HUZHU_RELAYER_KEY_FILE: join(dir, "missing") })).toThrow(
      new ConfigError(`HUZHU_RELAYER_KEY_FILE: cannot read it (ENOENT: no such file or directory, open '${join(dir, "missing")}')`),
    );
  });
});
