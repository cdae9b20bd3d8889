/**
 * The case envelope: a random content key per case, wrapped to each assessor's HPKE key
 * (RFC 9180 single-shot base mode, `info` binding a label, the plan and the case's envelope id),
 * and every part (the case document, each evidence file) sealed under that key with an AAD that
 * binds the envelope id, the part's kind and its index, so parts cannot be swapped or moved.
 *
 * The envelope id is 16 random bytes the member's client picks: the desk's case id does not exist
 * yet when the member seals the case.
 */
import { toBase64 } from "../bytes.ts";
import { ErrorCode, HuzhuError } from "../errors.ts";
import type { HpkeKeyPair } from "./desk-key.ts";
import { importPublicKey } from "./desk-key.ts";
import { encodeValues } from "./encode.ts";
import { LABEL } from "./labels.ts";
import { KEY_BYTES, openWithKey, randomBytes, sealWithKey, suite } from "./suite.ts";
import { decodeBytes } from "./wire-values.ts";

/** A key wrapped to one recipient: its HPKE public key, the encapsulation and the sealed key (base64). */
export interface WrappedKey {
  recipient: string;
  enc: string;
  key: string;
}

export type PartKind = "document" | "file";

export const ENVELOPE_ID_BYTES = 16;

export function newEnvelopeId(): string {
  return toBase64(randomBytes(ENVELOPE_ID_BYTES));
}

export function newContentKey(): Uint8Array<ArrayBuffer> {
  return randomBytes(KEY_BYTES);
}

/** The HPKE `info` of a case's wrapped keys. */
export function caseKeyInfo(planId: bigint, envelopeId: string): Uint8Array {
  return encodeValues(LABEL.caseKey, [planId, envelopeId]);
}

/** The AAD of a case part. */
export function casePartAad(envelopeId: string, kind: PartKind, index: number): Uint8Array {
  return encodeValues(LABEL.casePart, [envelopeId, kind, index]);
}

/** `key` wrapped to each recipient public key (base64) under `info`. */
export async function wrapKey(key: Uint8Array, recipients: readonly string[], info: Uint8Array): Promise<WrappedKey[]> {
  return Promise.all(
    recipients.map(async (recipient) => {
      const { enc, ct } = await suite.seal({ recipientPublicKey: await importPublicKey(recipient), info }, key);
      return { recipient, enc: toBase64(new Uint8Array(enc)), key: toBase64(new Uint8Array(ct)) };
    }),
  );
}

/**
 * The key wrapped to `own` among `wrapped`: DESK_NOT_A_RECIPIENT if none is addressed to it,
 * DESK_WRAPPED_KEY_INVALID if the one addressed to it does not open under `info` (made for another
 * case or plan, or altered).
 */
export async function unwrapKey(wrapped: readonly WrappedKey[], own: HpkeKeyPair, info: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  const mine = wrapped.find((w) => w.recipient === own.publicKey);
  if (!mine) {
    throw new HuzhuError(
      ErrorCode.DeskNotARecipient,
      "this was not encrypted to your desk key: it was sealed before your roster entry was published, or to other assessors",
      { publicKey: own.publicKey },
    );
  }
  let key: Uint8Array<ArrayBuffer>;
  try {
    const opened = await suite.open(
      { recipientKey: own.pair, enc: decodeBytes(mine.enc, "wrapped key enc", KEY_BYTES), info },
      decodeBytes(mine.key, "wrapped key"),
    );
    key = new Uint8Array(opened);
  } catch (error) {
    throw new HuzhuError(
      ErrorCode.DeskWrappedKeyInvalid,
      "the key wrapped to you does not open for this plan and case: it was made for another case, or altered",
      {},
      { cause: error },
    );
  }
  if (key.length !== KEY_BYTES) throw new HuzhuError(ErrorCode.DeskWrappedKeyInvalid, "the key wrapped to you is not a 32-byte key");
  return key;
}

export function sealPart(
  contentKey: Uint8Array,
  envelopeId: string,
  kind: PartKind,
  index: number,
  plaintext: Uint8Array,
): Promise<Uint8Array<ArrayBuffer>> {
  return sealWithKey(contentKey, plaintext, casePartAad(envelopeId, kind, index));
}

/** Opens a part; altered, swapped or another case's: DESK_PART_TAMPERED. */
export function openPart(
  contentKey: Uint8Array,
  envelopeId: string,
  kind: PartKind,
  index: number,
  sealed: Uint8Array,
): Promise<Uint8Array<ArrayBuffer>> {
  return openWithKey(contentKey, sealed, casePartAad(envelopeId, kind, index), kind === "document" ? "case document" : `file ${index}`);
}
