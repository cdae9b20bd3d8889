/**
 * The relayer's wire format, in one place: every body, parameter and reply of its HTTP API as a
 * TypeBox schema. The relayer validates requests with these schemas and describes its replies with
 * them (OpenAPI); the SDK's client validates every reply with them, since a relayer is untrusted.
 * Request objects refuse unknown fields (the validator never strips them); numbers that can exceed
 * 2^53 are decimal strings.
 */
import { type Static, Type } from "typebox";

const strict = { additionalProperties: false } as const;

/** A non-negative integer as a decimal string, at most 78 digits; `< r` is checked after parsing. */
export const Decimal = Type.String({ pattern: "^(0|[1-9][0-9]{0,77})$", description: "non-negative integer, decimal string" });
export const AddressString = Type.Unsafe<`0x${string}`>(
  Type.String({ pattern: "^0x[0-9a-fA-F]{40}$", description: "0x-prefixed 20-byte address" }),
);
export const HexSignature = Type.Unsafe<`0x${string}`>(Type.String({ pattern: "^0x[0-9a-fA-F]{130}$", description: "65-byte signature" }));
const HexString = Type.Unsafe<`0x${string}`>(Type.String({ pattern: "^0x[0-9a-fA-F]*$" }));

export const QuoteBody = Type.Object(
  {
    planId: Decimal,
    amount: Decimal,
    /** Native coin (wei) to send with the claim to the recipient, priced into the fee; none if absent. */
    gasDrop: Type.Optional(Decimal),
  },
  strict,
);
export type QuoteBody = Static<typeof QuoteBody>;

export const QuoteSchema = Type.Object(
  {
    planId: Decimal,
    amount: Decimal,
    fee: Decimal,
    gasDrop: Decimal,
    relayer: AddressString,
    expiresAt: Type.Integer({ minimum: 0, maximum: 2 ** 53 - 1 }),
  },
  strict,
);

export type QuoteSchema = Static<typeof QuoteSchema>;

export const QuoteReply = Type.Object({ quote: QuoteSchema, signature: HexSignature });
export type QuoteReply = Static<typeof QuoteReply>;

export const ClaimRequestSchema = Type.Object(
  {
    planId: Decimal,
    claimEpoch: Decimal,
    amount: Decimal,
    memberRoot: Decimal,
    memberRootSeq: Decimal,
    assessorRoot: Decimal,
    nullifier: Decimal,
    recipient: AddressString,
    relayer: AddressString,
    fee: Decimal,
    gasDrop: Decimal,
  },
  strict,
);

const Pair = Type.Array(Decimal, { minItems: 2, maxItems: 2 });
const Triple = Type.Array(Decimal, { minItems: 3, maxItems: 3 });

export const ProofSchema = Type.Object(
  {
    pi_a: Triple,
    pi_b: Type.Array(Pair, { minItems: 3, maxItems: 3 }),
    pi_c: Triple,
    protocol: Type.Optional(Type.Literal("groth16")),
    curve: Type.Optional(Type.Literal("bn128")),
  },
  strict,
);

export const ClaimBody = Type.Object(
  { quote: QuoteSchema, quoteSignature: HexSignature, request: ClaimRequestSchema, proof: ProofSchema },
  strict,
);
export type ClaimBody = Static<typeof ClaimBody>;

export const ClaimStatusSchema = Type.Union([
  Type.Literal("queued"),
  Type.Literal("waiting_for_funds"),
  Type.Literal("submitted"),
  Type.Literal("confirmed"),
  Type.Literal("failed"),
]);

export type ClaimState = Static<typeof ClaimStatusSchema>;

export const AcceptedReply = Type.Object({
  id: Type.String(),
  status: ClaimStatusSchema,
  duplicate: Type.Optional(Type.Boolean()),
  /** A newer body replaced a claim that was held or had failed for a recoverable reason. */
  replaced: Type.Optional(Type.Boolean()),
});

export const ClaimReply = Type.Object({
  id: Type.String(),
  status: ClaimStatusSchema,
  planId: Decimal,
  nullifier: Decimal,
  amount: Decimal,
  fee: Decimal,
  gasDrop: Decimal,
  recipient: AddressString,
  txHash: Type.Optional(HexString),
  blockNumber: Type.Optional(Decimal),
  confirmations: Type.Optional(Type.Integer()),
  code: Type.Optional(Type.String()),
  reason: Type.Optional(Type.String()),
  /** On a failed claim: true if no proof for this nullifier can be paid (send none again), false if a newer proof replaces it. */
  final: Type.Optional(Type.Boolean()),
  /** On a held claim: until when it can be paid; after that it fails with HOLD_EXPIRED and a newer proof replaces it. */
  heldUntil: Type.Optional(Type.String()),
  replacements: Type.Optional(Type.Integer()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

export const ClaimParams = Type.Object({ id: Type.String({ pattern: "^[0-9a-f]{32}$" }) }, strict);

export const InfoReply = Type.Object({
  chainId: Type.Integer(),
  pool: AddressString,
  relayer: AddressString,
  verificationKeyHash: HexString,
  feePolicy: Type.Object({ feeBps: Type.Integer(), minFee: Decimal, quoteTtlSeconds: Type.Integer() }),
  plans: Type.Array(
    Type.Object({
      planId: Decimal,
      name: Type.String(),
      token: AddressString,
      claimCap: Decimal,
      maxFeeBps: Type.Integer(),
      active: Type.Boolean(),
      /** Absent when this relayer sends no gas drop for the plan's token. */
      gasDrop: Type.Optional(
        Type.Object({
          /** What the suggested drop pays for: this many token transfers at the chain's current gas price (wei). */
          suggestedWei: Decimal,
          maxWei: Decimal,
          /** Token base units charged per whole native coin (10^18 wei). */
          tokenPerCoin: Decimal,
        }),
      ),
    }),
  ),
});

export const PlanParams = Type.Object({ planId: Type.String({ pattern: "^[1-9][0-9]{0,18}$" }) }, strict);

/** GET /v1/plans/:planId/held: the claims this relayer holds for the plan until its pool can pay them. */
export const HeldReply = Type.Object({
  planId: Decimal,
  /** Claims waiting for funds. */
  claims: Type.Integer({ minimum: 0 }),
  /** What they ask in all (token units): what the pool needs beyond its balance to pay them, fees included. */
  amount: Decimal,
  /** When the first of them stops being payable (its approval or cover ends), if any is held. */
  firstExpiresAt: Type.Optional(Type.String({ format: "date-time" })),
});

export const ErrorReply = Type.Object({
  statusCode: Type.Integer(),
  code: Type.String(),
  error: Type.String(),
  message: Type.String(),
  /** The SDK error code behind a refusal, when the service's own code is broader. */
  reason: Type.Optional(Type.String()),
});

export type AcceptedReply = Static<typeof AcceptedReply>;
export type ClaimReply = Static<typeof ClaimReply>;
export type InfoReply = Static<typeof InfoReply>;
export type ErrorReply = Static<typeof ErrorReply>;
export type HeldReply = Static<typeof HeldReply>;
