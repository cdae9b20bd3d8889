/**
 * `huzhu committee create | join | status | list`: a k-of-n committee of assessors made by DKG
 * through the claims desk, and the committee's side of `huzhu assessor approve|decline <caseId>
 * --committee <file>` (a vote, then this member's part of the signing round).
 *
 * Each member takes part from its own machine with its own assessor key file; its share is written
 * sealed under its password (a committee key file), and the nonces of its signing rounds are kept
 * beside it, sealed too, between commands. The plan admin then adds the committee's group key with
 * `huzhu assessor add <planId> --public-key <group key>`, as any assessor key.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import type { AssessorKey } from "../../sdk/assessor.ts";
import { loadAssessorTree, type PlanInfo } from "../../sdk/chain/pool.ts";
import { parseCommitteeKeyFile, sealCommitteeKey } from "../../sdk/committee/key-file.ts";
import { committeePublicKey } from "../../sdk/committee/key-set.ts";
import { NonceStore } from "../../sdk/committee/nonces.ts";
import type { DeskClient } from "../../sdk/desk/client.ts";
import { checkCommitteeRecords } from "../../sdk/desk/committee.ts";
import {
  type CommitteeSigner,
  checkedRun,
  continueSigning,
  type DkgProgress,
  joinCommitteeRun,
  openCommitteeCase,
  type SigningStep,
  startCommitteeRun,
  voteToApprove,
  voteToDecline,
} from "../../sdk/desk/committee-flows.ts";
import { type CommitteeMember, openCommitteeMember } from "../../sdk/desk/committee-member.ts";
import type { AssessorCaseView, AssessorSession } from "../../sdk/desk/flows.ts";
import { declineCase } from "../../sdk/desk/flows.ts";
import type { PublicKey } from "../../sdk/encoding.ts";
import { ErrorCode, HuzhuError } from "../../sdk/errors.ts";
import { run } from "../lib/action.ts";
import { parsePublicKeyText, readAssessorKey, readAssessorPublicKey } from "../lib/assessor-key.ts";
import { addChainOptions, type ChainOptions, connectPool, requirePlan } from "../lib/chain.ts";
import { addDeskOption, connectDesk, type DeskOptions, deskUrl } from "../lib/desk.ts";
import { CliError } from "../lib/errors.ts";
import { readJsonFile, writeFileSafely } from "../lib/files.ts";
import { keyValues, type Output, table } from "../lib/output.ts";
import { type PasswordOptions, readPassword } from "../lib/password.ts";

interface CommitteeOptions extends ChainOptions, DeskOptions, PasswordOptions {
  key?: string;
}

const DKG_ID = /^[0-9a-f]{32}$/;

function parseDkgId(text: string): string {
  if (!DKG_ID.test(text)) throw new CliError("BAD_DKG_ID", `a DKG run id is 32 lower-case hex characters; got ${JSON.stringify(text)}`);
  return text;
}

function keyFile(opts: { key?: string }): string {
  if (!opts.key) throw new CliError("NO_KEY", "name your own assessor key file with --key <file> (`huzhu assessor keygen` makes one)");
  return opts.key;
}

/** A member named on the command line: a public key `x,y` or an assessor key file (its public key only). */
async function memberKey(text: string): Promise<PublicKey> {
  if (/^[0-9]+,[0-9]+$/.test(text.replace(/\s/g, ""))) return parsePublicKeyText(text);
  if (!existsSync(text)) throw new CliError("BAD_MEMBER", `--member ${text} is neither a public key x,y nor an assessor key file`);
  return readAssessorPublicKey(text);
}

function progressLine(p: DkgProgress): string {
  if (p.stage === "complete") return `key set ${p.keySetId} made`;
  const what = { round1: "round-one packages", round2: "round-two packages for you", finish: "members finished" }[p.stage];
  return `${what}: ${p.have} of ${p.of}`;
}

