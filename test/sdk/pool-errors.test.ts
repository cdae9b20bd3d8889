import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FINAL_CODES, HOLD_CODES, poolErrorCode, RelayerErrorCode } from "../../service/relayer/errors.ts";
import { huzhuPoolAbi } from "../../service/sdk/chain/abi.ts";
import { describePoolRevert, PLAN_PARAMS_ISSUES, POOL_REVERTS, poolFailureKind } from "../../service/sdk/pool-errors.ts";

const abiErrors = huzhuPoolAbi.filter((item) => item.type === "error").map((item) => item.name);

describe("the pool revert catalogue", () => {
  it("has an entry for every custom error in the pool's ABI", () => {
    const missing = abiErrors.filter((name) => !(name in POOL_REVERTS));
    expect(missing).toEqual([]);
    expect(abiErrors.filter((name) => name.startsWith("HuzhuPool__")).length).toBeGreaterThanOrEqual(26);
  });

  it("gives one code one kind (so the relayer's final and held sets are well defined)", () => {
    const kinds = new Map<string, string>();
    for (const entry of Object.values(POOL_REVERTS)) {
      expect(kinds.get(entry.code) ?? entry.kind, entry.code).toBe(entry.kind);
      kinds.set(entry.code, entry.kind);
    }
  });

  it("says what to do next from the revert's arguments", () => {
    expect(describePoolRevert("HuzhuPool__WrongEpoch", [4n, 5n])).toEqual({
      name: "HuzhuPool__WrongEpoch",
      code: "WRONG_EPOCH",
      kind: "retry",
      message: "the claim is for epoch 4 but the plan is in epoch 5: prove again for the current epoch",
    });
    expect(describePoolRevert("HuzhuPool__FeeTooHigh", [40n, 30n])).toMatchObject({
      code: "FEE_POLICY_UNSATISFIABLE",
      kind: "retry",
      message: "the relayer fee 40 is above the plan's maximum 30: use a relayer whose fee the plan allows, or submit it yourself",
    });
    expect(describePoolRevert("EnforcedPause")).toMatchObject({ code: "POOL_PAUSED", kind: "hold" });
  });

  it("names each PlanParamsIssue reason (IHuzhuPool.sol's enum, in order)", () => {
    const source = readFileSync(join(import.meta.dirname, "..", "..", "contracts", "interfaces", "IHuzhuPool.sol"), "utf8");
    const body = /enum PlanParamsIssue \{([^}]*)\}/.exec(source)?.[1] ?? "";
    const members = body
      .split("\n")
      .map((line) =>
        line
          .replace(/\/\/.*$/, "")
          .trim()
          .replace(/,$/, ""),
      )
      .filter((line) => line !== "");
    expect(members).toHaveLength(7);
    expect(PLAN_PARAMS_ISSUES.map(([name]) => name)).toEqual(members);
    expect(describePoolRevert("HuzhuPool__InvalidPlanParams", [3]).message).toBe(
      "the plan's parameters are invalid: the period is shorter than an hour: use a period of at least 3600 seconds",
    );
    expect(describePoolRevert("HuzhuPool__InvalidPlanParams", [9]).message).toBe("the plan's parameters are invalid: reason 9");
  });

  it("answers a revert it does not know with REVERTED, naming it, and treats it as retryable", () => {
    expect(describePoolRevert("Mystery", [1n, "x"])).toEqual({
      name: "Mystery",
      code: "REVERTED",
      kind: "retry",
      message: "the transaction would revert with Mystery(1, x)",
    });
    expect(poolFailureKind("NOT_A_POOL_CODE")).toBeUndefined();
  });
});

describe("the relayer's reading of the catalogue", () => {
  it("maps a claim's reverts to its codes, and the rest to SIMULATION_FAILED", () => {
    expect(poolErrorCode("HuzhuPool__FeeTooHigh")).toBe(RelayerErrorCode.FeePolicyUnsatisfiable);
    expect(poolErrorCode("HuzhuPool__GasDropFailed")).toBe(RelayerErrorCode.GasDropRefused);
    expect(poolErrorCode("EnforcedPause")).toBe(RelayerErrorCode.PoolPaused);
    expect(poolErrorCode("HuzhuPool__AlreadyMember")).toBe(RelayerErrorCode.SimulationFailed);
    expect(poolErrorCode("Mystery")).toBe(RelayerErrorCode.SimulationFailed);
  });

  it("keeps a claim failed for exactly the final codes, and holds it for the held ones", () => {
    expect([...FINAL_CODES].sort()).toEqual(
      // CLAIMS_CLOSED: a closed plan pays no claim again, whatever proof is sent.
      [
        "AMOUNT_OVER_CAP",
        "CLAIMS_CLOSED",
        "FIELD_OUT_OF_RANGE",
        "INVALID_PROOF",
        "NULLIFIER_SPENT",
        "UNKNOWN_PLAN",
        "ZERO_ADDRESS",
        "ZERO_AMOUNT",
      ].sort(),
    );
    expect([...HOLD_CODES].sort()).toEqual(["INSUFFICIENT_POOL_FUNDS", "PLAN_INACTIVE", "POOL_PAUSED"]);
  });
});
