/** The CLI's hint after a relayer's refusal is the SDK's advice for its code (service/sdk/relayer-codes.ts). */
import { describe, expect, it } from "vitest";
import { describeError } from "../../service/cli/lib/errors.ts";
import { RelayerRequestError } from "../../service/sdk/relayer-client.ts";

const refusal = (code: string) => describeError(new RelayerRequestError(code, "the reason", 422));

describe("describeError, for a relayer's refusal", () => {
  it("hints at what the SDK's advice says to do", () => {
    expect(refusal("FEE_POLICY_UNSATISFIABLE")).toEqual({
      code: "FEE_POLICY_UNSATISFIABLE",
      message: "the relayer refused (FEE_POLICY_UNSATISFIABLE): the reason",
      hint: "pass another --relayer, or submit it yourself with --direct (which links your wallet to the payout)",
    });
    expect(refusal("INVALID_PROOF").hint).toBe("run the claim again: it asks for a new quote and makes a fresh proof");
    expect(refusal("RATE_LIMITED").hint).toBe("wait a little and run it again, or pass another --relayer");
    expect(refusal("NULLIFIER_SPENT").hint).toBe("nothing more to do: this claim was paid");
  });

  it("gives no hint where the message says what to fix", () => {
    expect(refusal("AMOUNT_OVER_CAP")).toEqual({ code: "AMOUNT_OVER_CAP", message: "the relayer refused (AMOUNT_OVER_CAP): the reason" });
    expect(refusal("CLAIM_NOT_FOUND")).not.toHaveProperty("hint");
  });
});
