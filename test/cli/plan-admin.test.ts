/**
 * Running a plan from the CLI against a real `hardhat node`: `huzhu plan create | show | terms |
 * pause | resume`, `huzhu donate`, the two-step admin handover (`plan propose-admin |
 * accept-admin`), closing a plan through its whole timetable (`plan close | refund | show`, run
 * last: they move the clock) and admission vouchers (`plan officer | admit`, `join --voucher`),
 * with their refusals (exact messages).
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { erc20Abi, keccak256, toHex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { huzhuPoolAbi } from "../../service/sdk/index.ts";
import { runCli } from "../../testkit/cli.ts";
import { devAddress, type LocalChain, startLocalChain } from "../../testkit/local-chain.ts";

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

const iso = (seconds: bigint) => new Date(Number(seconds) * 1000).toISOString();

/** Creates an hourly plan (contribution 5 dUSD) administered by dev account 0; returns its id. */
async function createPlan(name: string, extra: string[] = []): Promise<string> {
  writeFileSync(join(work, "terms.md"), "Shared costs: pays for repairs of the village well.\n");
  const result = await runCli(
    [
      "--json",
      "plan",
      "create",
      ...["--name", name, "--token", "demo", "--contribution", "5", "--period", "1h", "--waiting", "0", "--cap", "100"],
      ...["--max-fee-bps", "100", "--category", "shared-costs", "--terms", join(work, "terms.md"), "--dev-account", "0", ...extra],
    ],
    { env },
  );
  expect(result.code, result.stderr).toBe(0);
  return result.json<{ planId: string }>().planId;
}

async function joinPlan(planId: string, commitment: string, account: number, extra: string[] = []) {
  return runCli(
    ["--json", "join", planId, "--commitment", commitment, "--periods", "10", "--dev-account", String(account), "--mint", ...extra],
    {
      env,
    },
  );
}

