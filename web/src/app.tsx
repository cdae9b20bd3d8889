/** The app shell: runtime config, language, navigation by URL hash; the state it shares with the views is in app-state.tsx. */
import { useEffect, useMemo, useState } from "preact/hooks";
import type { ApprovalFile } from "../../service/sdk/assessor.ts";
import type { Identity } from "../../service/sdk/identity.ts";
import type { Keystore } from "../../service/sdk/keystore.ts";
import { AppContext, type AppState, Notice } from "./app-state.tsx";
import type { Payer } from "./chain.ts";
import { publicClientFor } from "./chain.ts";
import { loadConfig, type RuntimeConfig } from "./config.ts";
import type { AssessorSignIn } from "./desk.ts";
import { explain } from "./errors.ts";
import { I18nContext, initialLang, type Lang, translator, useT } from "./i18n.ts";
import { ProverClient } from "./prover.ts";
import { AssessorView } from "./views/assessor.tsx";
import { AuditView } from "./views/audit.tsx";
import { ClaimView } from "./views/claim.tsx";
import { FileCaseView } from "./views/file-case.tsx";
import { IdentityView } from "./views/identity.tsx";
import { MembershipView } from "./views/membership.tsx";
import { MyCasesView } from "./views/my-cases.tsx";
import { PlanAdminView } from "./views/plan-admin.tsx";
import { PlansView } from "./views/plans.tsx";

const KEYSTORE_ITEM = "huzhu.keystore";

const TABS = ["identity", "plans", "membership", "file", "cases", "claim", "assessor", "admin", "audit"] as const;
type Tab = (typeof TABS)[number];
const tabFromHash = (): Tab => {
  const name = location.hash.replace(/^#\/?/, "");
  return (TABS as readonly string[]).includes(name) ? (name as Tab) : "identity";
};

function storedKeystore(): Keystore | undefined {
  try {
    const text = localStorage.getItem(KEYSTORE_ITEM);
    return text ? (JSON.parse(text) as Keystore) : undefined;
  } catch {
    return undefined;
  }
}

function Shell(props: { lang: Lang; setLang(lang: Lang): void }) {
  const t = useT();
  const [config, setConfig] = useState<RuntimeConfig>();
  const [error, setError] = useState<unknown>();
  const [tab, setTab] = useState<Tab>(tabFromHash());
  const [keystore, setKeystoreState] = useState<Keystore | undefined>(storedKeystore());
  const [identity, setIdentity] = useState<Identity>();
  const [payer, setPayer] = useState<Payer>();
  const [approval, setApproval] = useState<ApprovalFile>();
  const [assessor, setAssessor] = useState<AssessorSignIn>();
  const prover = useMemo(() => new ProverClient(), []);

  useEffect(() => {
    loadConfig().then(setConfig, setError);
    const onHash = () => setTab(tabFromHash());
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);
  useEffect(() => {
    // Fetch the proving artifacts in the background so the first claim does not wait for them.
    if (config) prover.warm(config.artifacts).catch(() => {});
  }, [config, prover]);

  const state = useMemo<AppState | undefined>(() => {
    if (!config) return undefined;
    return {
      config,
      client: publicClientFor(config),
      prover,
      keystore,
      setKeystore: (k) => {
        if (k) localStorage.setItem(KEYSTORE_ITEM, JSON.stringify(k));
        else localStorage.removeItem(KEYSTORE_ITEM);
        setKeystoreState(k);
      },
      identity,
      setIdentity,
      payer,
      setPayer,
      approval,
      setApproval,
      assessor,
      setAssessor,
    };
  }, [config, prover, keystore, identity, payer, approval, assessor]);

  const labels: Record<Tab, string> = {
    identity: t("navIdentity"),
    plans: t("navPlans"),
    membership: t("navMembership"),
    file: t("navFile"),
    cases: t("navCases"),
    claim: t("navClaim"),
    assessor: t("navAssessor"),
    admin: t("navAdmin"),
    audit: t("navAudit"),
  };
  return (
    <>
      <header>
        <div class="brand">
          <h1>{t("appTitle")}</h1>
          <p class="tagline">{t("tagline")}</p>
        </div>
        <button
          type="button"
          class="lang"
          lang={props.lang === "en" ? "zh-CN" : "en"}
          aria-label={t("languageLabel")}
          onClick={() => props.setLang(props.lang === "en" ? "zh-CN" : "en")}
        >
          {t("language")}
        </button>
        <nav aria-label="main">
          {TABS.map((name) => (
            <a key={name} href={`#/${name}`} aria-current={tab === name ? "page" : undefined}>
              {labels[name]}
            </a>
          ))}
        </nav>
      </header>
      <main>
        {error ? <Notice kind="error">{t("configError", { message: explain(error, t).text })}</Notice> : null}
        {!state && !error ? <p>{t("loading")}</p> : null}
        {state ? (
          <AppContext.Provider value={state}>
            {tab === "identity" ? <IdentityView /> : null}
            {tab === "plans" ? <PlansView /> : null}
            {tab === "membership" ? <MembershipView /> : null}
            {tab === "file" ? <FileCaseView /> : null}
            {tab === "cases" ? <MyCasesView /> : null}
            {tab === "claim" ? <ClaimView /> : null}
            {tab === "assessor" ? <AssessorView /> : null}
            {tab === "admin" ? <PlanAdminView /> : null}
            {tab === "audit" ? <AuditView /> : null}
          </AppContext.Provider>
        ) : null}
      </main>
    </>
  );
}

export function App() {
  const [lang, setLangState] = useState<Lang>(initialLang());
  const i18n = useMemo(() => ({ lang, t: translator(lang) }), [lang]);
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  const setLang = (next: Lang) => {
    localStorage.setItem("huzhu.lang", next);
    setLangState(next);
  };
  return (
    <I18nContext.Provider value={i18n}>
      <Shell lang={lang} setLang={setLang} />
    </I18nContext.Provider>
  );
}
