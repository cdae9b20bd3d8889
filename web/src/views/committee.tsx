/**
 * A committee member's part of a case review: the committee's votes (the terms and reasons sealed
 * to this device opened here), the signing rounds, and this member's vote: approve terms (its own or
 * another member's), or decline with a reason. After an approval the page takes the next signing
 * step itself every second while the round is voting or signing: the share is signed here once k
 * approvals agree, and the committee's approval handed to the member. Nonces stay in page memory.
 */
import { useEffect, useState } from "preact/hooks";
import type { PlanInfo } from "../../../service/sdk/chain/pool.ts";
import type { ProposedTerms } from "../../../service/sdk/desk/committee.ts";
import {
  type CommitteeCaseView,
  type CommitteeSigner,
  continueSigning,
  openCommitteeCase,
  type SigningStep,
  voteToApprove,
  voteToDecline,
} from "../../../service/sdk/desk/committee-flows.ts";
import type { AssessorCaseView, AssessorSession } from "../../../service/sdk/desk/flows.ts";
import { ErrorNotice, Notice, useApp } from "../app-state.tsx";
import { formatAmount, type TokenInfo } from "../chain.ts";
import { formatUnitsPlain } from "../desk.ts";
import { type Explained, explain } from "../errors.ts";
import { type Translate, useT } from "../i18n.ts";

const POLL_MS = 1000;

function stepText(step: SigningStep, t: Translate): string {
  if (step.step === "waiting") return t("committeeWaiting", { k: step.threshold, x: step.approvals });
  if (step.step === "shared") return t("committeeShared");
  if (step.step === "decided") return t("committeeDecided");
  return t("committeeFailed", {
    members: step.round.failure?.members.join(", ") ?? "?",
    reason: step.round.failure?.reason ?? step.round.status,
  });
}

export function CommitteeVoting(props: {
  session: AssessorSession;
  signer: CommitteeSigner;
  view: AssessorCaseView;
  plan: PlanInfo;
  token: TokenInfo;
  /** Checks and reads the approval form's terms (as a single assessor's). */
  readTerms(form: FormData): ProposedTerms;
  /** Checks the decline form's reason. */
  readReason(form: FormData): string;
  onDecided(): void;
}) {
  const t = useT();
  const { config } = useApp();
  const { session, signer, view, token } = props;
  const me = signer.share.member;
  const [committee, setCommittee] = useState<CommitteeCaseView>();
  const [step, setStep] = useState<SigningStep>();
  const [error, setError] = useState<Explained>();
  const [busy, setBusy] = useState(false);
  const [prefill, setPrefill] = useState<ProposedTerms>();

  const myTerms = committee?.votes.find((v) => v.member === me && v.vote === "approve")?.terms;
  const decided = view.status === "approved" || view.status === "declined";
  const settled = step?.step === "decided" || step?.step === "failed";

  const refresh = async () => {
    try {
      const opened = await openCommitteeCase(session, view.caseId, signer);
      setCommittee(opened);
      const terms = opened.votes.find((v) => v.member === me && v.vote === "approve")?.terms;
      if (terms && !decided) {
        const next = await continueSigning(session, view, signer, terms);
        setStep(next);
        if (next.step === "decided") props.onDecided();
      }
    } catch (e) {
      setError(explain(e, t, config));
    }
  };

  useEffect(() => {
    setStep(undefined);
    setError(undefined);
    void refresh();
  }, [view.caseId, view.status]);

  // While the case is open and undecided, and no failure stopped this member's round: read again each second.
  useEffect(() => {
    if (decided || settled || error) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout>;
    const tick = async () => {
      await refresh();
      if (!stopped) timer = setTimeout(tick, POLL_MS);
    };
    timer = setTimeout(tick, POLL_MS);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [view.caseId, decided, settled, error, myTerms?.amount, myTerms?.expiresAtEpoch]);

  const vote = async (event: Event, cast: (form: FormData) => Promise<unknown>) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await cast(new FormData(event.currentTarget as HTMLFormElement));
      setStep(undefined);
      await refresh();
    } catch (e) {
      setError(explain(e, t, config));
    } finally {
      setBusy(false);
    }
  };

  const terms = prefill ?? myTerms;
  return (
    <section class="committee" data-testid="committee-voting" aria-labelledby="committee-heading">
      <h4 id="committee-heading">{t("committeeHeading")}</h4>
      {committee && committee.votes.length === 0 ? <p class="hint">{t("committeeNoVotes")}</p> : null}
      <ul class="votes">
        {committee?.votes.map((v) => (
          <li key={v.member} data-testid="committee-vote" data-member={v.member} data-vote={v.vote}>
            {v.vote === "decline"
              ? t("committeeVoteDecline", { member: v.member, reason: v.reason ?? "" })
              : v.terms
                ? t("committeeVoteApprove", {
                    member: v.member,
                    amount: formatAmount(v.terms.amount, token),
                    epoch: v.terms.expiresAtEpoch,
                  })
                : t("committeeVoteApproveSealed", { member: v.member })}{" "}
            {v.member === me ? t("committeeYou") : null}
            {v.terms && v.member !== me && !decided ? (
              <button type="button" data-testid="committee-agree" onClick={() => setPrefill(v.terms)}>
                {t("committeeAgree", { member: v.member })}
              </button>
            ) : null}
          </li>
        ))}
      </ul>
      <ul class="rounds">
        {committee?.rounds.map((r) => (
          <li key={r.sessionId} data-testid="committee-round" data-status={r.status}>
            {t("committeeRound", {
              amount: roundAmount(committee, r.message, token),
              status: t(`committeeRoundStatus_${r.status}`),
              approvals: r.approvals.join(", ") || "-",
              shares: r.shares.join(", ") || "-",
            })}
          </li>
        ))}
      </ul>
      {step ? (
        <Notice kind={step.step === "failed" ? "error" : "ok"}>
          <span data-testid="committee-step" data-step={step.step}>
            {stepText(step, t)}
          </span>
        </Notice>
      ) : null}
      {decided ? null : (
        <div class="columns">
          <ApproveForm
            key={`${terms?.amount}-${terms?.expiresAtEpoch}`}
            onSubmit={(e) => vote(e, (form) => voteToApprove(session, view, signer, props.readTerms(form)))}
            token={token}
            plan={props.plan}
            terms={terms ?? { amount: view.opened.document.amount, expiresAtEpoch: props.plan.currentEpoch + 2n }}
            busy={busy}
            idPrefix="committee-"
          />
          <DeclineForm
            onSubmit={(e) => vote(e, (form) => voteToDecline(session, view, signer, props.readReason(form)))}
            busy={busy}
            idPrefix="committee-"
          />
        </div>
      )}
      <ErrorNotice error={error} />
    </section>
  );
}

