/**
 * The claims desk by CLI against a real chain, a real desk process and a real relayer on
 * 127.0.0.1: a member files a case with two evidence files, the assessor (signed in with its key
 * file, its roster entry published on first sign-in) reads it and asks for more, the member
 * replies with a file, the assessor approves, the member reads the approval and claims it through
 * the relayer, and is paid. Then the refusals, each with its exact code.
 */
import { mkdtempSync, readdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { erc20Abi, getAddress } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeskProcess, RelayerProcess } from "../../scripts/lib/stack.ts";
import { claimApprovedCase, jsonCli } from "../../testkit/cli.ts";
import { cliEnv, type LocalChain, spawnChainDesk, spawnChainRelayer, startLocalChain } from "../../testkit/local-chain.ts";

const MARKER = "cli-desk-plaintext-marker-51c2";

let chain: LocalChain;
let desk: DeskProcess;
let relayer: RelayerProcess;
let env: Record<string, string>;
let work: string;
let assessorKey: string;
let deskDir: string;

const { cli, ok, refused } = jsonCli(() => env);

function evidence(name: string, content: string | Uint8Array): string {
  const path = join(work, name);
  writeFileSync(path, content);
  return path;
}

interface ShownCase {
  description: string;
  amount: { raw: string };
  files: Array<{ path: string; type: string }>;
  messages: Array<{ from: string; text?: string; attachments?: Array<{ path: string }> }>;
}

const assessorArgs = () => ["--plan", "1", "--key", assessorKey];

function fileArgs(plan: string, files: string[]): string[] {
  const args = ["case", "file", "--plan", plan, "--category", "medical", "--date", "2026-11-20"];
  args.push("--description", `Broken arm, two nights in hospital. ${MARKER}`, "--amount", "100");
  for (const file of files) args.push("--file", file);
  return args;
}

beforeAll(async () => {
  chain = await startLocalChain();
  work = mkdtempSync(join(tmpdir(), "huzhu-cli-desk-"));
  env = cliEnv(chain, join(work, "home"));
  assessorKey = join(work, "assessor.json");
  const { publicKey } = await ok<{ publicKey: [string, string] }>(["assessor", "keygen", "--out", assessorKey]);
  await ok(["assessor", "add", "1", "--public-key", publicKey.join(","), "--dev-account", "0"]);
  await ok(["identity", "create"]);
  await ok(["join", "1", "--periods", "12", "--dev-account", "2", "--mint"]);
  deskDir = join(work, "desk");
  desk = await spawnChainDesk(chain, deskDir);
  relayer = await spawnChainRelayer(chain, join(work, "relayer"));
  env.HUZHU_DESK_URL = desk.url;
});

afterAll(async () => {
  await relayer?.stop();
  await desk?.stop();
  await chain?.stop();
});

