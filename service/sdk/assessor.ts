/**
 * Assessors: EdDSA-Poseidon (BabyJubjub) keys that sign claim approvals, and the approval file a
 * member receives. Uses @zk-kit/eddsa-poseidon, the implementation Semaphore identities use.
 */
import { derivePublicKey, signMessage, verifySignature } from "@zk-kit/eddsa-poseidon";
import { fromPlainHex, toPlainHex } from "./bytes.ts";
import { type ApprovalTerms, approvalMessage, type PublicKey } from "./encoding.ts";
import { ErrorCode, HuzhuError } from "./errors.ts";
import { toEpoch, toField } from "./field.ts";

export interface AssessorKey {
  /** 32 random bytes, hex; the EdDSA private key. Keep it secret. */
  privateKey: string;
  publicKey: PublicKey;
}

export interface ApprovalSignature {
  R8: readonly [bigint, bigint];
  S: bigint;
}

export interface Approval extends ApprovalTerms {
  assessorPublicKey: PublicKey;
  signature: ApprovalSignature;
}

/** An assessor's secret as bytes: its key file's 32 bytes of hex (the EdDSA-Poseidon and desk key seed). */
export function assessorSecretBytes(key: Pick<AssessorKey, "privateKey">): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(key.privateKey))
    throw new HuzhuError(ErrorCode.InvalidAssessorKey, "an assessor private key is 32 bytes of hex");
  return fromPlainHex(key.privateKey);
}

export function generateAssessorKey(): AssessorKey {
  const privateKey = toPlainHex(globalThis.crypto.getRandomValues(new Uint8Array(32)));
  return assessorKeyFromPrivate(privateKey);
}

export function assessorKeyFromPrivate(privateKey: string): AssessorKey {
  const point = derivePublicKey(assessorSecretBytes({ privateKey }));
  return { privateKey: privateKey.toLowerCase(), publicKey: [BigInt(point[0]), BigInt(point[1])] };
}

/** Signs an approval of `terms` after the assessor has reviewed the member's evidence off-chain. */
export function signApproval(key: AssessorKey, terms: ApprovalTerms): Approval {
  const message = approvalMessage(terms);
  const signature = signMessage(assessorSecretBytes(key), message);
  return {
    ...terms,
    assessorPublicKey: key.publicKey,
    signature: { R8: [BigInt(signature.R8[0]), BigInt(signature.R8[1])], S: BigInt(signature.S) },
  };
}

/** Whether the approval's signature is valid for its terms and its stated assessor key. */
export function verifyApproval(approval: Approval): boolean {
  try {
    return verifySignature(
      approvalMessage(approval),
      { R8: [approval.signature.R8[0], approval.signature.R8[1]], S: approval.signature.S },
      [approval.assessorPublicKey[0], approval.assessorPublicKey[1]],
    );
  } catch {
    return false;
  }
}

/** The approval file a member keeps: JSON with decimal strings. It holds no secret but is private. */
export interface ApprovalFile {
  kind: "huzhu-approval";
  version: 1;
  planId: string;
  commitment: string;
  eventId: string;
  amount: string;
  expiresAtEpoch: string;
  assessorPublicKey: [string, string];
  signature: { R8: [string, string]; S: string };
}

export function serializeApproval(approval: Approval): ApprovalFile {
  return {
    kind: "huzhu-approval",
    version: 1,
    planId: approval.planId.toString(),
    commitment: approval.commitment.toString(),
    eventId: approval.eventId.toString(),
    amount: approval.amount.toString(),
    expiresAtEpoch: approval.expiresAtEpoch.toString(),
    assessorPublicKey: [approval.assessorPublicKey[0].toString(), approval.assessorPublicKey[1].toString()],
    signature: { R8: [approval.signature.R8[0].toString(), approval.signature.R8[1].toString()], S: approval.signature.S.toString() },
  };
}

/** Parses and range-checks an approval file; throws INVALID_APPROVAL_FILE naming the bad field. */
export function parseApproval(value: unknown): Approval {
  const file = value as Partial<ApprovalFile> | null;
  const fail = (what: string, cause?: unknown): never => {
    throw new HuzhuError(ErrorCode.InvalidApprovalFile, `not a valid approval file: ${what}`, {}, { cause });
  };
  if (typeof file !== "object" || file === null) return fail("expected a JSON object");
  if (file.kind !== "huzhu-approval" || file.version !== 1) fail('kind must be "huzhu-approval", version 1');
  const field = (v: unknown, name: string): bigint => {
    if (typeof v !== "string") return fail(`${name} must be a decimal string`);
    try {
      return name === "expiresAtEpoch" ? toEpoch(v, name) : toField(v, name);
    } catch (error) {
      return fail((error as Error).message, error);
    }
  };
  const pair = (v: unknown, name: string): readonly [bigint, bigint] => {
    if (!Array.isArray(v) || v.length !== 2) return fail(`${name} must be two decimal strings`);
    return [field(v[0], `${name}[0]`), field(v[1], `${name}[1]`)];
  };
  return {
    planId: field(file.planId, "planId"),
    commitment: field(file.commitment, "commitment"),
    eventId: field(file.eventId, "eventId"),
    amount: field(file.amount, "amount"),
    expiresAtEpoch: field(file.expiresAtEpoch, "expiresAtEpoch"),
    assessorPublicKey: pair(file.assessorPublicKey, "assessorPublicKey"),
    signature: { R8: pair(file.signature?.R8, "signature.R8"), S: field(file.signature?.S, "signature.S") },
  };
}
