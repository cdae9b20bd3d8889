/**
 * Running a plan from the CLI against a real `hardhat node`: `huzhu plan create | show | terms |
 * pause | resume`, `huzhu donate`, and the two-step admin handover (`plan propose-admin |
 * accept-admin`), with their refusals.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { erc20Abi, keccak256, toHex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { huzhuPoolAbi } from "../../service/sdk/index.ts";
import { runCli } from "../helpers/cli.ts";
import { devAddress, type LocalChain, startLocalChain } from "../helpers/local-chain.ts";

let chain: LocalChain;
let env: Record<string, string>;
let work: string;

beforeAll(async () => {
  chain = await startLocalChain();
  env = { HUZHU_STATE_DIR: chain.stateDir, HUZHU_PRIVATE_KEY: "", HUZHU_RPC_URL: "" };
  work = mkdtempSync(join(tmpdir(), "huzhu-cli-plans-"));
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

describe("plan create, show, terms, pause and resume", () => {
  /** The plan the first test creates; the others run it. */
  let flood = "";
  const TERMS = "Flood relief: pays for repairs after a declared flood, up to 2,000 dUSD.\n";

  function termsFile(name: string, text: string): string {
    const file = join(work, name);
    writeFileSync(file, text);
    return file;
  }

  /** `huzhu --json plan create` of the flood plan, with `changes` replacing its options (`--option value`). */
  async function create(changes: Record<string, string> = {}) {
    const options: Record<string, string> = {
      "--name": "Flood relief",
      "--token": "demo",
      "--contribution": "5",
      "--period": "30d",
      "--waiting": "1",
      "--cap": "2000",
      "--max-fee-bps": "200",
      "--category": "disaster-relief",
      "--dev-account": "0",
      ...changes,
    };
    return runCli(["--json", "plan", "create", ...Object.entries(options).flat()], { env });
  }

  it("creates a plan with its rules and records its terms document's hash and category", async () => {
    const file = termsFile("flood.md", TERMS);
    const result = await create({ "--terms": file, "--terms-uri": "https://plans.example/flood.md" });
    expect(result.code, result.stderr).toBe(0);
    const created = result.json<{ planId: string }>();
    expect(created).toMatchObject({
      name: "Flood relief",
      admin: devAddress(0),
      contribution: { raw: "5000000" },
      periodLength: String(30 * 86_400),
      waitingPeriods: 1,
      claimCap: { raw: "2000000000" },
      maxFeeBps: 200,
      category: "disaster-relief",
      termsHash: keccak256(toHex(TERMS)),
      termsUri: "https://plans.example/flood.md",
    });
    flood = created.planId;
    const planId = BigInt(created.planId);
    expect(await chain.client.readContract({ address: chain.pool, abi: huzhuPoolAbi, functionName: "planTerms", args: [planId] })).toEqual({
      termsHash: keccak256(toHex(TERMS)),
      category: 2,
      termsUri: "https://plans.example/flood.md",
    });

    const shown = await runCli(["--json", "plan", "show", created.planId, "--terms", file], { env });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.json()).toMatchObject({ name: "Flood relief", category: "disaster-relief", termsVerified: true, active: true });
  });

  it("says when a copy of the terms is not the plan's, naming both hashes", async () => {
    const tampered = termsFile("flood-tampered.md", TERMS.replace("2,000", "20,000"));
    const shown = await runCli(["plan", "show", flood, "--terms", tampered], { env });
    expect(shown.code).toBe(1);
    expect(shown.stderr).toBe(
      `error: this document is not the plan's terms: its hash is ${keccak256(toHex(TERMS.replace("2,000", "20,000")))}, the pool records ${keccak256(toHex(TERMS))}; get the text from another source\n`,
    );
  });

  it("refuses an unknown category, a malformed period and an unreadable terms file before sending anything", async () => {
    const file = termsFile("ok.md", TERMS);
    const category = await create({ "--category": "pets", "--terms": file });
    expect(category.code).toBe(1);
    expect(category.stderr).toBe('error: unknown plan category "pets": use one of medical, education, disaster-relief, shared-costs\n');
    const period = await create({ "--period": "a week", "--terms": file });
    expect(period.code).toBe(1);
    expect(period.stderr).toBe('error: --period must be seconds, or hours or days like 6h or 30d; got "a week"\n');
    const missing = await create({ "--terms": join(work, "missing.md") });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`error: cannot read the terms document ${join(work, "missing.md")} (ENOENT)\n`);
  });

  it("lets the admin change the terms (a new hash on chain) and pause and resume the plan, and nobody else", async () => {
    const v2 = termsFile("flood-v2.md", `${TERMS}Also covers temporary housing.\n`);
    const changed = await runCli(["--json", "plan", "terms", flood, "--category", "disaster-relief", "--terms", v2, "--dev-account", "0"], {
      env,
    });
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.json()).toMatchObject({ termsHash: keccak256(toHex(`${TERMS}Also covers temporary housing.\n`)) });

    const outsider = await runCli(["plan", "pause", flood, "--dev-account", "5"], { env });
    expect(outsider.code).toBe(1);
    expect(outsider.stderr).toContain(`error: plan ${flood}'s admin is ${devAddress(0)}, not this wallet (${devAddress(5)})\n`);
    const paused = await runCli(["plan", "pause", flood, "--dev-account", "0"], { env });
    expect(paused.code, paused.stderr).toBe(0);
    expect(paused.stdout).toContain(`plan ${flood} is paused: no joins, renewals or claims until it resumes`);
    expect(
      (await chain.client.readContract({ address: chain.pool, abi: huzhuPoolAbi, functionName: "getPlan", args: [BigInt(flood)] })).active,
    ).toBe(false);
    const resumed = await runCli(["plan", "resume", flood, "--dev-account", "0"], { env });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(
      (await chain.client.readContract({ address: chain.pool, abi: huzhuPoolAbi, functionName: "getPlan", args: [BigInt(flood)] })).active,
    ).toBe(true);
  });
});