describe("plan close, refund and show", () => {
  let planId = "";
  const member = "4242424242";

  it("creates a plan with a claim grace period and shows it", async () => {
    planId = await createPlan("Village well", ["--claim-grace", "1"]);
    const joined = await joinPlan(planId, member, 3);
    expect(joined.code, joined.stderr).toBe(0);
    const shown = await runCli(["--json", "plan", "show", planId], { env });
    expect(shown.json()).toMatchObject({ claimGracePeriods: 1, admissionRequired: false });
    expect(shown.json()).not.toHaveProperty("closing");
  });

  it("refuses a closing announcement from anyone but the plan's admin, and an epoch in the past", async () => {
    const outsider = await runCli(["plan", "close", planId, "--epoch", "now", "--dev-account", "5"], { env });
    expect(outsider.code).toBe(1);
    expect(outsider.stderr).toContain(`error: plan ${planId}'s admin is ${devAddress(0)}, not this wallet (${devAddress(5)})\n`);
    await chain.increaseTime(3_600n);
    const past = await runCli(["plan", "close", planId, "--epoch", "0", "--dev-account", "0"], { env });
    expect(past.code).toBe(1);
    expect(past.stderr).toBe(`error: epoch 0 is past: plan ${planId} is in epoch 1\n`);
  });

  it("announces the closing and prints the timetable; `plan show` shows it", async () => {
    const closed = await runCli(["--json", "plan", "close", planId, "--epoch", "now", "--dev-account", "0"], { env });
    expect(closed.code, closed.stderr).toBe(0);
    const timetable = await chain.client.readContract({
      address: chain.pool,
      abi: huzhuPoolAbi,
      functionName: "closingOf",
      args: [BigInt(planId)],
    });
    expect(timetable).toMatchObject({ announced: true, closingEpoch: 1, lastClaimEpoch: 2 });
    expect(closed.json()).toMatchObject({
      phase: "closing",
      closingEpoch: "1",
      lastClaimEpoch: "2",
      refundsFrom: iso(timetable.refundsFrom),
      refundsPayableFrom: iso(timetable.refundsPayableFrom),
    });
    const shown = await runCli(["plan", "show", planId], { env });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain("last claim epoch");
    expect(shown.stdout).toContain(`2 (claims as of epoch 1)`);
    expect(shown.stdout).toContain(`${iso(timetable.refundsFrom)} to ${iso(timetable.refundsPayableFrom)}`);

    const again = await runCli(["plan", "close", planId, "--epoch", "+3", "--dev-account", "0"], { env });
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`error: plan ${planId} already announced its closing (last epoch of cover 1)\n`);
  });

  it("refuses joins and renewals once closing is announced", async () => {
    const late = await joinPlan(planId, "777", 4);
    expect(late.code).toBe(1);
    expect(late.stderr).toBe(`error: plan ${planId} is closing (its last epoch of cover is 1): it takes no joins or renewals\n`);
  });

  it("refuses a refund before the grace periods end, naming when registration opens", async () => {
    const timetable = await chain.client.readContract({
      address: chain.pool,
      abi: huzhuPoolAbi,
      functionName: "closingOf",
      args: [BigInt(planId)],
    });
    const early = await runCli(["plan", "refund", planId, "--dev-account", "3"], { env });
    expect(early.code).toBe(1);
    expect(early.stderr).toBe(
      `error: plan ${planId} still pays claims through epoch 2: refund registration opens at ${iso(timetable.refundsFrom)}\n`,
    );
  });

  it("registers the paying wallet's members once claims end, and refuses a wallet that paid for none", async () => {
    await chain.increaseTime(2n * 3_600n);
    const outsider = await runCli(["plan", "refund", planId, "--dev-account", "4"], { env });
    expect(outsider.code).toBe(1);
    expect(outsider.stderr).toBe(
      `error: ${devAddress(4)} made the last payment for no member of plan ${planId} with paid periods after epoch 1 (or registered them already)\n`,
    );
    const registered = await runCli(["--json", "plan", "refund", planId, "--dev-account", "3"], { env });
    expect(registered.code, registered.stderr).toBe(0);
    // Joined in epoch 0 for 10 periods: paid through epoch 9, 8 periods after the closing epoch.
    expect(registered.json()).toMatchObject({
      step: "registered",
      payer: devAddress(3),
      members: [{ commitment: member, periods: "8" }],
      periods: "8",
    });
    const twice = await runCli(["plan", "refund", planId, "--dev-account", "3"], { env });
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain(`error: ${devAddress(3)} made the last payment for no member of plan ${planId}`);
  });

  it("pays the whole balance to the only registered wallet after registration, once", async () => {
    await chain.increaseTime(30n * 86_400n);
    const before = await chain.client.readContract({
      address: chain.token,
      abi: erc20Abi,
      functionName: "balanceOf",
      args: [devAddress(3)],
    });
    const paid = await runCli(["--json", "plan", "refund", planId, "--dev-account", "3"], { env });
    expect(paid.code, paid.stderr).toBe(0);
    expect(paid.json()).toMatchObject({ step: "withdrawn", periods: "8", amount: { raw: "50000000" } });
    const after = await chain.client.readContract({
      address: chain.token,
      abi: erc20Abi,
      functionName: "balanceOf",
      args: [devAddress(3)],
    });
    expect(after - before).toBe(50_000_000n);
    const books = await chain.client.readContract({
      address: chain.pool,
      abi: huzhuPoolAbi,
      functionName: "books",
      args: [BigInt(planId)],
    });
    expect(books).toMatchObject({ contributed: 50_000_000n, refunded: 50_000_000n });

    const twice = await runCli(["plan", "refund", planId, "--dev-account", "3"], { env });
    expect(twice.code).toBe(1);
    expect(twice.stderr).toBe(`error: ${devAddress(3)} has already withdrawn its refund from plan ${planId}\n`);
    const none = await runCli(["plan", "refund", planId, "--dev-account", "4"], { env });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(`error: ${devAddress(4)} registered no refund in plan ${planId}`);
    const shown = await runCli(["--json", "plan", "show", planId], { env });
    expect(shown.json()).toMatchObject({ closing: { phase: "payable", unpaidPeriods: "0", refunded: "50000000" }, balance: { raw: "0" } });
  });
});

