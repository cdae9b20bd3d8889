/**
 * The desk's committee API (docs/COMMITTEES.md): a DKG run's three rounds, the plan's finished
 * committees, and the votes, signing rounds and signature shares of a case. As the rest of the
 * desk's wire, every body and reply is a TypeBox schema the desk validates requests with and the
 * SDK's client validates replies with. What is secret travels sealed (HPKE) to one member: a DKG
 * round-two package, the terms or the reason of a vote; everything else is public FROST data.
 */
import { type Static, Type } from "typebox";
import { MAX_COMMITTEE_SIZE } from "../committee/wire.ts";
import { Bytes32, CaseId, Decimal, EdDSASignature, Point, UnixSeconds } from "./schemas.ts";

const strict = { additionalProperties: false } as const;
const Hex = (bytes: number, description: string) => Type.String({ pattern: `^[0-9a-f]{${2 * bytes}}$`, description });

/** A DKG run's id: 16 random bytes, hex, chosen by whoever starts it. */
export const DkgId = Hex(16, "DKG run id, 16 bytes, hex");
/** A signing round's id: 16 random bytes, hex, chosen by the member who first proposes its terms. */
export const SessionId = Hex(16, "signing round id, 16 bytes, hex");
export const KeySetId = Hex(32, "committee key set id, SHA-256, hex");
const PointHex = Hex(32, "BabyJubjub point, noble's encoding, hex");
const ScalarHex = Hex(32, "scalar, noble's encoding, hex");
const Member = Type.Integer({ minimum: 1, maximum: MAX_COMMITTEE_SIZE, description: "member index, 1..n" });
const Reason = Type.String({ minLength: 1, maxLength: 500 });

/** HPKE single-shot to one member's desk key. */
export const SealedToMemberSchema = Type.Object(
  { to: Member, enc: Bytes32, body: Type.String({ pattern: "^[A-Za-z0-9+/]*={0,2}$", maxLength: 4096 }) },
  strict,
);

export const KeySetSchema = Type.Object(
  {
    kind: Type.Literal("huzhu-committee-key-set"),
    version: Type.Literal(1),
    id: KeySetId,
    threshold: Type.Integer({ minimum: 2, maximum: MAX_COMMITTEE_SIZE }),
    size: Type.Integer({ minimum: 2, maximum: MAX_COMMITTEE_SIZE }),
    publicKey: Point,
    commitments: Type.Array(PointHex, { minItems: 2, maxItems: MAX_COMMITTEE_SIZE }),
    verifyingShares: Type.Array(PointHex, { minItems: 2, maxItems: MAX_COMMITTEE_SIZE }),
  },
  strict,
);

// POST /v1/committees
export const CreateCommitteeBody = Type.Object(
  {
    planId: Decimal,
    dkgId: DkgId,
    threshold: Type.Integer({ minimum: 2, maximum: MAX_COMMITTEE_SIZE }),
    /** Each member's own assessor key (its EdDSA key file), member i at index i - 1. */
    members: Type.Array(Point, { minItems: 2, maxItems: MAX_COMMITTEE_SIZE }),
    /** The member who starts the run, signing it. */
    createdBy: Member,
    signature: EdDSASignature,
  },
  strict,
);

export const Round1Package = Type.Object(
  {
    dkgId: DkgId,
    threshold: Type.Integer({ minimum: 2 }),
    size: Type.Integer({ minimum: 2 }),
    member: Member,
    commitment: Type.Array(PointHex, { minItems: 2, maxItems: MAX_COMMITTEE_SIZE }),
    proof: Hex(64, "proof of knowledge, R || z, hex"),
  },
  strict,
);

// POST /v1/committees/:dkgId/round1
export const Round1Body = Type.Object(
  {
    member: Member,
    package: Round1Package,
    /** The member's desk key (HPKE, X25519) that round-two packages and votes are sealed to. */
    hpkePublicKey: Bytes32,
    signature: EdDSASignature,
  },
  strict,
);

