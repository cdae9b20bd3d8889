/**
 * `huzhu assessor desk-join | cases | show | ask | decline` and `assessor approve <caseId>`: an
 * assessor's work at the claims desk. Each command signs in with the assessor key file (a
 * signature over the desk's fresh challenge; no password on the server) and, the first time,
 * publishes the assessor's roster entry (its desk key, signed) so members encrypt cases to it.
 * Cases are decrypted on this machine; approvals are signed here and sent sealed to the member.
 */
import { join } from "node:path";
import type { Command } from "commander";
import type { PlanInfo } from "../../sdk/chain/pool.ts";
import type { AssessorCaseView, AssessorSession } from "../../sdk/desk/flows.ts";
import { approveCase, askForMore, declineCase, openCaseAsAssessor } from "../../sdk/desk/flows.ts";
import { CaseStatus } from "../../sdk/desk/schemas.ts";
import { toEpoch } from "../../sdk/field.ts";
import { run } from "../lib/action.ts";
import { amountJson, formatAmount, parseAmount } from "../lib/amounts.ts";
import { readAssessorKey } from "../lib/assessor-key.ts";
import { addChainOptions, type ChainOptions, connectPool, type PoolConnection, requirePlan, type TokenInfo } from "../lib/chain.ts";
import {
  addDeskOption,
  assessorSignIn,
  connectDesk,
  type DeskOptions,
  deskUrl,
  parseCaseId,
  requireClaimable,
  writeEvidence,
} from "../lib/desk.ts";
import { CliError } from "../lib/errors.ts";
import { huzhuHome } from "../lib/identity.ts";
import { keyValues, type Output, table } from "../lib/output.ts";
import type { PasswordOptions } from "../lib/password.ts";
import { approveAsCommittee, declineAsCommittee, openLocalSigner } from "./committee.ts";

export interface DeskAssessorOptions extends ChainOptions, DeskOptions, PasswordOptions {
  plan: string;
  key?: string;
}

interface AtDesk {
  connection: PoolConnection;
  plan: PlanInfo;
  token: TokenInfo;
  session: AssessorSession;
}

function keyPath(opts: { key?: string }): string {
  return opts.key ?? join(huzhuHome(), "assessor-key.json");
}

/** The plan on chain, the key file, the desk (checked to serve this pool) and a signed-in session. */
async function atDesk(opts: DeskAssessorOptions, out: Output, publish = false): Promise<AtDesk & { entry: unknown }> {
  const connection = await connectPool(opts);
  const { plan, token } = await requirePlan(connection, opts.plan);
  const key = await readAssessorKey(keyPath(opts), opts);
  const client = await connectDesk(deskUrl(opts), connection);
  const { session, entry } = await assessorSignIn(client, key, plan.planId, out, publish);
  return { connection, plan, token, session, entry };
}

/** The options every desk command of an assessor takes. */
function addDeskAssessorOptions(command: Command): Command {
  return addDeskOption(
    addChainOptions(
      command
        .requiredOption("--plan <id>", "plan id")
        .option("--key <file>", "the assessor key file (default $HUZHU_HOME/assessor-key.json)")
        .option("--password-file <file>", "password of an encrypted key file"),
    ),
  );
}

function parseStatus(text: string | undefined): CaseStatus | undefined {
  if (text === undefined) return undefined;
  const statuses = CaseStatus.anyOf.map((s) => s.const as string);
  if (!statuses.includes(text)) throw new CliError("BAD_STATUS", `--status is one of ${statuses.join(", ")}; got ${JSON.stringify(text)}`);
  return text as CaseStatus;
}

function nextSteps(caseId: string, planId: bigint): string {
  const base = `--plan ${planId}`;
  return [
    "Next:",
    `  huzhu assessor ask ${caseId} ${base} --message "…"        (ask the member for more)`,
    `  huzhu assessor approve ${caseId} ${base} --amount <amount> --expires-epoch +30`,
    `  huzhu assessor decline ${caseId} ${base} --reason "…"`,
  ].join("\n");
}

