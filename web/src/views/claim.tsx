/**
 * A claim from the member's browser: the assessor's approval (a file, or the decision "My cases"
 * opened), a relayer and a recipient; the proof is made in the prover worker (progress bar, page
 * stays responsive), sent to the relayer, and followed to the payout; each claim sent is kept in
 * this browser (claim-records.ts) for "My membership".
 */
import { useEffect, useState } from "preact/hooks";
import { type Address, erc20Abi, formatEther, getAddress, isAddress } from "viem";
import { type Approval, type ApprovalFile, parseApproval, serializeApproval, verifyApproval } from "../../../service/sdk/assessor.ts";
import { type PlanInfo, readPlan } from "../../../service/sdk/chain/pool.ts";
import {
  type ClaimStatus,
  claimSubmission,
  gasDropOffer,
  quoteWithSuggestedDrop,
  RelayerClient,
  type RelayerInfo,
  verifyQuoteSignature,
} from "../../../service/sdk/relayer-client.ts";
import { Notice, useApp } from "../app-state.tsx";
import { formatAmount, poolRef, shortHex, type TokenInfo, tokenInfo } from "../chain.ts";
import { keepClaimRecord } from "../claim-records.ts";
import { BadQuote, ClaimFailed, type Explained, explain, UserMessage } from "../errors.ts";
import { type MessageKey, useT } from "../i18n.ts";

interface LoadedApproval {
  approval: Approval;
  file: ApprovalFile;
  plan: PlanInfo;
  token: TokenInfo;
  signatureOk: boolean;
}

export const STATUS_KEY: Record<ClaimStatus["status"], MessageKey> = {
  queued: "statusQueued",
  waiting_for_funds: "statusWaiting",
  submitted: "statusSubmitted",
  confirmed: "statusConfirmed",
  failed: "statusFailed",
};

