/** The Huzhu auditor: every plan, contribution and claim of a pool checked from chain data alone. */
export * from "./audit.ts";
export * from "./checkpoint.ts";
export * from "./checks.ts";
export * from "./errors.ts";
export * from "./events.ts";
export * from "./reader.ts";
export * from "./report.ts";
export * from "./verifier-key.ts";
