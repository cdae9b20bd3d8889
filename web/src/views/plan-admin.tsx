/**
 * Running a plan from the paying wallet: creating one (every rule the pool knows, its name,
 * category and terms document, whose hash goes on chain) with the pool calls `huzhu plan create`
 * makes, pausing and resuming the plans the wallet administers (`huzhu plan pause | resume`) and
 * handing one's administration over in two steps (`huzhu plan propose-admin | accept-admin`), and
 * the plan admin's assessor set (`huzhu assessor add | revoke`).
 */
import { useEffect, useState } from "preact/hooks";
import { type Address, getAddress, isAddress, type PublicClient, parseEventLogs, parseUnits, zeroAddress } from "viem";
import { huzhuPoolAbi } from "../../../service/sdk/chain/abi.ts";
import { activeAssessors, listPlans, loadAssessorTree, type PlanInfo, pendingPlanAdmin } from "../../../service/sdk/chain/pool.ts";
import type { PublicKey } from "../../../service/sdk/encoding.ts";
import { toField } from "../../../service/sdk/field.ts";
import { categoryIndex, type PlanCategoryName, termsHash } from "../../../service/sdk/plan-terms.ts";
import { updateSiblings } from "../../../service/sdk/tree-update.ts";
import { ErrorNotice, Notice, useApp } from "../app-state.tsx";
import { type Payer, poolRef, send, shortHex, tokenInfo } from "../chain.ts";
import { type Explained, explain, UserMessage } from "../errors.ts";
import { type Translate, useT } from "../i18n.ts";
import { CategoryField } from "./category-select.tsx";
import { WalletBox } from "./plans.tsx";

const encoder = new TextEncoder();

function amountOf(text: string, decimals: number, field: string, t: Translate): bigint {
  const value = /^[0-9]+(\.[0-9]+)?$/.test(text.trim()) ? parseUnits(text.trim(), decimals) : 0n;
  if (value <= 0n) throw new UserMessage(t("badAmountField", { field }));
  return value;
}

function wholeOf(text: string, max: number, field: string, t: Translate): number {
  if (!/^(0|[1-9][0-9]*)$/.test(text.trim()) || Number(text) > max) throw new UserMessage(t("badWhole", { field, max }));
  return Number(text);
}

function needPayer(payer: Payer | undefined, t: Translate): Payer {
  if (!payer) throw new UserMessage(t("needWallet"));
  return payer;
}

/** The paying wallet, refused up front unless it is `plan`'s admin. */
function needAdmin(payer: Payer | undefined, plan: PlanInfo, t: Translate): Payer {
  const from = needPayer(payer, t);
  if (from.address.toLowerCase() !== plan.admin.toLowerCase())
    throw new UserMessage(t("notPlanAdmin", { address: from.address, planId: plan.planId, admin: plan.admin }));
  return from;
}