export function ClaimView() {
  const t = useT();
  const { config, client, identity, keystore, payer, prover, approval: handed } = useApp();
  // An approval from "My cases" is loaded as if its file had been chosen, until the member chooses one.
  const [handedOver, setHandedOver] = useState(handed !== undefined);
  const [loaded, setLoaded] = useState<LoadedApproval>();
  const [approvalError, setApprovalError] = useState<Explained>();
  const [relayerUrl, setRelayerUrl] = useState(config.relayerUrl);
  const [relayer, setRelayer] = useState<RelayerInfo>();
  const [relayerError, setRelayerError] = useState<Explained>();
  const [recipient, setRecipient] = useState("");
  const [stage, setStage] = useState<string>();
  const [percent, setPercent] = useState<number>();
  const [status, setStatus] = useState<ClaimStatus>();
  const [done, setDone] = useState<string>();
  const [error, setError] = useState<Explained>();
  const [busy, setBusy] = useState(false);
  // On by default: a fresh address without gas cannot move its payout without a linking top-up.
  const [wantGasDrop, setWantGasDrop] = useState(true);
  const [dropNotice, setDropNotice] = useState<string>();
  const ref = poolRef(config, client);

  /** An approval file's JSON (chosen by the member, or handed over by "My cases"), checked and summarised. */
  const loadApproval = async (json: unknown) => {
    setLoaded(undefined);
    setApprovalError(undefined);
    try {
      const approval = parseApproval(json);
      const plan = await readPlan(ref, approval.planId);
      setLoaded({
        approval,
        file: serializeApproval(approval),
        plan,
        token: await tokenInfo(client, plan.token),
        signatureOk: verifyApproval(approval),
      });
    } catch (e) {
      setApprovalError(explain(e, t, config));
    }
  };
  const onApprovalFile = async (event: Event) => {
    const file = (event.currentTarget as HTMLInputElement).files?.[0];
    setHandedOver(false);
    if (!file) {
      setLoaded(undefined);
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(await file.text());
    } catch {
      json = undefined;
    }
    await loadApproval(json);
  };
  useEffect(() => {
    if (handedOver && handed) void loadApproval(handed);
  }, [handed]);

  const checkRelayer = async (): Promise<{ client: RelayerClient; info: RelayerInfo }> => {
    setRelayerError(undefined);
    const relayerClient = new RelayerClient(relayerUrl.trim());
    const info = await relayerClient.info();
    if (info.chainId !== config.chainId || info.pool.toLowerCase() !== config.pool.toLowerCase()) {
      throw new UserMessage(t("relayerOtherPool", { chainId: info.chainId, pool: info.pool }));
    }
    setRelayer(info);
    return { client: relayerClient, info };
  };
  useEffect(() => {
    checkRelayer().catch((e) => setRelayerError(explain(e, t, config)));
  }, []);

  const recipientProblem = !isAddress(recipient.trim())
    ? t("recipientInvalid")
    : payer && getAddress(recipient.trim()) === payer.address
      ? t("recipientIsWallet")
      : undefined;

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!identity || !loaded || recipientProblem) return;
    setBusy(true);
    setError(undefined);
    setStatus(undefined);
    setDone(undefined);
    setPercent(undefined);
    try {
      const to = getAddress(recipient.trim()) as Address;
      const { client: relayerClient, info } = await checkRelayer();
      setStage(t("stageQuote"));
      setDropNotice(undefined);
      const { planId, amount } = loaded.approval;
      const suggested = wantGasDrop ? await quoteWithSuggestedDrop(relayerClient, info, planId, amount) : undefined;
      if (suggested?.dropped?.reason === "fee-limit") setDropNotice(t("gasDropDropped"));
      const quote = suggested?.signed ?? (await relayerClient.quote(planId, amount));
      if (
        quote.quote.relayer.toLowerCase() !== info.relayer.toLowerCase() ||
        !(await verifyQuoteSignature(config.chainId, config.pool, quote))
      ) {
        throw new BadQuote(`the quote is not signed by the relayer ${info.relayer} for this pool`);
      }
      setStage(t("stageProve"));
      setPercent(0);
      const proved = await prover.prove(
        {
          artifacts: config.artifacts,
          rpcUrl: config.rpcUrl,
          pool: config.pool,
          fromBlock: config.deployBlock,
          identity: identity.export(),
          approval: loaded.file,
          recipient: to,
          relayer: quote.quote.relayer,
          fee: quote.quote.fee,
          gasDrop: quote.quote.gasDrop,
          treeServices: [relayerUrl.trim()],
        },
        (p) => setPercent(p.percent),
      );
      setStage(t("stageSubmit"));
      const reply = await relayerClient.submitClaim(claimSubmission(quote, proved.claimProof, to, proved.memberRootSeq));
      setStage(undefined);
      const record = {
        commitment: loaded.approval.commitment.toString(),
        planId: planId.toString(),
        id: reply.id,
        relayerUrl: relayerClient.baseUrl,
        amount: amount.toString(),
        fee: quote.quote.fee.toString(),
        sentAt: new Date().toISOString(),
      };
      keepClaimRecord({ ...record, status: "queued" });
      const final = await relayerClient.waitForClaim(reply.id, {
        intervalMs: 500,
        onUpdate: (update) => {
          setStatus(update);
          keepClaimRecord({ ...record, status: update.status, ...(update.txHash ? { txHash: update.txHash } : {}) });
        },
      });
      keepClaimRecord({ ...record, status: final.status, ...(final.txHash ? { txHash: final.txHash } : {}) });
      if (final.status === "failed") throw new ClaimFailed(final.code ?? "FAILED", final.reason ?? "");
      const received = await client.readContract({ address: loaded.token.address, abi: erc20Abi, functionName: "balanceOf", args: [to] });
      const paid = t("paidOut", {
        amount: formatAmount(BigInt(final.amount) - BigInt(final.fee), loaded.token),
        recipient: to,
        hash: final.txHash ?? "",
        balance: formatAmount(received, loaded.token),
      });
      const drop = BigInt(final.gasDrop);
      setDone(drop > 0n ? `${paid} ${t("gasDropPaid", { eth: formatEther(drop) })}` : paid);
    } catch (e) {
      setStage(undefined);
      setError(explain(e, t, { rpcUrl: config.rpcUrl }));
    } finally {
      setBusy(false);
    }
  };

  const a = loaded?.approval;
  const offer = relayer && a ? gasDropOffer(relayer, a.planId) : undefined;
  const expired = loaded && a ? loaded.plan.currentEpoch > a.expiresAtEpoch : false;
  const forYou = keystore && a ? a.commitment.toString() === keystore.commitment : false;
  return (
    <section aria-labelledby="claim-heading">
      <h2 id="claim-heading">{t("claimHeading")}</h2>
      <p class="intro">{t("claimIntro")}</p>
      {!identity ? <Notice kind="info">{t("needIdentity")}</Notice> : null}
      <form class="card" onSubmit={submit}>
        <fieldset>
          <legend>{t("approvalHeading")}</legend>
          {handedOver && handed ? (
            <p class="hint" data-testid="approval-from-case">
              {t("approvalFromCase")}
            </p>
          ) : null}
          <label>
            {t("approvalFile")}
            <input type="file" name="approval" accept="application/json,.json" onChange={onApprovalFile} data-testid="approval-file" />
          </label>
          {approvalError ? (
            <Notice kind="error" detail={approvalError.detail}>
              {approvalError.text}
            </Notice>
          ) : null}
          {loaded && a ? (
            <dl class="grid" data-testid="approval-summary">
              <dt>{t("approvalPlan")}</dt>
              <dd>
                #{a.planId.toString()} {loaded.plan.name}
              </dd>
              <dt>{t("approvalAmount")}</dt>
              <dd>{formatAmount(a.amount, loaded.token)}</dd>
              <dt>{t("approvalExpires")}</dt>
              <dd class={expired ? "bad" : "good"}>
                {a.expiresAtEpoch.toString()} —{" "}
                {expired ? t("expiredNow", { epoch: loaded.plan.currentEpoch }) : t("validNow", { epoch: loaded.plan.currentEpoch })}
              </dd>
              <dt>{t("approvalFor")}</dt>
              <dd class={forYou ? "good" : "bad"}>{forYou ? t("approvalForYou") : t("approvalForOther")}</dd>
              <dt>{t("approvalSignature")}</dt>
              <dd class={loaded.signatureOk ? "good" : "bad"}>{loaded.signatureOk ? t("signatureOk") : t("signatureBad")}</dd>
            </dl>
          ) : null}
        </fieldset>
        <fieldset>
          <legend>{t("relayerHeading")}</legend>
          <div class="row">
            <label class="grow">
              {t("relayerUrl")}
              <input type="url" value={relayerUrl} onInput={(e) => setRelayerUrl((e.currentTarget as HTMLInputElement).value)} />
            </label>
            <button type="button" onClick={() => checkRelayer().catch((e) => setRelayerError(explain(e, t, config)))}>
              {t("checkRelayer")}
            </button>
          </div>
          {relayer ? (
            <p class="hint" data-testid="relayer-info">
              {t("relayerInfo", { address: shortHex(relayer.relayer), bps: relayer.feePolicy.feeBps / 100, min: relayer.feePolicy.minFee })}
            </p>
          ) : null}
          {relayerError ? (
            <Notice kind="error" detail={relayerError.detail}>
              {relayerError.text}
            </Notice>
          ) : null}
          <label>
            {t("recipient")}
            <input
              name="recipient"
              value={recipient}
              placeholder="0x…"
              autocomplete="off"
              spellcheck={false}
              aria-invalid={recipient !== "" && recipientProblem !== undefined}
              onInput={(e) => setRecipient((e.currentTarget as HTMLInputElement).value)}
            />
          </label>
          {recipient !== "" && recipientProblem ? <p class="hint bad">{recipientProblem}</p> : null}
          {relayer && loaded && a ? (
            offer ? (
              <label class="check">
                <input
                  type="checkbox"
                  name="gas-drop"
                  checked={wantGasDrop}
                  onChange={(e) => setWantGasDrop((e.currentTarget as HTMLInputElement).checked)}
                />
                {t("gasDropOption", { eth: formatEther(offer.wei), cost: formatAmount(offer.cost, loaded.token) })}
              </label>
            ) : (
              <p class="hint" data-testid="gas-drop-none">
                {t("gasDropNone")}
              </p>
            )
          ) : null}
          {dropNotice ? <Notice kind="info">{dropNotice}</Notice> : null}
        </fieldset>
        <fieldset>
          <legend>{t("proveHeading")}</legend>
          <button type="submit" class="primary" disabled={busy || !identity || !loaded || recipientProblem !== undefined}>
            {t("proveButton")}
          </button>
          {stage ? <p aria-live="polite">{stage}</p> : null}
          {percent !== undefined ? (
            <div
              class="progress"
              role="progressbar"
              aria-label={t("stageProve")}
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={percent}
            >
              <div style={{ width: `${percent}%` }} />
              <span>{percent}%</span>
            </div>
          ) : null}
          {status ? (
            <p aria-live="polite" data-testid="claim-status" data-status={status.status}>
              {t("stageWait", { id: shortHex(status.id, 4), status: t(STATUS_KEY[status.status]) })}
              {status.txHash ? (
                <>
                  {" "}
                  · {t("transaction")} <span class="mono">{shortHex(status.txHash)}</span>
                </>
              ) : null}
            </p>
          ) : null}
          {done ? (
            <Notice kind="ok">
              <span data-testid="claim-done">{done}</span>
            </Notice>
          ) : null}
          {error ? (
            <Notice kind="error" detail={error.detail}>
              {error.text}
            </Notice>
          ) : null}
        </fieldset>
      </form>
    </section>
  );
}
