/**
 * The assessor's area: sign in with the key file (opened in this page; the desk's challenge is
 * signed here and the assessor's roster entry published), the plan's queue, and a case decrypted
 * in this page with its evidence shown; ask the member for more, approve (the approval signed here,
 * sealed to the member) or decline with a reason. The key stays in this page's memory.
 */
import { useEffect, useState } from "preact/hooks";
import { listPlans, type PlanInfo, readPlan } from "../../../service/sdk/chain/pool.ts";
import type { ProposedTerms } from "../../../service/sdk/desk/committee.ts";
import {
  type AssessorCaseView,
  approveCase,
  askForMore,
  declineCase,
  openCaseAsAssessor,
  publishRosterEntry,
  signIn,
} from "../../../service/sdk/desk/flows.ts";
import type { CaseStatus, QueueReply } from "../../../service/sdk/desk/schemas.ts";
import type { HeldClaims } from "../../../service/sdk/relayer-client.ts";
import { ErrorNotice, Notice, useApp } from "../app-state.tsx";
import { formatAmount, poolRef, shortHex, type TokenInfo, tokenInfo } from "../chain.ts";
import { deskUrlOf } from "../config.ts";
import {
  AssessorKeyFileError,
  type AssessorSignIn,
  deskClient,
  formatBytes,
  keyFileNeedsPassword,
  openAssessorKeyFile,
  openCommitteeSigner,
  typedAmount,
} from "../desk.ts";
import { type Explained, explain, UserMessage } from "../errors.ts";
import { heldClaimsOf, heldText } from "../held-claims.ts";
import { type MessageKey, type Translate, useT } from "../i18n.ts";
import { ApproveForm, CommitteeVoting, DeclineForm } from "./committee.tsx";
import { Evidence } from "./evidence.tsx";
import { dateTime, STATUS_LABEL } from "./my-cases.tsx";

const KEY_FILE_ERRORS: Record<AssessorKeyFileError["reason"], MessageKey> = {
  "not-a-key-file": "assessorBadKeyFile",
  "password-needed": "assessorPasswordNeeded",
  "wrong-password": "assessorWrongPassword",
  "key-mismatch": "assessorBadKeyFile",
  "committee-not-a-key-file": "committeeBadKeyFile",
  "committee-wrong-password": "committeeWrongPassword",
  "committee-unknown": "committeeUnknown",
  "committee-not-member": "committeeNotMember",
};

function explainKey(error: unknown, t: Translate, where: { rpcUrl?: string }): Explained {
  if (error instanceof AssessorKeyFileError)
    return { text: t(KEY_FILE_ERRORS[error.reason], { member: error.member ?? "" }), detail: error.message };
  return explain(error, t, where);
}

async function jsonOf(file: File, reason: "not-a-key-file" | "committee-not-a-key-file"): Promise<unknown> {
  try {
    return JSON.parse(await file.text());
  } catch {
    throw new AssessorKeyFileError(reason, "the file is not JSON");
  }
}

