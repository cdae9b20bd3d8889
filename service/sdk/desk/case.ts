/**
 * Sealing a case on the member's device and opening it on an assessor's: the document and each
 * evidence file under one random content key, that key wrapped to every checked roster entry.
 */
import { toBase64 } from "../bytes.ts";
import { ErrorCode, HuzhuError } from "../errors.ts";
import { randomFieldElement } from "../field.ts";
import type { Identity } from "../identity.ts";
import { capabilityHash, generateCapability } from "./capability.ts";
import {
  type CaseDetails,
  type CaseDocument,
  type CaseFileEntry,
  checkCaseDetails,
  decodeCaseDocument,
  encodeCaseDocument,
  signCaseDocument,
  verifyCaseDocument,
} from "./case-document.ts";
import { generateReplySecret, type HpkeKeyPair, replyKeyFromSecret } from "./desk-key.ts";
import { sha256Hex } from "./encode.ts";
import { caseKeyInfo, newContentKey, newEnvelopeId, openPart, sealPart, unwrapKey, type WrappedKey, wrapKey } from "./envelope.ts";
import { DESK_LIMITS } from "./limits.ts";
import type { RosterEntry } from "./roster.ts";
import { decodeBytes, decodeField, malformed } from "./wire-values.ts";

export interface EvidenceFile {
  name: string;
  /** Media type, e.g. application/pdf, image/jpeg. */
  type: string;
  bytes: Uint8Array;
}

/** A sealed file as the case declares it: its index, and the size and SHA-256 (hex) of its ciphertext. */
export interface DeclaredFile {
  index: number;
  bytes: number;
  sha256: string;
}

/** What the desk holds of a case's envelope (POST /v1/cases and GET /v1/cases/:caseId carry it). */
export interface CaseEnvelope {
  planId: string;
  envelopeId: string;
  recipients: WrappedKey[];
  /** The sealed case document, base64. */
  document: string;
  files: DeclaredFile[];
}

export interface CaseProgress {
  stage: "encrypt" | "upload";
  /** The file's index (-1 for the document). */
  file: number;
  /** Bytes of this stage done so far, of `total` (all files' plaintext for encrypt, ciphertext for upload). */
  done: number;
  total: number;
}

export interface SealCaseInput {
  identity: Identity;
  planId: bigint;
  /** Checked entries only (`checkRoster(...).accepted`): the case is encrypted to each. */
  roster: readonly RosterEntry[];
  details: CaseDetails;
  files: readonly EvidenceFile[];
  /** The loss event's id; a fresh random field element (about 254 bits) if absent. */
  eventId?: bigint;
  onProgress?: (progress: CaseProgress) => void;
}

export interface SealedCase {
  envelope: CaseEnvelope;
  /** The sealed files, in index order (PUT /v1/cases/:caseId/files/:index bodies). */
  files: Uint8Array[];
  document: CaseDocument;
  /** The member's capability (base64) and its hash for the desk. */
  capability: string;
  capabilityHash: string;
  /** The reply key's secret (base64): keep it in the member's case record. */
  replySecret: string;
}

const MIN_EVENT_ID = 2n ** 128n;

function checkFiles(files: readonly EvidenceFile[]): void {
  if (files.length > DESK_LIMITS.maxFiles)
    throw new HuzhuError(ErrorCode.DeskTooLarge, `a case holds at most ${DESK_LIMITS.maxFiles} files`);
  let total = 0;
  for (const file of files) {
    if (file.bytes.length > DESK_LIMITS.maxFileBytes) {
      throw new HuzhuError(
        ErrorCode.DeskTooLarge,
        `${file.name} is ${file.bytes.length} bytes, over the desk's ${DESK_LIMITS.maxFileBytes} a file`,
        {
          name: file.name,
        },
      );
    }
    if (file.name.length > DESK_LIMITS.maxFileNameChars || file.type.length > DESK_LIMITS.maxFileTypeChars) {
      throw new HuzhuError(ErrorCode.DeskTooLarge, `the file name or type of ${file.name.slice(0, 40)} is too long`);
    }
    total += file.bytes.length;
  }
  if (total + DESK_LIMITS.maxDocumentBytes > DESK_LIMITS.maxCaseBytes) {
    throw new HuzhuError(ErrorCode.DeskTooLarge, `the files total ${total} bytes, over the desk's ${DESK_LIMITS.maxCaseBytes} a case`);
  }
}

