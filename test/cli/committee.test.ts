/**
 * A 2-of-3 committee by CLI against a real chain, a real desk process and a real relayer on
 * 127.0.0.1: three assessors make their key set by DKG through the desk (three `huzhu committee
 * join` processes at once), the plan admin adds the group key with `huzhu assessor add`, a member
 * files a case, two members approve it with `huzhu assessor approve <caseId> --committee`, and the
 * member claims the committee's approval through the relayer and is paid. A second case is
 * declined by two votes to decline. Then the refusals, each with its exact code.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { erc20Abi, getAddress } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeskProcess, RelayerProcess } from "../../scripts/lib/stack.ts";
import { claimApprovedCase, jsonCli, runCli } from "../../testkit/cli.ts";
import { cliEnv, type LocalChain, spawnChainDesk, spawnChainRelayer, startLocalChain } from "../../testkit/local-chain.ts";

let chain: LocalChain;
let desk: DeskProcess;
let relayer: RelayerProcess;
let env: Record<string, string>;
let work: string;
const keys: string[] = [];
const shares: string[] = [];
let dkgId: string;
let groupKey: [string, string];

const { cli, ok, refused } = jsonCli(() => env);

function fileCase(description: string): Promise<{ caseId: string }> {
  const bill = join(work, `bill-${description.length}.pdf`);
  writeFileSync(bill, `%PDF-1.4 ${description}`);
  return ok([
    "case",
    "file",
    "--plan",
    "1",
    "--category",
    "medical",
    "--date",
    "2026-11-20",
    "--description",
    description,
    "--amount",
    "100",
    "--file",
    bill,
  ]);
}

const asMember = (i: number) => ["--plan", "1", "--key", keys[i] as string, "--committee", shares[i] as string];

interface Joined {
  dkgId: string;
  keySetId: string;
  member: number;
  threshold: number;
  size: number;
  publicKey: [string, string];
}

beforeAll(async () => {
  chain = await startLocalChain();
  work = mkdtempSync(join(tmpdir(), "huzhu-cli-committee-"));
  env = cliEnv(chain, join(work, "home"));
  desk = await spawnChainDesk(chain, join(work, "desk"));
  relayer = await spawnChainRelayer(chain, join(work, "relayer"));
  env.HUZHU_DESK_URL = desk.url;
  for (const name of ["investigator", "reviewer", "final-check"]) {
    const path = join(work, `${name}.json`);
    await ok(["assessor", "keygen", "--out", path]);
    keys.push(path);
    shares.push(join(work, `${name}-committee.json`));
  }
  await ok(["identity", "create"]);
  await ok(["join", "1", "--periods", "12", "--dev-account", "2", "--mint"]);
});

afterAll(async () => {
  await relayer?.stop();
  await desk?.stop();
  await chain?.stop();
});

describe("a committee by CLI", () => {
  it("makes a 2-of-3 key set by DKG: three members join at once and each writes its sealed share", async () => {
    const created = await ok<{ dkgId: string; threshold: number; size: number; status: string }>([
      "committee",
      "create",
      "--plan",
      "1",
      "--threshold",
      "2",
      "--key",
      keys[0] as string,
      ...keys.flatMap((k) => ["--member", k]),
    ]);
    expect(created).toMatchObject({ threshold: 2, size: 3, status: "round1" });
    dkgId = created.dkgId;

    const joins = await Promise.all(keys.map((k, i) => cli(["committee", "join", dkgId, "--key", k, "--out", shares[i] as string])));
    const joined = joins.map((r) => {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain("round-one packages:");
      return r.json<Joined>();
    });
    expect(joined.map((j) => j.member)).toEqual([1, 2, 3]);
    const keySetId = joined[0]?.keySetId;
    groupKey = joined[0]?.publicKey as [string, string];
    for (const j of joined) expect(j).toMatchObject({ dkgId, keySetId, threshold: 2, size: 3, publicKey: groupKey });
    // The share is sealed under the password: the file carries no secret scalar in the clear.
    const file = readFileSync(shares[0] as string, "utf8");
    expect(file).toContain('"kind": "huzhu-committee-key"');
    expect(file).not.toContain('"secret"');

    const status = await ok<{ status: string; finished: Array<{ member: number }>; keySetId: string }>(["committee", "status", dkgId]);
    expect(status).toMatchObject({ status: "complete", keySetId });
    expect(status.finished.map((f) => f.member)).toEqual([1, 2, 3]);

    const before = await ok<{ committees: Array<{ keySetId: string; onChain: boolean }> }>(["committee", "list", "--plan", "1"]);
    expect(before.committees).toEqual([expect.objectContaining({ keySetId, threshold: 2, size: 3, onChain: false })]);
    // Members comparing plans see a committee the plan admin has not added as not in force.
    const compared = await ok<{ plans: Array<{ approvers: unknown }> }>(["plans", "compare", "1"]);
    expect(compared.plans[0]?.approvers).toEqual({
      keys: 0,
      committees: [],
      singles: 0,
      notInForce: [{ keySetId, threshold: 2, size: 3 }],
    });
  });

  it("lets members sign in only once the plan admin has added the group key", async () => {
    const early = await refused(["assessor", "cases", "--plan", "1", "--key", keys[1] as string]);
    expect(early.code).toBe("DESK_NOT_AN_ASSESSOR");
    await ok(["assessor", "add", "1", "--public-key", groupKey.join(","), "--dev-account", "0"]);
    const listed = await ok<{ committees: Array<{ onChain: boolean }> }>(["committee", "list", "--plan", "1"]);
    expect(listed.committees).toEqual([expect.objectContaining({ onChain: true })]);
    const compared = await cli(["plans", "compare", "1"]);
    expect(
      compared.json<{ plans: Array<{ approvers: { keys: number; committees: unknown[]; singles: number } }> }>().plans[0]?.approvers,
    ).toMatchObject({
      keys: 1,
      committees: [{ threshold: 2, size: 3 }],
      singles: 0,
    });
    const table = await runCli(["plans", "compare", "1"], { env });
    expect(table.stdout).toMatch(/who approves a claim\s+any one of: committee 2 of 3\n/);
    const noDesk = await runCli(["--json", "plans", "list", "--desk", "http://127.0.0.1:9"], { env });
    expect(noDesk.stderr).toContain("plan 1: committees not shown, the desk at http://127.0.0.1:9 did not answer");
    expect(noDesk.json<{ plans: Array<{ approvers: { keys: number; committees: unknown[] } }> }>().plans[0]?.approvers).toMatchObject({
      keys: 1,
      committees: [],
    });
    const first = await cli(["assessor", "cases", "--plan", "1", "--key", keys[1] as string]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain("published this assessor's roster entry for plan 1");
    // Every member publishes its roster entry before cases come in, so that each case is sealed to all three.
    for (const k of [keys[0], keys[2]])
      expect(await ok(["assessor", "desk-join", "--plan", "1", "--key", k as string])).toMatchObject({ planId: "1" });
  });

  it("approves a case with two of the three members' votes, and the member claims it through the relayer", async () => {
    const { caseId } = await fileCase("Hospital stay after a fall, three nights.");
    const terms = ["--amount", "80", "--expires-epoch", "+2"];
    const first = await ok<{ step: string; round: { approvals: number[] } }>(["assessor", "approve", caseId, ...asMember(0), ...terms]);
    expect(first).toMatchObject({ step: "waiting", round: { approvals: [1] } });
    // The member's case stays under review until the committee has signed.
    expect(await ok(["case", "show", caseId])).toMatchObject({ status: "new" });

    // The first member waits for the round; the second votes and puts in its share.
    const waiting = cli(["assessor", "approve", caseId, ...asMember(0), ...terms, "--wait"]);
    const second = await ok<{ step: string }>(["assessor", "approve", caseId, ...asMember(2), ...terms]);
    expect(["shared", "decided"]).toContain(second.step);
    const waited = await waiting;
    expect(waited.code, waited.stderr).toBe(0);
    expect(waited.json()).toMatchObject({ step: "decided" });
    expect(waited.stderr).toContain("the committee signed");

    const recipient = getAddress("0x00000000000000000000000000000000000c0b01");
    const { shown, paid } = await claimApprovedCase(caseId, recipient, relayer.url, env);
    expect(shown).toMatchObject({ status: "approved", decision: { kind: "approve", amount: { raw: "80000000" } } });
    expect(paid.status).toBe("confirmed");
    const received = await chain.client.readContract({ address: chain.token, abi: erc20Abi, functionName: "balanceOf", args: [recipient] });
    expect(received).toBe(BigInt(paid.payout.raw));
    expect(received).toBeGreaterThan(0n);

    // The third member comes too late: the case is decided.
    expect((await refused(["assessor", "approve", caseId, ...asMember(1), ...terms])).code).toBe("DESK_CASE_DECIDED");
  });

  it("declines a case once two members vote to decline (approval can no longer reach two of three)", async () => {
    const { caseId } = await fileCase("Dental work, not a covered loss.");
    const one = await ok<{ status: string }>(["assessor", "decline", caseId, ...asMember(1), "--reason", "dental care is not covered"]);
    expect(one.status).toBe("new");
    const two = await ok<{ status: string }>(["assessor", "decline", caseId, ...asMember(2), "--reason", "outside the plan's terms"]);
    expect(two.status).toBe("declined");
    expect(await ok(["case", "show", caseId])).toMatchObject({
      status: "declined",
      decision: { kind: "decline", reason: "outside the plan's terms" },
    });
  });

  it("refuses bad runs, thresholds, keys and files, each with its code", async () => {
    expect((await refused(["committee", "status", "not-a-run"])).code).toBe("BAD_DKG_ID");
    const one = await refused([
      "committee",
      "create",
      "--plan",
      "1",
      "--threshold",
      "1",
      "--key",
      keys[0] as string,
      ...keys.flatMap((k) => ["--member", k]),
    ]);
    expect(one).toMatchObject({ code: "BAD_THRESHOLD", message: "--threshold is an integer from 2 to the 3 members named; got 1" });
    expect(
      (await refused(["committee", "create", "--plan", "1", "--threshold", "2", "--key", keys[0] as string, "--member", "nothing-here"]))
        .code,
    ).toBe("BAD_MEMBER");

    const stranger = join(work, "stranger.json");
    await ok(["assessor", "keygen", "--out", stranger]);
    const outsider = await refused(["committee", "join", dkgId, "--key", stranger, "--out", join(work, "stranger-committee.json")]);
    expect(outsider.code).toBe("COMMITTEE_UNKNOWN_SIGNER");
    expect((await refused(["committee", "join", dkgId, "--key", keys[0] as string, "--out", shares[0] as string])).code).toBe(
      "FILE_EXISTS",
    );

    const { caseId } = await fileCase("Glasses after an eye operation.");
    // Member 1's committee file with member 2's assessor key.
    const mixed = await refused([
      "assessor",
      "approve",
      caseId,
      "--plan",
      "1",
      "--key",
      keys[1] as string,
      "--committee",
      shares[0] as string,
      "--amount",
      "10",
      "--expires-epoch",
      "+2",
    ]);
    expect(mixed.code).toBe("KEY_MISMATCH");
    expect((await refused(["assessor", "approve", ...asMember(0), "--amount", "10", "--expires-epoch", "+2"])).code).toBe(
      "OPTION_CONFLICT",
    );
    expect(
      (
        await refused(["assessor", "approve", caseId, ...asMember(0), "--amount", "10", "--expires-epoch", "+2"], {
          HUZHU_PASSWORD: "wrong",
        })
      ).code,
    ).toBe("WRONG_PASSWORD");
  });
});