describe("plan officer, plan admit and join --voucher", () => {
  let planId = "";
  const commitment = "909090909";
  const voucherFile = () => join(work, "voucher.json");

  it("lets the admin name an officer; a join without a voucher is then refused, saying how to get one", async () => {
    planId = await createPlan("Vetted");
    const named = await runCli(["plan", "officer", planId, devAddress(7), "--dev-account", "0"], { env });
    expect(named.code, named.stderr).toBe(0);
    const refused = await joinPlan(planId, commitment, 3);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `error: plan ${planId} admits members only with its admission officer's voucher\n` +
        `hint: give the officer your commitment ${commitment}; they run \`huzhu plan admit ${planId} ${commitment} --out voucher.json\`, then join with --voucher voucher.json\n`,
    );
  });

  it("issues a voucher only from the officer's wallet", async () => {
    const other = await runCli(["plan", "admit", planId, commitment, "--dev-account", "6"], { env });
    expect(other.code).toBe(1);
    expect(other.stderr).toBe(`error: plan ${planId}'s admission officer is ${devAddress(7)}, not this wallet (${devAddress(6)})\n`);
    const issued = await runCli(["plan", "admit", planId, commitment, "--expires", "1d", "--dev-account", "7", "--out", voucherFile()], {
      env,
    });
    expect(issued.code, issued.stderr).toBe(0);
    expect(JSON.parse(readFileSync(voucherFile(), "utf8"))).toMatchObject({
      kind: "huzhu-admission-voucher",
      planId,
      commitment,
      officer: devAddress(7),
    });
  });

  it("refuses the voucher for another commitment, and one whose terms were edited (another signer)", async () => {
    const other = await joinPlan(planId, "123123", 3, ["--voucher", voucherFile()]);
    expect(other.code).toBe(1);
    expect(other.stderr).toBe(`error: ${voucherFile()}: this voucher is for commitment ${commitment}, not this identity's 123123\n`);
    const edited = join(work, "edited.json");
    const json = JSON.parse(readFileSync(voucherFile(), "utf8")) as Record<string, string>;
    writeFileSync(edited, JSON.stringify({ ...json, expiresAt: String(BigInt(json.expiresAt as string) + 86_400n) }));
    const forged = await joinPlan(planId, commitment, 3, ["--voucher", edited]);
    expect(forged.code).toBe(1);
    expect(forged.stderr).toMatch(
      new RegExp(
        `^error: ${edited}: this voucher is signed by 0x[0-9a-fA-F]{40}, not by the plan's admission officer ${devAddress(7)}\\n$`,
      ),
    );
  });

  it("joins with the officer's voucher, and a second join with it is refused", async () => {
    const joined = await joinPlan(planId, commitment, 3, ["--voucher", voucherFile()]);
    expect(joined.code, joined.stderr).toBe(0);
    expect(
      (
        await chain.client.readContract({
          address: chain.pool,
          abi: huzhuPoolAbi,
          functionName: "coverageOf",
          args: [BigInt(planId), BigInt(commitment)],
        })
      ).joined,
    ).toBe(true);
    const again = await joinPlan(planId, commitment, 3, ["--voucher", voucherFile()]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`error: this identity is already a member of plan ${planId}\n`);
  });

  it("refuses an expired voucher before sending anything", async () => {
    const file = join(work, "short.json");
    const issued = await runCli(["plan", "admit", planId, "55555", "--expires", "1h", "--dev-account", "7", "--out", file], { env });
    expect(issued.code, issued.stderr).toBe(0);
    const expiresAt = BigInt((JSON.parse(readFileSync(file, "utf8")) as { expiresAt: string }).expiresAt);
    await chain.increaseTime(7_200n);
    const late = await joinPlan(planId, "55555", 3, ["--voucher", file]);
    expect(late.code).toBe(1);
    expect(late.stderr).toBe(`error: ${file}: this voucher expired at ${iso(expiresAt)}: ask the plan's admission officer for a new one\n`);
  });
});
