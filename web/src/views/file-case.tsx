/**
 * "File a claim": the member states the loss (plan, category, date, description, amount) and adds
 * evidence by drag-and-drop or the picker. The plan's roster is checked against its assessor set on
 * chain before anything is encrypted; the case is sealed in this page and sent as ciphertext, with
 * progress for both steps, and its record is kept in this browser sealed under the identity's key.
 */
import { useEffect, useState } from "preact/hooks";
import { listPlans, type PlanInfo } from "../../../service/sdk/chain/pool.ts";
import type { CaseProgress } from "../../../service/sdk/desk/case.ts";
import { fileCase } from "../../../service/sdk/desk/flows.ts";
import { DESK_LIMITS, sealedSize } from "../../../service/sdk/desk/limits.ts";
import type { PlanCategoryName } from "../../../service/sdk/plan-terms.ts";
import { ErrorNotice, Notice, useApp } from "../app-state.tsx";
import { formatAmount, poolRef, type TokenInfo, tokenInfo } from "../chain.ts";
import { deskClient, evidenceOf, formatBytes, keepCaseRecord, planAssessorTree, typedAmount } from "../desk.ts";
import { type Explained, explain, UserMessage } from "../errors.ts";
import { useT } from "../i18n.ts";
import { CategoryField } from "./category-select.tsx";

interface PlanChoice {
  plan: PlanInfo;
  token: TokenInfo;
}

type Stage = { kind: "roster" } | { kind: "encrypt" | "upload"; done: number; total: number } | { kind: "done"; caseId: string };

const today = () => new Date().toISOString().slice(0, 10);

