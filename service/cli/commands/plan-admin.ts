/**
 * Running a plan: `huzhu plan create` (its rules, category and terms document), `plan show` (rules,
 * books and terms, the terms checked against the hash on chain), `plan terms`, `plan pause|resume`,
 * `plan propose-admin | accept-admin` (administration changes hands in two steps, so a mistyped
 * address loses nothing), `plan grace | close | refund` (closing a plan: the claim grace periods,
 * the announcement, then refunds registered and withdrawn by the wallets that paid), `plan officer |
 * admit` (admission vouchers), and `huzhu donate` (anyone gives to a plan's pool).
 */
import { readFile, writeFile } from "node:fs/promises";
import type { Command } from "commander";
import { type Address, getAddress, isAddress, parseEventLogs, zeroAddress } from "viem";
import { huzhuPoolAbi } from "../../sdk/chain/abi.ts";
import { signAdmissionVoucher, voucherToJson } from "../../sdk/chain/admission.ts";
import { closingPhase, readRefundDue, refundableMembers, refundShare } from "../../sdk/chain/closing.ts";
import { type ClosingTimetable, type PlanInfo, pendingPlanAdmin } from "../../sdk/chain/pool.ts";
import { HuzhuError } from "../../sdk/errors.ts";
import { toField } from "../../sdk/field.ts";
import { categoryIndex, checkTermsDocument, NO_TERMS_HASH, PLAN_CATEGORIES, termsHash } from "../../sdk/plan-terms.ts";
import { run } from "../lib/action.ts";
import { AMOUNT_HELP, amountJson, formatAmount, parseAmount } from "../lib/amounts.ts";
import {
  addChainOptions,
  addressOption,
  type ChainOptions,
  connectPool,
  type PoolConnection,
  readToken,
  requirePlan,
} from "../lib/chain.ts";
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
  const balance = books.contributed + books.donated - books.paidOut - books.fees - books.refunded;
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
  return addressOption(text, "the new admin");
}

/** Sends one of the plan admin's pool calls from this wallet, refused up front if it is not the plan's admin. */
async function adminCall(
  connection: PoolConnection,
  opts: WalletOptions,
  plan: { planId: bigint; admin: Address },
  call: {
    functionName:
      | "proposePlanAdmin"
      | "setPlanActive"
      | "setPlanTerms"
      | "setClaimGracePeriods"
      | "announceClosing"
      | "setAdmissionOfficer";
    args: readonly unknown[];
  },
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
  const pending = await pendingPlanAdmin(connection.ref, plan.planId);
  if (pending?.toLowerCase() !== account.address.toLowerCase()) {
    throw new CliError(
      "NOT_PROPOSED_ADMIN",
      pending === undefined
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
        { cause: error },
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
      undefined,
      { cause: error },
    );
  }
}

function sdkError(error: unknown): never {
  if (error instanceof HuzhuError) throw new CliError(error.code, error.message, undefined, { cause: error });
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
  claimGrace?: string;
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
  const claimGrace = parseWhole(opts.claimGrace ?? "0", "--claim-grace", 1_000);
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
    if (claimGrace > 0) {
      await adminCall(
        connection,
        opts,
        { planId, admin },
        { functionName: "setClaimGracePeriods", args: [planId, claimGrace] },
        "set claim grace",
        out,
      );
    }
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
      claimGracePeriods: claimGrace,
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
      claimGracePeriods: plan.claimGracePeriods,
      admissionRequired: plan.admissionRequired,
      ...(plan.closing ? { closing: closingJson(plan, plan.closing, await chainTime(connection)) } : {}),
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
      ["claim grace", `${plan.claimGracePeriods} period(s) after the closing epoch`],
      ["admission", plan.admissionRequired ? "each join needs the admission officer's voucher" : "open to anyone"],
      ...(plan.closing ? closingRows(plan, plan.closing, await chainTime(connection)) : []),
    ]),
  );
}

/** The chain's clock (the latest block's time), which the pool's timetable runs on. */
async function chainTime(connection: PoolConnection): Promise<bigint> {
  return (await connection.client.getBlock({ blockTag: "latest" })).timestamp;
}

const isoTime = (seconds: bigint) => new Date(Number(seconds) * 1000).toISOString();

function closingJson(plan: PlanInfo, closing: ClosingTimetable, now: bigint) {
  return {
    phase: closingPhase(closing, now, plan.currentEpoch),
    closingEpoch: closing.closingEpoch.toString(),
    lastClaimEpoch: closing.lastClaimEpoch.toString(),
    refundsFrom: isoTime(closing.refundsFrom),
    refundsPayableFrom: isoTime(closing.refundsPayableFrom),
    unpaidPeriods: closing.unpaidPeriods.toString(),
    refunded: closing.refunded.toString(),
  };
}

