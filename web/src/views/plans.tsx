/**
 * Plans side by side (rules and books, who approves its claims (its committees' k of n), what each paid out in its last periods, the relayer's queue
 * of claims waiting for funds, a closing plan's timetable), the member's cover in each, and paying to join (with the admission officer's
 * voucher, checked before any transaction, where the plan requires one) or renew.
 */
import { useEffect, useState } from "preact/hooks";
import { type Address, erc20Abi, parseUnits } from "viem";
import { demoTokenAbi, huzhuPoolAbi } from "../../../service/sdk/chain/abi.ts";
import { type AdmissionVoucher, checkVoucherText, voucherArgument } from "../../../service/sdk/chain/admission.ts";
import { RECENT_PAYOUT_PERIODS, type RecentPayouts, recentPayouts } from "../../../service/sdk/chain/payouts.ts";
import { listPlans, type PlanInfo, type PoolRef } from "../../../service/sdk/chain/pool.ts";
import { loadMemberTreeFromServices } from "../../../service/sdk/chain/tree-source.ts";
import { type PlanApprovers, planApprovers } from "../../../service/sdk/desk/plan-approvers.ts";
import { ErrorCode, HuzhuError } from "../../../service/sdk/errors.ts";
import { checkTermsDocument, NO_TERMS_HASH } from "../../../service/sdk/plan-terms.ts";
import type { HeldClaims } from "../../../service/sdk/relayer-client.ts";
import { updateSiblings } from "../../../service/sdk/tree-update.ts";
import type { MemberRecord, MemberTree } from "../../../service/sdk/trees.ts";
import { Notice, useApp } from "../app-state.tsx";
import { devWallet, formatAmount, injectedProvider, injectedWallet, poolRef, send, type TokenInfo, tokenInfo } from "../chain.ts";
import { LOCAL_CHAIN_ID, type RuntimeConfig } from "../config.ts";
import { deskClient } from "../desk.ts";
import { type Explained, explain, UserMessage } from "../errors.ts";
import { heldClaimsOf, heldText } from "../held-claims.ts";
import { type Translate, useT } from "../i18n.ts";
import { IndexedDbSnapshotCache } from "../tree-cache.ts";

interface PlanRow {
  plan: PlanInfo;
  token: TokenInfo;
  member: MemberRecord | undefined;
  /** The relayer's held claims for the plan; undefined when the relayer did not answer. */
  queue: HeldClaims | undefined;
  /** Its claims paid in its last RECENT_PAYOUT_PERIODS periods, from the pool's ClaimPaid events. */
  payouts: RecentPayouts;
  /** Its assessor keys and which are committees; `deskSilent` when the desk's records could not be read. */
  approvers: PlanApprovers;
}

/** The plan's approvers: its assessor keys from the chain, its committees from the desk's checked records. */
function approversOf(config: RuntimeConfig, ref: PoolRef, planId: bigint): Promise<PlanApprovers> {
  return planApprovers(ref, planId, config.deskUrl ? deskClient(config) : undefined);
}

function approversText(t: Translate, a: PlanApprovers): string {
  const parts = a.committees.map((c) => t("approversCommittee", { k: c.threshold, n: c.size }));
  if (a.singles > 0) parts.push(t("approversSingles", { n: a.singles }));
  const lines = [a.keys === 0 ? t("approversNone") : t("approversAnyOf", { list: parts.join("; ") })];
  if (a.notInForce.length > 0) lines.push(t("approversNotInForce", { n: a.notInForce.length }));
  if (a.deskSilent) lines.push(t("approversDeskSilent"));
  return lines.join(" · ");
}

export function coverText(t: Translate, row: Pick<PlanRow, "plan" | "member">): string {
  const m = row.member;
  if (!m) return t("notMember");
  const now = row.plan.currentEpoch;
  if (now < m.eligibleFrom) return t("waitingUntil", { from: m.eligibleFrom });
  if (now > m.paidThrough) return t("lapsed", { to: m.paidThrough });
  return t("coveredThrough", { from: m.eligibleFrom, to: m.paidThrough });
}

