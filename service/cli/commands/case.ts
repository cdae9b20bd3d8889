/**
 * `huzhu case file | list | show | reply`: a member's claims at the claims desk. Everything is
 * encrypted on this machine before it leaves (to the plan's assessors, each roster entry checked
 * against the assessor set on chain); the case record that leads back to the case (capability,
 * reply key, event id) stays under $HUZHU_HOME/cases, sealed with a key from the identity. Once a
 * case is approved, `show` writes the approval file that `huzhu claim` takes.
 */
import { join } from "node:path";
import type { Command } from "commander";
import { loadAssessorTree } from "../../sdk/chain/pool.ts";
import { DeskClient, DeskRequestError } from "../../sdk/desk/client.ts";
import { fileCase, openCaseAsMember, replyAsMember } from "../../sdk/desk/flows.ts";
import type { MemberCaseRecord } from "../../sdk/desk/member-record.ts";
import type { CaseStatus } from "../../sdk/desk/schemas.ts";
import { PLAN_CATEGORIES, type PlanCategoryName } from "../../sdk/plan-terms.ts";
import { run } from "../lib/action.ts";
import { AMOUNT_HELP, amountJson, formatAmount, parseAmount } from "../lib/amounts.ts";
import { addChainOptions, type ChainOptions, connectPool, requirePlan } from "../lib/chain.ts";
import {
  addDeskOption,
  connectDesk,
  type DeskOptions,
  deskUrl,
  listCaseRecords,
  loadCaseRecord,
  parseCaseId,
  readEvidence,
  requireClaimable,
  saveCaseRecord,
} from "../lib/desk.ts";
import { CliError } from "../lib/errors.ts";
import { writeFileSafely } from "../lib/files.ts";
import { addIdentityOptions, huzhuHome, type IdentityOptions, unlockIdentity } from "../lib/identity.ts";
import { keyValues, type Output, table } from "../lib/output.ts";

type MemberOptions = ChainOptions & IdentityOptions & DeskOptions;

interface FileOptions extends MemberOptions {
  plan: string;
  category?: string;
  date: string;
  description: string;
  amount: string;
  file?: string[];
}

const repeatable = (value: string, previous: string[] = []) => [...previous, value];

/** What each status means to the member. */
const STATUS_NOTE: Record<CaseStatus, string> = {
  uploading: "files still uploading (run `huzhu case file` again if it was cut off)",
  new: "waiting for an assessor",
  "more-asked": "an assessor asks for more: answer with `huzhu case reply`",
  replied: "you replied; waiting for an assessor",
  approved: "approved",
  declined: "declined",
};

function parseDate(text: string): string {
  const parsed = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(text) ? new Date(`${text}T00:00:00Z`) : undefined;
  if (!parsed || Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== text) {
    throw new CliError("BAD_DATE", `--date is the date of the loss as YYYY-MM-DD, got ${JSON.stringify(text)}`);
  }
  if (parsed.getTime() > Date.now()) throw new CliError("BAD_DATE", `--date ${text} is in the future`);
  return text;
}

function parseCategory(text: string): PlanCategoryName {
  if (!(PLAN_CATEGORIES as readonly string[]).includes(text)) {
    throw new CliError("BAD_CATEGORY", `--category is one of ${PLAN_CATEGORIES.join(", ")}; got ${JSON.stringify(text)}`);
  }
  return text as PlanCategoryName;
}

async function fileCommand(opts: FileOptions, out: Output): Promise<void> {
  const connection = await connectPool(opts);
  const { plan, token } = await requirePlan(connection, opts.plan);
  if (!plan.active) out.warn(`plan ${plan.planId} is paused by its admin: an approval cannot be claimed until it resumes`);
  const category = parseCategory(opts.category ?? plan.document.category);
  const dateOfLoss = parseDate(opts.date);
  const amount = parseAmount(opts.amount, token.decimals);
  requireClaimable(amount, plan, token, "asked");
  const files = await readEvidence(opts.file ?? []);
  const { identity } = await unlockIdentity(opts);
  const client = await connectDesk(deskUrl(opts), connection);
  // The keys the case is encrypted to are checked against this tree, read from the chain, not the desk.
  const assessorTree = await loadAssessorTree(connection.ref, plan.planId);
  let lastStage = "";
  const filed = await fileCase({
    client,
    identity,
    planId: plan.planId,
    assessorTree,
    details: { category, dateOfLoss, description: opts.description, amount },
    files,
    onProgress: (p) => {
      if (p.done === p.total && p.stage !== lastStage) out.note(`${p.stage === "encrypt" ? "encrypted" : "uploaded"} ${p.total} bytes`);
      lastStage = p.done === p.total ? p.stage : lastStage;
    },
  });
  for (const refused of filed.refused) {
    out.warn(`the desk lists a roster entry that does not check (${refused.error.code}): the case is not encrypted to it`);
  }
  const recordFile = await saveCaseRecord(identity, filed.record);
  out.result(
    {
      caseId: filed.caseId,
      planId: plan.planId.toString(),
      status: "new",
      desk: client.baseUrl,
      amount: amountJson(amount, token),
      files: files.map((f) => ({ name: f.name, type: f.type, bytes: f.bytes.length })),
      recordFile,
    },
    `${keyValues([
      ["case", filed.caseId],
      ["plan", `${plan.planId} (${plan.name})`],
      ["asked", formatAmount(amount, token)],
      ["evidence", files.length === 0 ? "none" : files.map((f) => `${f.name} (${f.bytes.length} bytes)`).join(", ")],
      ["desk", client.baseUrl],
      ["record", `${recordFile} (keep it: it is the only way back to the case)`],
    ])}\nEncrypted on this machine to the plan's assessors. Follow it with \`huzhu case show ${filed.caseId}\`.`,
  );
}