/** A closing plan's timetable as `plan show` prints it. */
function closingRows(plan: PlanInfo, closing: ClosingTimetable, now: bigint): Array<[string, string]> {
  const phase = {
    closing: "announced: no joins or renewals; claims as usual until the closing epoch ends",
    grace: `in its claim grace periods: claims as of epoch ${closing.closingEpoch} only`,
    registration: "claims ended: paying wallets register their refunds (`huzhu plan refund`)",
    payable: "registration ended: registered wallets withdraw their refunds (`huzhu plan refund`)",
  }[closingPhase(closing, now, plan.currentEpoch)];
  return [
    ["closing", phase],
    ["last epoch of cover", closing.closingEpoch.toString()],
    ["last claim epoch", `${closing.lastClaimEpoch} (claims as of epoch ${closing.closingEpoch})`],
    ["refund registration", `${isoTime(closing.refundsFrom)} to ${isoTime(closing.refundsPayableFrom)}`],
    ["refunds paid from", isoTime(closing.refundsPayableFrom)],
    ["refunds", `${closing.refunded} paid, ${closing.unpaidPeriods} registered periods not yet withdrawn`],
  ];
}

async function setGrace(planIdText: string, periodsText: string, opts: ChainOptions & WalletOptions, out: Output): Promise<void> {
  const periods = parseWhole(periodsText, "the claim grace", 1_000);
  const connection = await connectPool(opts);
  const { plan } = await requirePlan(connection, planIdText);
  if (plan.closing) throw new CliError("PLAN_CLOSING", `plan ${plan.planId} is closing: its rules are frozen`);
  const { hash } = await adminCall(
    connection,
    opts,
    plan,
    { functionName: "setClaimGracePeriods", args: [plan.planId, periods] },
    "set claim grace",
    out,
  );
  out.result(
    { planId: plan.planId.toString(), claimGracePeriods: periods, txHash: hash },
    `plan ${plan.planId} pays claims for ${periods} period(s) after its closing epoch`,
  );
}

/** A closing epoch: a number, `now` (the current epoch) or `+N` (N epochs from now). */
function parseClosingEpoch(text: string, current: bigint): bigint {
  if (text === "now") return current;
  const match = /^(\+)?(0|[1-9][0-9]*)$/.exec(text);
  if (!match) throw new CliError("BAD_EPOCH", `--epoch must be an epoch number, now, or +N epochs from now; got ${JSON.stringify(text)}`);
  const value = BigInt(match[2] as string);
  return match[1] ? current + value : value;
}

async function announceClosing(planIdText: string, opts: ChainOptions & WalletOptions & { epoch: string }, out: Output): Promise<void> {
  const connection = await connectPool(opts);
  const { plan } = await requirePlan(connection, planIdText);
  const closingEpoch = parseClosingEpoch(opts.epoch, plan.currentEpoch);
  if (plan.closing) {
    throw new CliError(
      "PLAN_CLOSING",
      `plan ${plan.planId} already announced its closing (last epoch of cover ${plan.closing.closingEpoch})`,
    );
  }
  if (closingEpoch < plan.currentEpoch) {
    throw new CliError("CLOSING_EPOCH_IN_PAST", `epoch ${closingEpoch} is past: plan ${plan.planId} is in epoch ${plan.currentEpoch}`);
  }
  const { hash } = await adminCall(
    connection,
    opts,
    plan,
    { functionName: "announceClosing", args: [plan.planId, closingEpoch] },
    "announce closing",
    out,
  );
  const closed = await readPlanAfter(connection, plan.planId);
  const closing = closed.closing as ClosingTimetable;
  out.result(
    { planId: plan.planId.toString(), ...closingJson(closed, closing, await chainTime(connection)), txHash: hash },
    keyValues([
      ["closing announced", `plan ${plan.planId} (${plan.name}): no more joins or renewals`],
      ...closingRows(closed, closing, await chainTime(connection)).slice(1),
      ["transaction", hash],
    ]),
  );
}

async function readPlanAfter(connection: PoolConnection, planId: bigint): Promise<PlanInfo> {
  return (await requirePlan(connection, planId.toString())).plan;
}

