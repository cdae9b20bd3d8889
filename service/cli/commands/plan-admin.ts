/**
 * Running a plan: `huzhu plan create` (its rules, category and terms document), `plan show` (rules,
 * books and terms, the terms checked against the hash on chain), `plan terms`, `plan pause|resume`,
 * `plan propose-admin | accept-admin` (administration changes hands in two steps, so a mistyped
 * address loses nothing), and `huzhu donate` (anyone gives to a plan's pool).
 */
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { type Address, getAddress, isAddress, parseEventLogs, zeroAddress } from "viem";
import { huzhuPoolAbi } from "../../sdk/chain/abi.ts";
import { HuzhuError } from "../../sdk/errors.ts";
import { categoryIndex, checkTermsDocument, NO_TERMS_HASH, PLAN_CATEGORIES, termsHash } from "../../sdk/plan-terms.ts";
import { run } from "../lib/action.ts";
import { AMOUNT_HELP, amountJson, formatAmount, parseAmount } from "../lib/amounts.ts";
import { addChainOptions, type ChainOptions, connectPool, type PoolConnection, readToken, requirePlan } from "../lib/chain.ts";
import { CliError } from "../lib/errors.ts";
import { keyValues, type Output } from "../lib/output.ts";
import { sendSimulated } from "../lib/tx.ts";
import { addWalletOptions, loadAccount, type WalletOptions, walletClient } from "../lib/wallet.ts";
import { fundAndApprove } from "./membership.ts";
import { planJson } from "./plans.ts";

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

/** Sends one of the plan admin's pool calls from this wallet, refused up front if it is not the plan's admin. */
async function adminCall(
  connection: PoolConnection,
  opts: WalletOptions,
  plan: { planId: bigint; admin: Address },
  call: { functionName: "proposePlanAdmin" | "setPlanActive" | "setPlanTerms"; args: readonly unknown[] },
  label: string,
  out: Output,
) {
  const account = await loadAccount(opts, connection, out);
  if (account.address.toLowerCase() !== plan.admin.toLowerCase()) {
    throw new CliError("NOT_PLAN_ADMIN", `plan ${plan.planId}'s admin is ${plan.admin}, not this wallet (${account.address})`);
  }
  const simulated = await connection.client.simulateContract({
    account,
    address: connection.pool,
    abi: huzhuPoolAbi,
    functionName: call.functionName,
    args: call.args as never,
  } as never);
  return sendSimulated(connection, walletClient(account, connection), simulated, out, label);
}

