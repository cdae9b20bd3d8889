/**
 * Committee key files: one member's share, sealed at rest under the member's password with the
 * SDK's sealSecret (scrypt + AES-256-GCM, as identity keystores and assessor key files), beside the
 * public key set in clear. The header binds the key set's id and the member index to the
 * ciphertext, so a file cannot be relabelled. The group key sits in `publicKey`, where assessor key
 * files keep theirs: `huzhu assessor add <planId> --key <file>` adds the committee to a plan.
 */
import { ErrorCode, HuzhuError } from "../errors.ts";
import { checkSealedSecret, type KdfOptions, openSecret, type SealedSecret, sealSecret } from "../keystore.ts";
import { type CommitteeKeySet, parseKeySet } from "./key-set.ts";
import { type CommitteeShare, checkShare } from "./share.ts";
import { isObject } from "./wire.ts";

export interface CommitteeKeyFile {
  kind: "huzhu-committee-key";
  version: 1;
  /** The committee's group public key (x, y), decimal. */
  publicKey: [string, string];
  /** This member's index in the key set, 1..n. */
  member: number;
  keySet: CommitteeKeySet;
  /** The member's signing share, sealed. */
  encrypted: SealedSecret;
}

function header(keySetId: string, member: number): string {
  return `huzhu-committee-key:1:${keySetId}:${member}`;
}

function invalid(what: string, cause?: unknown): never {
  throw new HuzhuError(ErrorCode.CommitteeInvalidKeyFile, `not a valid committee key file: ${what}`, {}, { cause });
}

/** The key file of `share`, its share sealed under `password`. */
export async function sealCommitteeKey(share: CommitteeShare, password: string, options: KdfOptions = {}): Promise<CommitteeKeyFile> {
  checkShare(share);
  return {
    kind: "huzhu-committee-key",
    version: 1,
    publicKey: [...share.keySet.publicKey],
    member: share.member,
    keySet: share.keySet,
    encrypted: await sealSecret(share.signingShare, password, header(share.keySet.id, share.member), options),
  };
}

/** Checks a key file's public parts (no password needed); throws COMMITTEE_INVALID_KEY_FILE naming what is wrong. */
export function parseCommitteeKeyFile(value: unknown): CommitteeKeyFile {
  if (!isObject(value)) return invalid("expected a JSON object");
  if (value.kind !== "huzhu-committee-key" || value.version !== 1) invalid('kind must be "huzhu-committee-key", version 1');
  let keySet: CommitteeKeySet;
  try {
    keySet = parseKeySet(value.keySet);
  } catch (error) {
    return invalid(`keySet: ${(error as Error).message}`, error);
  }
  const { member, publicKey } = value;
  if (typeof member !== "number" || !Number.isInteger(member) || member < 1 || member > keySet.size)
    invalid("member must be an index in the key set");
  if (!Array.isArray(publicKey) || publicKey[0] !== keySet.publicKey[0] || publicKey[1] !== keySet.publicKey[1]) {
    invalid("publicKey must be the key set's group key");
  }
  const encrypted = checkSealedSecret((value.encrypted ?? {}) as Partial<SealedSecret>, (what) => invalid(what));
  return { kind: "huzhu-committee-key", version: 1, publicKey: [...keySet.publicKey], member: member as number, keySet, encrypted };
}

/** The member's share from a key file (WRONG_PASSWORD for a wrong password or an altered file). */
export async function openCommitteeKey(value: unknown, password: string): Promise<CommitteeShare> {
  const file = parseCommitteeKeyFile(value);
  const signingShare = await openSecret(file.encrypted, password, header(file.keySet.id, file.member), "committee key");
  try {
    return checkShare({ keySet: file.keySet, member: file.member, signingShare });
  } catch (error) {
    return invalid(`the sealed share is not member ${file.member}'s of this key set`, error);
  }
}
