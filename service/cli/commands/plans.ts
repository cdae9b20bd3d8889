/** `huzhu plans list | compare`: every plan's rules and books, read from the chain, side by side. */
import type { Command } from "commander";
import type { PlanInfo } from "../../sdk/chain/pool.ts";
import { listPlans } from "../../sdk/chain/pool.ts";
import { DeskClient } from "../../sdk/desk/client.ts";
import { type PlanApprovers, planApprovers } from "../../sdk/desk/plan-approvers.ts";
import { type HeldClaims, RelayerClient } from "../../sdk/relayer-client.ts";
import { run } from "../lib/action.ts";
import { amountJson, formatAmount } from "../lib/amounts.ts";
import {
  addChainOptions,
  type ChainOptions,
  connectPool,
  type PoolConnection,
  readToken,
  requirePlan,
  type TokenInfo,
} from "../lib/chain.ts";
import { type Output, table } from "../lib/output.ts";

export interface PlanView {
  plan: PlanInfo;
  token: TokenInfo;
  /** The claims a relayer holds for the plan until its pool can pay them (with --relayer). */
  held?: HeldClaims;
  /** Its assessor keys on chain and which are committees (k of n) by the desk's records. */
  approvers?: PlanApprovers;
}

interface PlansOptions extends ChainOptions {
  relayer?: string;
  desk?: string;
}

/**
 * Each plan's approvers: its assessor keys read from the chain and, with a desk (--desk or
 * HUZHU_DESK_URL), which of them are committees. A desk that does not answer is noted, not fatal.
 */
async function withApprovers(connection: PoolConnection, views: PlanView[], opts: PlansOptions, out: Output): Promise<PlanView[]> {
  const url = opts.desk ?? (process.env.HUZHU_DESK_URL || undefined);
  const desk = url ? new DeskClient(url) : undefined;
  return Promise.all(
    views.map(async (view) => {
      // The warning says the desk was silent; the JSON keeps the approvers as the chain gives them.
      const { deskSilent, ...approvers } = await planApprovers(connection.ref, view.plan.planId, desk);
      if (deskSilent) out.warn(`plan ${view.plan.planId}: committees not shown, the desk at ${url} did not answer (${deskSilent.reason})`);
      return { ...view, approvers };
    }),
  );
}

/** "3 of 5 committee, 1 assessor key alone" (the committees as the desk's records tell). */
export function approversText(a: PlanApprovers): string {
  if (a.keys === 0) return "none yet";
  const parts = a.committees.map((c) => `committee ${c.threshold} of ${c.size}`);
  if (a.singles > 0) parts.push(`${a.singles} assessor key${a.singles === 1 ? "" : "s"} alone`);
  return `any one of: ${parts.join(", ")}`;
}

/** Each plan's queue at the relayer: what members' approved claims wait for, so donors see the need. */
async function withHeld(views: PlanView[], relayerUrl: string | undefined): Promise<PlanView[]> {
  if (!relayerUrl) return views;
  const client = new RelayerClient(relayerUrl);
  return Promise.all(views.map(async (view) => ({ ...view, held: await client.heldClaims(view.plan.planId) })));
}

function duration(seconds: bigint): string {
  const s = Number(seconds);
  if (s % 86_400 === 0) return `${s / 86_400} day${s === 86_400 ? "" : "s"}`;
  if (s % 3_600 === 0) return `${s / 3_600} h`;
  return `${s} s`;
}

/** A plan's rules and books as JSON (`plans list`, `plans compare`, `plan show`). */
export function planJson({ plan, token, held, approvers }: PlanView) {
  return {
    planId: plan.planId.toString(),
    name: plan.name,
    admin: plan.admin,
    token: { address: token.address, symbol: token.symbol, decimals: token.decimals },
    contribution: amountJson(plan.contribution, token),
    periodLength: plan.periodLength.toString(),
    waitingPeriods: plan.waitingPeriods,
    claimCap: amountJson(plan.claimCap, token),
    maxFeeBps: plan.maxFeeBps,
    members: plan.members.toString(),
    balance: amountJson(plan.balance, token),
    contributed: amountJson(plan.contributed, token),
    donated: amountJson(plan.donated, token),
    claimsAtCapPayableNow: (plan.balance / plan.claimCap).toString(),
    paidOut: amountJson(plan.paidOut, token),
    fees: amountJson(plan.fees, token),
    active: plan.active,
    currentEpoch: plan.currentEpoch.toString(),
    ...(approvers ? { approvers } : {}),
    ...(held
      ? { waitingForFunds: { claims: held.claims, amount: amountJson(held.amount, token), firstExpiresAt: held.firstExpiresAt ?? null } }
      : {}),
  };
}