/** `plan refund`: in the registration window, registers this wallet's members; once refunds are payable, withdraws. */
async function refund(planIdText: string, opts: ChainOptions & WalletOptions, out: Output): Promise<void> {
  const connection = await connectPool(opts);
  const { plan, token } = await requirePlan(connection, planIdText);
  const closing = plan.closing;
  if (!closing) throw new CliError("PLAN_NOT_CLOSING", `plan ${plan.planId} has not announced its closing: there are no refunds`);
  const now = await chainTime(connection);
  const phase = closingPhase(closing, now, plan.currentEpoch);
  if (phase === "closing" || phase === "grace") {
    throw new CliError(
      "REFUNDS_NOT_OPEN",
      `plan ${plan.planId} still pays claims through epoch ${closing.lastClaimEpoch}: refund registration opens at ${isoTime(closing.refundsFrom)}`,
    );
  }
  const account = await loadAccount(opts, connection, out);
  const wallet = walletClient(account, connection);
  if (phase === "registration") {
    const members = await refundableMembers(connection, plan.planId, account.address);
    if (members.length === 0) {
      throw new CliError(
        "NOTHING_TO_REFUND",
        `${account.address} made the last payment for no member of plan ${plan.planId} with paid periods after epoch ${closing.closingEpoch} (or registered them already)`,
      );
    }
    const simulated = await connection.client.simulateContract({
      account,
      address: connection.pool,
      abi: huzhuPoolAbi,
      functionName: "registerRefund",
      args: [plan.planId, members.map((m) => m.commitment)],
    });
    const { hash } = await sendSimulated(connection, wallet, simulated, out, "register refund");
    const periods = members.reduce((sum, m) => sum + m.unusedPeriods, 0n);
    out.result(
      {
        planId: plan.planId.toString(),
        step: "registered",
        payer: account.address,
        members: members.map((m) => ({ commitment: m.commitment.toString(), periods: m.unusedPeriods.toString() })),
        periods: periods.toString(),
        payableFrom: isoTime(closing.refundsPayableFrom),
        txHash: hash,
      },
      keyValues([
        ["registered", `${members.length} member(s), ${periods} unused period(s), for ${account.address}`],
        ["withdraw from", `${isoTime(closing.refundsPayableFrom)} with \`huzhu plan refund ${plan.planId}\``],
        ["transaction", hash],
      ]),
    );
    return;
  }
  const due = await readRefundDue(connection, plan.planId, account.address);
  if (due.paid) throw new CliError("REFUND_ALREADY_PAID", `${account.address} has already withdrawn its refund from plan ${plan.planId}`);
  if (due.periods === 0n) {
    throw new CliError(
      "NO_REFUND_DUE",
      `${account.address} registered no refund in plan ${plan.planId} (registration ended ${isoTime(closing.refundsPayableFrom)})`,
    );
  }
  const expected = refundShare(plan.balance, due.periods, closing.unpaidPeriods);
  const simulated = await connection.client.simulateContract({
    account,
    address: connection.pool,
    abi: huzhuPoolAbi,
    functionName: "withdrawRefund",
    args: [plan.planId],
  });
  const { hash, receipt } = await sendSimulated(connection, wallet, simulated, out, "withdraw refund");
  const [event] = parseEventLogs({ abi: huzhuPoolAbi, eventName: "Refunded", logs: receipt.logs });
  const amount = event?.args.amount ?? expected;
  out.result(
    {
      planId: plan.planId.toString(),
      step: "withdrawn",
      payer: account.address,
      periods: due.periods.toString(),
      amount: amountJson(amount, token),
      txHash: hash,
    },
    keyValues([
      ["refunded", `${formatAmount(amount, token)} to ${account.address} for ${due.periods} period(s)`],
      ["transaction", hash],
    ]),
  );
}

async function setOfficer(planIdText: string, officerText: string, opts: ChainOptions & WalletOptions, out: Output): Promise<void> {
  const connection = await connectPool(opts);
  const { plan } = await requirePlan(connection, planIdText);
  const officer = officerText === "none" ? zeroAddress : parseAdmin(officerText);
  const { hash } = await adminCall(
    connection,
    opts,
    plan,
    { functionName: "setAdmissionOfficer", args: [plan.planId, officer] },
    "set admission officer",
    out,
  );
  out.result(
    { planId: plan.planId.toString(), officer, txHash: hash },
    officer === zeroAddress
      ? `plan ${plan.planId} is open: joins need no voucher`
      : `plan ${plan.planId} admits members only with a voucher from ${officer} (\`huzhu plan admit\`)`,
  );
}

/** A voucher's lifetime: hours or days like 12h or 7d. */
function parseLifetime(text: string): bigint {
  const match = /^([1-9][0-9]*)(h|d)$/.exec(text);
  if (!match) throw new CliError("BAD_DURATION", `--expires must be hours or days like 12h or 7d; got ${JSON.stringify(text)}`);
  return BigInt(match[1] as string) * (match[2] === "d" ? 86_400n : 3_600n);
}

