import { describe, expect, it } from "vitest";
import {
  bigintToHex,
  fromBase64,
  fromPlainHex,
  fromPrefixedHex,
  isCanonicalBase64,
  toBase64,
  toPlainHex,
  toPrefixedHex,
} from "../../service/sdk/bytes.ts";

describe("the hex and base64 codec", () => {
  const bytes = Uint8Array.from([0, 1, 127, 128, 254, 255]);

  it("writes hex without 0x and base64 that decodes back to the same bytes", () => {
    expect(toPlainHex(bytes)).toBe("00017f80feff");
    expect(toBase64(bytes)).toBe("AAF/gP7/");
    expect(fromBase64("AAF/gP7/")).toEqual(bytes);
    expect(toBase64(new Uint8Array(70_000)).length).toBe(93_336);
  });

  it("writes lower-case hex with 0x and reads hex of either case back to the same bytes", () => {
    expect(toPrefixedHex(bytes)).toBe("0x00017f80feff");
    expect(toPrefixedHex(new Uint8Array())).toBe("0x");
    expect(fromPrefixedHex("0x00017F80FEff")).toEqual(bytes);
    expect(fromPlainHex("00017F80FEff")).toEqual(bytes);
    expect(fromPlainHex("")).toEqual(new Uint8Array());
  });

  it("writes an integer as 0x hex without leading zeros", () => {
    expect(bigintToHex(0n)).toBe("0x0");
    expect(bigintToHex(255n)).toBe("0xff");
    expect(bigintToHex(2n ** 253n + 1n)).toBe(`0x2${"0".repeat(62)}1`);
  });

  it.each(["0", "abc", "0x00", "zz", "00 11", "0g"])("refuses %j as hex without 0x", (text) => {
    expect(() => fromPlainHex(text)).toThrow(new TypeError("expected hex bytes without 0x (an even number of hex digits)"));
  });

  it.each(["", "00", "0x0", "0xzz", "0X00", "0x00 "])("refuses %j as 0x-prefixed hex", (text) => {
    expect(() => fromPrefixedHex(text)).toThrow(new TypeError("expected 0x-prefixed hex bytes (an even number of hex digits)"));
  });

  it("decodes base64 without its padding to the same bytes", () => {
    expect(fromBase64("aHV6aHU")).toEqual(fromBase64("aHV6aHU="));
    expect(fromBase64("aA")).toEqual(Uint8Array.from([0x68]));
  });

  it.each(["aHV6 aHU=", "a!==", "aHV6aHU=\n", "aA=", "a", "aHV6aHV="])("refuses to decode %j rather than guess its bytes", (text) => {
    expect(() => fromBase64(text)).toThrow(new TypeError("expected base64 (the standard alphabet, padded or not)"));
  });

  it.each(["AAF/gP7/", "aHV6aHU=", "aA=="])("accepts the canonical base64 %j", (text) => {
    expect(isCanonicalBase64(text)).toBe(true);
  });

  it.each(["", "aHV6aHU", "aHV6 aHU=", "aHV6aHV=", "aA=", "a!==", "aHV6aHU=\n"])("refuses the non-canonical base64 %j", (text) => {
    expect(isCanonicalBase64(text)).toBe(false);
  });
});