async function createRun(opts: CommitteeOptions & { plan: string; threshold: string; member: string[] }, out: Output) {
  const connection = await connectPool(opts);
  const { plan } = await requirePlan(connection, opts.plan);
  const key = await readAssessorKey(keyFile(opts), opts);
  const members = await Promise.all(opts.member.map(memberKey));
  const threshold = Number(opts.threshold);
  if (!Number.isInteger(threshold) || threshold < 2 || threshold > members.length) {
    throw new CliError("BAD_THRESHOLD", `--threshold is an integer from 2 to the ${members.length} members named; got ${opts.threshold}`);
  }
  const client = await connectDesk(deskUrl(opts), connection);
  const started = await startCommitteeRun(client, { planId: plan.planId, threshold, members, key });
  out.result(
    { dkgId: started.dkgId, planId: plan.planId.toString(), threshold, size: members.length, status: started.status, desk: client.baseUrl },
    `${keyValues([
      ["DKG run", started.dkgId],
      ["plan", `${plan.planId} (${plan.name})`],
      ["committee", `${threshold} of ${members.length}`],
    ])}\nEach member (you too) now runs, on their own machine:\n  huzhu committee join ${started.dkgId} --key <their assessor key file> --out committee-key.json`,
  );
}

async function joinRun(dkgId: string, opts: CommitteeOptions & { out: string; force?: boolean }, out: Output) {
  const key = await readAssessorKey(keyFile(opts), opts);
  if (existsSync(opts.out) && !opts.force)
    throw new CliError("FILE_EXISTS", `${opts.out} already exists; nothing was done`, "choose another --out or pass --force");
  const client = await connectDesk(deskUrl(opts), await connectPool(opts));
  let last = "";
  const { share, record } = await joinCommitteeRun(client, dkgId, key, {
    onProgress: (p) => {
      const line = progressLine(p);
      if (line !== last) out.note(line);
      last = line;
    },
  });
  const password = await readPassword(opts, { what: "committee key file", confirm: true });
  await writeFileSafely(opts.out, await sealCommitteeKey(share, password), { secret: true, force: opts.force === true });
  const groupKey = committeePublicKey(share.keySet);
  out.result(
    {
      dkgId,
      planId: record.planId,
      keySetId: share.keySet.id,
      member: share.member,
      threshold: share.keySet.threshold,
      size: share.keySet.size,
      publicKey: groupKey.map(String),
      keyFile: opts.out,
    },
    `${keyValues([
      ["key set", share.keySet.id],
      ["you are", `member ${share.member} of ${share.keySet.threshold} of ${share.keySet.size}`],
      ["group key", groupKey.join(",")],
      ["key file", `${opts.out} (your share, sealed under your password)`],
    ])}\nEvery member should see this same key set id. Then the plan's admin adds the committee:\n  huzhu assessor add ${record.planId} --public-key ${groupKey.join(",")}`,
  );
}

async function showRun(dkgId: string, opts: CommitteeOptions, out: Output) {
  const client = await connectDesk(deskUrl(opts), await connectPool(opts));
  const r = await checkedRun(client, dkgId);
  const data = {
    dkgId,
    planId: r.planId,
    status: r.status,
    threshold: r.threshold,
    size: r.size,
    round1: r.round1.map((p) => p.member),
    round2: r.round2,
    finished: r.finished,
    ...(r.failure ? { failure: r.failure } : {}),
    ...(r.committee ? { keySetId: r.committee.keySet.id, publicKey: r.committee.keySet.publicKey } : {}),
  };
  out.result(data, () =>
    keyValues([
      ["DKG run", dkgId],
      ["plan", r.planId],
      ["committee", `${r.threshold} of ${r.size}`],
      ["status", r.status],
      ["round one from", r.round1.map((p) => p.member).join(", ") || "nobody yet"],
      ["round two from", r.round2.join(", ") || "nobody yet"],
      ["finished", r.finished.map((f) => `${f.member} (${f.keySetId.slice(0, 12)}…)`).join(", ") || "nobody yet"],
      ...(r.failure
        ? [["failed", `${r.failure.participant ? `member ${r.failure.participant}: ` : ""}${r.failure.reason}`] as [string, string]]
        : []),
      ...(r.committee
        ? [
            ["key set", r.committee.keySet.id] as [string, string],
            ["group key", r.committee.keySet.publicKey.join(",")] as [string, string],
          ]
        : []),
    ]),
  );
}

