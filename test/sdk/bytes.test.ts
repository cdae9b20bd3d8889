import { describe, expect, it } from "vitest";
import { fromBase64, isCanonicalBase64, toBase64, toPlainHex } from "../../service/sdk/bytes.ts";

describe("the hex and base64 codec", () => {
  const bytes = Uint8Array.from([0, 1, 127, 128, 254, 255]);

  it("writes hex without 0x and base64 that decodes back to the same bytes", () => {
    expect(toPlainHex(bytes)).toBe("00017f80feff");
    expect(toBase64(bytes)).toBe("AAF/gP7/");
    expect(fromBase64("AAF/gP7/")).toEqual(bytes);
    expect(toBase64(new Uint8Array(70_000)).length).toBe(93_336);
  });

  it.each(["AAF/gP7/", "aHV6aHU=", "aA=="])("accepts the canonical base64 %j", (text) => {
    expect(isCanonicalBase64(text)).toBe(true);
  });

  it.each(["", "aHV6aHU", "aHV6 aHU=", "aHV6aHV=", "aA=", "a!==", "aHV6aHU=\n"])("refuses the non-canonical base64 %j", (text) => {
    expect(isCanonicalBase64(text)).toBe(false);
  });
});
