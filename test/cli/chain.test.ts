/**
 * The chain commands against a real `hardhat node`: plans, join and renew, assessor keys and
 * approvals, and a direct claim with a real proof, plus their failure messages.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Address, erc20Abi, getAddress, toHex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  huzhuPoolAbi,
  listPlans,
  loadAssessorTree,
  loadMemberTree,
  parseApproval,
  poolLogs,
  verifyApproval,
} from "../../service/sdk/index.ts";
import { approveWithCli, runCli } from "../../testkit/cli.ts";
import { DEMO_PLAN, DEV_MNEMONIC, type LocalChain, type PlanSpec, startLocalChain } from "../../testkit/local-chain.ts";

const DENTAL: PlanSpec = {
  name: "Dental 牙科",
  contribution: 5_000_000n,
  periodLength: 30n * 86_400n,
  waitingPeriods: 2,
  claimCap: 1_000_000_000n,
  maxFeeBps: 200,
};

let chain: LocalChain;
let env: Record<string, string>;
let work: string;

/** A fresh member home (own keystore), sharing the chain's deployment record. */
function memberEnv(name: string): Record<string, string> {
  return { ...env, HUZHU_HOME: join(work, name) };
}

async function coverage(commitment: string) {
  return chain.client.readContract({ address: chain.pool, abi: huzhuPoolAbi, functionName: "coverageOf", args: [1n, BigInt(commitment)] });
}

async function epoch(planId = 1n): Promise<bigint> {
  return chain.client.readContract({ address: chain.pool, abi: huzhuPoolAbi, functionName: "currentEpoch", args: [planId] });
}

async function createMember(name: string): Promise<{ env: Record<string, string>; commitment: string }> {
  const memberHome = memberEnv(name);
  const created = await runCli(["--json", "identity", "create"], { env: memberHome });
  expect(created.code).toBe(0);
  return { env: memberHome, commitment: created.json<{ commitment: string }>().commitment };
}

beforeAll(async () => {
  chain = await startLocalChain([DEMO_PLAN, DENTAL]);
  work = mkdtempSync(join(tmpdir(), "huzhu-cli-chain-"));
  env = { HUZHU_STATE_DIR: chain.stateDir, HUZHU_PASSWORD: "member password", HUZHU_PRIVATE_KEY: "", HUZHU_RPC_URL: "" };
});

afterAll(async () => {
  await chain?.stop();
});