async function listCommittees(opts: CommitteeOptions & { plan: string }, out: Output) {
  const connection = await connectPool(opts);
  const { plan } = await requirePlan(connection, opts.plan);
  const client = await connectDesk(deskUrl(opts), connection);
  const tree = await loadAssessorTree(connection.ref, plan.planId);
  const { accepted, refused } = checkCommitteeRecords(await client.committees(plan.planId), plan.planId);
  for (const r of refused) out.warn(`committee ${r.record.dkgId} left out: ${r.error.message}`);
  const rows = accepted.map((c) => ({
    keySetId: c.keySet.id,
    threshold: c.keySet.threshold,
    size: c.keySet.size,
    publicKey: c.groupKey.map(String),
    onChain: tree.has(c.groupKey),
  }));
  out.result({ planId: plan.planId.toString(), committees: rows }, () =>
    rows.length === 0
      ? `Plan ${plan.planId} has no committee at ${client.baseUrl}.`
      : table([
          ["KEY SET", "K OF N", "IN THE PLAN'S ASSESSOR SET"],
          ...rows.map((r) => [r.keySetId, `${r.threshold} of ${r.size}`, r.onChain ? "yes" : "no (ask the plan admin to add it)"]),
        ]),
  );
}

/** The committee member on this machine: its share, the committee's checked record, its sealed nonce store. */
export interface LocalSigner extends CommitteeSigner {
  save: () => Promise<void>;
}

/** Opens `--committee <file>` (and its nonce store beside it) for plan `plan`, checking the desk's record of the committee. */
export async function openLocalSigner(
  path: string,
  opts: PasswordOptions,
  client: DeskClient,
  plan: PlanInfo,
  key: AssessorKey,
): Promise<LocalSigner> {
  const file = parseCommitteeKeyFile(await readJsonFile(path, "committee key file", "make one with `huzhu committee join`"));
  const password = await readPassword(opts, { what: "committee key file" });
  const records = await client.committees(plan.planId);
  let member: CommitteeMember;
  try {
    member = await openCommitteeMember(file, password, records, plan.planId, key.publicKey);
  } catch (error) {
    if (!(error instanceof HuzhuError)) throw error;
    const options = { cause: error };
    // A listed record that does not check is, to the member, no committee at all.
    if (error.code === ErrorCode.DeskCommitteeUnknown || error.code === ErrorCode.DeskCommitteeRecordInvalid)
      throw new CliError("UNKNOWN_COMMITTEE", `the desk lists no committee ${file.keySet.id} for plan ${plan.planId}`, undefined, options);
    if (error.code === ErrorCode.CommitteeMemberKeyMismatch)
      throw new CliError("KEY_MISMATCH", `--key is not member ${file.member}'s assessor key in this committee`, undefined, options);
    throw error;
  }
  const { share, committee } = member;
  const noncePath = `${path}.nonces`;
  const nonces = existsSync(noncePath) ? await NonceStore.open(JSON.parse(await readFile(noncePath, "utf8")), password) : new NonceStore();
  return {
    share,
    committee,
    nonces,
    save: async () => writeFileSafely(noncePath, await nonces.seal(password), { secret: true, force: true }),
  };
}

function stepLine(step: SigningStep): string {
  switch (step.step) {
    case "waiting":
      return `waiting for approvals of the same terms: ${step.approvals} of ${step.threshold}`;
    case "shared":
      return "your signature share is in; waiting for the other signers";
    case "decided":
      return "the committee signed: the approval is sealed to the member";
    case "failed":
      return `this signing round ${step.round.status}: ${step.round.failure?.reason ?? "vote again"}`;
  }
}