export function FileCaseView() {
  const t = useT();
  const { config, client, identity } = useApp();
  const [plans, setPlans] = useState<PlanChoice[]>();
  const [planId, setPlanId] = useState<string>("");
  const [category, setCategory] = useState<PlanCategoryName>("medical");
  const [files, setFiles] = useState<File[]>([]);
  const [dragging, setDragging] = useState(false);
  const [stage, setStage] = useState<Stage>();
  const [error, setError] = useState<Explained>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    listPlans(poolRef(config, client))
      .then(async (list) => {
        const loaded = await Promise.all(
          list.filter((p) => p.active).map(async (plan) => ({ plan, token: await tokenInfo(client, plan.token) })),
        );
        setPlans(loaded);
        const first = loaded[0];
        if (first) {
          setPlanId(first.plan.planId.toString());
          setCategory(first.plan.document.category);
        }
      })
      .catch((e) => setError(explain(e, t, config)));
  }, []);

  const chosen = plans?.find((p) => p.plan.planId.toString() === planId);
  const addFiles = (list: FileList | null | undefined) => {
    if (list && list.length > 0) setFiles((now) => [...now, ...Array.from(list)]);
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!identity || !chosen) return;
    const form = new FormData(event.currentTarget as HTMLFormElement);
    setBusy(true);
    setError(undefined);
    setStage(undefined);
    try {
      const amount = typedAmount(String(form.get("amount") ?? ""), chosen.token, chosen.plan.claimCap, t);
      const big = files.find((f) => f.size > DESK_LIMITS.maxFileBytes);
      if (big) throw new UserMessage(t("caseFileTooLarge", { name: big.name, max: formatBytes(DESK_LIMITS.maxFileBytes) }));
      // Upload progress: the files' PUTs as the transport reports them, after those already sent.
      const uploadTotal = files.reduce((sum, f) => sum + sealedSize(f.size), 0);
      let uploaded = 0;
      const desk = deskClient(config, {
        onUpload: () => (url, loaded) => {
          if (/\/files\/[0-9]+$/.test(url))
            setStage({ kind: "upload", done: Math.min(uploadTotal, uploaded + loaded), total: uploadTotal });
        },
      });
      setStage({ kind: "roster" });
      const assessorTree = await planAssessorTree(config, client, chosen.plan.planId);
      const evidence = await Promise.all(files.map(evidenceOf));
      const onProgress = (p: CaseProgress) => {
        if (p.stage === "upload") uploaded = p.done;
        setStage({ kind: p.stage, done: p.done, total: p.total });
      };
      if (evidence.length === 0) setStage({ kind: "encrypt", done: 0, total: 0 });
      const filed = await fileCase({
        client: desk,
        identity,
        planId: chosen.plan.planId,
        assessorTree,
        details: {
          category,
          dateOfLoss: String(form.get("date") ?? ""),
          description: String(form.get("description") ?? ""),
          amount,
        },
        files: evidence,
        onProgress,
      });
      await keepCaseRecord(identity, filed.record);
      setStage({ kind: "done", caseId: filed.caseId });
      setFiles([]);
      (event.target as HTMLFormElement).reset();
    } catch (e) {
      setStage(undefined);
      setError(explain(e, t, config));
    } finally {
      setBusy(false);
    }
  };

  const percent = stage && "total" in stage ? (stage.total === 0 ? 100 : Math.floor((stage.done / stage.total) * 100)) : undefined;
  const stageText =
    stage?.kind === "roster"
      ? t("caseStageRoster")
      : stage?.kind === "encrypt"
        ? t("caseStageEncrypt")
        : stage?.kind === "upload"
          ? t("caseStageUpload", { done: formatBytes(stage.done), total: formatBytes(stage.total) })
          : undefined;
  return (
    <section aria-labelledby="file-heading">
      <h2 id="file-heading">{t("fileHeading")}</h2>
      <p class="intro">{t("fileIntro")}</p>
      {!identity ? <Notice kind="info">{t("needIdentity")}</Notice> : null}
      {plans && plans.length === 0 ? <Notice kind="info">{t("caseNoPlans")}</Notice> : null}
      <form class="card" onSubmit={submit} data-testid="file-case">
        <div class="row">
          <label class="grow">
            {t("plan")}
            <select
              name="plan"
              value={planId}
              onChange={(e) => {
                const id = (e.currentTarget as HTMLSelectElement).value;
                setPlanId(id);
                const plan = plans?.find((p) => p.plan.planId.toString() === id);
                if (plan) setCategory(plan.plan.document.category);
              }}
            >
              {plans?.map((p) => (
                <option key={p.plan.planId.toString()} value={p.plan.planId.toString()}>
                  #{p.plan.planId.toString()} {p.plan.name}
                </option>
              ))}
            </select>
          </label>
          <CategoryField class="grow" label={t("caseCategory")} name="category" value={category} onChange={setCategory} />
          <label>
            {t("caseDate")}
            <input name="date" type="date" required max={today()} />
          </label>
        </div>
        <label>
          {t("caseDescription")}
          <textarea name="description" rows={5} required maxLength={DESK_LIMITS.maxDescriptionChars} />
        </label>
        <label>
          {t("caseAmount")}
          {chosen ? ` (${chosen.token.symbol}; ${t("caseAmountCap", { cap: formatAmount(chosen.plan.claimCap, chosen.token) })})` : ""}
          <input name="amount" inputMode="decimal" required autocomplete="off" class="amount" />
        </label>
        <fieldset
          class={dragging ? "dropzone over" : "dropzone"}
          data-testid="dropzone"
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={(e) => {
            e.preventDefault();
            setDragging(false);
            addFiles(e.dataTransfer?.files);
          }}
        >
          <legend>{t("caseEvidence")}</legend>
          <p>{t("caseDrop", { max: formatBytes(DESK_LIMITS.maxFileBytes) })}</p>
          <label class="picker">
            {t("caseChoose")}
            <input
              type="file"
              multiple
              data-testid="evidence-files"
              onChange={(e) => {
                addFiles((e.currentTarget as HTMLInputElement).files);
                (e.currentTarget as HTMLInputElement).value = "";
              }}
            />
          </label>
          {files.length > 0 ? (
            <ul class="files" data-testid="chosen-files">
              {files.map((f, i) => (
                <li key={`${f.name}-${i}`}>
                  <span>{f.name}</span> <small>{formatBytes(f.size)}</small>{" "}
                  <button type="button" class="link" onClick={() => setFiles(files.filter((_, j) => j !== i))}>
                    {t("caseRemoveFile", { name: f.name })}
                  </button>
                </li>
              ))}
            </ul>
          ) : null}
        </fieldset>
        <button type="submit" class="primary" disabled={busy || !identity || !chosen}>
          {t("caseSubmit")}
        </button>
        {stageText ? (
          <p aria-live="polite" data-testid="case-stage" data-stage={stage?.kind}>
            {stageText}
          </p>
        ) : null}
        {percent !== undefined && stage?.kind !== "done" ? (
          <div class="progress" role="progressbar" aria-label={stageText} aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent}>
            <div style={{ width: `${percent}%` }} />
            <span>{percent}%</span>
          </div>
        ) : null}
        {stage?.kind === "done" ? (
          <Notice kind="ok">
            <span data-testid="case-filed" data-case={stage.caseId}>
              {t("caseFiled", { id: stage.caseId })} <a href="#/cases">{t("navCases")}</a>
            </span>
          </Notice>
        ) : null}
        <ErrorNotice error={error} />
      </form>
    </section>
  );
}
