/**
 * The case document: what the member states about the loss, sealed inside the case envelope (the
 * desk never sees it). It carries the member's commitment and Semaphore public key and the
 * member's signature (`identity.signMessage`) over its field hash, so an assessor knows the case
 * is that member's; and the member's reply key, which assessors encrypt messages and the decision to.
 */
import { type Static, Type } from "typebox";
import { Value } from "typebox/value";
import type { PublicKey } from "../encoding.ts";
import { ErrorCode, HuzhuError } from "../errors.ts";
import { type Identity, Identity as SemaphoreIdentity } from "../identity.ts";
import { PLAN_CATEGORIES, type PlanCategoryName } from "../plan-terms.ts";
import { Decimal } from "../relayer-wire.ts";
import { fieldHash } from "./encode.ts";
import { LABEL } from "./labels.ts";
import { DESK_LIMITS } from "./limits.ts";
import { EdDSASignature, Point } from "./schemas.ts";
import { KEY_BYTES } from "./suite.ts";
import {
  decodeBytes,
  decodeField,
  decodePoint,
  decodeSignature,
  malformed,
  type PointJson,
  pointJson,
  type SignatureJson,
  signatureJson,
} from "./wire-values.ts";

/** An evidence file as the document lists it (of its plaintext). */
export interface CaseFileEntry {
  name: string;
  type: string;
  size: number;
  /** SHA-256 of the plaintext, hex. */
  sha256: string;
}

/** What the member states. */
export interface CaseDetails {
  category: PlanCategoryName;
  /** YYYY-MM-DD. */
  dateOfLoss: string;
  description: string;
  /** Amount asked, in the plan token's smallest unit. */
  amount: bigint;
}

export interface CaseDocument extends CaseDetails {
  planId: bigint;
  envelopeId: string;
  /** The loss event's id: random, at least 128 bits, chosen by the member's client; the approval names it. */
  eventId: bigint;
  files: CaseFileEntry[];
  commitment: bigint;
  memberPublicKey: PublicKey;
  /** The member's reply key for this case (X25519, 32 bytes, base64). */
  replyPublicKey: string;
  signature: { R8: readonly [bigint, bigint]; S: bigint };
}

export type UnsignedCaseDocument = Omit<CaseDocument, "signature" | "commitment" | "memberPublicKey">;

const Text = (maxLength: number) => Type.String({ maxLength });

export const CaseDocumentJson = Type.Object(
  {
    kind: Type.Literal("huzhu-case"),
    version: Type.Literal(1),
    planId: Decimal,
    envelopeId: Type.String({ maxLength: 64 }),
    eventId: Decimal,
    category: Type.Union(PLAN_CATEGORIES.map((c) => Type.Literal(c))),
    dateOfLoss: Type.String({ pattern: "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" }),
    description: Text(DESK_LIMITS.maxDescriptionChars),
    amount: Decimal,
    files: Type.Array(
      Type.Object(
        {
          name: Text(DESK_LIMITS.maxFileNameChars),
          type: Text(DESK_LIMITS.maxFileTypeChars),
          size: Type.Integer({ minimum: 0, maximum: DESK_LIMITS.maxFileBytes }),
          sha256: Type.String({ pattern: "^[0-9a-f]{64}$" }),
        },
        { additionalProperties: false },
      ),
      { maxItems: DESK_LIMITS.maxFiles },
    ),
    commitment: Decimal,
    memberPublicKey: Point,
    replyPublicKey: Type.String({ maxLength: 64 }),
    signature: EdDSASignature,
  },
  { additionalProperties: false },
);

/** Refuses details the desk cannot carry (DESK_MALFORMED, DESK_TOO_LARGE). */
export function checkCaseDetails(details: CaseDetails): void {
  if (!(PLAN_CATEGORIES as readonly string[]).includes(details.category)) {
    throw malformed(`category must be one of ${PLAN_CATEGORIES.join(", ")}`);
  }
  const date = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(details.dateOfLoss);
  const parsed = date ? new Date(`${details.dateOfLoss}T00:00:00Z`) : undefined;
  if (!parsed || Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== details.dateOfLoss) {
    throw malformed(`dateOfLoss must be a date as YYYY-MM-DD, got ${JSON.stringify(details.dateOfLoss)}`);
  }
  if (details.description.length > DESK_LIMITS.maxDescriptionChars) {
    throw new HuzhuError(ErrorCode.DeskTooLarge, `the description is over ${DESK_LIMITS.maxDescriptionChars} characters`);
  }
  decodeField(details.amount.toString(), "amount");
}

