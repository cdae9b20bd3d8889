import { Chacha20Poly1305 } from "@hpke/chacha20poly1305";
import { CipherSuite, HkdfSha256 } from "@hpke/core";
import { DhkemX25519HkdfSha256 } from "@hpke/dhkem-x25519";
import { Value } from "typebox/value";
import { describe, expect, it } from "vitest";
import { generateAssessorKey } from "../../service/sdk/assessor.ts";
import { fromBase64, toBase64 } from "../../service/sdk/bytes.ts";
import { caseKeyInfo } from "../../service/sdk/desk/envelope.ts";
import {
  CreateCaseBody,
  checkSealedFile,
  createRosterEntry,
  deriveDeskKey,
  openCaseEnvelope,
  openCaseFile,
  type SealCaseInput,
  sealCase,
} from "../../service/sdk/desk/index.ts";
import { createIdentity } from "../../service/sdk/identity.ts";

const PLAN = 3n;
const details = { category: "medical" as const, dateOfLoss: "2026-11-02", description: "hospital stay, MARKER-7731", amount: 250_000n };
const pdf = { name: "bill.pdf", type: "application/pdf", bytes: new TextEncoder().encode("%PDF-1.7 a hospital bill") };
const photo = { name: "x-ray.jpg", type: "image/jpeg", bytes: Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) & 0xff) };

async function setup(extra: Partial<SealCaseInput> = {}) {
  const assessors = [generateAssessorKey(), generateAssessorKey()];
  const roster = await Promise.all(assessors.map((a) => createRosterEntry(a, PLAN)));
  const identity = createIdentity();
  const sealed = await sealCase({ identity, planId: PLAN, roster, details, files: [pdf, photo], ...extra });
  return { assessors, roster, identity, sealed };
}

function nth<T>(items: readonly T[], index: number): T {
  const item = items[index];
  if (item === undefined) throw new Error(`no item ${index}`);
  return item;
}

function flip(base64: string, at: number): string {
  const bytes = fromBase64(base64);
  bytes[at] = (bytes[at] ?? 0) ^ 1;
  return toBase64(bytes);
}