/** `huzhu assessor approve <caseId> --committee <file>`: vote (once) for these terms, then take the next signing step. */
export async function approveAsCommittee(
  session: AssessorSession,
  view: AssessorCaseView,
  signer: LocalSigner,
  terms: { amount: bigint; expiresAtEpoch: bigint },
  opts: { wait?: boolean },
  out: Output,
): Promise<SigningStep> {
  const open = await openCommitteeCase(session, view.caseId, signer);
  const mine = open.votes.find((v) => v.member === signer.share.member);
  const sameTerms = mine?.vote === "approve" && mine.terms?.amount === terms.amount && mine.terms.expiresAtEpoch === terms.expiresAtEpoch;
  const live = open.rounds.some((r) => r.approvals.includes(signer.share.member) && ["voting", "signing", "signed"].includes(r.status));
  if (!sameTerms || !live) {
    const voted = await voteToApprove(session, view, signer, terms);
    await signer.save();
    out.note(`voted to approve: ${voted.approvals} approval(s), ${voted.declines} decline(s) so far`);
  }
  for (;;) {
    const step = await continueSigning(session, view, signer, terms);
    await signer.save();
    out.note(stepLine(step));
    if (!opts.wait || step.step === "decided" || step.step === "failed") return step;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** `huzhu assessor decline <caseId> --committee <file>`: vote to decline; the vote that makes approval impossible declines the case. */
export async function declineAsCommittee(
  session: AssessorSession,
  view: AssessorCaseView,
  signer: LocalSigner,
  reason: string,
  out: Output,
): Promise<{ declines: number; decided: boolean }> {
  const voted = await voteToDecline(session, view, signer, reason);
  const { threshold, size } = signer.share.keySet;
  if (voted.declines <= size - threshold) {
    out.note(`voted to decline (${voted.declines} of ${size}); the case is declined once ${size - threshold + 1} decline`);
    return { declines: voted.declines, decided: false };
  }
  await declineCase(session, view, reason);
  return { declines: voted.declines, decided: true };
}

function addCommitteeOptions(command: Command): Command {
  return addDeskOption(
    addChainOptions(
      command
        .option("--key <file>", "your own assessor key file")
        .option("--password-file <file>", "password of your key files (assessor key, committee key)"),
    ),
  );
}

export function registerCommittee(program: Command): void {
  const committee = program
    .command("committee")
    .description("k-of-n committees of assessors: key generation by DKG through the claims desk");

  addCommitteeOptions(
    committee
      .command("create")
      .description("start a DKG run for a committee of the plan (you among its members)")
      .requiredOption("--plan <id>", "plan id")
      .requiredOption("--threshold <k>", "how many members must approve each claim")
      .requiredOption(
        "--member <key>",
        "a member's assessor public key x,y or key file, once per member in order (yours too)",
        (value: string, all: string[] = []) => [...all, value],
      ),
  ).action(run<CommitteeOptions & { plan: string; threshold: string; member: string[] }>(async ({ out, opts }) => createRun(opts, out)));

  addCommitteeOptions(
    committee
      .command("join <dkgId>")
      .description("take part in a DKG run to the end and write your committee key file (your share, sealed)")
      .requiredOption("--out <file>", "the committee key file to write")
      .option("--force", "replace an existing --out file"),
  ).action(
    run<CommitteeOptions & { out: string; force?: boolean }, [string]>(async ({ out, opts }, dkgId) =>
      joinRun(parseDkgId(dkgId), opts, out),
    ),
  );

  addCommitteeOptions(
    committee.command("status <dkgId>").description("a DKG run: who has sent what, and its key set once complete"),
  ).action(run<CommitteeOptions, [string]>(async ({ out, opts }, dkgId) => showRun(parseDkgId(dkgId), opts, out)));

  addCommitteeOptions(
    committee
      .command("list")
      .description("the plan's committees at the desk, and whether each is in the plan's assessor set")
      .requiredOption("--plan <id>", "plan id"),
  ).action(run<CommitteeOptions & { plan: string }>(async ({ out, opts }) => listCommittees(opts, out)));
}
