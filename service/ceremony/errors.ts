/**
 * Everything the ceremony refuses, with a stable code. The CLI prints the message; callers and
 * tests branch on `code`.
 */
import { CodedError, type CodedErrorOptions } from "../sdk/coded-error.ts";
export const CeremonyErrorCode = {
  PtauNotPublished: "PTAU_NOT_PUBLISHED",
  PtauNotPrepared: "PTAU_NOT_PREPARED",
  PtauInvalid: "PTAU_INVALID",
  PtauMismatch: "PTAU_MISMATCH",
  CircuitInvalid: "CIRCUIT_INVALID",
  CircuitTooBig: "CIRCUIT_TOO_BIG",
  CircuitMismatch: "CIRCUIT_MISMATCH",
  WasmNotFound: "WASM_NOT_FOUND",
  CeremonyExists: "CEREMONY_EXISTS",
  CeremonyNotFound: "CEREMONY_NOT_FOUND",
  CeremonyClosed: "CEREMONY_CLOSED",
  NoContributions: "NO_CONTRIBUTIONS",
  NoBeacon: "NO_BEACON",
  InvalidName: "INVALID_NAME",
  InvalidBeacon: "INVALID_BEACON",
  ZkeyInvalid: "ZKEY_INVALID",
  TranscriptMismatch: "TRANSCRIPT_MISMATCH",
  SetupFailed: "SETUP_FAILED",
  /** The installed snarkjs is not the pinned one, or its report no longer reads as the ceremony expects. */
  ToolchainChanged: "TOOLCHAIN_CHANGED",
} as const;
export type CeremonyErrorCode = (typeof CeremonyErrorCode)[keyof typeof CeremonyErrorCode];

export class CeremonyError extends CodedError<CeremonyErrorCode> {
  readonly details: Record<string, unknown>;

  constructor(code: CeremonyErrorCode, message: string, details: Record<string, unknown> = {}, options: CodedErrorOptions = {}) {
    super(code, message, options);
    this.name = "CeremonyError";
    this.details = details;
  }
}