describe("desk case envelope", () => {
  it("opens for every assessor on the roster with the document, files and the member's signature", async () => {
    const { assessors, identity, sealed } = await setup();
    for (const assessor of assessors) {
      const opened = await openCaseEnvelope(sealed.envelope, await deriveDeskKey(assessor));
      expect(opened.document).toMatchObject({
        ...details,
        planId: PLAN,
        commitment: identity.commitment,
        eventId: sealed.document.eventId,
      });
      expect(opened.document.files.map((f) => [f.name, f.type, f.size])).toEqual([
        ["bill.pdf", "application/pdf", pdf.bytes.length],
        ["x-ray.jpg", "image/jpeg", photo.bytes.length],
      ]);
      expect(await openCaseFile(opened, 0, sealed.files[0] as Uint8Array)).toEqual(pdf.bytes);
      expect(await openCaseFile(opened, 1, sealed.files[1] as Uint8Array)).toEqual(photo.bytes);
    }
  });

  it("makes a request body the wire schema accepts, with no plaintext in it", async () => {
    const { sealed } = await setup();
    const body = { ...sealed.envelope, capabilityHash: sealed.capabilityHash };
    expect(Value.Check(CreateCaseBody, body)).toBe(true);
    expect(JSON.stringify(body)).not.toContain("MARKER-7731");
    expect(sealed.document.eventId >= 2n ** 128n).toBe(true);
  });

  it("refuses a tampered document byte with DESK_PART_TAMPERED", async () => {
    const { assessors, sealed } = await setup();
    const envelope = { ...sealed.envelope, document: flip(sealed.envelope.document, 40) };
    await expect(openCaseEnvelope(envelope, await deriveDeskKey(nth(assessors, 0)))).rejects.toMatchObject({ code: "DESK_PART_TAMPERED" });
  });

  it("refuses a tampered file with DESK_PART_TAMPERED, and DESK_FILE_MISMATCH against its declared hash", async () => {
    const { assessors, sealed } = await setup();
    const opened = await openCaseEnvelope(sealed.envelope, await deriveDeskKey(nth(assessors, 0)));
    const file = Uint8Array.from(sealed.files[1] as Uint8Array);
    file[500] = (file[500] ?? 0) ^ 0x80;
    await expect(openCaseFile(opened, 1, file)).rejects.toMatchObject({ code: "DESK_PART_TAMPERED" });
    expect(() => checkSealedFile(nth(sealed.envelope.files, 1), file)).toThrow(expect.objectContaining({ code: "DESK_FILE_MISMATCH" }));
  });

  it("refuses swapped parts with DESK_PART_TAMPERED: two files, or a file as the document", async () => {
    const { assessors, sealed } = await setup();
    const opened = await openCaseEnvelope(sealed.envelope, await deriveDeskKey(nth(assessors, 0)));
    await expect(openCaseFile(opened, 0, sealed.files[1] as Uint8Array)).rejects.toMatchObject({ code: "DESK_PART_TAMPERED" });
    const asDocument = { ...sealed.envelope, document: toBase64(sealed.files[0] as Uint8Array) };
    await expect(openCaseEnvelope(asDocument, await deriveDeskKey(nth(assessors, 0)))).rejects.toMatchObject({
      code: "DESK_PART_TAMPERED",
    });
  });

  it("refuses a file from another case with DESK_PART_TAMPERED", async () => {
    const a = await setup();
    const b = await setup();
    const opened = await openCaseEnvelope(a.sealed.envelope, await deriveDeskKey(nth(a.assessors, 0)));
    await expect(openCaseFile(opened, 0, b.sealed.files[0] as Uint8Array)).rejects.toMatchObject({ code: "DESK_PART_TAMPERED" });
  });

  it("refuses a wrapped key made for another case with DESK_WRAPPED_KEY_INVALID", async () => {
    const { assessors, roster, identity, sealed } = await setup();
    const other = await sealCase({ identity, planId: PLAN, roster, details, files: [] });
    const envelope = { ...sealed.envelope, recipients: other.envelope.recipients };
    await expect(openCaseEnvelope(envelope, await deriveDeskKey(nth(assessors, 0)))).rejects.toMatchObject({
      code: "DESK_WRAPPED_KEY_INVALID",
    });
  });

  it("refuses an assessor it was not encrypted to with DESK_NOT_A_RECIPIENT", async () => {
    const { sealed } = await setup();
    await expect(openCaseEnvelope(sealed.envelope, await deriveDeskKey(generateAssessorKey()))).rejects.toMatchObject({
      code: "DESK_NOT_A_RECIPIENT",
    });
  });

  it("refuses a wrapped key relabelled for another assessor's key with DESK_WRAPPED_KEY_INVALID", async () => {
    const { assessors, sealed } = await setup();
    const first = nth(sealed.envelope.recipients, 0);
    const second = nth(sealed.envelope.recipients, 1);
    const relabelled = { ...sealed.envelope, recipients: [{ ...first, recipient: second.recipient }] };
    await expect(openCaseEnvelope(relabelled, await deriveDeskKey(nth(assessors, 1)))).rejects.toMatchObject({
      code: "DESK_WRAPPED_KEY_INVALID",
    });
  });

  it("refuses files over 10 MiB with DESK_TOO_LARGE before encrypting", async () => {
    const big = { name: "scan.tiff", type: "image/tiff", bytes: new Uint8Array(10 * 1024 * 1024 + 1) };
    await expect(setup({ files: [big] })).rejects.toMatchObject({ code: "DESK_TOO_LARGE" });
  });

  it("refuses an event id below 128 bits", async () => {
    await expect(setup({ eventId: 12345n })).rejects.toMatchObject({ code: "DESK_MALFORMED" });
  });

  it("wraps keys as plain RFC 9180 base mode: @hpke/core opens one directly", async () => {
    const { assessors, sealed } = await setup();
    const deskKey = await deriveDeskKey(nth(assessors, 0));
    const wrapped = nth(
      sealed.envelope.recipients.filter((r) => r.recipient === deskKey.publicKey),
      0,
    );
    const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Chacha20Poly1305() });
    const key = await suite.open(
      { recipientKey: deskKey.pair, enc: fromBase64(wrapped.enc), info: caseKeyInfo(PLAN, sealed.envelope.envelopeId) },
      fromBase64(wrapped.key),
    );
    expect(new Uint8Array(key).length).toBe(32);
  });
});