/** The amount a round signs, as the votes sealed to this device name it. */
function roundAmount(committee: CommitteeCaseView, message: string, token: TokenInfo): string {
  const terms = committee.votes.find((v) => v.message === message && v.terms)?.terms;
  return terms ? formatAmount(terms.amount, token) : "…";
}

/** The approval form (amount and expiry, prefilled with `terms`), for a single assessor or a committee member. */
export function ApproveForm(props: {
  onSubmit(event: Event): void;
  token: TokenInfo;
  plan: PlanInfo;
  terms: ProposedTerms;
  busy: boolean;
  idPrefix?: string;
}) {
  const t = useT();
  const heading = `${props.idPrefix ?? ""}approve-heading`;
  return (
    <form onSubmit={props.onSubmit} aria-labelledby={heading}>
      <h4 id={heading}>{t("assessorApproveHeading")}</h4>
      <label>
        {t("assessorApproveAmount", { symbol: props.token.symbol })}
        <input
          name="amount"
          inputMode="decimal"
          required
          autocomplete="off"
          class="amount"
          defaultValue={formatUnitsPlain(props.terms.amount, props.token)}
        />
      </label>
      <label>
        {t("assessorApproveExpires", { epoch: props.plan.currentEpoch })}
        <input
          name="expires"
          type="number"
          min={Number(props.plan.currentEpoch)}
          required
          defaultValue={String(props.terms.expiresAtEpoch)}
        />
      </label>
      <button type="submit" class="primary" disabled={props.busy}>
        {t("assessorApprove")}
      </button>
    </form>
  );
}

/** The decline form (a reason), for a single assessor or a committee member. */
export function DeclineForm(props: { onSubmit(event: Event): void; busy: boolean; idPrefix?: string }) {
  const t = useT();
  const heading = `${props.idPrefix ?? ""}decline-heading`;
  return (
    <form onSubmit={props.onSubmit} aria-labelledby={heading}>
      <h4 id={heading}>{t("assessorDeclineHeading")}</h4>
      <label>
        {t("assessorDeclineReason")}
        <textarea name="reason" rows={3} required />
      </label>
      <button type="submit" class="danger" disabled={props.busy}>
        {t("assessorDecline")}
      </button>
    </form>
  );
}