interface WrittenFile {
  name: string;
  type: string;
  bytes: number;
  path: string;
}

type ShownMessage =
  | { index: number; from: "member"; sentAt: string; text: string; attachments: WrittenFile[] }
  | { index: number; from: "assessor"; sentAt: string };

async function showCase(caseId: string, opts: DeskAssessorOptions & { out?: string }, out: Output): Promise<void> {
  const { plan, token, session } = await atDesk(opts, out);
  const view = await openCaseAsAssessor(session, parseCaseId(caseId));
  const doc = view.opened.document;
  const dir = opts.out ?? join(huzhuHome(), "assessor", "cases", view.caseId);
  const files: WrittenFile[] = [];
  for (const [index, file] of view.files.entries()) {
    const path = await writeEvidence(dir, String(index), { name: file.entry.name, bytes: file.bytes });
    files.push({ name: file.entry.name, type: file.entry.type, bytes: file.entry.size, path });
  }
  const messages: ShownMessage[] = [];
  for (const m of view.thread) {
    if (m.from === "member") {
      const attachments: WrittenFile[] = [];
      for (const [n, a] of m.message.attachments.entries()) {
        attachments.push({
          name: a.name,
          type: a.type,
          bytes: a.bytes.length,
          path: await writeEvidence(dir, `message-${m.index}-${n}`, a),
        });
      }
      messages.push({ index: m.index, from: "member", sentAt: m.sentAt, text: m.message.text, attachments });
    } else {
      messages.push({ index: m.index, from: "assessor", sentAt: m.sentAt });
    }
  }
  const data = {
    caseId: view.caseId,
    planId: plan.planId.toString(),
    status: view.status,
    createdAt: view.reply.createdAt,
    category: doc.category,
    dateOfLoss: doc.dateOfLoss,
    description: doc.description,
    amount: amountJson(doc.amount, token),
    commitment: doc.commitment.toString(),
    eventId: doc.eventId.toString(),
    folder: dir,
    files,
    messages,
  };
  out.result(data, () => {
    const thread = messages.map((m) =>
      m.from === "member"
        ? `  [${m.sentAt}] member: ${m.text}${m.attachments?.length ? ` (attached: ${m.attachments.map((a) => a.path).join(", ")})` : ""}`
        : `  [${m.sentAt}] an assessor (sealed to the member)`,
    );
    return [
      keyValues([
        ["case", view.caseId],
        ["plan", `${plan.planId} (${plan.name})`],
        ["status", view.status],
        ["filed", view.reply.createdAt],
        ["category", doc.category],
        ["date of loss", doc.dateOfLoss],
        ["asked", formatAmount(doc.amount, token)],
        ["member", `${doc.commitment} (signature checked)`],
      ]),
      `What happened:\n  ${doc.description.replace(/\n/g, "\n  ")}`,
      files.length > 0
        ? `Evidence, decrypted and checked, in ${dir}:\n${files.map((f) => `  ${f.path}  ${f.type}, ${f.bytes} bytes`).join("\n")}`
        : "No evidence files.",
      ...(thread.length > 0 ? [`Messages:\n${thread.join("\n")}`] : []),
      nextSteps(view.caseId, plan.planId),
    ].join("\n");
  });
}

export interface DeskApproveOptions extends DeskAssessorOptions {
  amount: string;
  expiresEpoch: string;
  /** A committee key file: vote as this committee member, then take part in the signing round. */
  committee?: string;
  wait?: boolean;
}

