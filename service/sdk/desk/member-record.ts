/**
 * A member's local record of a case (its id, plan, event id, capability and reply key secret),
 * sealed at rest under a key derived from the identity's secret (HKDF-SHA256, versioned label):
 * any device holding the identity opens it, and nothing of it leaves the device.
 */
import { hkdf } from "@noble/hashes/hkdf";
import { sha256 } from "@noble/hashes/sha2";
import { type Static, Type } from "typebox";
import { Value } from "typebox/value";
import { toBase64 } from "../bytes.ts";
import { ErrorCode, HuzhuError } from "../errors.ts";
import type { Identity } from "../identity.ts";
import { Decimal } from "../relayer-wire.ts";
import { encodeValues } from "./encode.ts";
import { LABEL } from "./labels.ts";
import { Bytes32, CaseId, EnvelopeId } from "./schemas.ts";
import { KEY_BYTES, openWithKey, sealWithKey } from "./suite.ts";
import { decodeBytes, malformed } from "./wire-values.ts";

export const MemberCaseRecordJson = Type.Object(
  {
    caseId: CaseId,
    planId: Decimal,
    envelopeId: EnvelopeId,
    eventId: Decimal,
    /** The capability (base64): the bearer token for the case. */
    capability: Bytes32,
    /** The reply key's secret (base64). */
    replySecret: Bytes32,
    /** The desk's URL, if the client keeps it with the case. */
    deskUrl: Type.Optional(Type.String({ maxLength: 2048 })),
  },
  { additionalProperties: false },
);
export type MemberCaseRecord = Static<typeof MemberCaseRecordJson>;

export interface SealedMemberRecord {
  kind: "huzhu-desk-case-record";
  version: 1;
  /** nonce || ciphertext, base64. */
  sealed: string;
}

function recordKey(identity: Identity): Uint8Array {
  const secret = new Uint8Array(KEY_BYTES);
  let x = identity.secretScalar;
  for (let i = KEY_BYTES - 1; i >= 0; i--, x >>= 8n) secret[i] = Number(x & 0xffn);
  return hkdf(sha256, secret, undefined, new TextEncoder().encode(LABEL.memberRecordKey), KEY_BYTES);
}

const AAD = encodeValues(LABEL.memberRecord, []);

export async function sealMemberRecord(identity: Identity, record: MemberCaseRecord): Promise<SealedMemberRecord> {
  if (!Value.Check(MemberCaseRecordJson, record)) throw malformed("a member case record has the wrong shape");
  const plaintext = new TextEncoder().encode(JSON.stringify(record));
  return { kind: "huzhu-desk-case-record", version: 1, sealed: toBase64(await sealWithKey(recordKey(identity), plaintext, AAD)) };
}

/** Opens a record; DESK_RECORD_NOT_YOURS if it was sealed by another identity or altered. */
export async function openMemberRecord(identity: Identity, value: SealedMemberRecord): Promise<MemberCaseRecord> {
  if (value?.kind !== "huzhu-desk-case-record" || value.version !== 1)
    throw malformed('a case record has kind "huzhu-desk-case-record", version 1');
  let plaintext: Uint8Array;
  try {
    plaintext = await openWithKey(recordKey(identity), decodeBytes(value.sealed, "sealed record"), AAD, "case record");
  } catch (error) {
    throw new HuzhuError(
      ErrorCode.DeskRecordNotYours,
      "this case record does not open with this identity: it is another identity's, or was altered",
      {},
      {
        cause: error,
      },
    );
  }
  const record: unknown = JSON.parse(new TextDecoder().decode(plaintext));
  if (!Value.Check(MemberCaseRecordJson, record)) throw malformed("the case record inside has the wrong shape");
  return record;
}
