/**
 * What every view shares: the app's state (config, chain client, prover, identity, payer) through
 * a context, and the Notice that shows a message. Its own module, so the views import it without
 * importing the app that imports them.
 */
import { createContext, type JSX } from "preact";
import { useContext } from "preact/hooks";
import type { PublicClient } from "viem";
import type { Identity } from "../../service/sdk/identity.ts";
import type { Keystore } from "../../service/sdk/keystore.ts";
import type { Payer } from "./chain.ts";
import type { RuntimeConfig } from "./config.ts";
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
