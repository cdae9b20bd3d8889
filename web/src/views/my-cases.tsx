/**
 * "My cases": the cases this identity filed from this browser (their records sealed under its key),
 * each read from the desk and decrypted here: status, the assessors' messages (signatures checked
 * against the plan's assessor set), the decision and its reason. The member replies with text and
 * files, sealed to the checked roster; an approval goes to the claim page with one button.
 */
import { useEffect, useState } from "preact/hooks";
import { type PlanInfo, readPlan } from "../../../service/sdk/chain/pool.ts";
import { type MemberCaseView, openCaseAsMember, replyAsMember } from "../../../service/sdk/desk/flows.ts";
import type { MemberCaseRecord } from "../../../service/sdk/desk/member-record.ts";
import type { CaseStatus } from "../../../service/sdk/desk/schemas.ts";
import type { Identity } from "../../../service/sdk/identity.ts";
import type { AssessorTree } from "../../../service/sdk/trees.ts";
import { ErrorNotice, Notice, useApp } from "../app-state.tsx";
import { formatAmount, poolRef, shortHex, type TokenInfo, tokenInfo } from "../chain.ts";
import { caseRecords, deskClient, evidenceOf, formatBytes, planAssessorTree } from "../desk.ts";
import { type Explained, explain } from "../errors.ts";
import { type MessageKey, useT } from "../i18n.ts";

export const STATUS_LABEL: Record<CaseStatus, MessageKey> = {
  uploading: "caseStatusUploading",
  new: "caseStatusNew",
  "more-asked": "caseStatusMoreAsked",
  replied: "caseStatusReplied",
  approved: "caseStatusApproved",
  declined: "caseStatusDeclined",
};

interface Loaded {
  record: MemberCaseRecord;
  view?: MemberCaseView;
  plan?: PlanInfo;
  token?: TokenInfo;
  tree?: AssessorTree;
  error?: Explained;
}

export const dateTime = (iso: string | number, lang: string) =>
  new Date(typeof iso === "number" ? iso * 1000 : iso).toLocaleString(lang, { dateStyle: "medium", timeStyle: "short" });

function CaseCard(props: { item: Loaded; identity: Identity; reload(): Promise<void> }) {
  const t = useT();
  const { config, setApproval, client } = useApp();
  const { item, identity } = props;
  const [files, setFiles] = useState<File[]>([]);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok?: string; error?: Explained }>();
  const view = item.view;
  const decision = view?.decision;

  const reply = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const text = String(new FormData(form).get("text") ?? "").trim();
    if (!text && files.length === 0) return;
    setBusy(true);
    setResult(undefined);
    try {
      const tree = item.tree ?? (await planAssessorTree(config, client, BigInt(item.record.planId)));
      await replyAsMember(
        { client: deskClient(config, { url: item.record.deskUrl }), identity, record: item.record, assessorTree: tree },
        text,
        await Promise.all(files.map(evidenceOf)),
      );
      form.reset();
      setFiles([]);
      setResult({ ok: t("caseReplySent") });
      await props.reload();
    } catch (e) {
      setResult({ error: explain(e, t, config) });
    } finally {
      setBusy(false);
    }
  };

  const replies = view ? new Map(view.thread.map((m) => [m.index, m])) : new Map();
  return (
    <article
      class="card case"
      data-testid="my-case"
      data-case={item.record.caseId}
      data-status={view?.status}
      aria-labelledby={`case-${item.record.caseId}`}
    >
      <h3 id={`case-${item.record.caseId}`}>
        {t("caseTitle", { id: shortHex(item.record.caseId, 4) })} {view ? <span class="badge">{t(STATUS_LABEL[view.status])}</span> : null}
      </h3>
      <dl class="grid">
        <dt>{t("plan")}</dt>
        <dd>
          #{item.record.planId} {item.plan?.name ?? ""}
        </dd>
        {view ? (
          <>
            <dt>{t("caseFiledAt")}</dt>
            <dd>{dateTime(view.reply.createdAt, t("locale"))}</dd>
          </>
        ) : null}
      </dl>
      {item.error ? (
        <Notice kind="error" detail={item.error.detail}>
          {item.error.text}
        </Notice>
      ) : null}
      {view && view.reply.messages.length > 0 ? (
        <ol class="thread" aria-label={t("caseMessages")}>
          {view.reply.messages.map((m) => {
            const opened = replies.get(m.index);
            const fromAssessor = m.sealed.from === "assessor";
            return (
              <li key={m.index} class={fromAssessor ? "from-assessor" : "from-member"} data-testid="case-message" data-from={m.sealed.from}>
                <small>
                  {fromAssessor ? t("caseFromAssessor") : t("caseFromYou")} · {dateTime(m.sentAt, t("locale"))}
                </small>
                {fromAssessor && opened?.from === "assessor" && opened.message ? (
                  <p class="text">{opened.message.text}</p>
                ) : (
                  <p class="hint">{t("caseYourMessageSealed")}</p>
                )}
              </li>
            );
          })}
        </ol>
      ) : null}
      {decision?.kind === "approve" ? (
        <Notice kind="ok">
          <span data-testid="case-approved">
            {t("caseApprovedText", {
              amount: item.token ? formatAmount(decision.approval.amount, item.token) : decision.approval.amount.toString(),
              epoch: decision.approval.expiresAtEpoch.toString(),
            })}
          </span>
          <button
            type="button"
            class="primary"
            onClick={() => {
              setApproval(decision.file);
              location.hash = "#/claim";
            }}
          >
            {t("caseClaimNow")}
          </button>
        </Notice>
      ) : null}
      {decision?.kind === "decline" ? (
        <Notice kind="error">
          <span data-testid="case-declined">{t("caseDeclinedText", { reason: decision.reason })}</span>
        </Notice>
      ) : null}
      {view && !decision && view.status !== "uploading" ? (
        <form onSubmit={reply} class="reply">
          <label>
            {t("caseReply")}
            <textarea name="text" rows={3} />
          </label>
          <label>
            {t("caseReplyFiles")}
            <input
              type="file"
              multiple
              data-testid="reply-files"
              onChange={(e) => setFiles(Array.from((e.currentTarget as HTMLInputElement).files ?? []))}
            />
          </label>
          {files.length > 0 ? (
            <ul class="files">
              {files.map((f) => (
                <li key={f.name}>
                  {f.name} <small>{formatBytes(f.size)}</small>
                </li>
              ))}
            </ul>
          ) : null}
          <button type="submit" disabled={busy}>
            {t("caseReplySend")}
          </button>
        </form>
      ) : null}
      {result?.ok ? <Notice kind="ok">{result.ok}</Notice> : null}
      <ErrorNotice error={result?.error} />
    </article>
  );
}