async function admit(
  planIdText: string,
  commitmentText: string,
  opts: ChainOptions & WalletOptions & { expires: string; out?: string },
  out: Output,
): Promise<void> {
  let commitment: bigint;
  try {
    commitment = toField(commitmentText, "commitment");
  } catch (error) {
    throw new CliError("BAD_COMMITMENT", (error as Error).message, undefined, { cause: error });
  }
  const lifetime = parseLifetime(opts.expires);
  const connection = await connectPool(opts);
  const { plan } = await requirePlan(connection, planIdText);
  const officer = await connection.client.readContract({
    address: connection.pool,
    abi: huzhuPoolAbi,
    functionName: "admissionOfficer",
    args: [plan.planId],
  });
  const account = await loadAccount(opts, connection, out);
  if (officer.toLowerCase() !== account.address.toLowerCase()) {
    throw new CliError(
      "NOT_ADMISSION_OFFICER",
      officer === zeroAddress
        ? `plan ${plan.planId} has no admission officer: joins need no voucher`
        : `plan ${plan.planId}'s admission officer is ${officer}, not this wallet (${account.address})`,
      officer === zeroAddress ? `its admin names one with \`huzhu plan officer ${plan.planId} <address>\`` : undefined,
    );
  }
  const wallet = walletClient(account, connection);
  const voucher = await signAdmissionVoucher(
    { address: account.address, signTypedData: (typed) => wallet.signTypedData({ account, ...typed }) },
    {
      chainId: BigInt(await connection.client.getChainId()),
      pool: connection.pool,
      planId: plan.planId,
      commitment,
      expiresAt: (await chainTime(connection)) + lifetime,
    },
  );
  const json = voucherToJson(voucher);
  if (opts.out !== undefined) await writeFile(opts.out, `${JSON.stringify(json, null, 2)}\n`);
  out.result(
    json,
    opts.out === undefined
      ? JSON.stringify(json, null, 2)
      : `wrote a voucher admitting ${commitment} to plan ${plan.planId} until ${isoTime(voucher.expiresAt)} to ${opts.out}; the member joins with \`huzhu join ${plan.planId} --voucher ${opts.out}\``,
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
        .option("--admin <address>", "who runs the plan (default: this wallet)")
        .option("--claim-grace <periods>", "periods after the closing epoch in which claims are still paid (default 0)"),
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
    addChainOptions(
      plan.command("grace <planId> <periods>").description("plan admin: periods after the closing epoch in which claims are still paid"),
    ),
  ).action(
    run<ChainOptions & WalletOptions, [string, string]>(async ({ out, opts }, planId, periods) => setGrace(planId, periods, opts, out)),
  );
  addWalletOptions(
    addChainOptions(
      plan
        .command("close <planId>")
        .description("plan admin: announce the plan's closing (no more joins or renewals; claims through the grace periods; then refunds)")
        .requiredOption("--epoch <epoch>", "the plan's last epoch of cover: a number, now, or +N epochs from now"),
    ),
  ).action(
    run<ChainOptions & WalletOptions & { epoch: string }, [string]>(async ({ out, opts }, planId) => announceClosing(planId, opts, out)),
  );
  addWalletOptions(
    addChainOptions(
      plan
        .command("refund <planId>")
        .description("a closed plan's paying wallet: register its members' unused periods, then (after registration) withdraw its share"),
    ),
  ).action(run<ChainOptions & WalletOptions, [string]>(async ({ out, opts }, planId) => refund(planId, opts, out)));
  addWalletOptions(
    addChainOptions(
      plan
        .command("officer <planId> <address>")
        .description("plan admin: name the admission officer whose voucher every join needs; `none` opens the plan"),
    ),
  ).action(
    run<ChainOptions & WalletOptions, [string, string]>(async ({ out, opts }, planId, address) => setOfficer(planId, address, opts, out)),
  );
  addWalletOptions(
    addChainOptions(
      plan
        .command("admit <planId> <commitment>")
        .description("admission officer: sign a voucher that lets this commitment join the plan (EIP-712, used once)")
        .option("--expires <duration>", "how long the voucher is good: hours or days like 12h or 7d", "7d")
        .option("--out <file>", "write the voucher to this file (default: print it)"),
    ),
  ).action(
    run<ChainOptions & WalletOptions & { expires: string; out?: string }, [string, string]>(async ({ out, opts }, planId, commitment) =>
      admit(planId, commitment, opts, out),
    ),
  );
  addWalletOptions(
    addChainOptions(plan.command("accept-admin <planId>").description("become a plan's admin, once its admin proposed this wallet")),
  ).action(run<ChainOptions & WalletOptions, [string]>(async ({ out, opts }, planId) => acceptAdmin(planId, opts, out)));
}