function CreatePlanForm(props: { created(): void }) {
  const t = useT();
  const { config, client, payer } = useApp();
  const [name, setName] = useState("");
  const [token, setToken] = useState<string>(config.demoToken ?? "");
  const [contribution, setContribution] = useState("10");
  const [periodDays, setPeriodDays] = useState("30");
  const [waiting, setWaiting] = useState("1");
  const [cap, setCap] = useState("1000");
  const [feeBps, setFeeBps] = useState("300");
  const [category, setCategory] = useState<PlanCategoryName>("medical");
  const [terms, setTerms] = useState("");
  const [termsUri, setTermsUri] = useState("");
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string>();
  const [error, setError] = useState<Explained>();

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setDone(undefined);
    setError(undefined);
    try {
      const from = needPayer(payer, t);
      if (!isAddress(token.trim(), { strict: false })) throw new UserMessage(t("badToken"));
      const tokenAddress = getAddress(token.trim()) as Address;
      const info = await tokenInfo(client, tokenAddress);
      const days = Number(periodDays);
      if (!/^[0-9]+(\.[0-9]+)?$/.test(periodDays.trim()) || !(days > 0)) throw new UserMessage(t("badPeriodDays"));
      const periodLength = BigInt(Math.round(days * 86_400));
      const params = {
        token: tokenAddress,
        contribution: amountOf(contribution, info.decimals, t("contributionPerPeriod"), t),
        periodLength,
        waitingPeriods: wholeOf(waiting, 1_000, t("waitingPeriods"), t),
        claimCap: amountOf(cap, info.decimals, t("cap"), t),
        maxFeeBps: wholeOf(feeBps, 1_000, t("feeLimitBps"), t),
        admin: from.address,
        name: name.trim(),
      };
      if (terms.trim() === "") throw new UserMessage(t("termsRequired"));
      const role = await client.readContract({ address: config.pool, abi: huzhuPoolAbi, functionName: "PLAN_CREATOR_ROLE" });
      const allowed = await client.readContract({
        address: config.pool,
        abi: huzhuPoolAbi,
        functionName: "hasRole",
        args: [role, from.address],
      });
      if (!allowed) throw new UserMessage(t("notPlanCreator", { address: from.address }));
      const hash = await send(client, from, { address: config.pool, abi: huzhuPoolAbi, functionName: "createPlan", args: [params] });
      const receipt = await client.getTransactionReceipt({ hash });
      const [created] = parseEventLogs({ abi: huzhuPoolAbi, eventName: "PlanCreated", logs: receipt.logs });
      if (!created) throw new Error(`the transaction ${hash} created no plan`);
      const planId = created.args.planId;
      // The hash is over the exact bytes members will fetch: the text as typed, UTF-8.
      const document = { category: categoryIndex(category), termsHash: termsHash(encoder.encode(terms)), termsUri: termsUri.trim() };
      await send(client, from, { address: config.pool, abi: huzhuPoolAbi, functionName: "setPlanTerms", args: [planId, document] });
      setDone(t("planCreated", { planId, name: params.name, hash, termsHash: document.termsHash }));
      props.created();
    } catch (e) {
      setError(explain(e, t, config));
    } finally {
      setBusy(false);
    }
  };

  const field = (label: string, value: string, set: (v: string) => void, extra: Record<string, unknown> = {}) => (
    <label>
      {label}
      <input value={value} onInput={(e) => set((e.currentTarget as HTMLInputElement).value)} {...extra} />
    </label>
  );
  return (
    <form class="card" aria-labelledby="create-plan-heading" onSubmit={submit}>
      <h3 id="create-plan-heading">{t("createPlanHeading")}</h3>
      <div class="fields">
        {field(t("planName"), name, setName, { required: true, maxLength: 64 })}
        {field(t("tokenAddress"), token, setToken, { class: "mono", spellcheck: false })}
        {field(t("contributionPerPeriod"), contribution, setContribution, { inputMode: "decimal" })}
        {field(t("periodDays"), periodDays, setPeriodDays, { inputMode: "decimal" })}
        {field(t("waitingPeriods"), waiting, setWaiting, { inputMode: "numeric" })}
        {field(t("cap"), cap, setCap, { inputMode: "decimal" })}
        {field(t("feeLimitBps"), feeBps, setFeeBps, { inputMode: "numeric" })}
        <CategoryField label={t("category")} value={category} onChange={setCategory} />
        <label>
          {t("termsText")}
          <textarea rows={8} value={terms} onInput={(e) => setTerms((e.currentTarget as HTMLTextAreaElement).value)} />
        </label>
        {terms ? (
          <p class="mono" data-testid="terms-hash">
            {t("termsHashIs", { hash: termsHash(encoder.encode(terms)) })}
          </p>
        ) : null}
        {field(t("termsUrl"), termsUri, setTermsUri, { type: "url", inputMode: "url" })}
      </div>
      <button type="submit" class="primary" disabled={busy}>
        {busy ? t("creatingPlan") : t("createPlan")}
      </button>
      {done ? (
        <Notice kind="ok">
          <span data-testid="plan-created">{done}</span>
        </Notice>
      ) : null}
      <ErrorNotice error={error} />
    </form>
  );
}

function parsePublicKey(text: string, t: Translate): PublicKey {
  const parts = text.split(",").map((p) => p.trim());
  if (parts.length !== 2 || !parts.every((p) => /^[0-9]+$/.test(p))) throw new UserMessage(t("badPublicKey"));
  try {
    return [toField(parts[0] as string, "x"), toField(parts[1] as string, "y")];
  } catch {
    throw new UserMessage(t("badPublicKey"));
  }
}

