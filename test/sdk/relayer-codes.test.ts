/**
 * The relayer's codes and what each tells a client to do next live in the SDK once: the relayer
 * answers with them, the CLI's hints and the web app's advice read them. The pool's codes mean
 * what the catalogue's kind says, except the three the relayer decides at a check of its own.
 */
import { describe, expect, it } from "vitest";
import { RelayerErrorCode as RelayerOwnCodes } from "../../service/relayer/errors.ts";
import { poolFailureKind } from "../../service/sdk/pool-errors.ts";
import { RELAYER_ADVICE, RelayerClientCode, RelayerErrorCode, relayerAdvice } from "../../service/sdk/relayer-codes.ts";

describe("the relayer's codes and their advice", () => {
  it("are the relayer's own (one object, not a copy)", () => {
    expect(RelayerOwnCodes).toBe(RelayerErrorCode);
    expect(Object.keys(RELAYER_ADVICE).sort()).toEqual(Object.values(RelayerErrorCode).sort());
  });

  it("defer to the pool catalogue only for the catalogue's codes", () => {
    const deferred = Object.entries(RELAYER_ADVICE).filter(([, advice]) => advice === "pool");
    expect(deferred.filter(([code]) => poolFailureKind(code) === undefined)).toEqual([]);
    // The catalogue codes the relayer decides itself, each at a check before anything is sent.
    const decided = Object.entries(RELAYER_ADVICE)
      .filter(([code, advice]) => advice !== "pool" && poolFailureKind(code) !== undefined)
      .map(([code]) => code)
      .sort();
    expect(decided).toEqual(["FEE_POLICY_UNSATISFIABLE", "INVALID_PROOF", "NULLIFIER_SPENT"]);
  });

  it("tell a refusal at the relayer's own check from the same revert on chain", () => {
    // On chain an invalid proof is final; refused by the relayer's verifier, a fresh proof may pass.
    expect(poolFailureKind("INVALID_PROOF")).toBe("final");
    expect(relayerAdvice("INVALID_PROOF")).toBe("retry");
    // The catalogue calls a fee above the plan's limit retryable; this relayer cannot go lower.
    expect(poolFailureKind("FEE_POLICY_UNSATISFIABLE")).toBe("retry");
    expect(relayerAdvice("FEE_POLICY_UNSATISFIABLE")).toBe("elsewhere");
    expect(relayerAdvice("NULLIFIER_SPENT")).toBe("spent");
  });

  it("follow the catalogue's kind for the other pool codes", () => {
    expect(relayerAdvice("WRONG_EPOCH")).toBe("retry");
    expect(relayerAdvice("INSUFFICIENT_POOL_FUNDS")).toBe("later");
    expect(relayerAdvice("POOL_PAUSED")).toBe("later");
    expect(relayerAdvice("AMOUNT_OVER_CAP")).toBeUndefined();
    expect(relayerAdvice("CLAIMS_CLOSED")).toBeUndefined();
  });

  it("give the relayer's own refusals and the client's codes their advice", () => {
    expect(relayerAdvice("QUOTE_EXPIRED")).toBe("retry");
    expect(relayerAdvice("HOLD_EXPIRED")).toBe("retry");
    expect(relayerAdvice("RATE_LIMITED")).toBe("later");
    expect(relayerAdvice("NOT_READY")).toBe("later");
    expect(relayerAdvice("INVALID_BODY")).toBeUndefined();
    expect(relayerAdvice(RelayerClientCode.Timeout)).toBe("later");
    expect(relayerAdvice(RelayerClientCode.Unreachable)).toBeUndefined();
    expect(relayerAdvice("SOMETHING_NEW")).toBeUndefined();
  });
});