describe("the claims desk by CLI", () => {
  const pdf = `%PDF-1.4 hospital bill ${MARKER} ${"x".repeat(20_000)}`;
  const photo = new Uint8Array(60_000).map((_, i) => (i * 31) % 251);
  let caseId: string;

  it("files a case, the assessor asks for more, the member replies, the assessor approves, the member claims and is paid", async () => {
    // The assessor's first sign-in publishes its roster entry: before it, the desk has no one to encrypt to.
    const early = await refused(fileArgs("1", []));
    expect(early.code).toBe("DESK_NO_ASSESSORS");
    const first = await cli(["assessor", "cases", ...assessorArgs()]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain("published this assessor's roster entry for plan 1");
    expect(first.json()).toEqual({ planId: "1", cases: [] });

    const filed = await ok<{ caseId: string; status: string; files: Array<{ name: string }>; recordFile: string }>(
      fileArgs("1", [evidence("bill.pdf", pdf), evidence("x-ray.png", photo)]),
    );
    caseId = filed.caseId;
    expect(filed).toMatchObject({ status: "new", files: [{ name: "bill.pdf" }, { name: "x-ray.png" }] });
    // The record on disk is sealed: it holds neither the capability's use nor the case's words in the clear.
    expect(readFileSync(filed.recordFile, "utf8")).toContain('"kind": "huzhu-desk-case-record"');
    expect(await ok(["case", "list"])).toMatchObject({ cases: [{ caseId, planId: "1", status: "new" }] });

    const queue = await ok<{ cases: Array<{ caseId: string; status: string; files: number }> }>([
      "assessor",
      "cases",
      ...assessorArgs(),
      "--status",
      "new",
    ]);
    expect(queue.cases).toEqual([expect.objectContaining({ caseId, status: "new", files: 2 })]);

    const review = () => ok<ShownCase>(["assessor", "show", caseId, ...assessorArgs(), "--out", join(work, "review")]);
    const shown = await review();
    expect(shown.description).toBe(`Broken arm, two nights in hospital. ${MARKER}`);
    expect(shown.amount.raw).toBe("100000000");
    expect(shown.files.map((f) => f.type)).toEqual(["application/pdf", "image/png"]);
    expect(readFileSync(shown.files[0]?.path ?? "", "utf8") === pdf).toBe(true);
    expect(new Uint8Array(readFileSync(shown.files[1]?.path ?? ""))).toEqual(photo);

    const asked = await ok(["assessor", "ask", caseId, ...assessorArgs(), "--message", "Please send the discharge letter."]);
    expect(asked).toMatchObject({ index: 0, status: "more-asked" });
    const followed = await ok<{ status: string; messages: unknown[] }>(["case", "show", caseId]);
    expect(followed).toMatchObject({
      status: "more-asked",
      messages: [{ from: "assessor", text: "Please send the discharge letter." }],
    });

    const letter = evidence("letter.txt", `discharge letter ${MARKER}`);
    expect(await ok(["case", "reply", caseId, "--message", "Attached.", "--file", letter])).toMatchObject({
      index: 1,
      status: "replied",
    });
    const again = await review();
    const reply = again.messages.find((m) => m.from === "member");
    expect(reply?.text).toBe("Attached.");
    expect(readFileSync(reply?.attachments?.[0]?.path ?? "", "utf8")).toBe(`discharge letter ${MARKER}`);

    const approved = await ok(["assessor", "approve", caseId, ...assessorArgs(), "--amount", "80", "--expires-epoch", "+2"]);
    expect(approved).toMatchObject({ status: "approved", amount: { raw: "80000000" }, asked: { raw: "100000000" } });
    expect((await refused(["assessor", "decline", caseId, ...assessorArgs(), "--reason", "changed my mind"])).code).toBe(
      "DESK_CASE_DECIDED",
    );

    const recipient = getAddress("0x00000000000000000000000000000000000dec01");
    const { shown: decided, paid } = await claimApprovedCase(caseId, recipient, relayer.url, env);
    expect(decided).toMatchObject({ status: "approved", decision: { kind: "approve", amount: { raw: "80000000" } } });
    expect(decided.claimCommand).toBe(`huzhu claim --plan 1 --approval ${decided.approvalFile} --recipient <fresh address>`);
    expect(paid.status).toBe("confirmed");
    const received = await chain.client.readContract({ address: chain.token, abi: erc20Abi, functionName: "balanceOf", args: [recipient] });
    expect(received).toBe(BigInt(paid.payout.raw));
    expect(received).toBeGreaterThan(0n);

    // The desk's store holds ciphertext only; neither log, nor the relayer's store, holds the case's text.
    for (const name of readdirSync(deskDir)) expect(readFileSync(join(deskDir, name)).includes(MARKER)).toBe(false);
    expect(desk.output()).not.toContain(MARKER);
    expect(relayer.output()).not.toContain(MARKER);
    const relayerDir = join(work, "relayer");
    for (const name of readdirSync(relayerDir)) expect(readFileSync(join(relayerDir, name)).includes(MARKER)).toBe(false);
  });

  it("publishes the roster entry again on desk-join", async () => {
    const joined = await ok<{ planId: string; entry: { planId: string } }>(["assessor", "desk-join", ...assessorArgs()]);
    expect(joined).toMatchObject({ planId: "1", entry: { planId: "1" } });
  });

  it("refuses a plan the pool does not have, before anything leaves the machine", async () => {
    const error = await refused(fileArgs("9", [evidence("bill-9.pdf", pdf)]));
    expect(error).toMatchObject({ code: "UNKNOWN_PLAN", hint: "run `huzhu plans list`" });
  });

  it("refuses a file over the desk's 10 MiB a file, without reading it", async () => {
    const big = join(work, "scan.pdf");
    writeFileSync(big, "");
    truncateSync(big, 10 * 1024 * 1024 + 1);
    const error = await refused(fileArgs("1", [big]));
    expect(error.code).toBe("DESK_TOO_LARGE");
    expect(error.message).toContain("over the desk's 10485760 bytes (10 MiB) a file");
  });

  it("refuses a wrong password for the identity", async () => {
    expect((await refused(["case", "show", caseId], { HUZHU_PASSWORD: "not-the-password" })).code).toBe("WRONG_PASSWORD");
    expect((await refused(fileArgs("1", []), { HUZHU_PASSWORD: "not-the-password" })).code).toBe("WRONG_PASSWORD");
  });

  it("refuses a key that is not one of the plan's assessors", async () => {
    const stranger = join(work, "stranger.json");
    await ok(["assessor", "keygen", "--out", stranger]);
    const error = await refused(["assessor", "cases", "--plan", "1", "--key", stranger]);
    expect(error.code).toBe("DESK_NOT_AN_ASSESSOR");
    expect(error.hint).toContain("huzhu assessor add");
  });

  it("refuses an unknown case id and a case the desk altered", async () => {
    expect((await refused(["assessor", "show", "AAAAAAAAAAAAAAAAAAAAAAAA", ...assessorArgs()])).code).toBe("DESK_CASE_NOT_FOUND");
    expect((await refused(["case", "show", "AAAAAAAAAAAAAAAAAAAAAAAA"])).code).toBe("UNKNOWN_CASE");

    const { caseId: victim } = await ok<{ caseId: string }>(fileArgs("1", [evidence("bill-2.pdf", pdf)]));
    // The desk's operator flips one byte of the sealed document in its database (the desk holds
    // the file locked while it runs: stopped, altered, started again on the same data).
    await desk.stop();
    const db = new DatabaseSync(join(deskDir, "desk.sqlite"));
    try {
      const row = db.prepare("SELECT document FROM cases WHERE id = ?").get(victim) as { document: Uint8Array };
      const altered = Uint8Array.from(row.document);
      altered[40] = (altered[40] ?? 0) ^ 1;
      db.prepare("UPDATE cases SET document = ? WHERE id = ?").run(altered, victim);
    } finally {
      db.close();
    }
    desk = await spawnChainDesk(chain, deskDir);
    env.HUZHU_DESK_URL = desk.url;
    const error = await refused(["assessor", "show", victim, ...assessorArgs()]);
    expect(error.code).toBe("DESK_PART_TAMPERED");
    expect(error.hint).toContain("do not act on it");
  });
});