function SignInForm() {
  const t = useT();
  const { config, client, setAssessor } = useApp();
  const [plans, setPlans] = useState<PlanInfo[]>();
  const [encrypted, setEncrypted] = useState(false);
  const [committee, setCommittee] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Explained>();

  useEffect(() => {
    listPlans(poolRef(config, client)).then(setPlans, (e) => setError(explain(e, t, config)));
  }, []);

  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const file = form.get("key");
    setBusy(true);
    setError(undefined);
    try {
      if (!(file instanceof File) || file.size === 0) throw new UserMessage(t("assessorChooseKey"));
      const json = await jsonOf(file, "not-a-key-file");
      const assessorKey = await openAssessorKeyFile(json, String(form.get("password") ?? ""));
      const planId = BigInt(String(form.get("plan") ?? "1"));
      const desk = deskClient(config);
      const session = await signIn(desk, assessorKey, planId);
      const committeeFile = form.get("committee");
      const committee =
        committeeFile instanceof File && committeeFile.size > 0
          ? await openCommitteeSigner(
              desk,
              await jsonOf(committeeFile, "committee-not-a-key-file"),
              String(form.get("committeePassword") ?? ""),
              planId,
              assessorKey,
            )
          : undefined;
      await publishRosterEntry(desk, session.token, assessorKey, planId);
      setAssessor({
        session: { client: desk, token: session.token, assessorKey },
        planId,
        expiresAt: session.expiresAt,
        ...(committee ? { committee } : {}),
      });
    } catch (e) {
      setError(explainKey(e, t, config));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card" onSubmit={submit} aria-labelledby="sign-in-heading">
      <h3 id="sign-in-heading">{t("assessorSignInHeading")}</h3>
      <p class="hint">{t("assessorSignInHint")}</p>
      <label>
        {t("assessorKeyFile")}
        <input
          name="key"
          type="file"
          accept="application/json,.json"
          data-testid="assessor-key-file"
          onChange={async (e) => {
            const chosen = (e.currentTarget as HTMLInputElement).files?.[0];
            try {
              setEncrypted(chosen ? keyFileNeedsPassword(JSON.parse(await chosen.text())) : false);
            } catch {
              setEncrypted(false);
            }
          }}
        />
      </label>
      {encrypted ? (
        <label>
          {t("assessorKeyPassword")}
          <input name="password" type="password" autocomplete="current-password" required />
        </label>
      ) : null}
      <label>
        {t("committeeKeyFile")}
        <input
          name="committee"
          type="file"
          accept="application/json,.json"
          data-testid="committee-key-file"
          onChange={(e) => setCommittee(((e.currentTarget as HTMLInputElement).files?.length ?? 0) > 0)}
        />
      </label>
      <p class="hint">{t("committeeKeyHint")}</p>
      {committee ? (
        <label>
          {t("committeeKeyPassword")}
          <input name="committeePassword" type="password" autocomplete="off" required data-testid="committee-key-password" />
        </label>
      ) : null}
      <label>
        {t("plan")}
        <select name="plan">
          {plans?.map((p) => (
            <option key={p.planId.toString()} value={p.planId.toString()}>
              #{p.planId.toString()} {p.name}
            </option>
          ))}
        </select>
      </label>
      <p class="hint">{t("assessorDesk", { url: deskUrlOf(config) })}</p>
      <button type="submit" class="primary" disabled={busy || !plans}>
        {t("assessorSignIn")}
      </button>
      <ErrorNotice error={error} />
    </form>
  );
}

const GROUPS: { key: MessageKey; statuses: CaseStatus[] }[] = [
  { key: "queueNew", statuses: ["new", "replied"] },
  { key: "queueMoreAsked", statuses: ["more-asked"] },
  { key: "queueDecided", statuses: ["approved", "declined"] },
];

