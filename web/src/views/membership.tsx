/**
 * "My membership": the plans this identity belongs to, what it paid and when, its cover, its cases
 * at the desk and the claims it sent from this browser with their payouts. Built in the page from
 * public chain data (every plan's joins and renewals, filtered here, so no query names the
 * commitment) and the records this browser keeps; nothing about the member is sent to build it.
 */
import { useEffect, useState } from "preact/hooks";
import { listPlans, type PlanInfo, poolLogs } from "../../../service/sdk/chain/pool.ts";
import type { MemberCaseRecord } from "../../../service/sdk/desk/member-record.ts";
import { ErrorNotice, Notice, useApp } from "../app-state.tsx";
import { formatAmount, poolRef, shortHex, type TokenInfo, tokenInfo } from "../chain.ts";
import { type ClaimRecord, claimRecords } from "../claim-records.ts";
import { caseRecords } from "../desk.ts";
import { type Explained, explain } from "../errors.ts";
import { useT } from "../i18n.ts";
import { STATUS_KEY } from "./claim.tsx";
import { dateTime } from "./my-cases.tsx";
import { coverText } from "./plans.tsx";

interface Payment {
  joined: boolean;
  paid: bigint;
  eligibleFrom: bigint;
  paidThrough: bigint;
  blockNumber: bigint;
  /** Unix seconds of its block. */
  time: bigint;
}

interface MembershipRow {
  plan: PlanInfo;
  token: TokenInfo;
  payments: Payment[];
  cases: MemberCaseRecord[];
  claims: ClaimRecord[];
}

