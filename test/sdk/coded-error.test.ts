import { describe, expect, it } from "vitest";
import { CliError } from "../../service/cli/lib/errors.ts";
import { ConfigError } from "../../service/relayer/config.ts";
import { RelayerError } from "../../service/relayer/errors.ts";
import { CodedError } from "../../service/sdk/coded-error.ts";
import { ErrorCode, HuzhuError } from "../../service/sdk/errors.ts";
import { RelayerClient, RelayerRequestError } from "../../service/sdk/relayer-client.ts";

describe("CodedError, the one error base", () => {
  it("is the base of the SDK's, the relayer's, the relayer client's, the CLI's and the configuration's errors", () => {
    const errors = [
      new HuzhuError(ErrorCode.NotAMember, "not a member"),
      new RelayerError("NOT_READY", "not ready"),
      new RelayerRequestError("UNREACHABLE", "cannot reach", 0),
      new CliError("BAD_VALUE", "bad value"),
      new ConfigError("bad config"),
    ];
    expect(errors.map((e) => [e instanceof CodedError, e.name, e.code])).toEqual([
      [true, "HuzhuError", "NOT_A_MEMBER"],
      [true, "RelayerError", "NOT_READY"],
      [true, "RelayerRequestError", "UNREACHABLE"],
      [true, "CliError", "BAD_VALUE"],
      [true, "ConfigError", "CONFIG_INVALID"],
    ]);
  });

  it("keeps the cause as the error it was, and walks the chain of causes", () => {
    const root = new TypeError("socket hang up");
    const middle = new HuzhuError(ErrorCode.TreeServiceFailed, "tree service failed", {}, { cause: root });
    const outer = new CliError("TREES", "cannot read the tree", undefined, { cause: middle });
    expect(outer.cause).toBe(middle);
    expect(middle.cause).toBe(root);
    expect(outer.walk((e) => e instanceof HuzhuError)).toBe(middle);
    expect(outer.walk()).toBe(root);
    expect(outer.walk((e) => e instanceof RangeError)).toBeUndefined();
    expect("cause" in new CliError("X", "no cause")).toBe(false);
    // An optional cause passed on as undefined is no cause, so callers need not branch on it.
    expect("cause" in new HuzhuError(ErrorCode.TreeServiceFailed, "no cause either", {}, { cause: undefined })).toBe(false);
  });

  it("carries the network failure as the cause when a relayer cannot be reached", async () => {
    const refused = new TypeError("fetch failed");
    const client = new RelayerClient("http://127.0.0.1:9", {
      fetch: () => Promise.reject(refused),
    });
    const error = await client.info().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RelayerRequestError);
    expect(error).toMatchObject({
      code: "UNREACHABLE",
      statusCode: 0,
      message: "cannot reach the relayer at http://127.0.0.1:9 (fetch failed)",
    });
    expect((error as RelayerRequestError).cause).toBe(refused);
  });
});