/** `huzhu assessor approve <caseId>`: signs the approval here and sends it sealed to the case's member. */
export async function approveOnDesk(caseId: string, opts: DeskApproveOptions, out: Output): Promise<void> {
  const { plan, token, session } = await atDesk(opts, out);
  const view = await openCaseAsAssessor(session, parseCaseId(caseId), { files: false });
  const amount = parseAmount(opts.amount, token.decimals);
  requireClaimable(amount, plan, token, "approved");
  const asked = view.opened.document.amount;
  if (amount > asked)
    out.warn(`approving ${formatAmount(amount, token)}, more than the ${formatAmount(asked, token)} the member asked for`);
  let expiresAtEpoch: bigint;
  try {
    expiresAtEpoch = /^\+[0-9]+$/.test(opts.expiresEpoch)
      ? plan.currentEpoch + BigInt(opts.expiresEpoch.slice(1))
      : toEpoch(opts.expiresEpoch, "--expires-epoch");
  } catch (error) {
    throw new CliError("BAD_EPOCH", (error as Error).message, undefined, { cause: error });
  }
  if (expiresAtEpoch < plan.currentEpoch) {
    throw new CliError("BAD_EPOCH", `epoch ${expiresAtEpoch} has passed (plan ${plan.planId} is in epoch ${plan.currentEpoch}); use +N`);
  }
  if (opts.committee !== undefined) {
    const signer = await openLocalSigner(opts.committee, opts, session.client, plan, session.assessorKey);
    const step = await approveAsCommittee(session, view, signer, { amount, expiresAtEpoch }, opts, out);
    const { keySet, member } = signer.share;
    out.result(
      {
        caseId: view.caseId,
        planId: plan.planId.toString(),
        step: step.step,
        round: step.round,
        amount: amountJson(amount, token),
        expiresAtEpoch: expiresAtEpoch.toString(),
      },
      `${keyValues([
        ["case", view.caseId],
        ["committee", `member ${member} of ${keySet.threshold} of ${keySet.size} (key set ${keySet.id.slice(0, 12)}…)`],
        ["terms", `${formatAmount(amount, token)} until epoch ${expiresAtEpoch}`],
        [
          "signing round",
          `${step.round.status}: approvals ${step.round.approvals.join(", ") || "none"}, shares ${step.round.shares.join(", ") || "none"}`,
        ],
      ])}\n${
        step.step === "decided"
          ? `The committee's approval is sealed to the member; they read it with \`huzhu case show ${view.caseId}\` and claim.`
          : `Run the same command again (or with --wait) to take your next step once the others have voted.`
      }`,
    );
    return;
  }
  const decided = await approveCase(session, view, { amount, expiresAtEpoch });
  out.result(
    {
      caseId: view.caseId,
      planId: plan.planId.toString(),
      status: decided.status,
      amount: amountJson(amount, token),
      asked: amountJson(asked, token),
      expiresAtEpoch: expiresAtEpoch.toString(),
    },
    `${keyValues([
      ["case", view.caseId],
      ["status", decided.status],
      ["approved", `${formatAmount(amount, token)} (asked ${formatAmount(asked, token)})`],
      ["claimable until", `epoch ${expiresAtEpoch}`],
    ])}\nSigned here and sealed to the member; they read it with \`huzhu case show ${view.caseId}\` and claim.`,
  );
}

/** Opens a case's document (no files) and acts on it; prints the case's new status. */
async function actOnCase(
  caseId: string,
  opts: DeskAssessorOptions,
  out: Output,
  act: (
    session: AssessorSession,
    view: AssessorCaseView,
    plan: PlanInfo,
  ) => Promise<{ status: CaseStatus; index?: number; line: [string, string] }>,
): Promise<void> {
  const { session, plan } = await atDesk(opts, out);
  const view = await openCaseAsAssessor(session, parseCaseId(caseId), { files: false });
  const { line, ...done } = await act(session, view, plan);
  out.result({ caseId: view.caseId, ...done }, keyValues([["case", view.caseId], line, ["status", done.status]]));
}