export function MyCasesView() {
  const t = useT();
  const { config, client, identity } = useApp();
  const [items, setItems] = useState<Loaded[]>();
  const [error, setError] = useState<Explained>();

  const load = async () => {
    if (!identity) return;
    setError(undefined);
    try {
      const records = await caseRecords(identity);
      const trees = new Map<string, Promise<AssessorTree>>();
      const plans = new Map<string, Promise<{ plan: PlanInfo; token: TokenInfo }>>();
      const loaded = await Promise.all(
        records.map(async (record): Promise<Loaded> => {
          try {
            if (!trees.has(record.planId)) trees.set(record.planId, planAssessorTree(config, client, BigInt(record.planId)));
            if (!plans.has(record.planId)) {
              plans.set(
                record.planId,
                readPlan(poolRef(config, client), BigInt(record.planId)).then(async (plan) => ({
                  plan,
                  token: await tokenInfo(client, plan.token),
                })),
              );
            }
            const [tree, onChain] = await Promise.all([trees.get(record.planId), plans.get(record.planId)]);
            if (!tree || !onChain) throw new Error(`plan ${record.planId} could not be read`);
            const { plan, token } = onChain;
            const view = await openCaseAsMember({
              client: deskClient(config, { url: record.deskUrl }),
              identity,
              record,
              assessorTree: tree,
            });
            return { record, view, plan, token, tree };
          } catch (e) {
            return { record, error: explain(e, t, config) };
          }
        }),
      );
      setItems(loaded);
    } catch (e) {
      setError(explain(e, t, config));
    }
  };
  useEffect(() => {
    void load();
  }, [identity]);

  return (
    <section aria-labelledby="cases-heading">
      <h2 id="cases-heading">{t("casesHeading")}</h2>
      <p class="intro">{t("casesIntro")}</p>
      {!identity ? <Notice kind="info">{t("needIdentity")}</Notice> : null}
      <ErrorNotice error={error} />
      {identity && !items && !error ? <p>{t("loading")}</p> : null}
      {items && items.length === 0 ? (
        <p>
          {t("casesNone")} <a href="#/file">{t("navFile")}</a>
        </p>
      ) : null}
      {identity ? items?.map((item) => <CaseCard key={item.record.caseId} item={item} identity={identity} reload={load} />) : null}
      {identity ? (
        <button type="button" onClick={() => load()}>
          {t("refresh")}
        </button>
      ) : null}
    </section>
  );
}