export function MembershipView() {
  const t = useT();
  const { config, client, keystore, identity } = useApp();
  const [rows, setRows] = useState<MembershipRow[]>();
  const [error, setError] = useState<Explained>();
  const commitment = keystore?.commitment;

  const load = async () => {
    if (commitment === undefined) return;
    setError(undefined);
    try {
      const ref = poolRef(config, client);
      const wanted = BigInt(commitment);
      const [plans, logs, cases] = await Promise.all([
        listPlans(ref),
        // Every plan's joins and renewals: filtering by commitment on the node would tell it whose they are.
        poolLogs(ref, ["MemberJoined", "MemberRenewed"]),
        identity ? caseRecords(identity) : Promise.resolve(undefined),
      ]);
      const mine = logs.filter((log) => (log.args as { commitment: bigint }).commitment === wanted);
      const times = new Map<bigint, Promise<bigint>>();
      for (const log of mine) {
        if (!times.has(log.blockNumber))
          times.set(
            log.blockNumber,
            client.getBlock({ blockNumber: log.blockNumber }).then((b) => b.timestamp),
          );
      }
      const claims = claimRecords(commitment);
      const loaded: MembershipRow[] = [];
      for (const plan of plans) {
        const id = plan.planId;
        const payments: Payment[] = [];
        for (const log of mine) {
          const a = log.args as { planId: bigint; paid: bigint; eligibleFrom: bigint; paidThrough: bigint };
          if (a.planId !== id) continue;
          payments.push({
            joined: log.eventName === "MemberJoined",
            paid: a.paid,
            eligibleFrom: a.eligibleFrom,
            paidThrough: a.paidThrough,
            blockNumber: log.blockNumber,
            time: await (times.get(log.blockNumber) as Promise<bigint>),
          });
        }
        const planCases = (cases ?? []).filter((c) => c.planId === id.toString());
        const planClaims = claims.filter((c) => c.planId === id.toString());
        if (payments.length === 0 && planCases.length === 0 && planClaims.length === 0) continue;
        loaded.push({ plan, token: await tokenInfo(client, plan.token), payments, cases: planCases, claims: planClaims });
      }
      setRows(loaded);
    } catch (e) {
      setError(explain(e, t, config));
    }
  };
  useEffect(() => {
    void load();
  }, [commitment, identity]);

  const when = (seconds: bigint) => dateTime(Number(seconds), t("locale"));

  return (
    <section aria-labelledby="membership-heading">
      <h2 id="membership-heading">{t("membershipHeading")}</h2>
      <p class="intro">{t("membershipIntro")}</p>
      {commitment === undefined ? <Notice kind="info">{t("needIdentity")}</Notice> : null}
      <ErrorNotice error={error} />
      {commitment !== undefined && !rows && !error ? <p>{t("loading")}</p> : null}
      {rows && rows.length === 0 ? (
        <p>
          {t("membershipNone")} <a href="#/plans">{t("navPlans")}</a>
        </p>
      ) : null}
      {rows?.map((row) => {
        const id = row.plan.planId.toString();
        const last = row.payments.at(-1);
        const member = last
          ? { commitment: BigInt(commitment ?? 0), eligibleFrom: last.eligibleFrom, paidThrough: last.paidThrough }
          : undefined;
        const total = row.payments.reduce((sum, p) => sum + p.paid, 0n);
        return (
          <article class="card" key={id} data-testid={`membership-${id}`} aria-labelledby={`membership-${id}-heading`}>
            <h3 id={`membership-${id}-heading`}>
              #{id} {row.plan.name}
            </h3>
            <dl class="grid">
              <dt>{t("category")}</dt>
              <dd>{t(`category_${row.plan.document.category}`)}</dd>
              <dt>{t("status")}</dt>
              <dd data-testid={`membership-cover-${id}`}>
                {coverText(t, { plan: row.plan, member })} <small>({t("epochNow", { epoch: row.plan.currentEpoch })})</small>
              </dd>
              <dt>{t("paidInAll")}</dt>
              <dd data-testid={`membership-paid-${id}`}>{formatAmount(total, row.token)}</dd>
            </dl>
            <h4>{t("payments")}</h4>
            <ul data-testid={`membership-payments-${id}`}>
              {row.payments.length === 0 ? <li>{t("noneYet")}</li> : null}
              {row.payments.map((p) => (
                <li key={p.blockNumber.toString()}>
                  {t("paymentLine", {
                    date: when(p.time),
                    block: p.blockNumber,
                    kind: p.joined ? t("paymentJoined") : t("paymentRenewed"),
                    amount: formatAmount(p.paid, row.token),
                    from: p.eligibleFrom,
                    to: p.paidThrough,
                  })}
                </li>
              ))}
            </ul>
            <h4>{t("casesAtDesk")}</h4>
            {identity ? (
              <ul data-testid={`membership-cases-${id}`}>
                {row.cases.length === 0 ? <li>{t("noneYet")}</li> : null}
                {row.cases.map((c) => (
                  <li key={c.caseId}>
                    <a href="#/cases">{t("caseLine", { caseId: shortHex(c.caseId, 4), eventId: shortHex(c.eventId, 4) })}</a>
                  </li>
                ))}
              </ul>
            ) : (
              <p class="quiet">{t("casesLocked")}</p>
            )}
            <h4>{t("claimsHere")}</h4>
            <ul data-testid={`membership-claims-${id}`}>
              {row.claims.length === 0 ? <li>{t("noneYet")}</li> : null}
              {row.claims.map((c) => (
                <li key={`${c.relayerUrl}-${c.id}`}>
                  {c.status === "confirmed" && c.txHash
                    ? t("claimPaidLine", {
                        date: dateTime(c.sentAt, t("locale")),
                        amount: formatAmount(BigInt(c.amount), row.token),
                        payout: formatAmount(BigInt(c.amount) - BigInt(c.fee), row.token),
                        hash: shortHex(c.txHash),
                      })
                    : t("claimLine", {
                        date: dateTime(c.sentAt, t("locale")),
                        amount: formatAmount(BigInt(c.amount), row.token),
                        status: t(STATUS_KEY[c.status]),
                      })}
                </li>
              ))}
            </ul>
          </article>
        );
      })}
      {commitment !== undefined ? (
        <button type="button" onClick={() => load()}>
          {t("refresh")}
        </button>
      ) : null}
    </section>
  );
}
