/**
 * The claims desk's wire format (docs/DESK.md): every body, parameter and reply of its HTTP API
 * as a TypeBox schema. The desk validates requests with them; the SDK's client validates every
 * reply with them, since a desk is untrusted. Binary parts travel base64 inside JSON, except file
 * bodies (application/octet-stream); each part has a size bound. Request objects refuse unknown
 * fields; numbers that can exceed 2^53 are decimal strings; times are ISO 8601 unless named
 * `expiresAt` / `issuedAt` (unix seconds, signed).
 */
import { type Static, Type } from "typebox";
import { AddressString, Decimal, ErrorReply } from "../relayer-wire.ts";
import { DESK_LIMITS, sealedSize } from "./limits.ts";
import { TAG_BYTES } from "./suite.ts";

export { Decimal, ErrorReply };

const strict = { additionalProperties: false } as const;

/** Base64 of at most `maxBytes` bytes. */
export function Base64(maxBytes: number, description?: string) {
  return Type.String({
    pattern: "^[A-Za-z0-9+/]*={0,2}$",
    maxLength: 4 * Math.ceil(maxBytes / 3),
    ...(description ? { description } : {}),
  });
}
/** Base64 of exactly 32 bytes (X25519 keys, HPKE encapsulations, nonces, capabilities). */
export const Bytes32 = Type.String({ pattern: "^[A-Za-z0-9+/]{43}=$", description: "32 bytes, base64" });
export const Sha256Hex = Type.String({ pattern: "^[0-9a-f]{64}$", description: "SHA-256, lowercase hex" });
/** The desk's case id: random, URL-safe. */
export const CaseId = Type.String({ pattern: "^[A-Za-z0-9_-]{16,64}$", description: "case id chosen by the desk" });
/** The member's envelope id: 16 random bytes, base64 (bound into every wrapped key and part). */
export const EnvelopeId = Type.String({ pattern: "^[A-Za-z0-9+/]{21}[AQgw]==$", description: "16 bytes, base64" });
export const Point = Type.Tuple([Decimal, Decimal], { description: "BabyJubjub point (x, y), decimal strings" });
export const EdDSASignature = Type.Object({ R8: Point, S: Decimal }, strict);
export const UnixSeconds = Type.Integer({ minimum: 0, maximum: 2 ** 53 - 1 });
const Time = Type.String({ format: "date-time", maxLength: 40 });

export const CaseStatus = Type.Union([
  /** Declared files still arriving: assessors do not see it yet. */
  Type.Literal("uploading"),
  Type.Literal("new"),
  Type.Literal("more-asked"),
  Type.Literal("replied"),
  Type.Literal("approved"),
  Type.Literal("declined"),
]);
export type CaseStatus = Static<typeof CaseStatus>;

export const WrappedKeySchema = Type.Object(
  { recipient: Bytes32, enc: Bytes32, key: Type.String({ pattern: "^[A-Za-z0-9+/]{64}$", description: "48 bytes, base64" }) },
  strict,
);

export const RosterEntrySchema = Type.Object(
  { planId: Decimal, assessorPublicKey: Point, hpkePublicKey: Bytes32, issuedAt: UnixSeconds, signature: EdDSASignature },
  strict,
);

// GET /v1/info
export const InfoReply = Type.Object({
  name: Type.String({ maxLength: 200 }),
  chainId: Type.Integer({ minimum: 1 }),
  pool: AddressString,
  limits: Type.Object({
    maxFileBytes: Type.Integer({ minimum: 0 }),
    maxCaseBytes: Type.Integer({ minimum: 0 }),
    maxFiles: Type.Integer({ minimum: 0 }),
    maxMemberMessageBytes: Type.Integer({ minimum: 0 }),
  }),
});

export const PlanParams = Type.Object({ planId: Decimal }, strict);

// GET / PUT /v1/plans/:planId/roster
export const RosterReply = Type.Object({ planId: Decimal, entries: Type.Array(RosterEntrySchema, { maxItems: 256 }) });
export const PutRosterBody = RosterEntrySchema;
export const PutRosterReply = RosterEntrySchema;

// POST /v1/auth/challenge, POST /v1/auth/session
export const ChallengeBody = Type.Object({ planId: Decimal, publicKey: Point }, strict);
export const SignInChallengeSchema = Type.Object(
  { origin: Type.String({ minLength: 1, maxLength: 256 }), planId: Decimal, nonce: Bytes32, expiresAt: UnixSeconds },
  strict,
);
export const ChallengeReply = SignInChallengeSchema;
export const SessionBody = Type.Object({ challenge: SignInChallengeSchema, publicKey: Point, signature: EdDSASignature }, strict);
export const SessionReply = Type.Object({
  token: Type.String({ minLength: 16, maxLength: 256, pattern: "^[A-Za-z0-9._~+/-]+=*$" }),
  expiresAt: UnixSeconds,
});

// POST /v1/cases
export const DeclaredFileSchema = Type.Object(
  {
    index: Type.Integer({ minimum: 0, maximum: DESK_LIMITS.maxFiles - 1 }),
    bytes: Type.Integer({ minimum: sealedSize(0), maximum: sealedSize(DESK_LIMITS.maxFileBytes) }),
    sha256: Sha256Hex,
  },
  strict,
);
export const CreateCaseBody = Type.Object(
  {
    planId: Decimal,
    envelopeId: EnvelopeId,
    capabilityHash: Sha256Hex,
    recipients: Type.Array(WrappedKeySchema, { minItems: 1, maxItems: DESK_LIMITS.maxRecipients }),
    document: Base64(sealedSize(DESK_LIMITS.maxDocumentBytes), "the sealed case document"),
    files: Type.Array(DeclaredFileSchema, { maxItems: DESK_LIMITS.maxFiles }),
  },
  strict,
);
export const CreateCaseReply = Type.Object({ caseId: CaseId });