/** Registers the desk commands under `huzhu assessor` (made by registerAssessor). */
export function registerAssessorDesk(program: Command): void {
  const assessor = program.commands.find((c) => c.name() === "assessor");
  if (!assessor) throw new Error("register the assessor command group first");

  addDeskAssessorOptions(
    assessor
      .command("desk-join")
      .description("publish this assessor's roster entry at the claims desk (every desk command also does it the first time)"),
  ).action(
    run<DeskAssessorOptions>(async ({ out, opts }) => {
      const { plan, session, entry } = await atDesk(opts, out, true);
      out.result(
        { planId: plan.planId.toString(), desk: session.client.baseUrl, entry },
        `Members of plan ${plan.planId} now encrypt new cases to this assessor at ${session.client.baseUrl}.\nSee the queue with \`huzhu assessor cases --plan ${plan.planId}\`.`,
      );
    }),
  );

  addDeskAssessorOptions(
    assessor
      .command("cases")
      .description("the plan's queue at the claims desk")
      .option("--status <status>", `only cases with this status (${CaseStatus.anyOf.map((s) => s.const).join(", ")})`),
  ).action(
    run<DeskAssessorOptions & { status?: string }>(async ({ out, opts }) => {
      const status = parseStatus(opts.status);
      const { plan, session } = await atDesk(opts, out);
      const queue = await session.client.queue(plan.planId, session.token, status);
      out.result(queue, () =>
        queue.cases.length === 0
          ? `No ${status ?? ""}${status ? " " : ""}cases for plan ${plan.planId}.`
          : `${table([
              ["CASE", "STATUS", "FILED", "UPDATED", "FILES", "BYTES", "MESSAGES"],
              ...queue.cases.map((c) => [
                c.caseId,
                c.status,
                c.createdAt,
                c.updatedAt,
                String(c.files),
                String(c.bytes),
                String(c.messages),
              ]),
            ])}\nOpen one with \`huzhu assessor show <case> --plan ${plan.planId}\`.`,
      );
    }),
  );

  addDeskAssessorOptions(
    assessor
      .command("show <caseId>")
      .description("decrypt a case here: the member's statement, evidence files written to a folder, messages")
      .option("--out <dir>", "folder for the decrypted files (default $HUZHU_HOME/assessor/cases/<caseId>)"),
  ).action(run<DeskAssessorOptions & { out?: string }, [string]>(async ({ out, opts }, caseId) => showCase(caseId, opts, out)));

  addDeskAssessorOptions(
    assessor
      .command("ask <caseId>")
      .description("ask the member for more (evidence, an explanation): sealed to the member, signed with your key")
      .requiredOption("--message <text>", "what you ask"),
  ).action(
    run<DeskAssessorOptions & { message: string }, [string]>(async ({ out, opts }, caseId) =>
      actOnCase(caseId, opts, out, async (session, view) => {
        const sent = await askForMore(session, view, opts.message);
        return { index: sent.index, status: sent.status, line: ["message", `#${sent.index}, sealed to the member`] };
      }),
    ),
  );

  addDeskAssessorOptions(
    assessor
      .command("decline <caseId>")
      .description("decline a case with a reason: signed with your key, sealed to the member")
      .requiredOption("--reason <text>", "why (the member reads it)")
      .option(
        "--committee <file>",
        "your committee key file: vote to decline as a committee member (the reason is sealed to the committee)",
      ),
  ).action(
    run<DeskAssessorOptions & { reason: string; committee?: string }, [string]>(async ({ out, opts }, caseId) =>
      actOnCase(caseId, opts, out, async (session, view, plan) => {
        if (opts.committee !== undefined) {
          const signer = await openLocalSigner(opts.committee, opts, session.client, plan, session.assessorKey);
          const voted = await declineAsCommittee(session, view, signer, opts.reason, out);
          return {
            status: voted.decided ? "declined" : view.status,
            line: ["vote", `decline (${voted.declines} of ${signer.share.keySet.size} declined), reason sealed to the committee`],
          };
        }
        const decided = await declineCase(session, view, opts.reason);
        return { status: decided.status, line: ["reason", opts.reason] };
      }),
    ),
  );
}
