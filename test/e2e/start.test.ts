/**
 * `npm start` end to end: the local stack comes up on 127.0.0.1, the pool and a funded demo plan
 * are on the chain, the relayer and the claims desk serve them, every `huzhu` command it prints
 * works as printed (a case filed at the desk with an evidence file, decided by the demo assessor)
 * and ends in a payout to the newcomer, and Ctrl-C (SIGINT) stops the desk, the relayer and the
 * chain node.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPublicClient, erc20Abi, http, parseAbi } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../../testkit/cli.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const PORT = 18_545 + Math.floor(Math.random() * 1000);
const RPC = `http://127.0.0.1:${PORT}`;
const RELAYER_PORT = PORT + 1000;
const RELAYER = `http://127.0.0.1:${RELAYER_PORT}`;
const WEB_PORT = PORT + 2000;
const WEB = `http://127.0.0.1:${WEB_PORT}`;
const DESK_PORT = PORT + 3000;
const DESK = `http://127.0.0.1:${DESK_PORT}`;

/** A printed command's words, as a shell splits them (double quotes group words). */
function words(line: string): string[] {
  return (line.match(/"[^"]*"|\S+/g) ?? []).map((word) => word.replace(/^"(.*)"$/, "$1"));
}

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
      HUZHU_DESK_PORT: String(DESK_PORT),
      HUZHU_STATE_DIR: stateDir,
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  afterAll(() => {
    // SIGINT, not SIGKILL: npm start must get the chance to stop its chain node.
    if (child.exitCode === null) child.kill("SIGINT");
  });

  it("deploys the pool and a demo plan on a local chain, serves the relayer and the desk, and stops them on Ctrl-C", async () => {
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
    // The desk serves the same pool, the web app knows where it is, and the demo assessor is on its roster.
    expect(printed).toContain(`desk      ${DESK}`);
    expect(config.deskUrl).toBe(DESK);
    const deskInfo = (await (await fetch(`${DESK}/v1/info`)).json()) as { pool: string };
    expect(deskInfo.pool.toLowerCase()).toBe(deployment.pool.toLowerCase());
    const roster = (await (await fetch(`${DESK}/v1/plans/1/roster`)).json()) as { entries: unknown[] };
    expect(roster.entries).toHaveLength(1);

    // Every huzhu command printed, run as printed: placeholders filled in with what the earlier commands gave.
    const commands = printed
      .split("\n")
      .filter((line) => line.startsWith("  npm run huzhu -- "))
      .map((line) =>
        words(
          line
            .slice("  npm run huzhu -- ".length)
            .replace("<fresh address>", "<fresh-address>")
            .replace(/\s+\(.*\)$/, ""),
        ),
      );
    expect(commands.map((args) => args.slice(0, 2).join(" "))).toEqual([
      "plans list",
      "plan show",
      "identity create",
      "join 1",
      "case file",
      "assessor cases",
      "assessor show",
      "assessor approve",
      "case show",
      "claim --plan",
    ]);
    const cliEnv = {
      HUZHU_STATE_DIR: stateDir,
      HUZHU_HOME: join(stateDir, "newcomer"),
      HUZHU_PASSWORD: "newcomer",
      HUZHU_PRIVATE_KEY: "",
      HUZHU_DESK_URL: "",
    };
    const recipient = privateKeyToAccount(generatePrivateKey()).address;
    const bill = join(stateDir, "bill.pdf");
    writeFileSync(bill, "%PDF-1.4 a hospital bill");
    const filled: Record<string, string> = { "<fresh-address>": recipient, "<bill.pdf>": bill };
    let paid: { status: string; payout: { raw: string }; gasDrop: string } | undefined;
    for (const printedArgs of commands) {
      const args = printedArgs.map((a) => filled[a] ?? a);
      const result = await runCli(["--json", ...args], { env: cliEnv });
      expect(result.code, `huzhu ${args.join(" ")}\n${result.stderr}`).toBe(0);
      const name = args.slice(0, 2).join(" ");
      // The demo plan's terms, fetched from the web app and checked against the hash on chain.
      if (name === "plan show")
        expect(result.json()).toMatchObject({ category: "medical", termsVerified: true, termsUri: `${WEB}/terms/demo-medical.md` });
      if (name === "case file") filled["<case-id>"] = result.json<{ caseId: string }>().caseId;
      if (name === "assessor cases") expect(result.json()).toMatchObject({ cases: [{ caseId: filled["<case-id>"], status: "new" }] });
      if (name === "assessor show") expect(result.json()).toMatchObject({ files: [{ name: "bill.pdf", type: "application/pdf" }] });
      if (name === "case show") {
        const shown = result.json<{ status: string; approvalFile: string }>();
        expect(shown.status).toBe("approved");
        filled["<approval-file>"] = shown.approvalFile;
      }
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
    await expect(fetch(`${DESK}/health`)).rejects.toThrow();
  });
});
