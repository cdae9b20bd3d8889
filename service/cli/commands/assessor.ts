/**
 * `huzhu assessor keygen | add | revoke | approve`: assessor keys, the plan admin's changes to a
 * plan's assessor set, and signing a member's claim approval after reviewing the evidence.
 */
import { join } from "node:path";
import type { Command } from "commander";
import { generateAssessorKey, serializeApproval, signApproval } from "../../sdk/assessor.ts";
import { huzhuPoolAbi } from "../../sdk/chain/abi.ts";
import { loadAssessorTree } from "../../sdk/chain/pool.ts";
import type { PublicKey } from "../../sdk/encoding.ts";
import { toEpoch, toField } from "../../sdk/field.ts";
import { updateSiblings } from "../../sdk/tree-update.ts";
import { run } from "../lib/action.ts";
import { AMOUNT_HELP, formatAmount, isRawAmount, parseAmount } from "../lib/amounts.ts";
import { assessorKeyFile, parsePublicKeyText, readAssessorKey, readAssessorPublicKey } from "../lib/assessor-key.ts";
import { addChainOptions, type ChainOptions, connectPool, type PoolConnection, requirePlan } from "../lib/chain.ts";
import { addDeskOption } from "../lib/desk.ts";
import { CliError } from "../lib/errors.ts";
import { writeFileSafely } from "../lib/files.ts";
import { huzhuHome } from "../lib/identity.ts";
import { keyValues, type Output } from "../lib/output.ts";
import { type PasswordOptions, readPassword } from "../lib/password.ts";
import { sendSimulated } from "../lib/tx.ts";
import { addWalletOptions, loadAccount, type WalletOptions, walletClient } from "../lib/wallet.ts";
import { approveOnDesk, type DeskApproveOptions } from "./assessor-desk.ts";

interface KeySpec {
  publicKey?: string;
  key?: string;
}

async function publicKeyFrom(opts: KeySpec): Promise<PublicKey> {
  if (opts.publicKey !== undefined && opts.key !== undefined)
    throw new CliError("KEY_CONFLICT", "pass either --public-key or --key, not both");
  if (opts.key !== undefined) return readAssessorPublicKey(opts.key);
  if (opts.publicKey === undefined) throw new CliError("NO_KEY", "name the assessor with --public-key <x,y> or --key <file>");
  return parsePublicKeyText(opts.publicKey);
}

function field(text: string, name: string): bigint {
  try {
    return toField(text, name);
  } catch (error) {
    throw new CliError("BAD_VALUE", (error as Error).message, undefined, { cause: error });
  }
}

type SetChangeOptions = ChainOptions & WalletOptions & KeySpec;

function addSetChangeOptions(command: Command): Command {
  return addWalletOptions(
    addChainOptions(
      command
        .option("--public-key <x,y>", "the assessor's public key (as `assessor keygen` prints it)")
        .option("--key <file>", "read the public key from an assessor key file"),
    ),
  );
}

