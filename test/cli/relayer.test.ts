/**
 * `huzhu claim` through a real relayer process: quote, local proof, submission, following the
 * status to confirmation; `huzhu status`; and the relayer's errors as the member sees them.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Address, erc20Abi, formatEther, getAddress } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_GAS_DROP_PRICE, devAccount, type RelayerProcess } from "../../scripts/lib/stack.ts";
import { approveWithCli, runCli } from "../../testkit/cli.ts";
import { cliEnv, type LocalChain, spawnChainRelayer, startLocalChain } from "../../testkit/local-chain.ts";

let chain: LocalChain;
let relayer: RelayerProcess;
let env: Record<string, string>;
let work: string;
let assessorKey: string;

async function balanceOf(who: Address): Promise<bigint> {
  return chain.client.readContract({ address: chain.token, abi: erc20Abi, functionName: "balanceOf", args: [who] });
}

function approval(commitment: string, amount: string, name: string): Promise<string> {
  return approveWithCli({ commitment, amount, expires: "+2", keyFile: assessorKey, out: join(work, `${name}.json`), env });
}

beforeAll(async () => {
  chain = await startLocalChain();
  work = mkdtempSync(join(tmpdir(), "huzhu-cli-relayer-"));
  env = cliEnv(chain, join(work, "home"));
  assessorKey = join(work, "assessor.json");
  const keygen = await runCli(["--json", "assessor", "keygen", "--out", assessorKey], { env });
  const { publicKey } = keygen.json<{ publicKey: [string, string] }>();
  expect((await runCli(["assessor", "add", "1", "--public-key", publicKey.join(","), "--dev-account", "0"], { env })).code).toBe(0);
  expect((await runCli(["identity", "create"], { env })).code).toBe(0);
  expect((await runCli(["join", "1", "--periods", "12", "--dev-account", "2", "--mint"], { env })).code).toBe(0);
  relayer = await spawnChainRelayer(chain, join(work, "relayer"), { HUZHU_RELAYER_FEE_BPS: "100" });
});

afterAll(async () => {
  await relayer?.stop();
  await chain?.stop();
});

function commitment(): Promise<string> {
  return runCli(["--json", "identity", "show"], { env }).then((r) => r.json<{ commitment: string }>().commitment);
}

describe("claim through a relayer", () => {
  it("quotes, proves locally, submits, follows the claim to confirmation and pays amount - fee", async () => {
    const file = await approval(await commitment(), "100", "relayed");
    const recipient = getAddress("0x00000000000000000000000000000000000fee01");
    const relayerBefore = await balanceOf(devAccount(1).address);
    const result = await runCli(
      ["--json", "claim", "--plan", "1", "--approval", file, "--recipient", recipient, "--relayer", relayer.url],
      { env },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`relayer ${relayer.url} quotes a fee of 1 dUSD`);
    expect(result.stderr).toMatch(/proof ready in/);
    const claim = result.json<{ id: string; status: string; txHash: string; payout: { raw: string }; fee: { raw: string } }>();
    expect(claim).toMatchObject({ status: "confirmed", recipient, payout: { raw: "99000000" }, fee: { raw: "1000000" } });
    expect(claim.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(await balanceOf(recipient)).toBe(99_000_000n);
    expect((await balanceOf(devAccount(1).address)) - relayerBefore).toBe(1_000_000n);
    // The member's wallet is nowhere in the claim transaction.
    const tx = await chain.client.getTransaction({ hash: claim.txHash as `0x${string}` });
    expect(getAddress(tx.from)).toBe(devAccount(1).address);

    const status = await runCli(["--json", "status", claim.id, "--relayer", relayer.url], { env });
    expect(status.code).toBe(0);
    expect(status.json()).toMatchObject({ id: claim.id, status: "confirmed", txHash: claim.txHash, amount: "100000000", fee: "1000000" });
  });

  it("returns after submission with --no-wait; `status --wait` follows it", async () => {
    const file = await approval(await commitment(), "10", "no-wait");
    const recipient = getAddress("0x00000000000000000000000000000000000fee02");
    const submitted = await runCli(
      ["--json", "claim", "--plan", "1", "--approval", file, "--recipient", recipient, "--relayer", relayer.url, "--no-wait"],
      {
        env,
      },
    );
    expect(submitted.code, submitted.stderr).toBe(0);
    const { id, status } = submitted.json<{ id: string; status: string }>();
    expect(["queued", "submitted", "confirmed"]).toContain(status);
    const followed = await runCli(["status", id, "--relayer", relayer.url, "--wait"], { env });
    expect(followed.code, followed.stderr).toBe(0);
    expect(followed.stdout).toMatch(/^status:\s+confirmed$/m);
    expect(await balanceOf(recipient)).toBe(9_900_000n);
  });

  it("shows a claim the pool cannot pay yet as waiting, with why and until when", async () => {
    // The plan holds what is left of one member's 120 dUSD after the claims above: 50 dUSD is too much.
    const file = await approval(await commitment(), "50", "held");
    const recipient = getAddress("0x00000000000000000000000000000000000fee04");
    const submitted = await runCli(
      ["--json", "claim", "--plan", "1", "--approval", file, "--recipient", recipient, "--relayer", relayer.url, "--no-wait"],
      { env },
    );
    expect(submitted.code, submitted.stderr).toBe(0);
    const { id } = submitted.json<{ id: string }>();
    let shown = await runCli(["status", id, "--relayer", relayer.url], { env });
    for (let i = 0; i < 50 && !/^status:\s+waiting_for_funds$/m.test(shown.stdout); i++) {
      shown = await runCli(["status", id, "--relayer", relayer.url], { env });
    }
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^status:\s+waiting_for_funds$/m);
    expect(shown.stdout).toMatch(
      /^waiting:\s+INSUFFICIENT_POOL_FUNDS: the pool refuses this claim: the plan holds (\d+), less than the 50000000 asked: the claim can be paid once contributions or donations arrive \[HuzhuPool__InsufficientPoolFunds\(50000000, \1\)\]$/m,
    );
    expect(shown.stdout).toMatch(/^held until:\s+\d{4}-\d\d-\d\dT.+ \(the relayer sends it by itself once the plan can pay it\)$/m);
    expect(await balanceOf(recipient)).toBe(0n);
  });

  it("shows the relayer's error code and message, and says when the relayer cannot be reached", async () => {
    const unknown = await runCli(["--json", "status", "0".repeat(32), "--relayer", relayer.url], { env });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^error: the relayer refused \(CLAIM_NOT_FOUND\): .+\n$/);
    expect(unknown.json<{ error: { code: string } }>().error.code).toBe("CLAIM_NOT_FOUND");

    const file = await approval(await commitment(), "1", "unreachable");
    const down = await runCli(
      [
        "claim",
        "--plan",
        "1",
        "--approval",
        file,
        "--recipient",
        "0x00000000000000000000000000000000000fee03",
        "--relayer",
        "http://127.0.0.1:9",
      ],
      {
        env,
      },
    );
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^error: cannot reach the relayer at http:\/\/127\.0\.0\.1:9 \(.+\)\n/);
    expect(down.stderr).toContain("hint: is the relayer running? pass --relayer <url> or set HUZHU_RELAYER_URL\n");
    expect(down.stderr).not.toContain("proving");
  });
});

describe("claim with a gas drop", () => {
  let dropping: RelayerProcess;
  let member: Record<string, string>;

  beforeAll(async () => {
    // A relayer that prices gas drops in the demo token (another key, so the two never share a nonce).
    dropping = await spawnChainRelayer(chain, join(work, "relayer-drops"), {
      HUZHU_RELAYER_KEY: devAccount(5).privateKey,
      HUZHU_RELAYER_FEE_BPS: "100",
      HUZHU_RELAYER_GAS_DROP_PRICES: `${chain.token}=${DEMO_GAS_DROP_PRICE}`,
    });
    // A second member whose 100 periods give the plan funds for the claims below.
    member = { ...env, HUZHU_HOME: join(work, "home-drops") };
    expect((await runCli(["identity", "create"], { env: member })).code).toBe(0);
    expect((await runCli(["join", "1", "--periods", "100", "--dev-account", "3", "--mint"], { env: member })).code).toBe(0);
  });

  afterAll(async () => {
    await dropping?.stop();
  });

  async function memberApproval(amount: string, name: string): Promise<string> {
    const { commitment } = (await runCli(["--json", "identity", "show"], { env: member })).json<{ commitment: string }>();
    return approveWithCli({ commitment, amount, expires: "+2", keyFile: assessorKey, out: join(work, `${name}.json`), env: member });
  }

  /** `huzhu claim` of a new approval of `amount` dUSD for this member, to `recipient`, with `extra` options. */
  async function claimWith(amount: string, recipient: string, relayerUrl: string, extra: string[] = []) {
    const file = await memberApproval(amount, `drop-${recipient.slice(-2)}`);
    const global = extra.filter((e) => e === "--json");
    const own = extra.filter((e) => e !== "--json");
    const args = [...global, "claim", "--plan", "1", "--approval", file, "--recipient", recipient, "--relayer", relayerUrl, ...own];
    return runCli(args, { env: member });
  }

  it("asks by default for the relayer's suggested drop, prices it into the fee and sends it to the recipient", async () => {
    const recipient = getAddress("0x00000000000000000000000000000000000fed01");
    const result = await claimWith("100", recipient, dropping.url, ["--json"]);
    expect(result.code, result.stderr).toBe(0);
    const claim = result.json<{ status: string; gasDrop: string; fee: { raw: string }; payout: { raw: string } }>();
    const drop = BigInt(claim.gasDrop);
    expect(drop).toBeGreaterThan(0n);
    expect(result.stderr).toContain(`, including a gas drop of ${formatEther(drop)} ETH to ${recipient}`);
    // 1% of 100 dUSD plus the drop at 3,000 dUSD per ETH, rounded up.
    expect(BigInt(claim.fee.raw)).toBe(1_000_000n + (drop * DEMO_GAS_DROP_PRICE + 10n ** 18n - 1n) / 10n ** 18n);
    expect(claim.status).toBe("confirmed");
    expect(await chain.client.getBalance({ address: recipient })).toBe(drop);
    expect(await balanceOf(recipient)).toBe(BigInt(claim.payout.raw));
  });

  it("sends the drop asked for with --gas-drop, and none with --no-gas-drop", async () => {
    const fixed = await claimWith("100", "0x00000000000000000000000000000000000fed02", dropping.url, ["--gas-drop", "0.0001", "--json"]);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.json()).toMatchObject({ status: "confirmed", gasDrop: "100000000000000", fee: { raw: "1300000" } });

    const none = await claimWith("100", "0x00000000000000000000000000000000000fed03", dropping.url, ["--no-gas-drop", "--json"]);
    expect(none.code, none.stderr).toBe(0);
    expect(none.json()).toMatchObject({ status: "confirmed", gasDrop: "0", fee: { raw: "1000000" } });
    expect(await chain.client.getBalance({ address: "0x00000000000000000000000000000000000fed03" })).toBe(0n);
  });

  it("falls back to no drop, with a warning, where the plan's fee limit or the relayer cannot pay for one", async () => {
    // 3% of 5 dUSD is 0.15 dUSD: the relayer's 0.05 dUSD leaves too little for the suggested drop.
    const small = await claimWith("5", "0x00000000000000000000000000000000000fed04", dropping.url, ["--no-wait"]);
    expect(small.code, small.stderr).toBe(0);
    expect(small.stderr).toMatch(
      /warning: the plan's fee limit cannot pay for a gas drop of [0-9.]+ ETH on this amount \(this relayer's fee/,
    );
    expect(small.stderr).toContain("without a gas drop the fresh address holds no coin to pay gas");

    const plain = await claimWith("5", "0x00000000000000000000000000000000000fed05", relayer.url, ["--no-wait"]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr).toContain("warning: the relayer sends no gas drop for plan 1; without a gas drop the fresh address holds no coin");
  });

  it("refuses a malformed --gas-drop before proving, saying what it takes", async () => {
    const bad = await claimWith("5", "0x00000000000000000000000000000000000fed06", dropping.url, ["--gas-drop", "lots"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      'error: --gas-drop must be "auto" or an amount of the chain\'s native coin such as 0.0005, got "lots"; --no-gas-drop asks for none',
    );
    expect(bad.stderr).not.toContain("proving");
  });
});