describe("plans", () => {
  it("lists every plan with the values the chain holds (--json)", async () => {
    const result = await runCli(["--json", "plans", "list"], { env });
    expect(result.code).toBe(0);
    const listed = result.json<{ pool: string; chainId: number; plans: Array<Record<string, unknown>> }>();
    expect(listed.pool).toBe(getAddress(chain.pool));
    expect(listed.chainId).toBe(31337);
    const onChain = await listPlans({ client: chain.client, pool: chain.pool, fromBlock: chain.deployBlock });
    expect(listed.plans).toHaveLength(2);
    listed.plans.forEach((plan, i) => {
      const p = onChain[i];
      if (!p) throw new Error("missing plan");
      expect(plan).toMatchObject({
        planId: p.planId.toString(),
        name: p.name,
        admin: p.admin,
        token: { address: getAddress(chain.token), symbol: "dUSD", decimals: 6 },
        contribution: { raw: p.contribution.toString() },
        periodLength: p.periodLength.toString(),
        waitingPeriods: p.waitingPeriods,
        claimCap: { raw: p.claimCap.toString() },
        maxFeeBps: p.maxFeeBps,
        members: p.members.toString(),
        balance: { raw: p.balance.toString() },
        active: p.active,
      });
    });
    expect(listed.plans[1]).toMatchObject({ name: "Dental 牙科", contribution: { raw: "5000000", formatted: "5", symbol: "dUSD" } });
  });

  it("compares plans side by side in a table", async () => {
    const result = await runCli(["plans", "compare", "1", "2"], { env });
    expect(result.code).toBe(0);
    const lines = result.stdout.split("\n");
    expect(lines.find((l) => l.startsWith("name"))).toMatch(/^name\s+Demo medical plan\s+Dental 牙科$/);
    expect(lines.find((l) => l.startsWith("contribution / period"))).toMatch(/10 dUSD\s+5 dUSD$/);
    expect(lines.find((l) => l.startsWith("period length"))).toMatch(/1 day\s+30 days$/);
    expect(lines.find((l) => l.startsWith("waiting periods"))).toMatch(/0\s+2$/);
    expect(lines.find((l) => l.startsWith("claim cap"))).toMatch(/5000 dUSD\s+1000 dUSD$/);
    expect(lines.find((l) => l.startsWith("max relayer fee"))).toMatch(/3\.00%\s+2\.00%$/);
  });

  it("names an unknown plan and how to list the real ones (exit 1)", async () => {
    const result = await runCli(["plans", "compare", "1", "9"], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("error: plan 9 does not exist on this pool (it has 2 plans)\nhint: run `huzhu plans list`\n");
    const join = await runCli(["join", "0", "--periods", "1", "--dev-account", "1"], { env });
    expect(join.code).toBe(1);
    expect(join.stderr).toBe('error: a plan id is a positive integer, got "0"\n');
  });

  it("says when the chain cannot be reached", async () => {
    const result = await runCli(["plans", "list", "--rpc", "http://127.0.0.1:9"], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "error: cannot reach the chain at http://127.0.0.1:9\nhint: is the node running (`npm start`)? pass --rpc <url> or set HUZHU_RPC_URL\n",
    );
  });
});

describe("join and renew", () => {
  it("joins for the keystore's commitment and renews with a Merkle path rebuilt from events", async () => {
    const alice = await createMember("alice");
    const bob = await createMember("bob");
    const carol = await createMember("carol");
    const now = await epoch();
    for (const [member, account] of [
      [alice, "2"],
      [bob, "3"],
      [carol, "4"],
    ] as const) {
      const joined = await runCli(["--json", "join", "1", "--periods", "3", "--dev-account", account, "--mint"], { env: member.env });
      expect(joined.code, joined.stderr).toBe(0);
      expect(joined.json()).toMatchObject({ planId: "1", commitment: member.commitment, paid: { raw: "30000000" } });
    }
    const before = await coverage(bob.commitment);
    expect(before).toMatchObject({ joined: true, eligibleFrom: Number(now), paidThrough: Number(now + 2n), index: 1 });

    // Bob's leaf sits between two others: the pool checks his siblings against its root.
    const renewed = await runCli(["renew", "1", "--periods", "4", "--dev-account", "3", "--mint"], { env: bob.env });
    expect(renewed.code, renewed.stderr).toBe(0);
    expect(renewed.stdout).toMatch(/^renewed plan:\s+1 \(Demo medical plan\)$/m);
    expect(renewed.stdout).toMatch(/^paid:\s+40 dUSD$/m);
    expect(await coverage(bob.commitment)).toMatchObject({ eligibleFrom: Number(now), paidThrough: Number(now + 6n), index: 1 });
    const tree = await loadMemberTree({ client: chain.client, pool: chain.pool, fromBlock: chain.deployBlock }, 1n);
    const [root] = await chain.client.readContract({ address: chain.pool, abi: huzhuPoolAbi, functionName: "memberTree", args: [1n] });
    expect(tree.root).toBe(root);
    // The token allowance was exactly the price: nothing is left approved.
    const allowance = await chain.client.readContract({
      address: chain.token,
      abi: erc20Abi,
      functionName: "allowance",
      args: [mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 3 }).address, chain.pool],
    });
    expect(allowance).toBe(0n);
  });

  it("refuses to join twice, to renew a non-member, and to pay without a wallet", async () => {
    const dave = await createMember("dave");
    expect((await runCli(["join", "1", "--periods", "1", "--dev-account", "5", "--mint"], { env: dave.env })).code).toBe(0);
    const twice = await runCli(["join", "1", "--periods", "1", "--dev-account", "5", "--mint"], { env: dave.env });
    expect(twice.code).toBe(1);
    expect(twice.stderr).toBe("error: this identity is already a member of plan 1\nhint: extend it with `huzhu renew 1 --periods N`\n");

    const stranger = await runCli(["renew", "1", "--periods", "1", "--dev-account", "5", "--commitment", "12345"], { env });
    expect(stranger.code).toBe(1);
    expect(stranger.stderr).toBe("error: this identity is not a member of plan 1\nhint: join first with `huzhu join 1 --periods N`\n");

    const erin = await createMember("erin");
    const noWallet = await runCli(["join", "1", "--periods", "1"], { env: erin.env });
    expect(noWallet.code).toBe(1);
    expect(noWallet.stderr).toBe(
      "error: this command pays from a wallet, and none was given\n" +
        "hint: pass --key-file <file>, set HUZHU_PRIVATE_KEY, or on a local dev chain pass --dev-account 0\n",
    );
    const poor = await runCli(["join", "1", "--periods", "1", "--dev-account", "9"], { env: erin.env });
    expect(poor.code).toBe(1);
    expect(poor.stderr).toContain(
      `error: the wallet ${mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 9 }).address} holds 0 dUSD but this costs 10 dUSD\n` +
        "hint: fund the wallet (on the local demo token, pass --mint)\n",
    );
  });
});