async function changeSet(kind: "add" | "revoke", planIdText: string, opts: SetChangeOptions, out: Output): Promise<void> {
  const connection: PoolConnection = await connectPool(opts);
  const { plan } = await requirePlan(connection, planIdText);
  const publicKey = await publicKeyFrom(opts);
  const tree = await loadAssessorTree(connection.ref, plan.planId);
  if (kind === "add" && tree.has(publicKey))
    throw new CliError("ASSESSOR_ALREADY_ADDED", `this assessor key is already in plan ${plan.planId}'s set`);
  if (kind === "revoke" && !tree.has(publicKey))
    throw new CliError("UNKNOWN_ASSESSOR", `this assessor key is not in plan ${plan.planId}'s set`);
  const account = await loadAccount(opts, connection, out);
  if (account.address.toLowerCase() !== plan.admin.toLowerCase()) {
    throw new CliError(
      "NOT_PLAN_ADMIN",
      `the wallet ${account.address} is not the admin of plan ${plan.planId} (${plan.admin})`,
      "use the plan admin's key",
    );
  }
  const wallet = walletClient(account, connection);
  let simulated: { request: unknown };
  if (kind === "add") {
    simulated = await connection.client.simulateContract({
      account,
      address: connection.pool,
      abi: huzhuPoolAbi,
      functionName: "addAssessor",
      args: [plan.planId, publicKey[0], publicKey[1]],
    });
  } else {
    simulated = await connection.client.simulateContract({
      account,
      address: connection.pool,
      abi: huzhuPoolAbi,
      functionName: "revokeAssessor",
      args: [plan.planId, publicKey[0], publicKey[1], updateSiblings(tree.proof(publicKey))],
    });
  }
  const { hash } = await sendSimulated(connection, wallet, simulated, out, `${kind} assessor`);
  const root = await connection.client.readContract({
    address: connection.pool,
    abi: huzhuPoolAbi,
    functionName: "assessorRoot",
    args: [plan.planId],
  });
  out.result(
    { planId: plan.planId.toString(), publicKey: publicKey.map(String), action: kind, assessorRoot: root.toString(), txHash: hash },
    keyValues([
      [kind === "add" ? "added to plan" : "revoked from plan", `${plan.planId} (${plan.name})`],
      ["public key", publicKey.join(",")],
      ["assessor root", root.toString()],
      ["transaction", hash],
    ]),
  );
}

interface ApproveOptions extends DeskApproveOptions {
  commitment?: string;
  event?: string;
  out?: string;
  force?: boolean;
}