interface ListedCase {
  caseId: string;
  planId: string;
  desk: string;
  status: CaseStatus | "unknown";
  createdAt?: string;
  messages?: number;
  error?: { code: string; message: string };
}

async function listCommand(opts: IdentityOptions & DeskOptions, out: Output): Promise<void> {
  const { identity } = await unlockIdentity(opts);
  const { records, notYours } = await listCaseRecords(identity);
  for (const name of notYours) out.note(`skipped ${name}: another identity's case record`);
  const rows: ListedCase[] = [];
  for (const record of records) {
    const url = deskUrl(opts, record.deskUrl);
    try {
      const reply = await new DeskClient(url).getCase(record.caseId, { capability: record.capability });
      rows.push({
        caseId: record.caseId,
        planId: record.planId,
        desk: url,
        status: reply.status,
        createdAt: reply.createdAt,
        messages: reply.messages.length,
      });
    } catch (error) {
      if (!(error instanceof DeskRequestError)) throw error;
      rows.push({
        caseId: record.caseId,
        planId: record.planId,
        desk: url,
        status: "unknown",
        error: { code: error.code, message: error.message },
      });
    }
  }
  out.result({ cases: rows }, () =>
    rows.length === 0
      ? `No cases filed from ${huzhuHome()}. File one with \`huzhu case file --plan <id> …\`.`
      : table([
          ["CASE", "PLAN", "STATUS", "FILED", "MESSAGES"],
          ...rows.map((r) => [
            r.caseId,
            r.planId,
            r.error ? `unknown (${r.error.code})` : r.status,
            r.createdAt ?? "",
            r.messages === undefined ? "" : String(r.messages),
          ]),
        ]),
  );
}

interface ShowOptions extends MemberOptions {
  out?: string;
  force?: boolean;
}

async function showCommand(caseId: string, opts: ShowOptions, out: Output): Promise<void> {
  const { identity } = await unlockIdentity(opts);
  const record = await loadCaseRecord(identity, parseCaseId(caseId));
  const connection = await connectPool(opts);
  const { plan, token } = await requirePlan(connection, record.planId);
  const client = await connectDesk(deskUrl(opts, record.deskUrl), connection);
  const assessorTree = await loadAssessorTree(connection.ref, plan.planId);
  // Messages and the decision are opened here and their signers checked against the plan's assessor set.
  const view = await openCaseAsMember({ client, identity, record, assessorTree });
  const messages = view.reply.messages.map((m) => {
    const opened = view.thread.find((t) => t.index === m.index);
    return opened?.from === "assessor" && opened.message
      ? { index: m.index, from: "assessor", sentAt: m.sentAt, text: opened.message.text }
      : { index: m.index, from: "member", sentAt: m.sentAt };
  });
  const lines: Array<[string, string]> = [
    ["case", record.caseId],
    ["plan", `${plan.planId} (${plan.name})`],
    ["status", `${view.status}: ${STATUS_NOTE[view.status]}`],
    ["filed", view.reply.createdAt],
  ];
  const data: Record<string, unknown> = {
    caseId: record.caseId,
    planId: record.planId,
    status: view.status,
    createdAt: view.reply.createdAt,
    messages,
  };
  let next = "";
  const decision = view.decision;
  if (decision?.kind === "approve") {
    const approvalFile = opts.out ?? join(huzhuHome(), "approvals", `${record.caseId}.json`);
    // The default file is this case's own: the same approval each time, so it is rewritten.
    await writeFileSafely(approvalFile, decision.file, { secret: true, force: opts.out === undefined || opts.force === true });
    const claimCommand = `huzhu claim --plan ${plan.planId} --approval ${approvalFile} --recipient <fresh address>`;
    const expired = decision.approval.expiresAtEpoch < plan.currentEpoch;
    Object.assign(data, {
      decision: {
        kind: "approve",
        amount: amountJson(decision.approval.amount, token),
        expiresAtEpoch: decision.approval.expiresAtEpoch.toString(),
        expired,
      },
      approvalFile,
      claimCommand,
    });
    lines.push(
      ["approved", formatAmount(decision.approval.amount, token)],
      [
        "claim by",
        `epoch ${decision.approval.expiresAtEpoch} (now ${plan.currentEpoch})${expired ? ": expired, ask the assessor for a new approval" : ""}`,
      ],
      ["approval", `${approvalFile} (it pays once, to whoever holds your identity: keep it private)`],
    );
    next = `\nClaim it, paid to a fresh address through a relayer:\n  ${claimCommand}`;
  } else if (decision?.kind === "decline") {
    Object.assign(data, { decision: { kind: "decline", reason: decision.reason } });
    lines.push(["declined", decision.reason]);
  }
  const thread = messages
    .map((m) => (m.from === "assessor" ? `  [${m.sentAt}] assessor: ${m.text}` : `  [${m.sentAt}] you (sealed to the assessors)`))
    .join("\n");
  out.result(data, `${keyValues(lines)}${thread ? `\nMessages:\n${thread}` : ""}${next}`);
}

