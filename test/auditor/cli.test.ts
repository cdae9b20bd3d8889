/**
 * `huzhu audit` end to end against a real Hardhat node on 127.0.0.1: exit code 0 and a clean JSON
 * report for a clean pool, exit code 1 and the named finding once a token backdoor drains it,
 * exit code 2 when the RPC endpoint does not answer.
 */
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Chain, freePort, startChain } from "../../scripts/lib/stack.ts";
import { poolKit } from "../../testkit/pool.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const STATE = mkdtempSync(join(tmpdir(), "huzhu-audit-cli-"));

function huzhu(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, "service", "cli", "main.ts"), ...args],
      { cwd: ROOT, env: { ...process.env, HUZHU_STATE_DIR: STATE, LOG_LEVEL: "warn" } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

describe("huzhu audit", () => {
  let chain: Chain;
  let RPC: string;
  let pool: `0x${string}`;
  let sweep: () => Promise<unknown>;

  beforeAll(async () => {
    chain = await startChain(await freePort());
    RPC = chain.rpcUrl;
    const kit = await poolKit({ rpcUrl: RPC });
    pool = kit.pool.address;
    const token = await kit.deployToken("drainable", 10n ** 12n);
    const planId = await kit.createPlan(token, "CLI plan", { rules: { periodLength: 86_400n } });
    await kit.join(planId, 12);
    // DrainableToken's owner (the deployer) can move any holder's tokens.
    const drainable = await kit.viem.getContractAt("DrainableToken", token);
    sweep = () => drainable.write.sweep([pool, kit.accounts.admin.account.address, 1n]);
  });

  afterAll(async () => {
    await chain.stop();
  });

  it("exits 0 with a clean report, then 1 naming the shortfall once the token is drained", async () => {
    const clean = await huzhu(["audit", "--rpc", RPC, "--pool", pool, "--json"]);
    expect(clean.code).toBe(0);
    const report = JSON.parse(clean.stdout);
    expect(report).toMatchObject({
      ok: true,
      findings: [],
      plans: [{ planId: "1", name: "CLI plan", members: 1, contributions: "120000000" }],
    });

    await sweep();
    const drained = await huzhu(["audit", "--rpc", RPC, "--pool", pool]);
    expect(drained.code).toBe(1);
    expect(drained.stdout).toMatch(
      /FAILED: 1 finding\(s\)\n {2}\[token-balance\] token 0x[0-9a-fA-F]{40}: the pool holds 119999999 but plans 1 hold 120000000/,
    );
    expect(drained.stdout).toMatch(
      /plan\s+name\s+members\s+contributions\s+donations\s+claims\s+paid\s+fees\s+balance\s+verified\s+failed/,
    );
    expect(drained.stdout).toContain(
      "Verifier bytecode: identical to the rebuild from the key (snarkjs's Groth16 template, solc 0.8.28, optimizer 10000 runs, EVM cancun)\n",
    );
  });

  it("exits 2 when the chain cannot be reached", async () => {
    const result = await huzhu(["audit", "--rpc", "http://127.0.0.1:9", "--pool", "0x5FbDB2315678afecb367f032d93F642f64180aa3", "--json"]);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({
      ok: false,
      code: "CHAIN_UNREACHABLE",
      error: expect.stringContaining("HTTP request failed"),
    });
  });

  it("exits 2 with the CLI's code for a pool that is not an address or a block that is not a number", async () => {
    const badPool = await huzhu(["audit", "--rpc", RPC, "--pool", "0x12", "--json"]);
    expect(badPool.code).toBe(2);
    expect(JSON.parse(badPool.stdout)).toEqual({
      ok: false,
      code: "BAD_ADDRESS",
      error: '--pool must be a 20-byte hex address (0x + 40 hex digits), got "0x12"',
    });
    const badBlock = await huzhu(["audit", "--rpc", RPC, "--pool", "0x5FbDB2315678afecb367f032d93F642f64180aa3", "--to-block", "soon"]);
    expect(badBlock.code).toBe(2);
    expect(badBlock.stderr).toBe('huzhu audit: --to-block must be a block number, got "soon"\n');
  });
});
