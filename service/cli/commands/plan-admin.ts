/**
 * `huzhu donate` (anyone gives to a plan's pool) and `huzhu plan propose-admin | accept-admin` (a
 * plan's administration changes hands in two steps, so a mistyped address loses nothing).
 */
import type { Command } from "commander";
import { type Address, getAddress, isAddress, zeroAddress } from "viem";
import { huzhuPoolAbi } from "../../sdk/chain/abi.ts";
import { run } from "../lib/action.ts";
import { AMOUNT_HELP, amountJson, formatAmount, parseAmount } from "../lib/amounts.ts";
import { addChainOptions, type ChainOptions, connectPool, requirePlan } from "../lib/chain.ts";
import { CliError } from "../lib/errors.ts";
import { keyValues, type Output } from "../lib/output.ts";
import { sendSimulated } from "../lib/tx.ts";
import { addWalletOptions, loadAccount, type WalletOptions, walletClient } from "../lib/wallet.ts";
import { fundAndApprove } from "./membership.ts";

interface DonateOptions extends ChainOptions, WalletOptions {
  amount: string;
  mint?: boolean;
}

async function donate(planIdText: string, opts: DonateOptions, out: Output): Promise<void> {
  const connection = await connectPool(opts);
  const { plan, token } = await requirePlan(connection, planIdText);
  const amount = parseAmount(opts.amount, token.decimals, "--amount");
  if (amount === 0n) throw new CliError("BAD_AMOUNT", "--amount must be above zero");
  const account = await loadAccount(opts, connection, out);
  const wallet = walletClient(account, connection);
  out.note(`giving ${formatAmount(amount, token)} to plan ${plan.planId} (${plan.name}) from ${account.address}`);
  await fundAndApprove(connection, wallet, account.address, token, amount, opts, out);
  const simulated = await connection.client.simulateContract({
    account,
    address: connection.pool,
    abi: huzhuPoolAbi,
    functionName: "donate",
    args: [plan.planId, amount],
  });
  const { hash, receipt } = await sendSimulated(connection, wallet, simulated, out, "donate");
  const books = await connection.client.readContract({
    address: connection.pool,
    abi: huzhuPoolAbi,
    functionName: "books",
    args: [plan.planId],
  });
  const balance = books.contributed + books.donated - books.paidOut - books.fees;
  out.result(
    {
      planId: plan.planId.toString(),
      donor: account.address,
      amount: amountJson(amount, token),
      donated: amountJson(books.donated, token),
      balance: amountJson(balance, token),
      txHash: hash,
      blockNumber: receipt.blockNumber.toString(),
    },
    keyValues([
      ["donated", `${formatAmount(amount, token)} to plan ${plan.planId} (${plan.name})`],
      ["plan's donations", formatAmount(books.donated, token)],
      ["pool balance", formatAmount(balance, token)],
      ["transaction", hash],
    ]),
  );
}

function parseAdmin(text: string): Address {
  if (!isAddress(text, { strict: false })) {
    throw new CliError("BAD_ADDRESS", `the new admin must be a 20-byte hex address (0x + 40 hex digits), got ${JSON.stringify(text)}`);
  }
  return getAddress(text);
}

async function proposeAdmin(planIdText: string, newAdmin: string, opts: ChainOptions & WalletOptions, out: Output): Promise<void> {
  const connection = await connectPool(opts);
  const { plan } = await requirePlan(connection, planIdText);
  const proposed = newAdmin === "none" ? zeroAddress : parseAdmin(newAdmin);
  const account = await loadAccount(opts, connection, out);
  if (account.address.toLowerCase() !== plan.admin.toLowerCase()) {
    throw new CliError("NOT_PLAN_ADMIN", `plan ${plan.planId}'s admin is ${plan.admin}, not this wallet (${account.address})`);
  }
  const wallet = walletClient(account, connection);
  const simulated = await connection.client.simulateContract({
    account,
    address: connection.pool,
    abi: huzhuPoolAbi,
    functionName: "proposePlanAdmin",
    args: [plan.planId, proposed],
  });
  const { hash } = await sendSimulated(connection, wallet, simulated, out, "propose admin");
  out.result(
    { planId: plan.planId.toString(), admin: plan.admin, proposed, txHash: hash },
    proposed === zeroAddress
      ? `withdrew the proposal: ${plan.admin} stays plan ${plan.planId}'s admin`
      : `proposed ${proposed} as plan ${plan.planId}'s admin; ${plan.admin} stays admin until ${proposed} runs \`huzhu plan accept-admin ${plan.planId}\``,
  );
}

async function acceptAdmin(planIdText: string, opts: ChainOptions & WalletOptions, out: Output): Promise<void> {
  const connection = await connectPool(opts);
  const { plan } = await requirePlan(connection, planIdText);
  const account = await loadAccount(opts, connection, out);
  const pending = await connection.client.readContract({
    address: connection.pool,
    abi: huzhuPoolAbi,
    functionName: "pendingPlanAdmin",
    args: [plan.planId],
  });
  if (pending.toLowerCase() !== account.address.toLowerCase()) {
    throw new CliError(
      "NOT_PROPOSED_ADMIN",
      pending === zeroAddress
        ? `plan ${plan.planId} has no admin proposal`
        : `plan ${plan.planId}'s admin proposed ${pending}, not this wallet (${account.address})`,
      `the plan's admin proposes you with \`huzhu plan propose-admin ${plan.planId} ${account.address}\``,
    );
  }
  const wallet = walletClient(account, connection);
  const simulated = await connection.client.simulateContract({
    account,
    address: connection.pool,
    abi: huzhuPoolAbi,
    functionName: "acceptPlanAdmin",
    args: [plan.planId],
  });
  const { hash } = await sendSimulated(connection, wallet, simulated, out, "accept admin");
  out.result(
    { planId: plan.planId.toString(), previousAdmin: plan.admin, admin: account.address, txHash: hash },
    `${account.address} is now plan ${plan.planId}'s admin (was ${plan.admin})`,
  );
}

export function registerPlanAdmin(program: Command): void {
  addWalletOptions(
    addChainOptions(
      program
        .command("donate <planId>")
        .description("give to a plan's pool: it pays claims like contributions do, and the books count it apart")
        .requiredOption("--amount <amount>", `how much to give, ${AMOUNT_HELP}`)
        .option("--mint", "local demo token only: mint what the wallet lacks first"),
    ),
  ).action(run<DonateOptions, [string]>(async ({ out, opts }, planId) => donate(planId, opts, out)));

  const plan = program.command("plan").description("plan administration");
  addWalletOptions(
    addChainOptions(
      plan
        .command("propose-admin <planId> <address>")
        .description("plan admin: propose the plan's next admin (it takes over once it accepts); `none` withdraws a proposal"),
    ),
  ).action(
    run<ChainOptions & WalletOptions, [string, string]>(async ({ out, opts }, planId, address) => proposeAdmin(planId, address, opts, out)),
  );
  addWalletOptions(
    addChainOptions(plan.command("accept-admin <planId>").description("become a plan's admin, once its admin proposed this wallet")),
  ).action(run<ChainOptions & WalletOptions, [string]>(async ({ out, opts }, planId) => acceptAdmin(planId, opts, out)));
}