interface ReplyOptions extends MemberOptions {
  message: string;
  file?: string[];
}

async function replyCommand(caseId: string, opts: ReplyOptions, out: Output): Promise<void> {
  const attachments = await readEvidence(opts.file ?? []);
  const { identity } = await unlockIdentity(opts);
  const record: MemberCaseRecord = await loadCaseRecord(identity, parseCaseId(caseId));
  const connection = await connectPool(opts);
  const { plan } = await requirePlan(connection, record.planId);
  const client = await connectDesk(deskUrl(opts, record.deskUrl), connection);
  const assessorTree = await loadAssessorTree(connection.ref, plan.planId);
  const sent = await replyAsMember({ client, identity, record, assessorTree }, opts.message, attachments);
  out.result(
    { caseId: record.caseId, index: sent.index, status: sent.status, attachments: attachments.map((a) => a.name) },
    `${keyValues([
      ["case", record.caseId],
      [
        "message",
        `#${sent.index}, encrypted to the plan's assessors${attachments.length ? ` with ${attachments.map((a) => a.name).join(", ")}` : ""}`,
      ],
      ["status", sent.status],
    ])}`,
  );
}

export function registerCase(program: Command): void {
  const kase = program
    .command("case")
    .description("your claims at the claims desk: file one with evidence, follow it, answer the assessors");

  addDeskOption(
    addIdentityOptions(
      addChainOptions(
        kase
          .command("file")
          .description("file a claim: what happened, the amount and evidence files, encrypted here to the plan's assessors")
          .requiredOption("--plan <id>", "plan id")
          .option("--category <category>", `${PLAN_CATEGORIES.join(" | ")} (default: the plan's)`)
          .requiredOption("--date <YYYY-MM-DD>", "the date of the loss")
          .requiredOption("--description <text>", "what happened")
          .requiredOption("--amount <amount>", `amount asked, ${AMOUNT_HELP}`)
          .option("--file <path>", "an evidence file (photo, PDF, …; repeatable; at most 10 MiB each, 25 MiB a case)", repeatable),
      ),
    ),
  ).action(run<FileOptions>(async ({ out, opts }) => fileCommand(opts, out)));

  addDeskOption(
    addIdentityOptions(kase.command("list").description("the cases filed from this HUZHU_HOME, with their status at the desk")),
  ).action(run<IdentityOptions & DeskOptions>(async ({ out, opts }) => listCommand(opts, out)));

  addDeskOption(
    addIdentityOptions(
      addChainOptions(
        kase
          .command("show <caseId>")
          .description("a case's status, the assessors' messages and the decision, decrypted here; writes the approval file once approved")
          .option("--out <file>", "where to write the approval file (default $HUZHU_HOME/approvals/<caseId>.json)")
          .option("--force", "replace an existing --out file"),
      ),
    ),
  ).action(run<ShowOptions, [string]>(async ({ out, opts }, caseId) => showCommand(caseId, opts, out)));

  addDeskOption(
    addIdentityOptions(
      addChainOptions(
        kase
          .command("reply <caseId>")
          .description("answer the assessors (more evidence, an explanation): encrypted here to the plan's assessors")
          .requiredOption("--message <text>", "your answer")
          .option("--file <path>", "a file to attach (repeatable; at most 10 MiB in all)", repeatable),
      ),
    ),
  ).action(run<ReplyOptions, [string]>(async ({ out, opts }, caseId) => replyCommand(caseId, opts, out)));
}