/** `version` counts the queue's reloads: the case is read again with each. */
function CaseReview(props: {
  signedIn: AssessorSignIn;
  caseId: string;
  version: number;
  plan: PlanInfo;
  token: TokenInfo;
  onChanged(): void;
  onClose(): void;
}) {
  const t = useT();
  const { config } = useApp();
  const { signedIn, plan, token } = props;
  const [view, setView] = useState<AssessorCaseView>();
  const [error, setError] = useState<Explained>();
  const [result, setResult] = useState<{ ok?: string; error?: Explained }>();
  const [busy, setBusy] = useState(false);

  const open = async () => {
    setError(undefined);
    try {
      setView(await openCaseAsAssessor(signedIn.session, props.caseId));
    } catch (e) {
      setError(explain(e, t, config));
    }
  };
  useEffect(() => {
    setView(undefined);
  }, [props.caseId]);
  useEffect(() => {
    void open();
  }, [props.caseId, props.version]);

  const act = async (event: Event, action: (form: FormData, view: AssessorCaseView) => Promise<string>) => {
    event.preventDefault();
    if (!view) return;
    const element = event.currentTarget as HTMLFormElement;
    setBusy(true);
    setResult(undefined);
    try {
      const ok = await action(new FormData(element), view);
      element.reset();
      setResult({ ok });
      props.onChanged();
    } catch (e) {
      setResult({ error: explain(e, t, config) });
    } finally {
      setBusy(false);
    }
  };

  const ask = (event: Event) =>
    act(event, async (form, v) => {
      const text = String(form.get("text") ?? "").trim();
      if (!text) throw new UserMessage(t("assessorAskEmpty"));
      await askForMore(signedIn.session, v, text);
      return t("assessorAsked");
    });
  /** The approval form's terms, checked against the plan and the amount asked. */
  const readTerms = (form: FormData, v: AssessorCaseView): ProposedTerms => {
    const amount = typedAmount(String(form.get("amount") ?? ""), token, plan.claimCap, t);
    if (amount > v.opened.document.amount) throw new UserMessage(t("assessorOverAsked"));
    const epochText = String(form.get("expires") ?? "");
    if (!/^[0-9]+$/.test(epochText) || BigInt(epochText) < plan.currentEpoch) {
      throw new UserMessage(t("assessorExpiryInvalid", { epoch: plan.currentEpoch }));
    }
    return { amount, expiresAtEpoch: BigInt(epochText) };
  };
  const readReason = (form: FormData): string => {
    const reason = String(form.get("reason") ?? "").trim();
    if (!reason) throw new UserMessage(t("assessorReasonEmpty"));
    return reason;
  };
  const approve = (event: Event) =>
    act(event, async (form, v) => {
      await approveCase(signedIn.session, v, readTerms(form, v));
      return t("assessorApproved");
    });
  const decline = (event: Event) =>
    act(event, async (form, v) => {
      await declineCase(signedIn.session, v, readReason(form));
      return t("assessorDeclined");
    });

  const d = view?.opened.document;
  const decided = view?.status === "approved" || view?.status === "declined";
  return (
    <article
      class="card case"
      data-testid="case-review"
      data-case={props.caseId}
      data-status={view?.status}
      aria-labelledby="review-heading"
    >
      <div class="row spread">
        <h3 id="review-heading">
          {t("caseTitle", { id: shortHex(props.caseId, 4) })} {view ? <span class="badge">{t(STATUS_LABEL[view.status])}</span> : null}
        </h3>
        <button type="button" onClick={props.onClose}>
          {t("assessorBackToQueue")}
        </button>
      </div>
      <ErrorNotice error={error} />
      {!view && !error ? <p aria-live="polite">{t("assessorDecrypting")}</p> : null}
      {view && d ? (
        <>
          <dl class="grid" data-testid="case-details">
            <dt>{t("caseCategory")}</dt>
            <dd>{t(`category_${d.category}`)}</dd>
            <dt>{t("caseDate")}</dt>
            <dd>{d.dateOfLoss}</dd>
            <dt>{t("caseAmountAsked")}</dt>
            <dd>{formatAmount(d.amount, token)}</dd>
            <dt>{t("caseMember")}</dt>
            <dd class="mono">{shortHex(d.commitment.toString(), 8)}</dd>
            <dt>{t("caseFiledAt")}</dt>
            <dd>{dateTime(view.reply.createdAt, t("locale"))}</dd>
          </dl>
          <h4>{t("caseDescription")}</h4>
          <p class="text" data-testid="case-description">
            {d.description}
          </p>
          <h4>{t("caseEvidence")}</h4>
          {view.files.length === 0 ? <p class="hint">{t("caseNoFiles")}</p> : null}
          <div class="evidence-list">
            {view.files.map((f) => (
              <Evidence key={f.entry.sha256} file={{ name: f.entry.name, type: f.entry.type, bytes: f.bytes }} />
            ))}
          </div>
          {view.thread.length > 0 ? (
            <>
              <h4>{t("caseMessages")}</h4>
              <ol class="thread">
                {view.thread.map((m) => (
                  <li key={m.index} class={`from-${m.from}`} data-testid="case-message" data-from={m.from}>
                    <small>
                      {m.from === "member" ? t("caseFromMember") : t("caseFromAssessors")} · {dateTime(m.sentAt, t("locale"))}
                    </small>
                    {m.from === "member" ? (
                      <>
                        <p class="text">{m.message.text}</p>
                        <div class="evidence-list">
                          {m.message.attachments.map((a, i) => (
                            <Evidence key={`${m.index}-${i}`} file={a} />
                          ))}
                        </div>
                      </>
                    ) : (
                      <p class="hint">{t("caseSealedToMember")}</p>
                    )}
                  </li>
                ))}
              </ol>
            </>
          ) : null}
          {signedIn.committee ? (
            <CommitteeVoting
              session={signedIn.session}
              signer={signedIn.committee}
              view={view}
              plan={plan}
              token={token}
              readTerms={(form) => readTerms(form, view)}
              readReason={readReason}
              onDecided={props.onChanged}
            />
          ) : null}
          {decided ? null : (
            <div class="columns">
              <form onSubmit={ask} aria-labelledby="ask-heading">
                <h4 id="ask-heading">{t("assessorAskHeading")}</h4>
                <label>
                  {t("assessorAskText")}
                  <textarea name="text" rows={3} required />
                </label>
                <button type="submit" disabled={busy}>
                  {t("assessorAsk")}
                </button>
              </form>
              {signedIn.committee ? null : (
                <>
                  <ApproveForm
                    onSubmit={approve}
                    token={token}
                    plan={plan}
                    terms={{ amount: d.amount, expiresAtEpoch: plan.currentEpoch + 2n }}
                    busy={busy}
                  />
                  <DeclineForm onSubmit={decline} busy={busy} />
                </>
              )}
            </div>
          )}
        </>
      ) : null}
      {result?.ok ? (
        <Notice kind="ok">
          <span data-testid="review-done">{result.ok}</span>
        </Notice>
      ) : null}
      <ErrorNotice error={result?.error} />
    </article>
  );
}