function hashValues(document: Omit<CaseDocument, "signature">) {
  return [
    document.planId,
    document.envelopeId,
    document.eventId,
    document.category,
    document.dateOfLoss,
    document.description,
    document.amount,
    document.files.length,
    ...document.files.flatMap((f) => [f.name, f.type, f.size, f.sha256]),
    document.commitment,
    document.memberPublicKey[0],
    document.memberPublicKey[1],
    decodeBytes(document.replyPublicKey, "replyPublicKey", KEY_BYTES),
  ];
}

/** The field element the member's identity signs: every field of the document but the signature. */
export function caseDocumentHash(document: Omit<CaseDocument, "signature">): bigint {
  return fieldHash(LABEL.caseDocument, hashValues(document));
}

export function signCaseDocument(identity: Identity, unsigned: UnsignedCaseDocument): CaseDocument {
  checkCaseDetails(unsigned);
  const document = {
    ...unsigned,
    commitment: identity.commitment,
    memberPublicKey: [identity.publicKey[0], identity.publicKey[1]] as const,
  };
  const signature = identity.signMessage(caseDocumentHash(document));
  return { ...document, signature: { R8: [BigInt(signature.R8[0]), BigInt(signature.R8[1])], S: BigInt(signature.S) } };
}

/**
 * Checks a signature by a member's Semaphore identity and that its public key is the
 * commitment's (commitment = Poseidon(publicKey)); DESK_MEMBER_SIGNATURE_INVALID if not.
 */
export function checkMemberSignature(
  message: bigint,
  signature: { R8: readonly [bigint, bigint]; S: bigint },
  memberPublicKey: PublicKey,
  commitment: bigint,
  what: string,
): void {
  let valid = false;
  try {
    valid =
      SemaphoreIdentity.generateCommitment([memberPublicKey[0], memberPublicKey[1]]) === commitment &&
      SemaphoreIdentity.verifySignature(message, { R8: [signature.R8[0], signature.R8[1]], S: signature.S }, [
        memberPublicKey[0],
        memberPublicKey[1],
      ]);
  } catch {
    valid = false;
  }
  if (!valid) {
    throw new HuzhuError(
      ErrorCode.DeskMemberSignatureInvalid,
      `the ${what}'s member signature does not verify for its commitment: it was not made by that member's identity, or was altered`,
      { commitment: commitment.toString() },
    );
  }
}

export function verifyCaseDocument(document: CaseDocument): void {
  checkMemberSignature(caseDocumentHash(document), document.signature, document.memberPublicKey, document.commitment, "case document");
}

export function encodeCaseDocument(document: CaseDocument): Uint8Array {
  const json = {
    kind: "huzhu-case",
    version: 1,
    planId: document.planId.toString(),
    envelopeId: document.envelopeId,
    eventId: document.eventId.toString(),
    category: document.category,
    dateOfLoss: document.dateOfLoss,
    description: document.description,
    amount: document.amount.toString(),
    files: document.files,
    commitment: document.commitment.toString(),
    memberPublicKey: pointJson(document.memberPublicKey),
    replyPublicKey: document.replyPublicKey,
    signature: signatureJson(document.signature),
  };
  const bytes = new TextEncoder().encode(JSON.stringify(json));
  if (bytes.length > DESK_LIMITS.maxDocumentBytes) {
    throw new HuzhuError(ErrorCode.DeskTooLarge, `the case document is ${bytes.length} bytes, over ${DESK_LIMITS.maxDocumentBytes}`);
  }
  return bytes;
}

/** Parses a decrypted document; DESK_MALFORMED if it is not one. Does not check its signature. */
export function decodeCaseDocument(bytes: Uint8Array): CaseDocument {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    throw malformed("the case document is not JSON", error);
  }
  if (!Value.Check(CaseDocumentJson, json)) {
    const first = [...Value.Errors(CaseDocumentJson, json)][0];
    throw malformed(`case document ${first ? `${first.instancePath || "/"} ${first.message}` : "has the wrong shape"}`);
  }
  const d = json as Static<typeof CaseDocumentJson>;
  const document: CaseDocument = {
    planId: decodeField(d.planId, "planId"),
    envelopeId: d.envelopeId,
    eventId: decodeField(d.eventId, "eventId"),
    category: d.category as PlanCategoryName,
    dateOfLoss: d.dateOfLoss,
    description: d.description,
    amount: decodeField(d.amount, "amount"),
    files: d.files,
    commitment: decodeField(d.commitment, "commitment"),
    memberPublicKey: decodePoint(d.memberPublicKey as PointJson, "memberPublicKey"),
    replyPublicKey: d.replyPublicKey,
    signature: decodeSignature(d.signature as SignatureJson, "signature"),
  };
  decodeBytes(document.replyPublicKey, "replyPublicKey", KEY_BYTES);
  return document;
}
