/**
 * The auditor's view, from chain data alone: every plan's books and every paid claim, each claim's
 * proof re-verified here against the published verification key (batch verification, then one by
 * one for the failures), and the pool's verifier checked against that key.
 */
import { useEffect, useState } from "preact/hooks";
import { type Address, isAddress } from "viem";
import { bigintToHex } from "../../../service/sdk/bytes.ts";
import { huzhuPoolAbi } from "../../../service/sdk/chain/abi.ts";
import type { PoolClaimRequest } from "../../../service/sdk/chain/claim.ts";
import { listPlans, type PlanInfo, poolLogs } from "../../../service/sdk/chain/pool.ts";
import { encodePublicSignals, fromSolidityProof, type Groth16Proof, type SolidityProof } from "../../../service/sdk/encoding.ts";
import type { VerificationKey } from "../../../service/sdk/prover.ts";
import { Notice, useApp } from "../app-state.tsx";
import { formatAmount, poolRef, shortHex, type TokenInfo, tokenInfo } from "../chain.ts";
import { type Explained, explain, UserMessage } from "../errors.ts";
import { useT } from "../i18n.ts";

interface AuditedClaim {
  planId: bigint;
  block: bigint;
  txHash: string;
  amount: bigint;
  fee: bigint;
  recipient: Address;
  nullifier: bigint;
  verified: boolean;
}

interface AuditResult {
  plans: Array<{ plan: PlanInfo; token: TokenInfo }>;
  claims: AuditedClaim[];
  verifierMatchesKey: boolean;
}

async function verifyAll(vkey: VerificationKey, items: Array<{ proof: Groth16Proof; publicSignals: string[] }>): Promise<boolean[]> {
  if (items.length === 0) return [];
  // Loaded on demand: the pairing code is large and only auditors need it.
  const { Groth16BatchVerifier } = await import("../../../service/sdk/batch-verify.ts");
  const verifier = await Groth16BatchVerifier.create(vkey);
  return verifier.verify(items);
}

