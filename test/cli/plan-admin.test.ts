/**
 * `huzhu donate` and the two-step plan admin handover (`huzhu plan propose-admin | accept-admin`)
 * against a real `hardhat node`, with their refusals.
 */
import { erc20Abi } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { huzhuPoolAbi } from "../../service/sdk/index.ts";
import { runCli } from "../helpers/cli.ts";
import { devAddress, type LocalChain, startLocalChain } from "../helpers/local-chain.ts";

let chain: LocalChain;
let env: Record<string, string>;

beforeAll(async () => {
  chain = await startLocalChain();
  env = { HUZHU_STATE_DIR: chain.stateDir, HUZHU_PRIVATE_KEY: "", HUZHU_RPC_URL: "" };
});

afterAll(async () => {
  await chain?.stop();
});

describe("donate", () => {
  it("gives to the plan's pool from the donor's wallet; the books and `plans list` show it apart from contributions", async () => {
    const result = await runCli(["--json", "donate", "1", "--amount", "250", "--dev-account", "6", "--mint"], { env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.json()).toMatchObject({
      planId: "1",
      donor: devAddress(6),
      amount: { raw: "250000000" },
      donated: { raw: "250000000" },
      balance: { raw: "250000000" },
    });
    const books = await chain.client.readContract({ address: chain.pool, abi: huzhuPoolAbi, functionName: "books", args: [1n] });
    expect(books).toMatchObject({ contributed: 0n, donated: 250_000_000n });
    expect(await chain.client.readContract({ address: chain.token, abi: erc20Abi, functionName: "balanceOf", args: [chain.pool] })).toBe(
      250_000_000n,
    );

    const listed = await runCli(["plans", "list"], { env });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain("of which donations");
    expect(listed.stdout).toContain("250 dUSD");
  });

  it("refuses a zero or malformed amount, and a wallet that holds too little without --mint", async () => {
    const zero = await runCli(["donate", "1", "--amount", "0", "--dev-account", "6"], { env });
    expect(zero.code).toBe(1);
    expect(zero.stderr).toBe("error: --amount must be above zero\n");
    const bad = await runCli(["donate", "1", "--amount", "lots", "--dev-account", "6"], { env });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('error: --amount must be a number of tokens like 250 or 12.5, or raw:<units>; got "lots"\n');
    const poor = await runCli(["donate", "1", "--amount", "1000000", "--dev-account", "7"], { env });
    expect(poor.code).toBe(1);
    expect(poor.stderr).toContain(
      `error: the wallet ${devAddress(7)} holds 0 dUSD but this costs 1000000 dUSD\nhint: fund the wallet (on the local demo token, pass --mint)\n`,
    );
  });
});

describe("plan admin handover", () => {
  it("changes hands only when the proposed wallet accepts", async () => {
    const next = devAddress(8);
    const wrongAccept = await runCli(["plan", "accept-admin", "1", "--dev-account", "8"], { env });
    expect(wrongAccept.code).toBe(1);
    expect(wrongAccept.stderr).toContain("error: plan 1 has no admin proposal\n");

    const notAdmin = await runCli(["plan", "propose-admin", "1", next, "--dev-account", "5"], { env });
    expect(notAdmin.code).toBe(1);
    expect(notAdmin.stderr).toContain(`error: plan 1's admin is ${devAddress(0)}, not this wallet (${devAddress(5)})\n`);

    const proposed = await runCli(["plan", "propose-admin", "1", next, "--dev-account", "0"], { env });
    expect(proposed.code, proposed.stderr).toBe(0);
    expect(proposed.stdout).toContain(`${devAddress(0)} stays admin until ${next} runs \`huzhu plan accept-admin 1\``);
    expect(await chain.client.readContract({ address: chain.pool, abi: huzhuPoolAbi, functionName: "planAdmin", args: [1n] })).toBe(
      devAddress(0),
    );

    const other = await runCli(["plan", "accept-admin", "1", "--dev-account", "9"], { env });
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(`error: plan 1's admin proposed ${next}, not this wallet (${devAddress(9)})\n`);

    const accepted = await runCli(["--json", "plan", "accept-admin", "1", "--dev-account", "8"], { env });
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(accepted.json()).toMatchObject({ planId: "1", previousAdmin: devAddress(0), admin: next });
    expect(await chain.client.readContract({ address: chain.pool, abi: huzhuPoolAbi, functionName: "planAdmin", args: [1n] })).toBe(next);
  });

  it("refuses a malformed address before sending anything", async () => {
    const bad = await runCli(["plan", "propose-admin", "1", "0x1234", "--dev-account", "8"], { env });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('error: the new admin must be a 20-byte hex address (0x + 40 hex digits), got "0x1234"\n');
  });
});