/** Seals a case for the roster's assessors; nothing in the result but `document`, `capability` and `replySecret` is secret. */
export async function sealCase(input: SealCaseInput): Promise<SealedCase> {
  checkCaseDetails(input.details);
  checkFiles(input.files);
  if (input.roster.length === 0) throw new HuzhuError(ErrorCode.DeskNoAssessors, "there is no checked roster entry to encrypt the case to");
  if (input.roster.length > DESK_LIMITS.maxRecipients) {
    throw new HuzhuError(ErrorCode.DeskTooLarge, `a case is encrypted to at most ${DESK_LIMITS.maxRecipients} assessors`);
  }
  for (const entry of input.roster) {
    if (entry.planId !== input.planId.toString()) throw malformed(`a roster entry is for plan ${entry.planId}, not ${input.planId}`);
  }
  const eventId = input.eventId ?? randomFieldElement();
  if (eventId < MIN_EVENT_ID) throw malformed("an event id must be random and at least 128 bits");
  const envelopeId = newEnvelopeId();
  const contentKey = newContentKey();
  const replySecret = generateReplySecret();
  const replyKey = await replyKeyFromSecret(replySecret);

  const total = input.files.reduce((sum, f) => sum + f.bytes.length, 0);
  let done = 0;
  const sealedFiles: Uint8Array[] = [];
  const entries: CaseFileEntry[] = [];
  for (const [index, file] of input.files.entries()) {
    entries.push({ name: file.name, type: file.type, size: file.bytes.length, sha256: sha256Hex(file.bytes) });
    sealedFiles.push(await sealPart(contentKey, envelopeId, "file", index, file.bytes));
    done += file.bytes.length;
    input.onProgress?.({ stage: "encrypt", file: index, done, total });
  }
  const document = signCaseDocument(input.identity, {
    ...input.details,
    planId: input.planId,
    envelopeId,
    eventId,
    files: entries,
    replyPublicKey: replyKey.publicKey,
  });
  const sealedDocument = await sealPart(contentKey, envelopeId, "document", 0, encodeCaseDocument(document));
  const recipients = await wrapKey(
    contentKey,
    input.roster.map((e) => e.hpkePublicKey),
    caseKeyInfo(input.planId, envelopeId),
  );
  const capability = generateCapability();
  return {
    envelope: {
      planId: input.planId.toString(),
      envelopeId,
      recipients,
      document: toBase64(sealedDocument),
      files: sealedFiles.map((bytes, index) => ({ index, bytes: bytes.length, sha256: sha256Hex(bytes) })),
    },
    files: sealedFiles,
    document,
    capability,
    capabilityHash: capabilityHash(capability),
    replySecret,
  };
}

export interface OpenedCase {
  planId: bigint;
  envelopeId: string;
  /** The case's content key: opens its files. Keep it in memory only. */
  contentKey: Uint8Array;
  document: CaseDocument;
  files: DeclaredFile[];
}

/**
 * Opens a case's document with an assessor's desk key and checks the member's signature.
 * DESK_NOT_A_RECIPIENT, DESK_WRAPPED_KEY_INVALID, DESK_PART_TAMPERED, DESK_MALFORMED or
 * DESK_MEMBER_SIGNATURE_INVALID when it cannot be trusted.
 */
export async function openCaseEnvelope(envelope: CaseEnvelope, deskKey: HpkeKeyPair): Promise<OpenedCase> {
  const planId = decodeField(envelope.planId, "planId");
  const contentKey = await unwrapKey(envelope.recipients, deskKey, caseKeyInfo(planId, envelope.envelopeId));
  const plaintext = await openPart(contentKey, envelope.envelopeId, "document", 0, decodeBytes(envelope.document, "document"));
  const document = decodeCaseDocument(plaintext);
  if (document.planId !== planId || document.envelopeId !== envelope.envelopeId) {
    throw malformed("the case document names another plan or envelope than the case");
  }
  verifyCaseDocument(document);
  if (envelope.files.length !== document.files.length || envelope.files.some((f, i) => f.index !== i)) {
    throw new HuzhuError(ErrorCode.DeskFileMismatch, "the case declares other files than its document lists");
  }
  return { planId, envelopeId: envelope.envelopeId, contentKey, document, files: envelope.files };
}

/** Checks a sealed file against the size and SHA-256 the case declares for it (DESK_FILE_MISMATCH). */
export function checkSealedFile(declared: DeclaredFile, sealed: Uint8Array): void {
  if (sealed.length !== declared.bytes || sha256Hex(sealed) !== declared.sha256) {
    throw new HuzhuError(
      ErrorCode.DeskFileMismatch,
      `file ${declared.index} is not the one the case declares (${sealed.length} bytes; declared ${declared.bytes})`,
      { index: declared.index },
    );
  }
}

/** Opens file `index` of an opened case: authenticated (DESK_PART_TAMPERED), then its size and SHA-256 against the document's list (DESK_FILE_MISMATCH). */
export async function openCaseFile(opened: OpenedCase, index: number, sealed: Uint8Array): Promise<Uint8Array> {
  const entry = opened.document.files[index];
  if (!entry) throw new HuzhuError(ErrorCode.DeskFileMismatch, `the case has no file ${index}`, { index });
  const plaintext = await openPart(opened.contentKey, opened.envelopeId, "file", index, sealed);
  if (plaintext.length !== entry.size || sha256Hex(plaintext) !== entry.sha256) {
    throw new HuzhuError(ErrorCode.DeskFileMismatch, `file ${index} is not the file the member's document lists`, { index });
  }
  return plaintext;
}