/** Rows of (label, value per plan). */
function planRows(views: PlanView[], tokenAddress = true): string[][] {
  const row = (label: string, value: (v: PlanView) => string) => [label, ...views.map(value)];
  return [
    row("plan", (v) => v.plan.planId.toString()),
    row("name", (v) => v.plan.name),
    row("token", (v) => (tokenAddress ? `${v.token.symbol} (${v.token.address})` : v.token.symbol)),
    row("contribution / period", (v) => formatAmount(v.plan.contribution, v.token)),
    row("period length", (v) => duration(v.plan.periodLength)),
    row("waiting periods", (v) => String(v.plan.waitingPeriods)),
    row("claim cap", (v) => formatAmount(v.plan.claimCap, v.token)),
    row("max relayer fee", (v) => `${(v.plan.maxFeeBps / 100).toFixed(2)}%`),
    ...(views.some((v) => v.approvers) ? [row("who approves a claim", (v) => (v.approvers ? approversText(v.approvers) : "-"))] : []),
    row("members", (v) => v.plan.members.toString()),
    row("pool balance", (v) => formatAmount(v.plan.balance, v.token)),
    row("of which donations", (v) => formatAmount(v.plan.donated, v.token)),
    row("claims at the cap it can pay now", (v) => (v.plan.balance / v.plan.claimCap).toString()),
    row("active", (v) => (v.plan.active ? "yes" : "no (paused)")),
    row("current epoch", (v) => v.plan.currentEpoch.toString()),
    ...(views.some((v) => v.held)
      ? [
          row("claims waiting for funds", (v) =>
            v.held
              ? `${v.held.claims} (${formatAmount(v.held.amount, v.token)}${v.held.claims > 0 && v.plan.balance < v.held.amount ? `, ${formatAmount(v.held.amount - v.plan.balance, v.token)} short` : ""})`
              : "-",
          ),
        ]
      : []),
  ];
}

async function withTokens(connection: PoolConnection, plans: PlanInfo[]): Promise<PlanView[]> {
  const tokens = new Map<string, Promise<TokenInfo>>();
  for (const plan of plans) if (!tokens.has(plan.token)) tokens.set(plan.token, readToken(connection.client, plan.token));
  return Promise.all(plans.map(async (plan) => ({ plan, token: await (tokens.get(plan.token) as Promise<TokenInfo>) })));
}

export function registerPlans(program: Command): void {
  const plans = program.command("plans").description("list and compare plans (rules, fees, members, balance)");

  addChainOptions(plans.command("list").description("every plan on the pool, one row each"))
    .option("--relayer <url>", "also show each plan's claims waiting for funds at this relayer")
    .option("--desk <url>", "claims desk whose committee records tell which assessor keys are committees (env HUZHU_DESK_URL)")
    .action(
      run<PlansOptions>(async ({ out, opts }) => {
        const connection = await connectPool(opts);
        const listed = await withTokens(connection, await listPlans(connection.ref));
        const views = await withHeld(await withApprovers(connection, listed, opts, out), opts.relayer);
        out.result({ pool: connection.pool, chainId: connection.chainId, plans: views.map(planJson) }, () => {
          if (views.length === 0) return "this pool has no plans yet";
          const rows = planRows(views, false);
          // Transpose: one row per plan, one column per field.
          const header = rows.map((r) => r[0] as string);
          const body = views.map((_, i) => rows.map((r) => r[i + 1] as string));
          return table([header, ...body]);
        });
      }),
    );

  addChainOptions(plans.command("compare <planIds...>").description("plans side by side, one column each"))
    .option("--relayer <url>", "also show each plan's claims waiting for funds at this relayer")
    .option("--desk <url>", "claims desk whose committee records tell which assessor keys are committees (env HUZHU_DESK_URL)")
    .action(
      run<PlansOptions, [string[]]>(async ({ out, opts }, ids) => {
        const connection = await connectPool(opts);
        const chosen: PlanView[] = [];
        for (const id of ids) chosen.push(await requirePlan(connection, id));
        const views = await withHeld(await withApprovers(connection, chosen, opts, out), opts.relayer);
        out.result({ pool: connection.pool, chainId: connection.chainId, plans: views.map(planJson) }, () => table(planRows(views)));
      }),
    );
}