async function proposeAdmin(planIdText: string, newAdmin: string, opts: ChainOptions & WalletOptions, out: Output): Promise<void> {
  const connection = await connectPool(opts);
  const { plan } = await requirePlan(connection, planIdText);
  const proposed = newAdmin === "none" ? zeroAddress : parseAdmin(newAdmin);
  const { hash } = await adminCall(
    connection,
    opts,
    plan,
    { functionName: "proposePlanAdmin", args: [plan.planId, proposed] },
    "propose admin",
    out,
  );
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

/** Reads a terms document from a file or an http(s) URL, as bytes (the hash is over the exact bytes). */
async function readTermsDocument(source: string): Promise<Uint8Array> {
  if (/^https?:\/\//.test(source)) {
    let response: Response;
    try {
      response = await fetch(source, { signal: AbortSignal.timeout(15_000) });
    } catch (error) {
      throw new CliError(
        "TERMS_UNREACHABLE",
        `cannot fetch the terms at ${source} (${(error as Error).message})`,
        "pass --terms <file> with a copy",
      );
    }
    if (!response.ok)
      throw new CliError("TERMS_UNREACHABLE", `the terms at ${source} answered HTTP ${response.status}`, "pass --terms <file> with a copy");
    return new Uint8Array(await response.arrayBuffer());
  }
  try {
    return new Uint8Array(await readFile(source));
  } catch (error) {
    throw new CliError(
      "TERMS_UNREADABLE",
      `cannot read the terms document ${source} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
}

function sdkError(error: unknown): never {
  if (error instanceof HuzhuError) throw new CliError(error.code, error.message);
  throw error;
}

/** A period length: seconds, or a number of hours (`6h`) or days (`30d`). */
function parsePeriod(text: string): bigint {
  const match = /^([1-9][0-9]*)(s|h|d)?$/.exec(text);
  if (!match) throw new CliError("BAD_PERIOD", `--period must be seconds, or hours or days like 6h or 30d; got ${JSON.stringify(text)}`);
  const unit = match[2] === "d" ? 86_400n : match[2] === "h" ? 3_600n : 1n;
  return BigInt(match[1] as string) * unit;
}

function parseWhole(text: string, name: string, max: number): number {
  if (!/^(0|[1-9][0-9]*)$/.test(text) || Number(text) > max)
    throw new CliError("BAD_NUMBER", `${name} must be a whole number from 0 to ${max}, got ${JSON.stringify(text)}`);
  return Number(text);
}

interface CreateOptions extends ChainOptions, WalletOptions {
  name: string;
  token: string;
  contribution: string;
  period: string;
  waiting: string;
  cap: string;
  maxFeeBps: string;
  category: string;
  terms: string;
  termsUri?: string;
  admin?: string;
}

function setTerms(
  connection: PoolConnection,
  opts: WalletOptions,
  plan: { planId: bigint; admin: Address },
  terms: { category: number; termsHash: `0x${string}`; termsUri: string },
  out: Output,
) {
  return adminCall(connection, opts, plan, { functionName: "setPlanTerms", args: [plan.planId, terms] }, "set terms", out);
}

async function createPlan(opts: CreateOptions, out: Output): Promise<void> {
  const connection = await connectPool(opts);
  let tokenAddress: Address;
  if (opts.token === "demo") {
    if (!connection.demoToken)
      throw new CliError("NOT_DEMO_TOKEN", "--token demo works only with the local deployment, which has a demo token");
    tokenAddress = connection.demoToken;
  } else if (isAddress(opts.token, { strict: false })) {
    tokenAddress = getAddress(opts.token);
  } else {
    throw new CliError("BAD_ADDRESS", `--token must be the payout token's address (or "demo" locally), got ${JSON.stringify(opts.token)}`);
  }
  const token = await readToken(connection.client, tokenAddress);
  const contribution = parseAmount(opts.contribution, token.decimals, "--contribution");
  const claimCap = parseAmount(opts.cap, token.decimals, "--cap");
  const periodLength = parsePeriod(opts.period);
  const waitingPeriods = parseWhole(opts.waiting, "--waiting", 1_000);
  const maxFeeBps = parseWhole(opts.maxFeeBps, "--max-fee-bps", 1_000);
  let category: number;
  try {
    category = categoryIndex(opts.category);
  } catch (error) {
    sdkError(error);
  }
  const document = await readTermsDocument(opts.terms);
  const hash = termsHash(document);
  const account = await loadAccount(opts, connection, out);
  const admin = opts.admin === undefined ? account.address : parseAdmin(opts.admin);
  const wallet = walletClient(account, connection);
  const simulated = await connection.client.simulateContract({
    account,
    address: connection.pool,
    abi: huzhuPoolAbi,
    functionName: "createPlan",
    args: [{ token: tokenAddress, contribution, periodLength, waitingPeriods, claimCap, maxFeeBps, admin, name: opts.name }],
  });
  const { hash: createTx, receipt } = await sendSimulated(connection, wallet, simulated, out, "create plan");
  const [created] = parseEventLogs({ abi: huzhuPoolAbi, eventName: "PlanCreated", logs: receipt.logs });
  if (!created) throw new CliError("TX_REVERTED", `the create plan transaction ${createTx} created no plan`);
  const planId = created.args.planId;
  const uri = opts.termsUri ?? "";
  let termsTx: string | undefined;
  if (admin.toLowerCase() === account.address.toLowerCase()) {
    termsTx = (await setTerms(connection, opts, { planId, admin }, { category, termsHash: hash, termsUri: uri }, out)).hash;
  } else {
    out.warn(
      `the plan's admin ${admin} must set its terms: \`huzhu plan terms ${planId} --category ${opts.category} --terms ${opts.terms}\``,
    );
  }
  out.result(
    {
      planId: planId.toString(),
      name: opts.name,
      admin,
      token: tokenAddress,
      contribution: amountJson(contribution, token),
      periodLength: periodLength.toString(),
      waitingPeriods,
      claimCap: amountJson(claimCap, token),
      maxFeeBps,
      category: opts.category,
      termsHash: hash,
      termsUri: uri,
      txHash: createTx,
      ...(termsTx ? { termsTxHash: termsTx } : {}),
    },
    keyValues([
      ["created plan", `${planId} (${opts.name}), ${opts.category}`],
      [
        "rules",
        `${formatAmount(contribution, token)} per ${periodLength} s, ${waitingPeriods} waiting periods, cap ${formatAmount(claimCap, token)}, relayer fee at most ${(maxFeeBps / 100).toFixed(2)}%`,
      ],
      ["terms", `${hash}${uri ? ` (${uri})` : ""}`],
      ["admin", admin],
      ["transaction", createTx],
    ]),
  );
}

interface TermsOptions extends ChainOptions, WalletOptions {
  category: string;
  terms: string;
  termsUri?: string;
}

async function updateTerms(planIdText: string, opts: TermsOptions, out: Output): Promise<void> {
  const connection = await connectPool(opts);
  const { plan } = await requirePlan(connection, planIdText);
  let category: number;
  try {
    category = categoryIndex(opts.category);
  } catch (error) {
    sdkError(error);
  }
  const hash = termsHash(await readTermsDocument(opts.terms));
  const { hash: tx } = await setTerms(connection, opts, plan, { category, termsHash: hash, termsUri: opts.termsUri ?? "" }, out);
  out.result(
    { planId: plan.planId.toString(), category: opts.category, termsHash: hash, termsUri: opts.termsUri ?? "", txHash: tx },
    `plan ${plan.planId}'s terms are now ${hash} (${opts.category})`,
  );
}

async function showPlan(planIdText: string, opts: ChainOptions & { terms?: string }, out: Output): Promise<void> {
  const connection = await connectPool(opts);
  const { plan, token } = await requirePlan(connection, planIdText);
  const doc = plan.document;
  const source = opts.terms ?? (/^https?:\/\//.test(doc.termsUri) ? doc.termsUri : undefined);
  let termsCheck = "not checked (pass --terms <file or URL>)";
  let verified: boolean | undefined;
  if (doc.termsHash === NO_TERMS_HASH) {
    termsCheck = "none set: ask the plan's admin for them before joining";
  } else if (source !== undefined) {
    try {
      checkTermsDocument(await readTermsDocument(source), doc.termsHash);
    } catch (error) {
      sdkError(error);
    }
    verified = true;
    termsCheck = `the text at ${source} is the plan's (hash matches)`;
  }
  out.result(
    {
      ...planJson({ plan, token }),
      category: doc.category,
      termsHash: doc.termsHash,
      termsUri: doc.termsUri,
      ...(verified !== undefined ? { termsVerified: verified } : {}),
    },
    keyValues([
      ["plan", `${plan.planId} (${plan.name}), ${doc.category}${plan.active ? "" : ", paused"}`],
      [
        "rules",
        `${formatAmount(plan.contribution, token)} per period of ${plan.periodLength} s, ${plan.waitingPeriods} waiting periods, cap ${formatAmount(plan.claimCap, token)}, relayer fee at most ${(plan.maxFeeBps / 100).toFixed(2)}%`,
      ],
      ["terms", doc.termsHash === NO_TERMS_HASH ? "none" : `${doc.termsHash}${doc.termsUri ? ` at ${doc.termsUri}` : ""}`],
      ["terms check", termsCheck],
      ["members", plan.members.toString()],
      [
        "pool balance",
        `${formatAmount(plan.balance, token)} (contributions ${formatAmount(plan.contributed, token)}, donations ${formatAmount(plan.donated, token)})`,
      ],
      ["admin", plan.admin],
    ]),
  );
}

async function setActive(planIdText: string, active: boolean, opts: ChainOptions & WalletOptions, out: Output): Promise<void> {
  const connection = await connectPool(opts);
  const { plan } = await requirePlan(connection, planIdText);
  const { hash } = await adminCall(
    connection,
    opts,
    plan,
    { functionName: "setPlanActive", args: [plan.planId, active] },
    active ? "resume" : "pause",
    out,
  );
  out.result(
    { planId: plan.planId.toString(), active, txHash: hash },
    active
      ? `plan ${plan.planId} is active again: it takes joins and pays claims`
      : `plan ${plan.planId} is paused: no joins, renewals or claims until it resumes`,
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

  const plan = program.command("plan").description("create, show and run a plan");
  addWalletOptions(
    addChainOptions(
      plan
        .command("create")
        .description("create a plan (needs the pool's plan-creator role) and record its terms document's hash")
        .requiredOption("--name <name>", "the plan's name")
        .requiredOption("--token <address>", 'the payout and contribution token ("demo" for the local demo token)')
        .requiredOption("--contribution <amount>", `contribution per period, ${AMOUNT_HELP}`)
        .requiredOption("--period <length>", "period length: seconds, or hours or days like 6h or 30d")
        .requiredOption("--waiting <periods>", "waiting periods after joining before cover starts")
        .requiredOption("--cap <amount>", `most one claim may pay, ${AMOUNT_HELP}`)
        .requiredOption("--max-fee-bps <bps>", "largest relayer fee, in basis points of the amount (at most 1000)")
        .requiredOption("--category <category>", `what it covers: ${PLAN_CATEGORIES.join(", ")}`)
        .requiredOption("--terms <file or URL>", "the claim conditions and rules document; its hash goes on chain")
        .option("--terms-uri <url>", "where members can read the document (recorded with its hash)")
        .option("--admin <address>", "who runs the plan (default: this wallet)"),
    ),
  ).action(run<CreateOptions>(async ({ out, opts }) => createPlan(opts, out)));
  addChainOptions(
    plan
      .command("show <planId>")
      .description("a plan's rules, books and terms; the terms document is checked against the hash on chain")
      .option("--terms <file or URL>", "check this copy of the terms (default: the plan's terms URL, if it has one)"),
  ).action(run<ChainOptions & { terms?: string }, [string]>(async ({ out, opts }, planId) => showPlan(planId, opts, out)));
  addWalletOptions(
    addChainOptions(
      plan
        .command("terms <planId>")
        .description("plan admin: set the plan's category and terms document (every change is public)")
        .requiredOption("--category <category>", `what it covers: ${PLAN_CATEGORIES.join(", ")}`)
        .requiredOption("--terms <file or URL>", "the claim conditions and rules document; its hash goes on chain")
        .option("--terms-uri <url>", "where members can read the document"),
    ),
  ).action(run<TermsOptions, [string]>(async ({ out, opts }, planId) => updateTerms(planId, opts, out)));
  for (const [name, active] of [
    ["pause", false],
    ["resume", true],
  ] as const) {
    addWalletOptions(
      addChainOptions(
        plan
          .command(`${name} <planId>`)
          .description(`plan admin: ${active ? "resume a paused plan" : "pause the plan (no joins, renewals or claims)"}`),
      ),
    ).action(run<ChainOptions & WalletOptions, [string]>(async ({ out, opts }, planId) => setActive(planId, active, opts, out)));
  }
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