// POST /v1/committees/:dkgId/round2
export const Round2Body = Type.Object(
  { from: Member, packages: Type.Array(SealedToMemberSchema, { minItems: 1, maxItems: MAX_COMMITTEE_SIZE }), signature: EdDSASignature },
  strict,
);

// POST /v1/committees/:dkgId/finish
export const FinishBody = Type.Union([
  Type.Object(
    {
      member: Member,
      outcome: Type.Literal("done"),
      keySet: KeySetSchema,
      /** The member's statement: this plan, this run, this key set, this index, this desk key. */
      signature: EdDSASignature,
    },
    strict,
  ),
  Type.Object({ member: Member, outcome: Type.Literal("failed"), participant: Member, reason: Reason, signature: EdDSASignature }, strict),
]);

export const DkgStatus = Type.Union([
  Type.Literal("round1"),
  Type.Literal("round2"),
  Type.Literal("finishing"),
  Type.Literal("complete"),
  Type.Literal("failed"),
]);

export const CommitteeMemberSchema = Type.Object(
  { member: Member, publicKey: Point, hpkePublicKey: Bytes32, signature: EdDSASignature },
  strict,
);

/** A finished committee as the desk lists it for a plan: the key set and every member's signed statement. */
export const CommitteeRecordSchema = Type.Object(
  { planId: Decimal, dkgId: DkgId, keySet: KeySetSchema, members: Type.Array(CommitteeMemberSchema, { maxItems: MAX_COMMITTEE_SIZE }) },
  strict,
);

// GET /v1/committees/:dkgId
export const CommitteeRunReply = Type.Object({
  planId: Decimal,
  dkgId: DkgId,
  threshold: Type.Integer({ minimum: 2 }),
  size: Type.Integer({ minimum: 2 }),
  members: Type.Array(Point, { maxItems: MAX_COMMITTEE_SIZE }),
  createdBy: Member,
  signature: EdDSASignature,
  status: DkgStatus,
  round1: Type.Array(Round1Body, { maxItems: MAX_COMMITTEE_SIZE }),
  /** Who has sent its round-two packages (their bodies are for their recipients only). */
  round2: Type.Array(Member, { maxItems: MAX_COMMITTEE_SIZE }),
  finished: Type.Array(Type.Object({ member: Member, keySetId: KeySetId }), { maxItems: MAX_COMMITTEE_SIZE }),
  failure: Type.Optional(Type.Object({ participant: Type.Optional(Member), reason: Reason, reportedBy: Type.Optional(Member) })),
  committee: Type.Optional(CommitteeRecordSchema),
  createdAt: UnixSeconds,
});

export const DkgRunParams = Type.Object({ dkgId: DkgId }, strict);
export const DkgInboxParams = Type.Object({ dkgId: DkgId, member: Type.String({ pattern: "^[1-9][0-9]?$" }) }, strict);
// GET /v1/committees/:dkgId/round2/:member
export const Round2Inbox = Type.Object({
  packages: Type.Array(Type.Object({ from: Member, enc: Bytes32, body: Type.String({ maxLength: 4096 }) }), {
    maxItems: MAX_COMMITTEE_SIZE,
  }),
});
export const PostReply = Type.Object({ status: DkgStatus });

// GET /v1/plans/:planId/committees
export const CommitteesReply = Type.Object({
  planId: Decimal,
  committees: Type.Array(CommitteeRecordSchema, { maxItems: 256 }),
});

// POST /v1/cases/:caseId/committee/votes
export const VoteBody = Type.Union([
  Type.Object(
    {
      keySetId: KeySetId,
      member: Member,
      vote: Type.Literal("approve"),
      /** The approval message: Poseidon of the terms, decimal (the terms themselves are sealed). */
      message: Decimal,
      sessionId: SessionId,
      /** Round one: this signer's nonce commitments for the signing round. */
      hiding: PointHex,
      binding: PointHex,
      /** The terms (amount, expiry), sealed to each other member of the committee. */
      sealed: Type.Array(SealedToMemberSchema, { maxItems: MAX_COMMITTEE_SIZE }),
      signature: EdDSASignature,
    },
    strict,
  ),
  Type.Object(
    {
      keySetId: KeySetId,
      member: Member,
      vote: Type.Literal("decline"),
      /** The reason, sealed to each other member of the committee. */
      sealed: Type.Array(SealedToMemberSchema, { maxItems: MAX_COMMITTEE_SIZE }),
      signature: EdDSASignature,
    },
    strict,
  ),
]);

