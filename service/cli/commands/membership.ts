/**
 * `huzhu join` and `huzhu renew`: pay a plan's contributions for your identity's commitment. Joining
 * is public (the paying wallet and the commitment appear on chain); claims later are not linked to it.
 * A plan that vets who joins takes a join only with its admission officer's voucher (`--voucher`).
 */
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { type Address, erc20Abi, type PublicClient, type WalletClient } from "viem";
import { demoTokenAbi, huzhuPoolAbi } from "../../sdk/chain/abi.ts";
import { type AdmissionVoucher, checkVoucherText, VoucherError, voucherArgument } from "../../sdk/chain/admission.ts";
import { toField } from "../../sdk/field.ts";
import { updateSiblings } from "../../sdk/tree-update.ts";
import { run } from "../lib/action.ts";
import { amountJson, formatAmount } from "../lib/amounts.ts";
import { addChainOptions, type ChainOptions, connectPool, type PoolConnection, requirePlan, type TokenInfo } from "../lib/chain.ts";
import { CliError } from "../lib/errors.ts";
import { addIdentityOptions, type IdentityOptions, keystoreCommitment } from "../lib/identity.ts";
import { keyValues, type Output } from "../lib/output.ts";
import { addTreeOptions, memberTreeFor, type TreeOptions, treeServices } from "../lib/trees.ts";
import { sendSimulated } from "../lib/tx.ts";
import { addWalletOptions, loadAccount, type WalletOptions, walletClient } from "../lib/wallet.ts";

interface PayOptions extends ChainOptions, WalletOptions, IdentityOptions, TreeOptions {
  periods: string;
  commitment?: string;
  mint?: boolean;
  voucher?: string;
}

