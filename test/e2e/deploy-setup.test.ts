/**
 * Deploying with a production setup (`npm run deploy -- --setup DIR`): the setup's own verifier is
 * compiled and deployed, checked with a proof made from the setup's zkey, and guards the pool; a
 * verifier that does not belong to the setup stops the deployment before any pool exists.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Chain, freePort, publicClientFor, startChain } from "../../scripts/lib/stack.ts";
import { huzhuPoolAbi } from "../../service/sdk/index.ts";
import { CLAIM_BUILD } from "../../service/sdk/node.ts";

const ROOT = join(import.meta.dirname, "..", "..");
let chain: Chain;

/** A setup folder laid out as `huzhu ceremony finalize` writes it, from the development build. */
function setupDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "huzhu-setup-"));
  copyFileSync(CLAIM_BUILD.wasm, join(dir, "claim.wasm"));
  copyFileSync(CLAIM_BUILD.zkey, join(dir, "claim.zkey"));
  copyFileSync(CLAIM_BUILD.verificationKey, join(dir, "verification_key.json"));
  copyFileSync(join(ROOT, "contracts", "verifiers", "ClaimVerifier.sol"), join(dir, "ClaimVerifier.sol"));
  return dir;
}

function deploy(setup: string, out: string) {
  return spawnSync(
    process.execPath,
    [join(ROOT, "scripts", "deploy.ts"), "--network", "localhost", "--rpc", chain.rpcUrl, "--setup", setup, "--out", out],
    {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, HUZHU_LOG_FORMAT: "json" },
      timeout: 180_000,
    },
  );
}

beforeAll(async () => {
  chain = await startChain(await freePort());
}, 120_000);

afterAll(async () => {
  await chain?.stop();
});

describe("deploy --setup", () => {
  it("deploys the setup's own verifier, checked with a proof from its zkey, and the pool uses it", async () => {
    const dir = setupDir();
    const out = join(dir, "deployment.json");
    const run = deploy(dir, out);
    expect(run.stderr + run.stdout).toContain("setup verifier deployed");
    expect(run.status).toBe(0);
    const record = JSON.parse(readFileSync(out, "utf8")) as {
      pool: `0x${string}`;
      verifier: `0x${string}`;
      setup: string;
      verificationKeySha256: string;
    };
    expect(record.setup).toBe(dir);
    const client = publicClientFor(chain.rpcUrl);
    const guard = await client.readContract({ address: record.pool, abi: huzhuPoolAbi, functionName: "VERIFIER" });
    expect(guard.toLowerCase()).toBe(record.verifier.toLowerCase());
    expect((await client.getCode({ address: record.verifier }))?.length).toBeGreaterThan(1000);
  });

  it("refuses a verifier that belongs to another setup, before deploying the pool", () => {
    const dir = setupDir();
    // One constant of the verifying key changed: the contract compiles but is another setup's.
    const source = readFileSync(join(dir, "ClaimVerifier.sol"), "utf8");
    const altered = source.replace(
      /(uint256 constant alphax\s*=\s*)(\d)/,
      (_m, head: string, digit: string) => `${head}${digit === "1" ? "2" : "1"}`,
    );
    expect(altered).not.toBe(source);
    writeFileSync(join(dir, "ClaimVerifier.sol"), altered);
    const run = deploy(dir, join(dir, "deployment.json"));
    expect(run.status).toBe(1);
    expect(run.stdout + run.stderr).toContain(
      "the deployed ClaimVerifier rejects a proof made with claim.zkey; ClaimVerifier.sol belongs to another setup",
    );
  });

  it("refuses a folder that is not a finalized setup", () => {
    const dir = mkdtempSync(join(tmpdir(), "huzhu-setup-"));
    const run = deploy(dir, join(dir, "deployment.json"));
    expect(run.status).toBe(1);
    expect(run.stdout + run.stderr).toContain("lacks ClaimVerifier.sol, verification_key.json, claim.zkey, claim.wasm");
  });
});
