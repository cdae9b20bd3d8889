/**
 * The web app's own coded errors (no browser wallet, a wallet on the wrong chain, a relayer's quote
 * not signed by it) are told apart by class and code, never by their message, and each maps to the
 * text the page has always shown, in both languages.
 */
import { describe, expect, it } from "vitest";
import { RelayerRequestError } from "../../service/sdk/relayer-client.ts";
import { devWallet, WalletError, WalletErrorCode } from "../../web/src/chain.ts";
import type { RuntimeConfig } from "../../web/src/config.ts";
import { BadQuote, explain } from "../../web/src/errors.ts";
import { translator } from "../../web/src/i18n.ts";

const en = translator("en");
const zh = translator("zh-CN");

describe("explain, for the web app's coded errors", () => {
  it("maps NO_INJECTED_WALLET to the advice to install a wallet", () => {
    for (const message of ["the page has no browser wallet", "the browser wallet gave no account"]) {
      const error = new WalletError(WalletErrorCode.NoInjectedWallet, message);
      expect(explain(error, en)).toEqual({
        text: "No browser wallet found. Install one (or use the development wallet on the local chain).",
      });
      expect(explain(error, zh)).toEqual({ text: "未找到浏览器钱包。请安装一个（或在本地链上使用开发钱包）。" });
    }
  });

  it("maps WRONG_CHAIN to the advice to switch, with the wallet's chain id taken from the error, not its message", () => {
    const refused = new Error("the user refused to switch");
    const error = new WalletError(
      WalletErrorCode.WrongChain,
      "the browser wallet is on chain 1 and did not switch to chain 31337",
      { chainId: 1, expectedChainId: 31337 },
      { cause: refused },
    );
    expect(error.cause).toBe(refused);
    expect(explain(error, en, { chainId: 31337 })).toEqual({
      text: "Your wallet is on chain 1: switch it to chain 31337 and connect again.",
    });
    expect(explain(error, zh, { chainId: 31337 })).toEqual({ text: "你的钱包在链 1 上：请切换到链 31337 后重新连接。" });
  });

  it("maps BAD_QUOTE to the advice to choose another relayer", () => {
    const error = new BadQuote("the quote is not signed by the relayer 0x00000000000000000000000000000000000000aa for this pool");
    expect(error.code).toBe("BAD_QUOTE");
    expect(explain(error, en)).toEqual({ text: "The relayer's quote is not signed by it for this pool. Choose another relayer." });
    expect(explain(error, zh)).toEqual({ text: "中继的报价不是它为本资金池签署的。请选择其他中继。" });
  });

  it("adds the SDK's advice to a relayer's refusal, deciding INVALID_PROOF and FEE_POLICY_UNSATISFIABLE as the relayer's own checks", () => {
    const refusal = (code: string) => new RelayerRequestError(code, "the reason", 422);
    expect(explain(refusal("INVALID_PROOF"), en).text).toBe(
      "The relayer refused the claim (INVALID_PROOF): the reason Try again: a new quote and a fresh proof will be made.",
    );
    expect(explain(refusal("FEE_POLICY_UNSATISFIABLE"), en).text).toBe(
      "The relayer refused the claim (FEE_POLICY_UNSATISFIABLE): the reason This relayer cannot take this claim: choose another relayer.",
    );
    expect(explain(refusal("FEE_POLICY_UNSATISFIABLE"), zh).text).toBe(
      "中继拒绝了该理赔（FEE_POLICY_UNSATISFIABLE）：the reason 该中继无法受理此理赔：请选择其他中继。",
    );
    expect(explain(refusal("INSUFFICIENT_POOL_FUNDS"), en).text).toBe(
      "The relayer refused the claim (INSUFFICIENT_POOL_FUNDS): the reason Wait a moment and try again, or choose another relayer.",
    );
    expect(explain(refusal("NULLIFIER_SPENT"), en).text).toBe(
      "The relayer refused the claim (NULLIFIER_SPENT): the reason This claim was already paid; there is nothing more to do.",
    );
    expect(explain(refusal("AMOUNT_OVER_CAP"), en).text).toBe("The relayer refused the claim (AMOUNT_OVER_CAP): the reason");
  });

  it("refuses the development wallet off the local chain with DEV_WALLET_NOT_LOCAL, and says what to use", async () => {
    const error = await devWallet({ chainId: 1 } as RuntimeConfig, 0).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WalletError);
    expect(error).toMatchObject({ code: "DEV_WALLET_NOT_LOCAL", chainId: 1, expectedChainId: 31337 });
    expect(explain(error, en)).toEqual({
      text: "The development wallet works only on the local chain (31337): connect a browser wallet instead.",
      detail: "the development wallet works only on the local chain (31337)",
    });
    const reverted = new WalletError(WalletErrorCode.TransactionReverted, "transaction 0xab reverted");
    expect(explain(reverted, zh)).toEqual({ text: "资金池拒绝了该交易：transaction 0xab reverted" });
  });

  it("no longer reads a code out of a plain error's message", () => {
    for (const message of ["BAD_QUOTE", "NO_INJECTED_WALLET", "WRONG_CHAIN:1"]) {
      expect(explain(new Error(message), en)).toEqual({
        text: `Something went wrong: ${message}. Try again; if it persists, reload the page.`,
      });
    }
  });
});
