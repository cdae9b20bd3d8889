/**
 * A committee's key set: the public half of a k-of-n FROST key. Its group key is one leaf of a
 * plan's assessor tree (the plan admin adds it as any assessor key); its verifying shares let a
 * coordinator check each member's signature share; its id names it, so members confirm they all
 * finished the same DKG and packages say which key set they belong to.
 */
import type { FrostPublic } from "@noble/curves/abstract/frost.js";
import { sha256 } from "@noble/hashes/sha2.js";
import type { PublicKey } from "../encoding.ts";
import { committeeFrost, POINT_BYTES, pointToPublicKey } from "./suite.ts";
import { decodeDecimalField, decodeHex, decodePoint, isObject, MAX_COMMITTEE_SIZE, malformed, toHex } from "./wire.ts";

export interface CommitteeKeySet {
  kind: "huzhu-committee-key-set";
  version: 1;
  /** SHA-256 of everything below, hex. */
  id: string;
  /** k: how many members must sign. */
  threshold: number;
  /** n: how many members hold a share (indices 1..n). */
  size: number;
  /** The group public key (x, y), decimal: the key the plan's assessor tree holds. */
  publicKey: [string, string];
  /** The k VSS commitments (noble's point encoding, hex); the first is the group key. */
  commitments: string[];
  /** Member i's verifying share (its share times Base8) at index i - 1. */
  verifyingShares: string[];
}

/** noble's identifier for member `member` (1..n). */
export function memberIdentifier(member: number): string {
  return committeeFrost.Identifier.fromNumber(member);
}

function keySetId(fields: Omit<CommitteeKeySet, "kind" | "version" | "id">): string {
  const text = [
    "huzhu-committee-key-set:1",
    fields.threshold,
    fields.size,
    fields.publicKey.join(","),
    fields.commitments.join(","),
    fields.verifyingShares.join(","),
  ].join(":");
  return toHex(sha256(new TextEncoder().encode(text)));
}

/** The key set of noble's public package (from a DKG or the development dealer). */
export function keySetFromFrost(pub: FrostPublic): CommitteeKeySet {
  const { min: threshold, max: size } = pub.signers;
  const commitments = pub.commitments.map(toHex);
  const verifyingShares = Array.from({ length: size }, (_, i) => {
    const share = pub.verifyingShares[memberIdentifier(i + 1)];
    if (share === undefined) return malformed(`no verifying share for member ${i + 1}`);
    return toHex(share);
  });
  const [x, y] = pointToPublicKey(pub.commitments[0] ?? malformed("no commitments"));
  const fields = { threshold, size, publicKey: [x.toString(), y.toString()] as [string, string], commitments, verifyingShares };
  return { kind: "huzhu-committee-key-set", version: 1, id: keySetId(fields), ...fields };
}

/** noble's public package of a key set. */
export function frostPublic(keySet: CommitteeKeySet): FrostPublic {
  // noble checks every point it parses; here the hex only needs decoding.
  const fromHex = (hex: string) => decodeHex(hex, "point", POINT_BYTES);
  return {
    signers: { min: keySet.threshold, max: keySet.size },
    commitments: keySet.commitments.map(fromHex),
    verifyingShares: Object.fromEntries(keySet.verifyingShares.map((hex, i) => [memberIdentifier(i + 1), fromHex(hex)])),
  } as FrostPublic;
}

/** The group key as the SDK's approvals and assessor tree hold keys. */
export function committeePublicKey(keySet: CommitteeKeySet): PublicKey {
  return [BigInt(keySet.publicKey[0]), BigInt(keySet.publicKey[1])];
}

/** Checks a received key set: shape, points, the group key and the id (COMMITTEE_MALFORMED naming what). */
export function parseKeySet(value: unknown): CommitteeKeySet {
  if (!isObject(value)) return malformed("a key set must be a JSON object");
  const v = value as Partial<CommitteeKeySet>;
  if (v.kind !== "huzhu-committee-key-set" || v.version !== 1) malformed('a key set has kind "huzhu-committee-key-set", version 1');
  const { threshold, size } = v;
  if (typeof size !== "number" || !Number.isInteger(size) || size < 2 || size > MAX_COMMITTEE_SIZE) {
    return malformed(`size must be an integer from 2 to ${MAX_COMMITTEE_SIZE}`);
  }
  if (typeof threshold !== "number" || !Number.isInteger(threshold) || threshold < 2 || threshold > size) {
    return malformed("threshold must be an integer from 2 to size");
  }
  if (!Array.isArray(v.commitments) || v.commitments.length !== threshold) return malformed("commitments must hold threshold points");
  if (!Array.isArray(v.verifyingShares) || v.verifyingShares.length !== size) return malformed("verifyingShares must hold size points");
  for (const [i, c] of v.commitments.entries()) decodePoint(c, `commitments[${i}]`);
  for (const [i, s] of v.verifyingShares.entries()) decodePoint(s, `verifyingShares[${i}]`);
  if (!Array.isArray(v.publicKey) || v.publicKey.length !== 2) return malformed("publicKey must be two decimal strings");
  const x = decodeDecimalField(v.publicKey[0], "publicKey[0]");
  const y = decodeDecimalField(v.publicKey[1], "publicKey[1]");
  const [gx, gy] = pointToPublicKey(decodePoint(v.commitments[0], "commitments[0]"));
  if (x !== gx || y !== gy) malformed("publicKey is not the group key of the commitments");
  const fields = {
    threshold,
    size,
    publicKey: v.publicKey as [string, string],
    commitments: v.commitments,
    verifyingShares: v.verifyingShares,
  };
  if (v.id !== keySetId(fields)) malformed("id is not the hash of the key set (altered, or another key set's id)");
  return { kind: "huzhu-committee-key-set", version: 1, id: v.id as string, ...fields };
}
