/**
 * The desk's size limits, shared by the member's client (refuses before encrypting), the wire
 * schemas (bound every part) and the server (413 over them). Byte limits are of plaintext unless
 * named `sealed`.
 */
import { SEALED_OVERHEAD } from "./suite.ts";

const MiB = 1024 * 1024;

export const DESK_LIMITS = {
  /** One evidence file. */
  maxFileBytes: 10 * MiB,
  /** A whole case: the document and every file. */
  maxCaseBytes: 25 * MiB,
  maxFiles: 20,
  /** The case document's JSON (description, file list, keys, signature). */
  maxDocumentBytes: 64 * 1024,
  maxDescriptionChars: 10_000,
  maxFileNameChars: 255,
  maxFileTypeChars: 127,
  /** Wrapped keys per case or message: the plan's assessors on the roster. */
  maxRecipients: 64,
  /** A member message: its text and attachments together. */
  maxMemberMessageBytes: 10 * MiB,
  /** The text of a message or a decline's reason. */
  maxTextChars: 10_000,
  /** An assessor's message or decision as sealed (text, signature, approval). */
  maxToMemberBytes: 64 * 1024,
  /** Messages on one case. */
  maxMessages: 200,
} as const;

/** A sealed part's size for `plaintext` bytes. */
export function sealedSize(plaintext: number): number {
  return plaintext + SEALED_OVERHEAD;
}
