/** Create, import, unlock, export or remove the member's identity; it is kept encrypted in localStorage. */
import { useState } from "preact/hooks";
import { ErrorCode, HuzhuError } from "../../../service/sdk/errors.ts";
import { createIdentity, type Identity, importIdentity } from "../../../service/sdk/identity.ts";
import { decryptIdentity, encryptIdentity, type Keystore, parseKeystore } from "../../../service/sdk/keystore.ts";
import { Notice, useApp } from "../app-state.tsx";
import { type Explained, explain, UserMessage } from "../errors.ts";
import { useT } from "../i18n.ts";

function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1_000);
}

export function IdentityView() {
  const t = useT();
  const { keystore, setKeystore, identity, setIdentity, setPayer } = useApp();
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<Explained & { kind: "error" | "ok" }>();

  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setMessage(undefined);
    try {
      await action();
    } catch (error) {
      setMessage({ kind: "error", ...explain(error, t) });
    } finally {
      setBusy(false);
    }
  };

  const store = async (id: Identity, password: string) => {
    const encrypted = await encryptIdentity(id, password);
    setKeystore(encrypted);
    setIdentity(id);
  };

  const onCreate = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const password = String(form.get("password") ?? "");
    if (password.length < 8) return setMessage({ kind: "error", text: t("passwordTooShort") });
    if (password !== String(form.get("repeat") ?? "")) return setMessage({ kind: "error", text: t("passwordsDiffer") });
    void run(() => store(createIdentity(), password));
  };

  const onImport = (event: Event) => {
    event.preventDefault();
    const formElement = event.currentTarget as HTMLFormElement;
    const form = new FormData(formElement);
    const password = String(form.get("password") ?? "");
    const file = form.get("file");
    void run(async () => {
      const text = file instanceof File && file.size > 0 ? await file.text() : String(form.get("text") ?? "").trim();
      if (text.startsWith("{")) {
        // A keystore file: it must open with its password, then it is kept as it is.
        let parsed: Keystore;
        try {
          parsed = parseKeystore(JSON.parse(text));
        } catch (error) {
          if (error instanceof SyntaxError) throw new HuzhuError(ErrorCode.InvalidKeystore, error.message, {}, { cause: error });
          throw error;
        }
        const id = await decryptIdentity(parsed, password);
        setKeystore(parsed);
        setIdentity(id);
      } else {
        if (password.length < 8) throw new UserMessage(t("passwordTooShort"));
        await store(importIdentity(text), password);
      }
      formElement.reset();
    });
  };

  const onUnlock = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    if (!keystore) return;
    void run(async () => setIdentity(await decryptIdentity(keystore, String(form.get("password") ?? ""))));
  };

  const onForget = () => {
    if (!confirm(t("forgetConfirm"))) return;
    setIdentity(undefined);
    setKeystore(undefined);
    setPayer(undefined);
  };

  return (
    <section aria-labelledby="identity-heading">
      <h2 id="identity-heading">{t("identityHeading")}</h2>
      <p class="intro">{t("identityIntro")}</p>
      {message ? (
        <Notice kind={message.kind} detail={message.detail}>
          {message.text}
        </Notice>
      ) : null}
      {keystore ? (
        <div class="card">
          <dl>
            <dt>{t("commitment")}</dt>
            <dd class="mono" data-testid="commitment">
              {keystore.commitment}
            </dd>
          </dl>
          <p data-testid="identity-state">{identity ? t("unlocked") : t("locked")}</p>
          {identity ? (
            <button type="button" onClick={() => setIdentity(undefined)}>
              {t("lock")}
            </button>
          ) : (
            <form onSubmit={onUnlock} class="row">
              <label>
                {t("password")}
                <input name="password" type="password" autocomplete="current-password" required />
              </label>
              <button type="submit" disabled={busy}>
                {t("unlock")}
              </button>
            </form>
          )}
          <div class="row">
            <button
              type="button"
              onClick={() => download(`huzhu-identity-${keystore.commitment.slice(0, 8)}.json`, JSON.stringify(keystore, null, 2))}
            >
              {t("exportKeystore")}
            </button>
            <button type="button" class="danger" onClick={onForget}>
              {t("forget")}
            </button>
          </div>
        </div>
      ) : (
        <div class="columns">
          <form class="card" onSubmit={onCreate} aria-labelledby="create-heading">
            <h3 id="create-heading">{t("createHeading")}</h3>
            <label>
              {t("password")}
              <input name="password" type="password" autocomplete="new-password" required minLength={8} />
            </label>
            <label>
              {t("passwordRepeat")}
              <input name="repeat" type="password" autocomplete="new-password" required minLength={8} />
            </label>
            <button type="submit" class="primary" disabled={busy}>
              {busy ? t("creating") : t("create")}
            </button>
          </form>
          <form class="card" onSubmit={onImport} aria-labelledby="import-heading">
            <h3 id="import-heading">{t("importHeading")}</h3>
            <p class="hint">{t("importHint")}</p>
            <label>
              {t("importText")}
              <textarea name="text" rows={3} autocomplete="off" spellcheck={false} />
            </label>
            <label>
              {t("importFile")}
              <input name="file" type="file" accept="application/json,.json" />
            </label>
            <label>
              {t("password")}
              <input name="password" type="password" autocomplete="new-password" required />
            </label>
            <button type="submit" disabled={busy}>
              {t("importButton")}
            </button>
          </form>
        </div>
      )}
    </section>
  );
}
