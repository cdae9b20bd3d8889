/**
 * `huzhu audit` end to end against a real Hardhat node on 127.0.0.1: exit code 0 and a clean JSON
 * report for a clean pool, exit code 1 and the named finding once a token backdoor drains it,
 * exit code 2 when the RPC endpoint does not answer.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { network } from "hardhat";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployHuzhu } from "../../scripts/lib/deploy.ts";
import { createIdentity, generateAssessorKey } from "../../service/sdk/index.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const PORT = 19_545 + Math.floor(Math.random() * 1000);
const RPC = `http://127.0.0.1:${PORT}`;
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

async function waitForRpc(child: ChildProcess): Promise<void> {
  for (let i = 0; i < 240; i++) {
    if (child.exitCode !== null) throw new Error("the Hardhat node exited");
    try {
      const response = await fetch(RPC, {
        method: "POST",
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      });
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error("the Hardhat node did not start");
}

describe("huzhu audit", () => {
  const node = spawn(
    process.execPath,
    [join(ROOT, "node_modules/hardhat/dist/src/cli.js"), "node", "--hostname", "127.0.0.1", "--port", String(PORT)],
    {
      cwd: ROOT,
      stdio: "ignore",
    },
  );
  let pool: `0x${string}`;
  let sweep: () => Promise<unknown>;

  beforeAll(async () => {
    await waitForRpc(node);
    const { viem } = await network.create({ network: "localhost", override: { url: RPC } });
    const [admin] = await viem.getWalletClients();
    if (!admin) throw new Error("no accounts");
    const deployment = await deployHuzhu(viem, { admin: admin.account.address });
    pool = deployment.pool.address;
    const token = await viem.deployContract("DrainableToken");
    await token.write.mint([admin.account.address, 10n ** 12n]);
    await token.write.approve([pool, 2n ** 255n]);
    await deployment.pool.write.createPlan([
      {
        token: token.address,
        contribution: 10_000_000n,
        periodLength: 86_400n,
        waitingPeriods: 0,
        claimCap: 5_000_000_000n,
        maxFeeBps: 300,
        admin: admin.account.address,
        name: "CLI plan",
      },
    ]);
    const key = generateAssessorKey();
    await deployment.pool.write.addAssessor([1n, key.publicKey[0], key.publicKey[1]]);
    await deployment.pool.write.join([1n, createIdentity().commitment, 12]);
    sweep = () => token.write.sweep([pool, admin.account.address, 1n]);
  });

  afterAll(() => {
    node.kill("SIGTERM");
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
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, error: expect.stringContaining("HTTP request failed") });
  });
});