export function registerAssessor(program: Command): void {
  const assessor = program.command("assessor").description("assessor keys, a plan's assessor set, and claim approvals");

  assessor
    .command("keygen")
    .description("create an assessor key (EdDSA-Poseidon, BabyJubjub) in a file only you can read")
    .option("--out <file>", "where to write it (default $HUZHU_HOME/assessor-key.json)")
    .option("--encrypt", "encrypt the private key with a password (HUZHU_PASSWORD, --password-file, or a prompt)")
    .option("--password-file <file>", "read the password from this file")
    .option("--force", "replace an existing file")
    .action(
      run<PasswordOptions & { out?: string; encrypt?: boolean; force?: boolean }>(async ({ out, opts }) => {
        const path = opts.out ?? join(huzhuHome(), "assessor-key.json");
        const key = generateAssessorKey();
        const password = opts.encrypt ? await readPassword(opts, { what: "new assessor key", confirm: true }) : undefined;
        await writeFileSafely(path, await assessorKeyFile(key, password), { force: opts.force === true, secret: true });
        out.result(
          { file: path, publicKey: key.publicKey.map(String), encrypted: password !== undefined },
          `${keyValues([
            ["key file", `${path}${password === undefined ? "" : " (encrypted)"}`],
            ["public key", key.publicKey.join(",")],
          ])}\nGive the public key to the plan admin: \`huzhu assessor add <planId> --public-key <x,y>\`.`,
        );
      }),
    );

  addSetChangeOptions(assessor.command("add <planId>").description("plan admin: add an assessor key to the plan's set")).action(
    run<SetChangeOptions, [string]>(async ({ out, opts }, planId) => changeSet("add", planId, opts, out)),
  );
  addSetChangeOptions(
    assessor.command("revoke <planId>").description("plan admin: revoke an assessor key (its approvals stop paying)"),
  ).action(run<SetChangeOptions, [string]>(async ({ out, opts }, planId) => changeSet("revoke", planId, opts, out)));

  addDeskOption(
    addChainOptions(
      assessor
        .command("approve [caseId]")
        .description(
          "approve a case at the claims desk (signed here, sealed to its member); without a case id, sign an approval file for a member's commitment and event",
        )
        .requiredOption("--plan <id>", "plan id")
        .option("--commitment <c>", "without a case id: the member's identity commitment (they print it with `huzhu identity show`)")
        .option(
          "--event <id>",
          "the loss event's id (integer < r; one payout per member and event): agree it with the member, keep it private",
        )
        .requiredOption("--amount <amount>", `approved payout, ${AMOUNT_HELP}`)
        .requiredOption(
          "--expires-epoch <epoch>",
          "last epoch the approval can be claimed in; +N means N epochs after the plan's current one",
        )
        .option("--key <file>", "the assessor key file (default $HUZHU_HOME/assessor-key.json)")
        .option("--out <file>", "write the approval here (default: stdout)")
        .option("--password-file <file>", "password of an encrypted key file")
        .option("--force", "replace an existing --out file")
        .option(
          "--committee <file>",
          "your committee key file: vote for these terms as a committee member and take part in the signing round",
        )
        .option("--wait", "with --committee: stay until the committee's approval is made (or its signing round fails)"),
    ),
  ).action(
    run<ApproveOptions, [string | undefined]>(async ({ out, opts }, caseId) => {
      if (caseId !== undefined) {
        if (opts.commitment !== undefined || opts.event !== undefined || opts.out !== undefined)
          throw new CliError("OPTION_CONFLICT", "a case at the desk names its member and event: drop --commitment, --event and --out");
        return approveOnDesk(caseId, opts, out);
      }
      if (opts.committee !== undefined || opts.wait)
        throw new CliError(
          "OPTION_CONFLICT",
          "a committee approves a case at the desk: name the case id (huzhu assessor approve <caseId> --committee <file>)",
        );
      if (opts.commitment === undefined || opts.event === undefined)
        throw new CliError("MISSING_OPTION", "name a desk case (`huzhu assessor approve <caseId>`) or pass --commitment and --event");
      const planId = field(opts.plan, "plan");
      const commitment = field(opts.commitment, "commitment");
      const eventId = field(opts.event, "event");
      const relative = /^\+[0-9]+$/.test(opts.expiresEpoch);
      // Token amounts and relative epochs need the plan; raw amounts and absolute epochs sign offline.
      const needsChain = relative || !isRawAmount(opts.amount);
      let amount: bigint;
      let expiresAtEpoch: bigint;
      const key = await readAssessorKey(opts.key ?? join(huzhuHome(), "assessor-key.json"), opts);
      let summary: string;
      if (needsChain) {
        const connection = await connectPool(opts);
        const { plan, token } = await requirePlan(connection, opts.plan);
        amount = parseAmount(opts.amount, token.decimals);
        if (amount > plan.claimCap) {
          throw new CliError(
            "AMOUNT_OVER_CAP",
            `${formatAmount(amount, token)} exceeds plan ${planId}'s claim cap of ${formatAmount(plan.claimCap, token)}`,
          );
        }
        expiresAtEpoch = relative ? plan.currentEpoch + BigInt(opts.expiresEpoch.slice(1)) : epochOf(opts.expiresEpoch);
        if (!(await loadAssessorTree(connection.ref, planId)).has(key.publicKey)) {
          out.warn(`this assessor key is not (or no longer) in plan ${planId}'s set: the approval cannot pay until the plan admin adds it`);
        }
        summary = formatAmount(amount, token);
      } else {
        amount = parseAmount(opts.amount, undefined);
        expiresAtEpoch = epochOf(opts.expiresEpoch);
        summary = `${amount} units`;
      }
      if (amount === 0n) throw new CliError("BAD_AMOUNT", "the approved amount must be more than 0");
      const approval = signApproval(key, { commitment, planId, eventId, amount, expiresAtEpoch });
      const file = serializeApproval(approval);
      if (opts.out === undefined) {
        out.result(file, JSON.stringify(file, null, 2));
        return;
      }
      await writeFileSafely(opts.out, file, { force: opts.force === true, secret: true });
      out.result(
        { file: opts.out, approval: file },
        `${keyValues([
          ["approval", opts.out],
          ["plan", planId.toString()],
          ["amount", summary],
          ["expires after epoch", expiresAtEpoch.toString()],
        ])}\nSend the file to the member privately; it pays once, to whoever holds the identity.`,
      );
    }),
  );
}

function epochOf(text: string): bigint {
  try {
    return toEpoch(text, "--expires-epoch");
  } catch (error) {
    throw new CliError("BAD_EPOCH", (error as Error).message, undefined, { cause: error });
  }
}