// POST /v1/cases/:caseId/committee/shares
export const ShareBody = Type.Object(
  { keySetId: KeySetId, sessionId: SessionId, member: Member, message: Decimal, share: ScalarHex },
  strict,
);

export const RoundStatus = Type.Union([
  /** Fewer than k approvals on these terms so far. */
  Type.Literal("voting"),
  /** k approvals agree: the signing package is out, waiting for each signer's share. */
  Type.Literal("signing"),
  /** Every share verified and summed: the committee's signature exists. */
  Type.Literal("signed"),
  /** A signer's share failed verification (named in `failure`): vote again for a fresh round. */
  Type.Literal("failed"),
  /** The case was decided before k approvals agreed on these terms. */
  Type.Literal("closed"),
]);

export const SigningRoundSchema = Type.Object({
  keySetId: KeySetId,
  sessionId: SessionId,
  message: Decimal,
  status: RoundStatus,
  approvals: Type.Array(Member, { maxItems: MAX_COMMITTEE_SIZE }),
  signers: Type.Array(Member, { maxItems: MAX_COMMITTEE_SIZE }),
  shares: Type.Array(Member, { maxItems: MAX_COMMITTEE_SIZE }),
  package: Type.Optional(
    Type.Object({
      keySetId: KeySetId,
      sessionId: SessionId,
      message: Decimal,
      commitments: Type.Array(
        Type.Object({ keySetId: KeySetId, sessionId: SessionId, member: Member, hiding: PointHex, binding: PointHex }),
        { maxItems: MAX_COMMITTEE_SIZE },
      ),
    }),
  ),
  signature: Type.Optional(Type.Object({ R8: Point, S: Decimal })),
  failure: Type.Optional(Type.Object({ members: Type.Array(Member), reason: Reason })),
  updatedAt: UnixSeconds,
});

// GET /v1/cases/:caseId/committee
export const CaseCommitteeReply = Type.Object({
  caseId: CaseId,
  votes: Type.Array(
    Type.Object({
      keySetId: KeySetId,
      member: Member,
      vote: Type.Union([Type.Literal("approve"), Type.Literal("decline")]),
      message: Type.Optional(Decimal),
      sealed: Type.Array(SealedToMemberSchema, { maxItems: MAX_COMMITTEE_SIZE }),
      votedAt: UnixSeconds,
    }),
    { maxItems: 1024 },
  ),
  rounds: Type.Array(SigningRoundSchema, { maxItems: 1024 }),
});

export const VoteReply = Type.Object({
  /** The committee's votes on the case so far (each member's latest). */
  approvals: Type.Integer({ minimum: 0 }),
  declines: Type.Integer({ minimum: 0 }),
  /** The signing round an approval joined. */
  round: Type.Optional(SigningRoundSchema),
});

export type VoteReply = Static<typeof VoteReply>;
export type CreateCommitteeBody = Static<typeof CreateCommitteeBody>;
export type Round1Body = Static<typeof Round1Body>;
export type Round2Body = Static<typeof Round2Body>;
export type FinishBody = Static<typeof FinishBody>;
export type DkgStatus = Static<typeof DkgStatus>;
export type CommitteeRunReply = Static<typeof CommitteeRunReply>;
export type CommitteeRecord = Static<typeof CommitteeRecordSchema>;
export type CommitteeMemberJson = Static<typeof CommitteeMemberSchema>;
export type SealedToMember = Static<typeof SealedToMemberSchema>;
export type Round2Inbox = Static<typeof Round2Inbox>;
export type VoteBody = Static<typeof VoteBody>;
export type ShareBody = Static<typeof ShareBody>;
export type RoundStatus = Static<typeof RoundStatus>;
export type SigningRound = Static<typeof SigningRoundSchema>;
export type CaseCommitteeReply = Static<typeof CaseCommitteeReply>;