describe("assessor", () => {
  it("keygen, add (plan admin) and approve produce an approval the SDK verifies", async () => {
    const keyFile = join(work, "assessor.json");
    const keygen = await runCli(["--json", "assessor", "keygen", "--out", keyFile, "--encrypt"], { env });
    expect(keygen.code).toBe(0);
    const { publicKey } = keygen.json<{ publicKey: [string, string] }>();
    expect(JSON.parse(readFileSync(keyFile, "utf8"))).not.toHaveProperty("privateKey");

    const notAdmin = await runCli(["assessor", "add", "1", "--key", keyFile, "--dev-account", "1"], { env });
    expect(notAdmin.code).toBe(1);
    expect(notAdmin.stderr).toMatch(
      /^error: the wallet 0x[0-9a-fA-F]{40} is not the admin of plan 1 \(0x[0-9a-fA-F]{40}\)\nhint: use the plan admin's key\n$/,
    );

    // The admin pays from a key file (dev account 0's key).
    const adminKey = join(work, "admin.key");
    const hd = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 0 }).getHdKey().privateKey;
    if (!hd) throw new Error("no key");
    writeFileSync(adminKey, `${toHex(hd)}\n`, { mode: 0o600 });
    const added = await runCli(["--json", "assessor", "add", "1", "--public-key", publicKey.join(","), "--key-file", adminKey], { env });
    expect(added.code, added.stderr).toBe(0);
    const tree = await loadAssessorTree({ client: chain.client, pool: chain.pool, fromBlock: chain.deployBlock }, 1n);
    expect(tree.has([BigInt(publicKey[0]), BigInt(publicKey[1])])).toBe(true);
    expect(added.json()).toMatchObject({ action: "add", assessorRoot: tree.root.toString() });

    const out = join(work, "approval.json");
    const approve = await runCli(
      [
        "assessor",
        "approve",
        "--plan",
        "1",
        "--commitment",
        "4242",
        "--event",
        "77",
        "--amount",
        "12.5",
        "--expires-epoch",
        "+3",
        "--key",
        keyFile,
        "--out",
        out,
      ],
      { env },
    );
    expect(approve.code, approve.stderr).toBe(0);
    const approval = parseApproval(JSON.parse(readFileSync(out, "utf8")));
    expect(verifyApproval(approval)).toBe(true);
    expect(approval).toMatchObject({
      planId: 1n,
      commitment: 4242n,
      eventId: 77n,
      amount: 12_500_000n,
      expiresAtEpoch: (await epoch()) + 3n,
    });
    expect(approval.assessorPublicKey).toEqual([BigInt(publicKey[0]), BigInt(publicKey[1])]);

    const overCap = await runCli(
      [
        "assessor",
        "approve",
        "--plan",
        "1",
        "--commitment",
        "1",
        "--event",
        "1",
        "--amount",
        "5000.01",
        "--expires-epoch",
        "9",
        "--key",
        keyFile,
      ],
      { env },
    );
    expect(overCap.code).toBe(1);
    expect(overCap.stderr).toBe("error: 5000.01 dUSD exceeds plan 1's claim cap of 5000 dUSD\n");
    const wrongPassword = await runCli(
      [
        "assessor",
        "approve",
        "--plan",
        "1",
        "--commitment",
        "1",
        "--event",
        "1",
        "--amount",
        "raw:5",
        "--expires-epoch",
        "9",
        "--key",
        keyFile,
      ],
      { env: { ...env, HUZHU_PASSWORD: "nope" } },
    );
    expect(wrongPassword.code).toBe(1);
    expect(wrongPassword.stderr).toBe(`error: wrong password for the assessor key ${keyFile} (or the file was altered)\n`);
  });

  it("revokes an assessor with its Merkle path, after which it is no longer in the set", async () => {
    const keyFile = join(work, "revoked-assessor.json");
    expect((await runCli(["assessor", "keygen", "--out", keyFile], { env })).code).toBe(0);
    expect((await runCli(["assessor", "add", "2", "--key", keyFile, "--dev-account", "0"], { env })).code).toBe(0);
    const other = join(work, "kept-assessor.json");
    expect((await runCli(["assessor", "keygen", "--out", other], { env })).code).toBe(0);
    expect((await runCli(["assessor", "add", "2", "--key", other, "--dev-account", "0"], { env })).code).toBe(0);

    const revoked = await runCli(["--json", "assessor", "revoke", "2", "--key", keyFile, "--dev-account", "0"], { env });
    expect(revoked.code, revoked.stderr).toBe(0);
    const tree = await loadAssessorTree({ client: chain.client, pool: chain.pool, fromBlock: chain.deployBlock }, 2n);
    const key = JSON.parse(readFileSync(keyFile, "utf8")) as { publicKey: [string, string] };
    expect(tree.has([BigInt(key.publicKey[0]), BigInt(key.publicKey[1])])).toBe(false);
    const onChain = await chain.client.readContract({ address: chain.pool, abi: huzhuPoolAbi, functionName: "assessorRoot", args: [2n] });
    expect(tree.root).toBe(onChain);
    expect(revoked.json()).toMatchObject({ action: "revoke", assessorRoot: onChain.toString() });

    const again = await runCli(["assessor", "revoke", "2", "--key", keyFile, "--dev-account", "0"], { env });
    expect(again.code).toBe(1);
    expect(again.stderr).toBe("error: this assessor key is not in plan 2's set\n");
  });
});