/** `payments` counts the payments made on this page: the balance is read again after each. */
export function WalletBox(props: { payments: number }) {
  const t = useT();
  const { config, client, payer, setPayer } = useApp();
  const [index, setIndex] = useState(2);
  const [balance, setBalance] = useState<string>();
  const [error, setError] = useState<Explained>();
  const [busy, setBusy] = useState(false);
  const devAllowed = config.devWallet && config.chainId === LOCAL_CHAIN_ID;

  const refresh = async () => {
    if (!payer || !config.demoToken) return setBalance(undefined);
    const token = await tokenInfo(client, config.demoToken);
    const value = await client.readContract({ address: token.address, abi: erc20Abi, functionName: "balanceOf", args: [payer.address] });
    setBalance(formatAmount(value, token));
  };
  useEffect(() => {
    refresh().catch(() => {});
  }, [payer, props.payments]);

  const act = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (e) {
      setError(explain(e, t, config));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card" aria-labelledby="wallet-heading">
      <h3 id="wallet-heading">{t("walletHeading")}</h3>
      {devAllowed ? (
        <div class="row">
          <p class="dev-label" role="note">
            {t("devWalletLabel")}
          </p>
          <label>
            {t("devAccount")}
            <select value={String(index)} onChange={(e) => setIndex(Number((e.currentTarget as HTMLSelectElement).value))}>
              {Array.from({ length: 18 }, (_, i) => i + 2).map((i) => (
                <option key={i} value={String(i)}>
                  #{i}
                </option>
              ))}
            </select>
          </label>
          <button type="button" disabled={busy} onClick={() => act(async () => setPayer(await devWallet(config, index)))}>
            {t("useDevWallet")}
          </button>
        </div>
      ) : null}
      {injectedProvider() || !devAllowed ? (
        <button type="button" disabled={busy} onClick={() => act(async () => setPayer(await injectedWallet(config)))}>
          {t("connectWallet")}
        </button>
      ) : null}
      {payer ? (
        <dl class="inline">
          <dt>{t("walletAddress")}</dt>
          <dd class="mono" data-testid="payer">
            {payer.address} {payer.kind === "dev" ? "(dev)" : ""}
          </dd>
          {balance ? (
            <>
              <dt>{t("balanceOf")}</dt>
              <dd data-testid="payer-balance">{balance}</dd>
            </>
          ) : null}
        </dl>
      ) : null}
      {payer?.kind === "dev" && config.demoToken ? (
        <button
          type="button"
          disabled={busy}
          onClick={() =>
            act(async () => {
              const token = await tokenInfo(client, config.demoToken as Address);
              await send(client, payer, {
                address: token.address,
                abi: demoTokenAbi,
                functionName: "mint",
                args: [payer.address, 1_000n * 10n ** BigInt(token.decimals)],
              });
              await refresh();
            })
          }
        >
          {t("mintDemo")}
        </button>
      ) : null}
      {error ? (
        <Notice kind="error" detail={error.detail}>
          {error.text}
        </Notice>
      ) : null}
    </section>
  );
}

/** A plan's member tree from the relayer's snapshot (cached in IndexedDB, checked against the pool), else from events. */
/**
 * The plan's member tree as it is now (`latestRoot`, the pool's current root): this page shows the
 * member's cover right after they pay, so a tree service one block behind is passed over for events.
 */
async function pageMemberTree(
  config: RuntimeConfig,
  ref: PoolRef,
  planId: bigint,
  latestRoot: bigint,
  commitment?: bigint,
): Promise<MemberTree> {
  const servers = config.relayerUrl ? [config.relayerUrl] : [];
  return (await loadMemberTreeFromServices(ref, planId, { servers, cache: new IndexedDbSnapshotCache(), commitment, latestRoot })).tree;
}

/** The voucher typed or read from a file, checked as the pool will check it, for `commitment` joining `planId`. */
async function checkedVoucher(ref: PoolRef, planId: bigint, commitment: bigint, text: string, t: Translate): Promise<AdmissionVoucher> {
  if (text.trim() === "") throw new UserMessage(t("voucherNeeded", { planId, commitment }));
  return checkVoucherText(ref, text, planId, commitment);
}

