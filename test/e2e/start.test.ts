/**
 * `npm start` end to end: the local stack comes up on 127.0.0.1, the pool and a funded demo plan
 * are on the chain, the relayer serves them, every `huzhu` command it prints works as printed and
 * ends in a payout to the newcomer, and Ctrl-C (SIGINT) stops the relayer and the chain node.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPublicClient, erc20Abi, http, parseAbi } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const PORT = 18_545 + Math.floor(Math.random() * 1000);
const RPC = `http://127.0.0.1:${PORT}`;
const RELAYER_PORT = PORT + 1000;
const RELAYER = `http://127.0.0.1:${RELAYER_PORT}`;
const WEB_PORT = PORT + 2000;
const WEB = `http://127.0.0.1:${WEB_PORT}`;

function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (pattern.test(output)) {
        clearTimeout(timer);
        resolve(output);
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited with ${code}:\n${output}`));
    });
  });
}

describe("npm start", () => {
  const stateDir = mkdtempSync(join(tmpdir(), "huzhu-start-"));
  const child = spawn(process.execPath, [join(ROOT, "scripts", "start.ts")], {
    cwd: ROOT,
    env: {
      ...process.env,
      HUZHU_CHAIN_PORT: String(PORT),
      HUZHU_RELAYER_PORT: String(RELAYER_PORT),
      HUZHU_WEB_PORT: String(WEB_PORT),
      HUZHU_STATE_DIR: stateDir,
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  afterAll(() => {
    // SIGINT, not SIGKILL: npm start must get the chance to stop its chain node.
    if (child.exitCode === null) child.kill("SIGINT");
  });

  it("deploys the pool and a demo plan on a local chain, serves the relayer, and stops both on Ctrl-C", async () => {
    const printed = await waitForLine(child, /Press Ctrl-C to stop/, 120_000);
    expect(printed).toContain(`relayer   ${RELAYER}`);
    const deployment = JSON.parse(readFileSync(join(stateDir, "deployments", "localhost.json"), "utf8")) as {
      pool: `0x${string}`;
      rpcUrl: string;
    };
    expect(deployment.rpcUrl).toBe(RPC);
    const client = createPublicClient({ transport: http(RPC) });
    const abi = parseAbi(["function planCount() view returns (uint256)", "function planName(uint256) view returns (string)"]);
    expect(await client.readContract({ address: deployment.pool, abi, functionName: "planCount" })).toBe(1n);
    expect(await client.readContract({ address: deployment.pool, abi, functionName: "planName", args: [1n] })).toBe("Demo medical plan");

    const ready = await fetch(`${RELAYER}/ready`);
    expect(ready.status).toBe(200);
    const info = (await (await fetch(`${RELAYER}/v1/info`)).json()) as { pool: string; plans: Array<{ name: string }> };
    expect(info.pool.toLowerCase()).toBe(deployment.pool.toLowerCase());
    expect(info.plans.map((p) => p.name)).toEqual(["Demo medical plan"]);
    expect(printed).toContain(`web app   ${WEB}`);
    const config = (await (await fetch(`${WEB}/config.json`)).json()) as Record<string, unknown>;
    expect(JSON.stringify(config).toLowerCase()).toContain(deployment.pool.toLowerCase());
    expect((await fetch(`${WEB}/`)).status).toBe(200);

    // Every huzhu command printed, run as printed: placeholders filled in, approval.json in a temp folder.
    const commands = printed
      .split("\n")
      .filter((line) => line.startsWith("  npm run huzhu -- "))
      .map((line) =>
        line
          .slice("  npm run huzhu -- ".length)
          .replace("<fresh address>", "<fresh-address>")
          .replace(/\s+\(.*\)$/, "")
          .split(/\s+/),
      );
    expect(commands.map((args) => args[0])).toEqual(["plans", "plan", "identity", "join", "assessor", "claim"]);
    const cliEnv = { HUZHU_STATE_DIR: stateDir, HUZHU_HOME: join(stateDir, "newcomer"), HUZHU_PASSWORD: "newcomer", HUZHU_PRIVATE_KEY: "" };
    const recipient = privateKeyToAccount(generatePrivateKey()).address;
    const approvalFile = join(stateDir, "approval.json");
    let commitment = "";
    let paid: { status: string; payout: { raw: string }; gasDrop: string } | undefined;
    for (const printedArgs of commands) {
      const args = printedArgs.map((a) =>
        a === "<yours>" ? commitment : a === "<fresh-address>" ? recipient : a === "approval.json" ? approvalFile : a,
      );
      const result = await runCli(["--json", ...args], { env: cliEnv });
      expect(result.code, `huzhu ${args.join(" ")}\n${result.stderr}`).toBe(0);
      if (args[0] === "identity") commitment = result.json<{ commitment: string }>().commitment;
      // The demo plan's terms, fetched from the web app and checked against the hash on chain.
      if (args[0] === "plan")
        expect(result.json()).toMatchObject({ category: "medical", termsVerified: true, termsUri: `${WEB}/terms/demo-medical.md` });
      if (args[0] === "claim") paid = result.json();
    }
    // The demo plan was funded (members and a donation), so the newcomer's 250 dUSD claim is paid at once.
    expect(paid).toMatchObject({ status: "confirmed" });
    const received = await client.readContract({
      address: (deployment as unknown as { demoToken: `0x${string}` }).demoToken,
      abi: erc20Abi,
      functionName: "balanceOf",
      args: [recipient],
    });
    expect(received).toBe(BigInt(paid?.payout.raw ?? "0"));
    expect(BigInt(paid?.gasDrop ?? "0")).toBeGreaterThan(0n);

    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    child.kill("SIGINT");
    expect(await exited).toBe(0);
    // The chain node went down with it.
    await expect
      .poll(
        () =>
          client.getChainId().then(
            () => "up",
            () => "down",
          ),
        { timeout: 10_000 },
      )
      .toBe("down");
    await expect(fetch(`${RELAYER}/health`)).rejects.toThrow();
    await expect(fetch(`${WEB}/`)).rejects.toThrow();
  });
});