function Queue(props: { signedIn: AssessorSignIn }) {
  const t = useT();
  const { config, client, setAssessor } = useApp();
  const { signedIn } = props;
  const [queue, setQueue] = useState<QueueReply>();
  const [plan, setPlan] = useState<{ plan: PlanInfo; token: TokenInfo }>();
  const [held, setHeld] = useState<HeldClaims>();
  const [caseId, setCaseId] = useState<string>();
  const [version, setVersion] = useState(0);
  const [error, setError] = useState<Explained>();

  const load = async () => {
    setError(undefined);
    setVersion((n) => n + 1);
    try {
      const [reply, info, waiting] = await Promise.all([
        signedIn.session.client.queue(signedIn.planId, signedIn.session.token),
        readPlan(poolRef(config, client), signedIn.planId),
        heldClaimsOf(config, signedIn.planId),
      ]);
      setQueue(reply);
      setHeld(waiting);
      setPlan({ plan: info, token: await tokenInfo(client, info.token) });
    } catch (e) {
      setError(explain(e, t, config));
    }
  };
  useEffect(() => {
    void load();
  }, [signedIn]);

  const [x] = signedIn.session.assessorKey.publicKey;
  return (
    <>
      <div class="card row spread">
        <p data-testid="assessor-signed-in">
          {t("assessorSignedIn", { key: shortHex(x.toString(), 6), plan: signedIn.planId.toString() })}
        </p>
        {plan ? (
          <p data-testid="assessor-held">
            {t("heldQueue")}: {heldText(t, held, plan.plan.balance, plan.token)}
          </p>
        ) : null}
        {signedIn.committee ? (
          <p data-testid="committee-member">
            {t("committeeMember", {
              member: signedIn.committee.share.member,
              k: signedIn.committee.share.keySet.threshold,
              n: signedIn.committee.share.keySet.size,
            })}
          </p>
        ) : null}
        <div class="row">
          <button type="button" onClick={() => load()}>
            {t("refresh")}
          </button>
          <button type="button" onClick={() => setAssessor(undefined)}>
            {t("assessorSignOut")}
          </button>
        </div>
      </div>
      <ErrorNotice error={error} />
      {caseId && plan ? (
        <CaseReview
          signedIn={signedIn}
          caseId={caseId}
          version={version}
          plan={plan.plan}
          token={plan.token}
          onChanged={() => void load()}
          onClose={() => setCaseId(undefined)}
        />
      ) : null}
      {queue ? (
        <div class="columns" data-testid="queue">
          {GROUPS.map((group) => {
            const cases = queue.cases.filter((c) => group.statuses.includes(c.status));
            return (
              <section class="card" key={group.key} aria-labelledby={`queue-${group.key}`} data-testid={`queue-${group.key}`}>
                <h3 id={`queue-${group.key}`}>
                  {t(group.key)} <span class="badge">{cases.length}</span>
                </h3>
                {cases.length === 0 ? <p class="hint">{t("queueEmpty")}</p> : null}
                <ul class="queue">
                  {cases.map((c) => (
                    <li key={c.caseId}>
                      <button
                        type="button"
                        class="case-link"
                        aria-current={c.caseId === caseId ? "true" : undefined}
                        onClick={() => setCaseId(c.caseId)}
                      >
                        <span class="mono">{shortHex(c.caseId, 4)}</span> <span class="badge">{t(STATUS_LABEL[c.status])}</span>
                        <small>
                          {dateTime(c.createdAt, t("locale"))} · {t("queueFiles", { n: c.files })} · {formatBytes(c.bytes)} ·{" "}
                          {t("queueMessages", { n: c.messages })}
                        </small>
                      </button>
                    </li>
                  ))}
                </ul>
              </section>
            );
          })}
        </div>
      ) : null}
    </>
  );
}

export function AssessorView() {
  const t = useT();
  const { assessor, setAssessor } = useApp();
  const expired = assessor !== undefined && assessor.expiresAt * 1000 <= Date.now();
  useEffect(() => {
    if (expired) setAssessor(undefined);
  }, [expired]);
  return (
    <section aria-labelledby="assessor-heading">
      <h2 id="assessor-heading">{t("assessorHeading")}</h2>
      <p class="intro">{t("assessorIntro")}</p>
      {assessor && !expired ? <Queue signedIn={assessor} /> : <SignInForm />}
    </section>
  );
}