export function PlansView() {
  const t = useT();
  const { config, client, keystore, payer } = useApp();
  const [rows, setRows] = useState<PlanRow[]>();
  const [error, setError] = useState<Explained>();
  const [result, setResult] = useState<{ planId: bigint; ok?: string; error?: Explained }>();
  const [busy, setBusy] = useState<bigint>();
  const [periods, setPeriods] = useState<Record<string, number>>({});
  const [payments, setPayments] = useState(0);
  const [gifts, setGifts] = useState<Record<string, string>>({});
  const [vouchers, setVouchers] = useState<Record<string, string>>({});
  const [termsChecks, setTermsChecks] = useState<Record<string, "ok" | "mismatch" | Explained>>({});
  const ref = poolRef(config, client);
  const commitment = keystore ? BigInt(keystore.commitment) : undefined;

  const load = async () => {
    setError(undefined);
    try {
      const plans = await listPlans(ref);
      const loaded = await Promise.all(
        plans.map(async (plan) => ({
          plan,
          token: await tokenInfo(client, plan.token),
          // The whole tree is read (a snapshot from the relayer, checked against the pool, or the
          // events): asking for one's own record would reveal interest in it.
          member: commitment === undefined ? undefined : (await pageMemberTree(config, ref, plan.planId, plan.memberRoot)).find(commitment),
          queue: await heldClaimsOf(config, plan.planId),
          payouts: await recentPayouts(ref, plan),
          approvers: await approversOf(config, ref, plan.planId),
        })),
      );
      setRows(loaded);
    } catch (e) {
      setError(explain(e, t, config));
    }
  };
  useEffect(() => {
    void load();
  }, [keystore?.commitment]);

  /** The payer holds `cost` of the plan's token (or a clear refusal says so), and the pool may take it. */
  const fund = async (row: PlanRow, cost: bigint) => {
    if (!payer) throw new UserMessage(t("needWallet"));
    const balance = await client.readContract({
      address: row.token.address,
      abi: erc20Abi,
      functionName: "balanceOf",
      args: [payer.address],
    });
    if (balance < cost) {
      const mint = payer.kind === "dev" && config.demoToken?.toLowerCase() === row.token.address.toLowerCase() ? t("mintHint") : "";
      throw new UserMessage(
        t("notEnoughTokens", { symbol: row.token.symbol, address: payer.address, need: formatAmount(cost, row.token), mint }),
      );
    }
    const allowance = await client.readContract({
      address: row.token.address,
      abi: erc20Abi,
      functionName: "allowance",
      args: [payer.address, config.pool],
    });
    if (allowance < cost) {
      await send(client, payer, { address: row.token.address, abi: erc20Abi, functionName: "approve", args: [config.pool, cost] });
    }
  };

  const pay = async (row: PlanRow, kind: "join" | "renew") => {
    const planId = row.plan.planId;
    setResult(undefined);
    if (commitment === undefined) return setResult({ planId, error: { text: t("needIdentity") } });
    if (!payer) return setResult({ planId, error: { text: t("needWallet") } });
    setBusy(planId);
    try {
      const n = periods[planId.toString()] ?? 3;
      const cost = row.plan.contribution * BigInt(n);
      // Checked before anything is sent: a wrong voucher costs no approval and no gas.
      const voucher =
        kind === "join" && row.plan.admissionRequired
          ? await checkedVoucher(ref, planId, commitment, vouchers[planId.toString()] ?? "", t)
          : undefined;
      await fund(row, cost);
      let hash: string;
      if (voucher) {
        hash = await send(client, payer, {
          address: config.pool,
          abi: huzhuPoolAbi,
          functionName: "joinWithVoucher",
          args: [planId, commitment, n, voucherArgument(voucher)],
        });
      } else if (kind === "join") {
        hash = await send(client, payer, { address: config.pool, abi: huzhuPoolAbi, functionName: "join", args: [planId, commitment, n] });
      } else {
        // The pool updates the leaf in place and needs its Merkle path, from the whole tree.
        const tree = await pageMemberTree(config, ref, planId, row.plan.memberRoot, commitment);
        const record = tree.find(commitment);
        if (!record) throw new UserMessage(t("errNotAMember"));
        hash = await send(client, payer, {
          address: config.pool,
          abi: huzhuPoolAbi,
          functionName: "renew",
          args: [planId, commitment, n, updateSiblings(tree.proof(record))],
        });
      }
      setResult({ planId, ok: t("joined", { hash }) });
      setPayments((n) => n + 1);
      await load();
    } catch (e) {
      setResult({ planId, error: explain(e, t, config) });
    } finally {
      setBusy(undefined);
    }
  };

  /** Fetches the plan's terms from its URL (untrusted) and compares their hash with the one on chain. */
  const checkTerms = async (row: PlanRow) => {
    const id = row.plan.planId.toString();
    try {
      const response = await fetch(row.plan.document.termsUri);
      if (!response.ok) throw new UserMessage(`HTTP ${response.status} from ${row.plan.document.termsUri}`);
      checkTermsDocument(new Uint8Array(await response.arrayBuffer()), row.plan.document.termsHash);
      setTermsChecks({ ...termsChecks, [id]: "ok" });
    } catch (e) {
      const mismatch = e instanceof HuzhuError && e.code === ErrorCode.TermsMismatch;
      setTermsChecks({ ...termsChecks, [id]: mismatch ? "mismatch" : explain(e, t, config) });
    }
  };

  const donate = async (row: PlanRow) => {
    const planId = row.plan.planId;
    setResult(undefined);
    if (!payer) return setResult({ planId, error: { text: t("needWallet") } });
    setBusy(planId);
    try {
      const text = gifts[planId.toString()] ?? "";
      if (!/^[0-9]+(\.[0-9]+)?$/.test(text) || Number(text) <= 0) throw new UserMessage(t("donateAmount"));
      const amount = parseUnits(text, row.token.decimals);
      await fund(row, amount);
      const hash = await send(client, payer, { address: config.pool, abi: huzhuPoolAbi, functionName: "donate", args: [planId, amount] });
      setResult({ planId, ok: t("donated", { hash }) });
      setPayments((n) => n + 1);
      await load();
    } catch (e) {
      setResult({ planId, error: explain(e, t, config) });
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <section aria-labelledby="plans-heading">
      <h2 id="plans-heading">{t("plansHeading")}</h2>
      <p class="intro">{t("plansIntro")}</p>
      <WalletBox payments={payments} />
      {error ? (
        <Notice kind="error" detail={error.detail}>
          {error.text}
        </Notice>
      ) : null}
      {!rows && !error ? <p>{t("loading")}</p> : null}
      <div class="plans">
        {rows?.map((row) => {
          const p = row.plan;
          const id = p.planId.toString();
          return (
            <article class="card plan" key={id} data-plan={id} aria-labelledby={`plan-${id}`}>
              <h3 id={`plan-${id}`}>
                #{id} {p.name} {p.active ? null : <span class="badge bad">{t("paused")}</span>}
              </h3>
              <dl class="grid">
                <dt>{t("category")}</dt>
                <dd>{t(`category_${p.document.category}`)}</dd>
                <dt>{t("contribution")}</dt>
                <dd>
                  {formatAmount(p.contribution, row.token)} {t("perPeriod", { days: Number(p.periodLength) / 86_400 })}
                </dd>
                <dt>{t("waiting")}</dt>
                <dd>{t("periodsN", { n: p.waitingPeriods })}</dd>
                <dt>{t("cap")}</dt>
                <dd>{formatAmount(p.claimCap, row.token)}</dd>
                <dt>{t("feeLimit")}</dt>
                <dd>{(p.maxFeeBps / 100).toFixed(2)}%</dd>
                <dt>{t("members")}</dt>
                <dd>{p.members.toString()}</dd>
                <dt>{t("balance")}</dt>
                <dd>{formatAmount(p.balance, row.token)}</dd>
                <dt>{t("donations")}</dt>
                <dd data-testid={`donated-${id}`}>{formatAmount(p.donated, row.token)}</dd>
                <dt>{t("canPayNow")}</dt>
                <dd>{(p.balance / p.claimCap).toString()}</dd>
                <dt>{t("approvers")}</dt>
                <dd data-testid={`approvers-${id}`}>{approversText(t, row.approvers)}</dd>
                <dt>{t("paidRecently", { n: RECENT_PAYOUT_PERIODS })}</dt>
                <dd data-testid={`paid-recently-${id}`}>
                  {t("paidRecentlyLine", {
                    claims: row.payouts.claims,
                    amount: formatAmount(row.payouts.amount, row.token),
                    from: row.payouts.fromEpoch,
                    to: row.payouts.toEpoch,
                  })}
                </dd>
                <dt>{t("heldQueue")}</dt>
                <dd data-testid={`queue-${id}`} class={row.queue ? undefined : "quiet"}>
                  {heldText(t, row.queue, row.plan.balance, row.token)}
                </dd>
                {p.closing ? (
                  <>
                    <dt>{t("closing")}</dt>
                    <dd data-testid={`closing-${id}`}>
                      {t("closingLine", {
                        closing: p.closing.closingEpoch,
                        last: p.closing.lastClaimEpoch,
                        from: new Date(Number(p.closing.refundsFrom) * 1000).toLocaleDateString(t("locale")),
                      })}
                    </dd>
                  </>
                ) : null}
                <dt>{t("admission")}</dt>
                <dd data-testid={`admission-${id}`}>{p.admissionRequired ? t("admissionByVoucher") : t("admissionOpen")}</dd>
                <dt>{t("terms")}</dt>
                <dd data-testid={`terms-${id}`}>
                  {p.document.termsHash === NO_TERMS_HASH ? (
                    t("noTerms")
                  ) : (
                    <>
                      {p.document.termsUri ? (
                        <a href={p.document.termsUri} target="_blank" rel="noreferrer noopener">
                          {p.document.termsUri}
                        </a>
                      ) : null}{" "}
                      <span class="mono">{p.document.termsHash.slice(0, 10)}…</span>{" "}
                      {p.document.termsUri ? (
                        <button type="button" onClick={() => checkTerms(row)}>
                          {t("checkTerms")}
                        </button>
                      ) : null}
                    </>
                  )}
                </dd>
                <dt>{t("status")}</dt>
                <dd data-testid={`cover-${id}`}>
                  {coverText(t, row)} <small>({t("epochNow", { epoch: p.currentEpoch })})</small>
                </dd>
              </dl>
              {p.admissionRequired && !row.member ? (
                <div class="fields" data-testid={`voucher-${id}`}>
                  <label>
                    {t("voucherFile")}
                    <input
                      type="file"
                      accept=".json,application/json"
                      data-testid={`voucher-file-${id}`}
                      onChange={async (e) => {
                        const file = (e.currentTarget as HTMLInputElement).files?.[0];
                        if (file) setVouchers({ ...vouchers, [id]: await file.text() });
                      }}
                    />
                  </label>
                  <label>
                    {t("voucherText")}
                    <textarea
                      class="mono"
                      rows={4}
                      spellcheck={false}
                      value={vouchers[id] ?? ""}
                      onInput={(e) => setVouchers({ ...vouchers, [id]: (e.currentTarget as HTMLTextAreaElement).value })}
                    />
                  </label>
                </div>
              ) : null}
              <div class="row">
                <label>
                  {t("periods")}
                  <input
                    type="number"
                    min={1}
                    max={120}
                    value={periods[id] ?? 3}
                    onInput={(e) => setPeriods({ ...periods, [id]: Number((e.currentTarget as HTMLInputElement).value) })}
                  />
                </label>
                <button
                  type="button"
                  class="primary"
                  disabled={busy !== undefined || !p.active}
                  onClick={() => pay(row, row.member ? "renew" : "join")}
                >
                  {busy === p.planId ? t("paying") : row.member ? t("renew") : t("join")}
                </button>
              </div>
              {termsChecks[id] === "ok" ? <Notice kind="ok">{t("termsOk")}</Notice> : null}
              {termsChecks[id] === "mismatch" ? <Notice kind="error">{t("termsMismatch")}</Notice> : null}
              {typeof termsChecks[id] === "object" ? (
                <Notice kind="error" detail={(termsChecks[id] as Explained).detail}>
                  {(termsChecks[id] as Explained).text}
                </Notice>
              ) : null}
              <div class="row">
                <label>
                  {t("donateAmount")} ({row.token.symbol})
                  <input
                    inputMode="decimal"
                    value={gifts[id] ?? ""}
                    onInput={(e) => setGifts({ ...gifts, [id]: (e.currentTarget as HTMLInputElement).value })}
                  />
                </label>
                <button type="button" disabled={busy !== undefined} onClick={() => donate(row)}>
                  {t("donate")}
                </button>
              </div>
              {result?.planId === p.planId && result.ok ? <Notice kind="ok">{result.ok}</Notice> : null}
              {result?.planId === p.planId && result.error ? (
                <Notice kind="error" detail={result.error.detail}>
                  {result.error.text}
                </Notice>
              ) : null}
            </article>
          );
        })}
      </div>
      <button type="button" onClick={() => load()}>
        {t("refresh")}
      </button>
    </section>
  );
}
