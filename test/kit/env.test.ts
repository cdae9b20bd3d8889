/** Configuration from the environment through TypeBox schemas (service/kit/env.ts), as the relayer and the desk share it. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Type } from "typebox";
import { describe, expect, it } from "vitest";
import { ChainEnv, ConfigError, readEnv, withDeploymentDefaults } from "../../service/kit/env.ts";

const Chain = Type.Object(ChainEnv);
const BASE = { HUZHU_RPC_URL: "http://127.0.0.1:8545", HUZHU_POOL: "0x5FbDB2315678afecb367f032d93F642f64180aa3" };

describe("the chain variables", () => {
  it("reads an http(s) RPC URL and an address in lower case or with its checksum", () => {
    expect(readEnv(Chain, BASE)).toEqual({ ...BASE, HUZHU_FROM_BLOCK: 0n });
    expect(readEnv(Chain, { ...BASE, HUZHU_POOL: BASE.HUZHU_POOL.toLowerCase() }).HUZHU_POOL).toBe(BASE.HUZHU_POOL.toLowerCase());
  });

  it("takes what is unset from the deployment record", () => {
    const dir = mkdtempSync(join(tmpdir(), "huzhu-env-"));
    const record = join(dir, "deployment.json");
    writeFileSync(record, JSON.stringify({ pool: BASE.HUZHU_POOL, deployBlock: 7, rpcUrl: "https://rpc.example.org" }));
    expect(readEnv(Chain, withDeploymentDefaults({ HUZHU_DEPLOYMENT: record, HUZHU_FROM_BLOCK: "9" }))).toEqual({
      HUZHU_RPC_URL: "https://rpc.example.org",
      HUZHU_POOL: BASE.HUZHU_POOL,
      HUZHU_FROM_BLOCK: 9n,
    });
  });

  it.each([
    [
      "HUZHU_RPC_URL",
      "",
      "HUZHU_RPC_URL is required: the JSON-RPC URL of the chain the pool is on (or HUZHU_DEPLOYMENT, a deployment record)",
    ],
    ["HUZHU_RPC_URL", "ws://127.0.0.1:8545", 'HUZHU_RPC_URL must be an http(s) URL, got "ws://127.0.0.1:8545"'],
    ["HUZHU_RPC_URL", "http://", 'HUZHU_RPC_URL must be an http(s) URL, got "http://"'],
    ["HUZHU_POOL", "", "HUZHU_POOL (or HUZHU_DEPLOYMENT, a deployment record) is required: the pool's address"],
    [
      "HUZHU_POOL",
      "0x5FbDB2315678afecb367f032d93F642f64180aa",
      'HUZHU_POOL must be an address, got "0x5FbDB2315678afecb367f032d93F642f64180aa"',
    ],
    // Mixed case that is not the EIP-55 checksum: a typo.
    [
      "HUZHU_POOL",
      "0x5FbDB2315678afecb367f032d93F642f64180aA3",
      'HUZHU_POOL must be an address, got "0x5FbDB2315678afecb367f032d93F642f64180aA3"',
    ],
    ["HUZHU_FROM_BLOCK", "1e3", 'HUZHU_FROM_BLOCK must be a whole number, got "1e3"'],
  ])("refuses %s=%j with ConfigError saying what it must be", (name, value, message) => {
    expect(() => readEnv(Chain, { ...BASE, [name]: value })).toThrow(new ConfigError(message));
  });
});
