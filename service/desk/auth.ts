/**
 * Who is asking the desk, and the digests it compares: a member holds a case's capability, an
 * assessor a session token; the desk stores only SHA-256 of either.
 */
import { timingSafeEqual } from "node:crypto";
import { sha256Hex as sdkSha256Hex } from "../sdk/desk/encode.ts";
import type { PointJson } from "../sdk/desk/wire-values.ts";
import type { PublicKey } from "../sdk/encoding.ts";
import type { Membership } from "./committee-store.ts";

/** Who is asking: a member holding a case's capability, or a signed-in assessor of a plan. */
export type Caller =
  | { kind: "member"; capabilityHash: string }
  | {
      kind: "assessor";
      planId: string;
      publicKey: PublicKey;
      key: string;
      /** Whether the key itself is in the plan's assessor tree (it may decide alone). */
      single: boolean;
      /** The plan's committees (group key in the tree) this key is a member of. */
      memberships: Membership[];
    };

/** Session tokens start with this, capabilities (base64 of 32 bytes) never do. */
export const SESSION_PREFIX = "s.";

/** SHA-256, hex, of bytes or of text's UTF-8 (the SDK's digest, as members' clients compute it). */
export function sha256Hex(text: string | Uint8Array): string {
  return sdkSha256Hex(typeof text === "string" ? new TextEncoder().encode(text) : text);
}

/** Compares two hex digests without an early exit. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && timingSafeEqual(x, y);
}

export function keyId(publicKey: PublicKey | PointJson): string {
  return `${publicKey[0].toString()},${publicKey[1].toString()}`;
}