describe("claim --direct", () => {
  let member: { env: Record<string, string>; commitment: string };
  let keyFile: string;

  function approve(commitment: string, amount: string, expires: string, name: string): Promise<string> {
    return approveWithCli({ commitment, amount, expires, keyFile, out: join(work, `${name}.json`), env });
  }

  beforeAll(async () => {
    keyFile = join(work, "claims-assessor.json");
    const keygen = await runCli(["--json", "assessor", "keygen", "--out", keyFile], { env });
    const { publicKey } = keygen.json<{ publicKey: [string, string] }>();
    expect((await runCli(["assessor", "add", "1", "--public-key", publicKey.join(","), "--dev-account", "0"], { env })).code).toBe(0);
    member = await createMember("frank");
    expect((await runCli(["join", "1", "--periods", "12", "--dev-account", "6", "--mint"], { env: member.env })).code).toBe(0);
  });

  it("proves locally and pays the recipient on chain, warning that the wallet is linked", async () => {
    const approval = await approve(member.commitment, "25", "+2", "frank-approval");
    const recipient: Address = "0x00000000000000000000000000000000000c1a1e";
    const result = await runCli(
      ["--json", "claim", "--plan", "1", "--approval", approval, "--recipient", recipient, "--direct", "--dev-account", "7"],
      {
        env: member.env,
      },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(
      `warning: --direct submits from ${mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 7 }).address}: anyone can link this wallet to the claim paid to ${getAddress(recipient)}`,
    );
    expect(result.stderr).toMatch(/proving: 10% proving/);
    expect(result.stderr).toMatch(/proof ready in [0-9.]+ s/);
    const paid = result.json<{ status: string; txHash: string; nullifier: string; payout: { raw: string } }>();
    expect(paid).toMatchObject({ status: "confirmed", recipient: getAddress(recipient), payout: { raw: "25000000", formatted: "25" } });
    const balance = await chain.client.readContract({ address: chain.token, abi: erc20Abi, functionName: "balanceOf", args: [recipient] });
    expect(balance).toBe(25_000_000n);
    const spent = await chain.client.readContract({
      address: chain.pool,
      abi: huzhuPoolAbi,
      functionName: "nullifierSpent",
      args: [BigInt(paid.nullifier)],
    });
    expect(spent).toBe(true);

    // The same approval cannot pay twice.
    const again = await runCli(
      ["claim", "--plan", "1", "--approval", approval, "--recipient", recipient, "--direct", "--dev-account", "7"],
      {
        env: member.env,
      },
    );
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("error: this claim was already paid (its nullifier is spent)\n");
  });

  it("refuses a bad recipient address before anything else", async () => {
    const approval = await approve(member.commitment, "1", "+2", "bad-address");
    const result = await runCli(
      ["claim", "--plan", "1", "--approval", approval, "--recipient", "0x1234", "--direct", "--dev-account", "7"],
      {
        env: member.env,
      },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('error: --recipient must be a 20-byte hex address (0x + 40 hex digits), got "0x1234"\n');
  });

  it("refuses an identity that is not a member, before proving", async () => {
    const outsider = await createMember("outsider");
    const approval = await approve(outsider.commitment, "1", "+2", "outsider-approval");
    const result = await runCli(
      [
        "claim",
        "--plan",
        "1",
        "--approval",
        approval,
        "--recipient",
        "0x00000000000000000000000000000000000c1a1f",
        "--direct",
        "--dev-account",
        "7",
      ],
      { env: outsider.env },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error: this identity is not a member of the plan: join it first\n");
    expect(result.stderr).not.toContain("proving");
  });

  it("refuses an unknown plan and an approval for another plan", async () => {
    const approval = await approve(member.commitment, "1", "+2", "plan-check");
    const unknown = await runCli(
      ["claim", "--plan", "3", "--approval", approval, "--recipient", "0x00000000000000000000000000000000000c1a1f", "--direct"],
      {
        env: member.env,
      },
    );
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe("error: plan 3 does not exist on this pool (it has 2 plans)\nhint: run `huzhu plans list`\n");
    const other = await runCli(
      ["claim", "--plan", "2", "--approval", approval, "--recipient", "0x00000000000000000000000000000000000c1a1f", "--direct"],
      {
        env: member.env,
      },
    );
    expect(other.code).toBe(1);
    expect(other.stderr).toBe("error: the approval is for plan 1, not plan 2\n");
  });

  it("refuses to prove from a member tree read from too late a block, with TREE_MISMATCH and the flag that fixes it", async () => {
    const approval = await approve(member.commitment, "1", "+2", "late-scan");
    const joins = await poolLogs({ client: chain.client, pool: chain.pool, fromBlock: chain.deployBlock }, ["MemberJoined"], {
      planId: 1n,
    });
    const second = joins[1];
    if (!second) throw new Error("expected at least two joins");
    const args = ["claim", "--plan", "1", "--approval", approval, "--recipient", "0x00000000000000000000000000000000000c1a1f"];
    const where = ["--pool", chain.pool, "--rpc", chain.rpcUrl, "--from-block", String(second.blockNumber)];
    const result = await runCli([...args, ...where, "--direct", "--dev-account", "7"], { env: member.env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `error: plan 1's member tree rebuilt from the pool's events disagrees with the root the pool recorded in block ${second.blockNumber}: ` +
        `events are missing; read them from the pool's deployment block (fromBlock is ${second.blockNumber})\n` +
        "hint: pass --from-block <the pool's deployment block> (or omit it to use the deployment file's)\n",
    );
  });

  it("refuses an expired approval with the epoch it expired after (run last: it moves the clock)", async () => {
    const now = await epoch();
    const approval = await approve(member.commitment, "2", now.toString(), "expiring");
    await chain.increaseTime(2n * DEMO_PLAN.periodLength);
    const result = await runCli(
      [
        "claim",
        "--plan",
        "1",
        "--approval",
        approval,
        "--recipient",
        "0x00000000000000000000000000000000000c1a1f",
        "--direct",
        "--dev-account",
        "7",
      ],
      { env: member.env },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: the approval expired after epoch ${now}; ask the assessor for a new one\n`);
  });
});
