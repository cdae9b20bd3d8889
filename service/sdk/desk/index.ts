/** The claims desk's protocol (docs/DESK.md): keys, roster, case envelope, messages, decisions, sign-in, wire schemas and client. */
export * from "./capability.ts";
export * from "./case.ts";
export * from "./case-document.ts";
export * from "./client.ts";
export * from "./decision.ts";
export * from "./desk-key.ts";
export * from "./envelope.ts";
export * from "./flows.ts";
export * from "./limits.ts";
export * from "./member-record.ts";
export * from "./messages.ts";
export * from "./roster.ts";
export * from "./schemas.ts";
export * from "./sign-in.ts";
export * from "./to-member.ts";
export * from "./wire-values.ts";
