import { Identity } from "@semaphore-protocol/identity";
import { describe, expect, it } from "vitest";
import { decryptIdentity, encryptIdentity, importIdentity, parseKeystore } from "../../service/sdk/index.ts";

// A low scrypt cost keeps these tests fast; the default is checked separately.
const FAST = { N: 2 ** 10 };

describe("identity keystore", () => {
  it("round-trips an identity made by @semaphore-protocol/identity, unchanged", async () => {
    const identity = new Identity();
    const keystore = await encryptIdentity(identity, "correct horse", FAST);
    const restored = await decryptIdentity(JSON.parse(JSON.stringify(keystore)), "correct horse");
    expect(restored.commitment).toBe(identity.commitment);
    expect(restored.secretScalar).toBe(identity.secretScalar);
    expect(keystore.commitment).toBe(identity.commitment.toString());
  });

  it("keeps no part of the secret in clear", async () => {
    const identity = new Identity();
    const text = JSON.stringify(await encryptIdentity(identity, "pw", FAST));
    expect(text).not.toContain(identity.export());
    expect(text).not.toContain(identity.secretScalar.toString());
  });

  it("uses scrypt N = 2^17 by default", async () => {
    const keystore = await encryptIdentity(new Identity(), "pw");
    expect(keystore.kdf).toMatchObject({ name: "scrypt", N: 2 ** 17, r: 8, p: 1 });
    expect(keystore.cipher.name).toBe("aes-256-gcm");
  });

  it("refuses a wrong password with WRONG_PASSWORD", async () => {
    const keystore = await encryptIdentity(new Identity(), "right", FAST);
    await expect(decryptIdentity(keystore, "wrong")).rejects.toMatchObject({
      code: "WRONG_PASSWORD",
      message: "wrong password for this keystore (or the file was altered)",
    });
  });

  it("refuses a keystore whose clear-text commitment was swapped", async () => {
    const keystore = await encryptIdentity(new Identity(), "pw", FAST);
    const swapped = { ...keystore, commitment: new Identity().commitment.toString() };
    await expect(decryptIdentity(swapped, "pw")).rejects.toMatchObject({ code: "WRONG_PASSWORD" });
  });

  it("refuses an empty password when encrypting", async () => {
    await expect(encryptIdentity(new Identity(), "", FAST)).rejects.toMatchObject({ code: "WRONG_PASSWORD" });
  });

  it.each([
    ["not an object", "x", "not a Huzhu identity keystore: expected a JSON object"],
    ["another kind", { kind: "other", version: 1 }, 'not a Huzhu identity keystore: kind must be "huzhu-identity"'],
    ["a future version", { kind: "huzhu-identity", version: 2 }, "not a Huzhu identity keystore: unsupported version 2"],
  ])("refuses %s with INVALID_KEYSTORE", (_label, value, message) => {
    expect(() => parseKeystore(value)).toThrow(expect.objectContaining({ code: "INVALID_KEYSTORE", message }));
  });

  it.each([
    ["below 2^10 (too weak)", 2],
    ["above 2^20 (a denial of service on the reader)", 2 ** 24],
  ])("refuses a keystore with a scrypt cost %s", async (_label, N) => {
    const keystore = await encryptIdentity(new Identity(), "pw", FAST);
    expect(() => parseKeystore({ ...keystore, kdf: { ...keystore.kdf, N } })).toThrow(
      expect.objectContaining({
        code: "INVALID_KEYSTORE",
        message: "not a Huzhu identity keystore: kdf must be scrypt with 1024 <= N <= 2^20, r = 8, p = 1 and a salt",
      }),
    );
  });
});

describe("identity import", () => {
  it("restores the Semaphore identity exported by the library", () => {
    const identity = new Identity("a member's private key");
    expect(importIdentity(identity.export()).commitment).toBe(identity.commitment);
    // One character changed decodes to another key under lenient base64: refused instead.
    const typo = `${identity.export().slice(0, 10)}*${identity.export().slice(11)}`;
    expect(() => importIdentity(typo)).toThrow(
      "not an exported Semaphore identity: the text is not exact base64 of a private key (check for typos)",
    );
  });
});