export const CaseParams = Type.Object({ caseId: CaseId }, strict);
export const FileParams = Type.Object({ caseId: CaseId, index: Type.String({ pattern: "^(0|[1-9][0-9]?)$" }) }, strict);

// PUT /v1/cases/:caseId/files/:index (body: the sealed file, application/octet-stream)
export const PutFileReply = Type.Object({
  caseId: CaseId,
  index: Type.Integer({ minimum: 0 }),
  status: CaseStatus,
  /** Declared files not yet received. */
  missing: Type.Integer({ minimum: 0 }),
});

/** A member's message: its key wrapped to the roster, the body sealed under it. */
export const MemberSealedSchema = Type.Object(
  {
    from: Type.Literal("member"),
    recipients: Type.Array(WrappedKeySchema, { minItems: 1, maxItems: DESK_LIMITS.maxRecipients }),
    body: Base64(sealedSize(DESK_LIMITS.maxMemberMessageBytes + DESK_LIMITS.maxDocumentBytes)),
  },
  strict,
);
/** An assessor's message or decision: HPKE single-shot to the member's reply key. */
export const AssessorSealedSchema = Type.Object(
  { from: Type.Literal("assessor"), enc: Bytes32, body: Base64(DESK_LIMITS.maxToMemberBytes + TAG_BYTES) },
  strict,
);
export const SealedMessageSchema = Type.Union([MemberSealedSchema, AssessorSealedSchema]);

// POST /v1/cases/:caseId/messages, POST /v1/cases/:caseId/decision
export const MessageBody = Type.Object({ sealed: SealedMessageSchema }, strict);
export const MessageReply = Type.Object({ index: Type.Integer({ minimum: 0 }), status: CaseStatus });
export const DecisionKind = Type.Union([Type.Literal("approve"), Type.Literal("decline")]);
export const DecisionBody = Type.Object({ kind: DecisionKind, sealed: AssessorSealedSchema }, strict);
export const DecisionReply = Type.Object({ status: CaseStatus });

// GET /v1/cases/:caseId
export const MessageSchema = Type.Object({ index: Type.Integer({ minimum: 0 }), sentAt: Time, sealed: SealedMessageSchema });
export const DecisionSchema = Type.Object({ kind: DecisionKind, decidedAt: Time, sealed: AssessorSealedSchema });
export const CaseReply = Type.Object({
  caseId: CaseId,
  planId: Decimal,
  envelopeId: EnvelopeId,
  status: CaseStatus,
  createdAt: Time,
  updatedAt: Time,
  recipients: Type.Array(WrappedKeySchema, { minItems: 1, maxItems: DESK_LIMITS.maxRecipients }),
  document: Base64(sealedSize(DESK_LIMITS.maxDocumentBytes)),
  files: Type.Array(Type.Object({ ...DeclaredFileSchema.properties, received: Type.Boolean() }), { maxItems: DESK_LIMITS.maxFiles }),
  messages: Type.Array(MessageSchema, { maxItems: DESK_LIMITS.maxMessages }),
  decision: Type.Optional(DecisionSchema),
});

// GET /v1/plans/:planId/cases?status=
export const QueueQuery = Type.Object({ status: Type.Optional(CaseStatus) }, strict);
export const QueueReply = Type.Object({
  planId: Decimal,
  cases: Type.Array(
    Type.Object({
      caseId: CaseId,
      status: CaseStatus,
      createdAt: Time,
      updatedAt: Time,
      files: Type.Integer({ minimum: 0 }),
      /** Ciphertext bytes: the document and every file. */
      bytes: Type.Integer({ minimum: 0 }),
      messages: Type.Integer({ minimum: 0 }),
    }),
    { maxItems: 10_000 },
  ),
});

export type WrappedKeyJson = Static<typeof WrappedKeySchema>;
export type RosterEntryJson = Static<typeof RosterEntrySchema>;
export type DeskInfo = Static<typeof InfoReply>;
export type RosterReply = Static<typeof RosterReply>;
export type SignInChallengeJson = Static<typeof SignInChallengeSchema>;
export type SessionBody = Static<typeof SessionBody>;
export type SessionReply = Static<typeof SessionReply>;
export type CreateCaseBody = Static<typeof CreateCaseBody>;
export type CreateCaseReply = Static<typeof CreateCaseReply>;
export type PutFileReply = Static<typeof PutFileReply>;
export type MemberSealed = Static<typeof MemberSealedSchema>;
export type AssessorSealed = Static<typeof AssessorSealedSchema>;
export type SealedMessage = Static<typeof SealedMessageSchema>;
export type MessageBody = Static<typeof MessageBody>;
export type MessageReply = Static<typeof MessageReply>;
export type DecisionKind = Static<typeof DecisionKind>;
export type DecisionBody = Static<typeof DecisionBody>;
export type DecisionReply = Static<typeof DecisionReply>;
export type CaseReply = Static<typeof CaseReply>;
export type QueueReply = Static<typeof QueueReply>;
