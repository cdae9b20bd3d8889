/** The Huzhu SDK: identities, encodings, assessor approvals, trees and the claim prover. */
export * from "./assessor.ts";
export * from "./chain/abi.ts";
export * from "./chain/claim.ts";
export * from "./chain/pool.ts";
export * from "./coded-error.ts";
export * from "./constants.ts";
export * from "./encoding.ts";
export * from "./errors.ts";
export * from "./field.ts";
export * from "./identity.ts";
export * from "./keystore.ts";
export * from "./plan-terms.ts";
export * from "./prover.ts";
export * from "./relayer-client.ts";
export * from "./trees.ts";