export function AuditView() {
  const t = useT();
  const { config, client } = useApp();
  const params = new URLSearchParams(location.search);
  const [pool, setPool] = useState(params.get("pool") ?? config.pool);
  const [fromBlock, setFromBlock] = useState(params.get("fromBlock") ?? String(config.deployBlock));
  const [result, setResult] = useState<AuditResult>();
  const [error, setError] = useState<Explained>();
  const [busy, setBusy] = useState(false);

  const audit = async () => {
    setBusy(true);
    setError(undefined);
    setResult(undefined);
    try {
      if (!isAddress(pool.trim())) throw new UserMessage(t("errNotPoolAddress", { pool }));
      const ref = poolRef(config, client, pool.trim() as Address, Number(fromBlock) || 0);
      const [plans, logs, vkey, verifierAddress] = await Promise.all([
        listPlans(ref),
        poolLogs(ref, ["ClaimPaid"]),
        fetch(config.artifacts.verificationKey).then((r) => r.json() as Promise<VerificationKey>),
        client.readContract({ address: ref.pool, abi: huzhuPoolAbi, functionName: "VERIFIER" }),
      ]);
      const { checkVerifier } = await import("../../../service/auditor/verifier-key.ts");
      const verifierCheck = await checkVerifier(client, verifierAddress, vkey, await client.getBlockNumber());
      const claims = logs.map((log) => {
        const args = log.args as unknown as {
          request: PoolClaimRequest;
          context: bigint;
          proof: SolidityProof;
        };
        const r = args.request;
        const publicSignals = encodePublicSignals({
          memberRoot: r.memberRoot,
          assessorRoot: r.assessorRoot,
          nullifier: r.nullifier,
          planId: r.planId,
          claimEpoch: r.claimEpoch,
          amount: r.amount,
          context: args.context,
        });
        return { log, r, item: { proof: fromSolidityProof(args.proof), publicSignals } };
      });
      const verdicts = await verifyAll(
        vkey,
        claims.map((c) => c.item),
      );
      setResult({
        plans: await Promise.all(plans.map(async (plan) => ({ plan, token: await tokenInfo(client, plan.token) }))),
        claims: claims.map((c, i) => ({
          planId: c.r.planId,
          block: c.log.blockNumber,
          txHash: c.log.transactionHash,
          amount: c.r.amount,
          fee: c.r.fee,
          recipient: c.r.recipient,
          nullifier: c.r.nullifier,
          verified: verdicts[i] === true,
        })),
        verifierMatchesKey: verifierCheck.missing.length === 0 && verifierCheck.rejectsInvalidProof,
      });
    } catch (e) {
      setError(explain(e, t, config));
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    void audit();
  }, []);

  const ok = result?.claims.filter((c) => c.verified).length ?? 0;
  const tokenOf = (planId: bigint) => result?.plans.find((p) => p.plan.planId === planId)?.token;
  return (
    <section aria-labelledby="audit-heading">
      <h2 id="audit-heading">{t("auditHeading")}</h2>
      <p class="intro">{t("auditIntro")}</p>
      <form
        class="card row"
        onSubmit={(event) => {
          event.preventDefault();
          void audit();
        }}
      >
        <label class="grow">
          {t("poolAddress")}
          <input name="pool" value={pool} spellcheck={false} onInput={(e) => setPool((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <label>
          {t("fromBlock")}
          <input
            name="fromBlock"
            type="number"
            min={0}
            value={fromBlock}
            onInput={(e) => setFromBlock((e.currentTarget as HTMLInputElement).value)}
          />
        </label>
        <button type="submit" class="primary" disabled={busy}>
          {t("runAudit")}
        </button>
      </form>
      {busy ? <p aria-live="polite">{t("auditing")}</p> : null}
      {error ? (
        <Notice kind="error" detail={error.detail}>
          {error.text}
        </Notice>
      ) : null}
      {result ? (
        <>
          <p data-testid="audit-summary" data-claims={result.claims.length} data-failed={result.claims.length - ok}>
            {t("summary", { claims: result.claims.length, ok, bad: result.claims.length - ok })} · {t("vkey")}:{" "}
            <span class={result.verifierMatchesKey ? "good" : "bad"} data-testid="verifier-check">
              {result.verifierMatchesKey ? t("verified") : t("failedProof")}
            </span>
          </p>
          <h3>{t("books")}</h3>
          <div class="table-wrap">
            <table class="stack">
              <thead>
                <tr>
                  <th scope="col">{t("plan")}</th>
                  <th scope="col">{t("contributed")}</th>
                  <th scope="col">{t("payouts")}</th>
                  <th scope="col">{t("fees")}</th>
                  <th scope="col">{t("balance")}</th>
                </tr>
              </thead>
              <tbody>
                {result.plans.map(({ plan, token }) => (
                  <tr key={plan.planId.toString()}>
                    <th scope="row" data-label={t("plan")}>
                      #{plan.planId.toString()} {plan.name}
                    </th>
                    <td data-label={t("contributed")}>{formatAmount(plan.contributed, token)}</td>
                    <td data-label={t("payouts")}>{formatAmount(plan.paidOut, token)}</td>
                    <td data-label={t("fees")}>{formatAmount(plan.fees, token)}</td>
                    <td data-label={t("balance")}>{formatAmount(plan.balance, token)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <h3>{t("claims")}</h3>
          {result.claims.length === 0 ? <p>{t("noClaims")}</p> : null}
          <div class="table-wrap">
            <table class="stack" data-testid="claims-table">
              <thead>
                <tr>
                  <th scope="col">{t("block")}</th>
                  <th scope="col">{t("plan")}</th>
                  <th scope="col">{t("amount")}</th>
                  <th scope="col">{t("fees")}</th>
                  <th scope="col">{t("recipientShort")}</th>
                  <th scope="col">{t("nullifier")}</th>
                  <th scope="col">{t("proof")}</th>
                  <th scope="col">{t("transaction")}</th>
                </tr>
              </thead>
              <tbody>
                {result.claims.map((c) => (
                  <tr key={c.txHash} data-verified={String(c.verified)}>
                    <td data-label={t("block")}>{c.block.toString()}</td>
                    <td data-label={t("plan")}>#{c.planId.toString()}</td>
                    <td data-label={t("amount")}>{formatAmount(c.amount, tokenOf(c.planId))}</td>
                    <td data-label={t("fees")}>{formatAmount(c.fee, tokenOf(c.planId))}</td>
                    <td data-label={t("recipientShort")} class="mono">
                      {shortHex(c.recipient, 4)}
                    </td>
                    <td data-label={t("nullifier")} class="mono">
                      {shortHex(bigintToHex(c.nullifier), 4)}
                    </td>
                    <td data-label={t("proof")} class={c.verified ? "good" : "bad"}>
                      {c.verified ? `✓ ${t("verified")}` : `✗ ${t("failedProof")}`}
                    </td>
                    <td data-label={t("transaction")} class="mono" title={c.txHash}>
                      {shortHex(c.txHash, 6)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
    </section>
  );
}
