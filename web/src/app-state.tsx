/**
 * What every view shares: the app's state (config, chain client, prover, identity, payer, the
 * approval handed to the claim page, the signed-in assessor) through a context, and the Notice that
 * shows a message. Its own module, so the views import it without importing the app that imports them.
 */
import { createContext, type JSX } from "preact";
import { useContext } from "preact/hooks";
import type { PublicClient } from "viem";
import type { ApprovalFile } from "../../service/sdk/assessor.ts";
import type { Identity } from "../../service/sdk/identity.ts";
import type { Keystore } from "../../service/sdk/keystore.ts";
import type { Payer } from "./chain.ts";
import type { RuntimeConfig } from "./config.ts";
import type { AssessorSignIn } from "./desk.ts";
import type { ProverClient } from "./prover.ts";

export interface AppState {
  config: RuntimeConfig;
  client: PublicClient;
  prover: ProverClient;
  keystore: Keystore | undefined;
  setKeystore(keystore: Keystore | undefined): void;
  identity: Identity | undefined;
  setIdentity(identity: Identity | undefined): void;
  payer: Payer | undefined;
  setPayer(payer: Payer | undefined): void;
  /** An approval handed to the claim page (from "My cases"), so the member picks no file. */
  approval: ApprovalFile | undefined;
  setApproval(approval: ApprovalFile | undefined): void;
  /** The assessor signed in to the desk: its key stays in this page's memory only. */
  assessor: AssessorSignIn | undefined;
  setAssessor(assessor: AssessorSignIn | undefined): void;
}

export const AppContext = createContext<AppState | undefined>(undefined);

export function useApp(): AppState {
  const state = useContext(AppContext);
  if (!state) throw new Error("useApp outside the app");
  return state;
}

/** A message for the user; `role="alert"` so screen readers announce errors. */
export function Notice(props: {
  kind: "error" | "ok" | "info";
  children: JSX.Element | JSX.Element[] | string;
  detail?: string | undefined;
}) {
  return (
    <div class={`notice ${props.kind}`} role={props.kind === "error" ? "alert" : "status"}>
      <div>{props.children}</div>
      {props.detail ? <small class="detail">{props.detail}</small> : null}
    </div>
  );
}

/** An explained error, or nothing. */
export function ErrorNotice(props: { error: { text: string; detail?: string | undefined } | undefined }) {
  return props.error ? (
    <Notice kind="error" detail={props.error.detail}>
      {props.error.text}
    </Notice>
  ) : null;
}