/** Reads `--voucher` and checks it as the pool will: for this pool, chain, plan and commitment, unexpired, the officer's. */
async function readVoucher(file: string, connection: PoolConnection, planId: bigint, commitment: bigint): Promise<AdmissionVoucher> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new CliError(
      "VOUCHER_UNREADABLE",
      `cannot read the voucher ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      undefined,
      { cause: error },
    );
  }
  try {
    return await checkVoucherText(connection.ref, text, planId, commitment);
  } catch (error) {
    if (error instanceof VoucherError) throw new CliError(error.code, `${file}: ${error.message}`, undefined, { cause: error });
    throw error;
  }
}

function parsePeriods(text: string): number {
  if (!/^[1-9][0-9]*$/.test(text) || Number(text) > 2 ** 32 - 1)
    throw new CliError("BAD_PERIODS", `--periods must be a positive whole number, got ${text}`);
  return Number(text);
}

async function commitmentFor(opts: PayOptions): Promise<bigint> {
  if (opts.commitment !== undefined) {
    try {
      return toField(opts.commitment, "commitment");
    } catch (error) {
      throw new CliError("BAD_COMMITMENT", (error as Error).message, undefined, { cause: error });
    }
  }
  return keystoreCommitment(opts);
}

/** Makes sure the wallet holds `amount` (minting the local demo token if asked) and the pool may take exactly that. */
export async function fundAndApprove(
  connection: PoolConnection,
  wallet: WalletClient,
  payer: Address,
  token: TokenInfo,
  amount: bigint,
  opts: { mint?: boolean },
  out: Output,
): Promise<void> {
  const client: PublicClient = connection.client;
  const balance = await client.readContract({ address: token.address, abi: erc20Abi, functionName: "balanceOf", args: [payer] });
  if (balance < amount) {
    if (!opts.mint) {
      throw new CliError(
        "INSUFFICIENT_BALANCE",
        `the wallet ${payer} holds ${formatAmount(balance, token)} but this costs ${formatAmount(amount, token)}`,
        "fund the wallet (on the local demo token, pass --mint)",
      );
    }
    if (connection.demoToken === undefined || connection.demoToken.toLowerCase() !== token.address.toLowerCase()) {
      throw new CliError("NOT_DEMO_TOKEN", "--mint works only with the local deployment's demo token");
    }
    const mint = await client.simulateContract({
      account: wallet.account,
      address: token.address,
      abi: demoTokenAbi,
      functionName: "mint",
      args: [payer, amount - balance],
    });
    await sendSimulated(connection, wallet, mint, out, "mint");
  }
  const allowance = await client.readContract({
    address: token.address,
    abi: erc20Abi,
    functionName: "allowance",
    args: [payer, connection.pool],
  });
  if (allowance !== amount) {
    const approve = await client.simulateContract({
      account: wallet.account,
      address: token.address,
      abi: erc20Abi,
      functionName: "approve",
      args: [connection.pool, amount],
    });
    await sendSimulated(connection, wallet, approve, out, `approve ${formatAmount(amount, token)}`);
  }
}

function addPayOptions(command: Command): Command {
  return addWalletOptions(
    addIdentityOptions(
      addChainOptions(
        addTreeOptions(command)
          .requiredOption("--periods <n>", "number of periods to pay for")
          .option("--commitment <c>", "pay for this identity commitment instead of the keystore's")
          .option("--mint", "local demo token only: mint what the wallet lacks first"),
      ),
    ),
  );
}

async function pay(kind: "join" | "renew", planIdText: string, opts: PayOptions, out: Output): Promise<void> {
  const periods = parsePeriods(opts.periods);
  const connection = await connectPool(opts);
  const { plan, token } = await requirePlan(connection, planIdText);
  const commitment = await commitmentFor(opts);
  if (!plan.active) throw new CliError("PLAN_INACTIVE", `plan ${plan.planId} is paused by its admin; it takes no payments`);
  if (plan.closing) {
    throw new CliError(
      "PLAN_CLOSING",
      `plan ${plan.planId} is closing (its last epoch of cover is ${plan.closing.closingEpoch}): it takes no joins or renewals`,
    );
  }
  if (kind === "renew" && opts.voucher !== undefined)
    throw new CliError("VOUCHER_NOT_NEEDED", "a renewal needs no voucher: drop --voucher");
  if (kind === "join" && plan.admissionRequired && opts.voucher === undefined) {
    throw new CliError(
      "ADMISSION_REQUIRED",
      `plan ${plan.planId} admits members only with its admission officer's voucher`,
      `give the officer your commitment ${commitment}; they run \`huzhu plan admit ${plan.planId} ${commitment} --out voucher.json\`, then join with --voucher voucher.json`,
    );
  }
  const voucher = opts.voucher === undefined ? undefined : await readVoucher(opts.voucher, connection, plan.planId, commitment);
  const cover = await connection.client.readContract({
    address: connection.pool,
    abi: huzhuPoolAbi,
    functionName: "coverageOf",
    args: [plan.planId, commitment],
  });
  if (kind === "join" && cover.joined) {
    throw new CliError(
      "ALREADY_MEMBER",
      `this identity is already a member of plan ${plan.planId}`,
      `extend it with \`huzhu renew ${plan.planId} --periods N\``,
    );
  }
  if (kind === "renew" && !cover.joined) {
    throw new CliError(
      "NOT_A_MEMBER",
      `this identity is not a member of plan ${plan.planId}`,
      `join first with \`huzhu join ${plan.planId} --periods N\``,
    );
  }

  let siblings: bigint[] = [];
  if (kind === "renew") {
    // The pool updates the leaf in place and needs its Merkle path: from a tree service's snapshot
    // (checked against the pool's roots) or rebuilt from events. Renewing names the commitment on
    // chain anyway, so fetching the tree for it reveals nothing more.
    const { tree } = await memberTreeFor(connection, plan.planId, commitment, treeServices(opts), out);
    const record = tree.find(commitment);
    if (record === undefined || record.eligibleFrom !== BigInt(cover.eligibleFrom) || record.paidThrough !== BigInt(cover.paidThrough)) {
      throw new CliError(
        "TREE_MISMATCH",
        "the member tree rebuilt from events does not match the chain",
        "check --from-block: it must not be after the pool's deployment block",
      );
    }
    siblings = updateSiblings(tree.proof(record));
  }

  const account = await loadAccount(opts, connection, out);
  const wallet = walletClient(account, connection);
  const cost = plan.contribution * BigInt(periods);
  out.note(
    `${kind === "join" ? "joining" : "renewing"} plan ${plan.planId} (${plan.name}): ${periods} period(s), ${formatAmount(cost, token)} from ${account.address}`,
  );
  await fundAndApprove(connection, wallet, account.address, token, cost, opts, out);
  const simulated = voucher
    ? await connection.client.simulateContract({
        account,
        address: connection.pool,
        abi: huzhuPoolAbi,
        functionName: "joinWithVoucher",
        args: [plan.planId, commitment, periods, voucherArgument(voucher)],
      })
    : kind === "join"
      ? await connection.client.simulateContract({
          account,
          address: connection.pool,
          abi: huzhuPoolAbi,
          functionName: "join",
          args: [plan.planId, commitment, periods],
        })
      : await connection.client.simulateContract({
          account,
          address: connection.pool,
          abi: huzhuPoolAbi,
          functionName: "renew",
          args: [plan.planId, commitment, periods, siblings],
        });
  const { hash, receipt } = await sendSimulated(connection, wallet, simulated, out, kind);
  const after = await connection.client.readContract({
    address: connection.pool,
    abi: huzhuPoolAbi,
    functionName: "coverageOf",
    args: [plan.planId, commitment],
  });
  out.result(
    {
      planId: plan.planId.toString(),
      commitment: commitment.toString(),
      paid: amountJson(cost, token),
      eligibleFrom: after.eligibleFrom,
      paidThrough: after.paidThrough,
      index: after.index,
      txHash: hash,
      blockNumber: receipt.blockNumber.toString(),
    },
    keyValues([
      [kind === "join" ? "joined plan" : "renewed plan", `${plan.planId} (${plan.name})`],
      ["paid", formatAmount(cost, token)],
      ["covered", `epochs ${after.eligibleFrom} to ${after.paidThrough} (now ${plan.currentEpoch})`],
      ["transaction", hash],
    ]),
  );
}

export function registerMembership(program: Command): void {
  addPayOptions(program.command("join <planId>").description("join a plan: pay contributions for your identity's commitment"))
    .option("--voucher <file>", "the plan's admission officer's voucher for this commitment (plans that vet who joins)")
    .action(run<PayOptions, [string]>(async ({ out, opts }, planId) => pay("join", planId, opts, out)));
  addPayOptions(program.command("renew <planId>").description("pay more periods for your membership (extends paidThrough)")).action(
    run<PayOptions, [string]>(async ({ out, opts }, planId) => pay("renew", planId, opts, out)),
  );
}
