/**
 * Committees: k-of-n FROST (RFC 9591) key sets on BabyJubjub whose group key is an ordinary
 * assessor key of a plan. Key generation by DKG (or, for development, a dealer), the two signing
 * rounds, share verification and aggregation into the SDK's ordinary approval, and key files.
 */
export * from "./aggregate.ts";
export * from "./dealer.ts";
export * from "./dkg.ts";
export * from "./key-file.ts";
export * from "./key-set.ts";
export * from "./local.ts";
export * from "./nonces.ts";
export * from "./share.ts";
export * from "./signing.ts";
export * from "./suite.ts";
export { MAX_COMMITTEE_SIZE, randomSessionId } from "./wire.ts";