function AssessorAdmin(props: { plans: PlanInfo[]; reload(): Promise<void> }) {
  const t = useT();
  const { config, client, payer } = useApp();
  const [planId, setPlanId] = useState<string>(props.plans[0]?.planId.toString() ?? "");
  const [keys, setKeys] = useState<PublicKey[]>();
  const [keyText, setKeyText] = useState("");
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string>();
  const [error, setError] = useState<Explained>();
  const ref = poolRef(config, client);
  const plan = props.plans.find((p) => p.planId.toString() === planId);

  useEffect(() => {
    setKeys(undefined);
    if (plan) activeAssessors(ref, plan.planId).then(setKeys, (e) => setError(explain(e, t, config)));
  }, [planId, plan?.assessorRoot]);

  const change = async (kind: "add" | "revoke", publicKey: PublicKey) => {
    if (!plan) return;
    setBusy(true);
    setDone(undefined);
    setError(undefined);
    try {
      const from = needAdmin(payer, plan, t);
      // The set from the pool's events, checked against its root, as `huzhu assessor` reads it.
      const tree = await loadAssessorTree(ref, plan.planId);
      if (kind === "add" && tree.has(publicKey)) throw new UserMessage(t("alreadyAssessor"));
      if (kind === "revoke" && !tree.has(publicKey)) throw new UserMessage(t("unknownAssessor"));
      const hash =
        kind === "add"
          ? await send(client, from, {
              address: config.pool,
              abi: huzhuPoolAbi,
              functionName: "addAssessor",
              args: [plan.planId, publicKey[0], publicKey[1]],
            })
          : await send(client, from, {
              address: config.pool,
              abi: huzhuPoolAbi,
              functionName: "revokeAssessor",
              args: [plan.planId, publicKey[0], publicKey[1], updateSiblings(tree.proof(publicKey))],
            });
      setDone(kind === "add" ? t("assessorAdded", { hash }) : t("assessorRevoked", { hash }));
      if (kind === "add") setKeyText("");
      await props.reload();
    } catch (e) {
      setError(explain(e, t, config));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card" aria-labelledby="assessors-heading">
      <h3 id="assessors-heading">{t("assessorsHeading")}</h3>
      <label>
        {t("plan")}
        <select data-testid="assessor-plan" value={planId} onChange={(e) => setPlanId((e.currentTarget as HTMLSelectElement).value)}>
          {props.plans.map((p) => (
            <option key={p.planId.toString()} value={p.planId.toString()}>
              #{p.planId.toString()} {p.name}
            </option>
          ))}
        </select>
      </label>
      {plan ? (
        <dl class="inline">
          <dt>{t("planAdmin")}</dt>
          <dd class="mono">{plan.admin}</dd>
          <dt>{t("assessorRoot")}</dt>
          <dd class="mono" data-testid="assessor-root">
            {plan.assessorRoot.toString()}
          </dd>
        </dl>
      ) : null}
      <h4>{t("assessorKeys")}</h4>
      {keys === undefined && !error ? <p>{t("loading")}</p> : null}
      <ul data-testid="assessor-keys">
        {keys?.length === 0 ? <li>{t("noneYet")}</li> : null}
        {keys?.map((k) => (
          <li key={`${k[0]},${k[1]}`} data-key={`${k[0]},${k[1]}`}>
            <span class="mono">
              {shortHex(k[0].toString(), 8)}, {shortHex(k[1].toString(), 8)}
            </span>{" "}
            <button type="button" disabled={busy} onClick={() => change("revoke", k)}>
              {t("revokeAssessor")}
            </button>
          </li>
        ))}
      </ul>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          try {
            void change("add", parsePublicKey(keyText, t));
          } catch (err) {
            setError(explain(err, t, config));
          }
        }}
      >
        <label>
          {t("assessorPublicKey")}
          <input class="mono" spellcheck={false} value={keyText} onInput={(e) => setKeyText((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <button type="submit" disabled={busy || !plan}>
          {t("addAssessor")}
        </button>
      </form>
      {done ? <Notice kind="ok">{done}</Notice> : null}
      <ErrorNotice error={error} />
    </section>
  );
}

/** Each plan's proposed next admin (the SDK's `pendingPlanAdmin`; undefined: none), by plan id. */
async function pendingAdmins(config: { pool: Address }, client: PublicClient, plans: PlanInfo[]) {
  const ref = { client, pool: config.pool };
  const entries = await Promise.all(plans.map(async (p) => [p.planId.toString(), await pendingPlanAdmin(ref, p.planId)] as const));
  return Object.fromEntries(entries) as Record<string, Address | undefined>;
}

const same = (a: string | undefined, b: string | undefined) => a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();

/**
 * The plans the connected wallet administers or is proposed to administer: each one's state, paused
 * or taking joins and claims, and the switch; its administration handed over in two steps (the
 * admin proposes, the proposed wallet accepts), as `huzhu plan propose-admin | accept-admin` do.
 */
function PlanControl(props: { plans: PlanInfo[]; reload(): Promise<void> }) {
  const t = useT();
  const { config, client, payer } = useApp();
  const [busy, setBusy] = useState(false);
  const [pending, setPending] = useState<Record<string, Address | undefined>>({});
  const [newAdmins, setNewAdmins] = useState<Record<string, string>>({});
  const [result, setResult] = useState<{ planId: bigint; ok?: string; error?: Explained }>();
  const proposed = (plan: PlanInfo) => pending[plan.planId.toString()];
  const mine = payer ? props.plans.filter((p) => same(p.admin, payer.address) || same(proposed(p), payer.address)) : [];

  useEffect(() => {
    pendingAdmins(config, client, props.plans).then(setPending, (e) => setResult({ planId: 0n, error: explain(e, t, config) }));
  }, [props.plans]);

  /** Runs one pool call for `plan`; its message shows once the plans and proposals are read again. */
  const act = async (plan: PlanInfo, action: () => Promise<string>) => {
    setBusy(true);
    setResult(undefined);
    try {
      const ok = await action();
      await props.reload();
      setResult({ planId: plan.planId, ok });
    } catch (e) {
      setResult({ planId: plan.planId, error: explain(e, t, config) });
      setPending(await pendingAdmins(config, client, props.plans).catch(() => pending));
    } finally {
      setBusy(false);
    }
  };

  const setActive = (plan: PlanInfo, active: boolean) =>
    act(plan, async () => {
      const from = needAdmin(payer, plan, t);
      const hash = await send(client, from, {
        address: config.pool,
        abi: huzhuPoolAbi,
        functionName: "setPlanActive",
        args: [plan.planId, active],
      });
      return t(active ? "planResumed" : "planPausedNow", { planId: plan.planId, hash });
    });

  /** Proposes `text` as the plan's next admin; "" withdraws the proposal. */
  const propose = (plan: PlanInfo, text: string) =>
    act(plan, async () => {
      const from = needAdmin(payer, plan, t);
      let next: Address = zeroAddress;
      if (text !== "") {
        if (!isAddress(text.trim(), { strict: false })) throw new UserMessage(t("badAdminAddress"));
        next = getAddress(text.trim());
        if (same(next, plan.admin)) throw new UserMessage(t("alreadyPlanAdmin", { address: next, planId: plan.planId }));
      }
      const hash = await send(client, from, {
        address: config.pool,
        abi: huzhuPoolAbi,
        functionName: "proposePlanAdmin",
        args: [plan.planId, next],
      });
      setNewAdmins({ ...newAdmins, [plan.planId.toString()]: "" });
      return next === zeroAddress
        ? t("proposalWithdrawn", { planId: plan.planId, hash })
        : t("adminProposed", { address: next, planId: plan.planId, hash });
    });

  const accept = (plan: PlanInfo) =>
    act(plan, async () => {
      const from = needPayer(payer, t);
      // Read now: the admin may have changed or withdrawn the proposal since this page read it.
      const now = await pendingPlanAdmin({ client, pool: config.pool }, plan.planId);
      if (now === undefined) throw new UserMessage(t("noProposal", { planId: plan.planId }));
      if (!same(now, from.address))
        throw new UserMessage(t("notProposedAdmin", { address: from.address, planId: plan.planId, proposed: now }));
      const hash = await send(client, from, {
        address: config.pool,
        abi: huzhuPoolAbi,
        functionName: "acceptPlanAdmin",
        args: [plan.planId],
      });
      return t("adminAccepted", { planId: plan.planId, previous: plan.admin, hash });
    });

  return (
    <section class="card" aria-labelledby="control-heading">
      <h3 id="control-heading">{t("controlHeading")}</h3>
      {!payer ? <p data-testid="control-none">{t("needWallet")}</p> : null}
      {payer && mine.length === 0 ? <p data-testid="control-none">{t("controlNone", { address: payer.address })}</p> : null}
      {result && !mine.some((p) => p.planId === result.planId) ? (
        // A plan that left this wallet's list (a handover refused or done elsewhere) keeps its message here.
        <>
          {result.ok ? <Notice kind="ok">{result.ok}</Notice> : null}
          <ErrorNotice error={result.error} />
        </>
      ) : null}
      {mine.map((plan) => {
        const id = plan.planId.toString();
        const next = proposed(plan);
        const isAdmin = same(plan.admin, payer?.address);
        return (
          <article key={id} data-testid={`control-${id}`} aria-labelledby={`control-${id}-heading`}>
            <h4 id={`control-${id}-heading`}>
              #{id} {plan.name}
            </h4>
            <p>
              <span data-testid={`plan-state-${id}`} class={plan.active ? "badge" : "badge bad"}>
                {plan.active ? t("planActive") : t("paused")}
              </span>{" "}
              {isAdmin ? (
                <button type="button" disabled={busy} onClick={() => setActive(plan, !plan.active)}>
                  {plan.active ? t("pausePlan") : t("resumePlan")}
                </button>
              ) : null}
            </p>
            <dl class="inline">
              <dt>{t("planAdmin")}</dt>
              <dd class="mono" data-testid={`admin-${id}`}>
                {plan.admin}
              </dd>
            </dl>
            <p data-testid={`pending-admin-${id}`}>{next ? t("handoverPending", { address: next }) : t("noHandover")}</p>
            {isAdmin ? (
              <form
                class="row"
                onSubmit={(e) => {
                  e.preventDefault();
                  void propose(plan, newAdmins[id] ?? "");
                }}
              >
                <label>
                  {t("newAdmin")}
                  <input
                    class="mono"
                    spellcheck={false}
                    value={newAdmins[id] ?? ""}
                    onInput={(e) => setNewAdmins({ ...newAdmins, [id]: (e.currentTarget as HTMLInputElement).value })}
                  />
                </label>
                <button type="submit" disabled={busy || (newAdmins[id] ?? "") === ""}>
                  {t("proposeAdmin")}
                </button>
                {next ? (
                  <button type="button" disabled={busy} onClick={() => propose(plan, "")}>
                    {t("withdrawProposal")}
                  </button>
                ) : null}
              </form>
            ) : null}
            {same(next, payer?.address) ? (
              <button type="button" class="primary" disabled={busy} onClick={() => accept(plan)}>
                {t("acceptAdmin")}
              </button>
            ) : null}
            {result?.planId === plan.planId && result.ok ? <Notice kind="ok">{result.ok}</Notice> : null}
            {result?.planId === plan.planId ? <ErrorNotice error={result.error} /> : null}
          </article>
        );
      })}
    </section>
  );
}

export function PlanAdminView() {
  const t = useT();
  const { config, client } = useApp();
  const [plans, setPlans] = useState<PlanInfo[]>();
  const [error, setError] = useState<Explained>();

  const load = async () => {
    try {
      setPlans(await listPlans(poolRef(config, client)));
    } catch (e) {
      setError(explain(e, t, config));
    }
  };
  useEffect(() => {
    void load();
  }, []);

  return (
    <section aria-labelledby="admin-heading">
      <h2 id="admin-heading">{t("adminHeading")}</h2>
      <p class="intro">{t("adminIntro")}</p>
      <WalletBox payments={0} />
      <CreatePlanForm created={() => void load()} />
      <ErrorNotice error={error} />
      {plans && plans.length > 0 ? <PlanControl plans={plans} reload={load} /> : null}
      {plans && plans.length > 0 ? <AssessorAdmin plans={plans} reload={load} /> : null}
    </section>
  );
}
