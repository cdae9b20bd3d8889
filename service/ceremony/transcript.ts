/**
 * The ceremony's record, `transcript.json` in the ceremony directory: what circuit and Powers of
 * Tau it started from, every contribution (name, contribution hash, time, the zkey it produced),
 * the beacon, and after `finalize` the hashes of the exports. Anyone holding the directory can
 * check it with `huzhu ceremony verify`; contributors check that their hash is listed.
 */
import { existsSync } from "node:fs";
import { readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CeremonyError, CeremonyErrorCode } from "./errors.ts";

export const TRANSCRIPT_FILE = "transcript.json";
export const TRANSCRIPT_FORMAT = "huzhu-ceremony/1";

export interface ZkeyRecord {
  /** File name inside the ceremony directory. */
  zkey: string;
  sha256: string;
}

export interface ContributionRecord extends ZkeyRecord {
  /** 1-based, in the order snarkjs lists contributions. */
  index: number;
  name: string;
  /** snarkjs's contribution hash (blake2b-512 of the contributor's public key), hex. */
  hash: string;
  time: string;
}

export interface BeaconRecord extends ZkeyRecord {
  index: number;
  name: string;
  /** The public random value, hex (e.g. a future block hash or drand round). */
  beaconHash: string;
  /** log2 of the number of SHA-256 iterations applied to the beacon. */
  iterationsExp: number;
  /** snarkjs's contribution hash of the beacon step, hex. */
  hash: string;
  time: string;
}

export interface FinalRecord {
  time: string;
  /** Output directory, as given to `finalize`. */
  out: string;
  zkeySha256: string;
  verificationKeySha256: string;
  verifierSha256: string;
  /** Exported file name -> sha256. */
  exports: Record<string, string>;
}

export interface Transcript {
  format: typeof TRANSCRIPT_FORMAT;
  /** True when the ceremony started from an unpublished Powers of Tau (`--dev`): INSECURE. */
  development: boolean;
  createdAt: string;
  snarkjs: string;
  circuit: {
    /** Base name of the circuit's files; the verifier contract is `<Name>Verifier`. */
    name: string;
    r1cs: string;
    r1csSha256: string;
    wasm: string;
    wasmSha256: string;
    constraints: number;
    publicSignals: number;
    /** snarkjs's circuit hash (blake2b-512 over the initial parameters), hex. */
    circuitHash: string;
  };
  ptau: {
    /** Where `init` read it; later steps accept another path with the same blake2b. */
    path: string;
    file: string;
    power: number;
    blake2b: string;
    /** The published file this one is, or null for a development file. */
    published: string | null;
  };
  initial: ZkeyRecord;
  contributions: ContributionRecord[];
  beacon: BeaconRecord | null;
  final: FinalRecord | null;
}

export function transcriptPath(dir: string): string {
  return join(dir, TRANSCRIPT_FILE);
}

/** `<name>_0003.zkey`: the zkey after the third step. */
export function zkeyFileName(circuitName: string, index: number): string {
  return `${circuitName}_${String(index).padStart(4, "0")}.zkey`;
}

/** The zkey the ceremony currently stands at (the beacon's, the last contribution's or the initial one). */
export function latestZkey(transcript: Transcript): ZkeyRecord & { index: number } {
  if (transcript.beacon) return transcript.beacon;
  const last = transcript.contributions.at(-1);
  return last ?? { ...transcript.initial, index: 0 };
}

export async function readTranscript(dir: string): Promise<Transcript> {
  const path = transcriptPath(dir);
  if (!existsSync(path)) {
    throw new CeremonyError(
      CeremonyErrorCode.CeremonyNotFound,
      `no ceremony in ${dir}: ${TRANSCRIPT_FILE} is missing (start one with \`huzhu ceremony init\`)`,
    );
  }
  const transcript = JSON.parse(await readFile(path, "utf8")) as Transcript;
  if (transcript.format !== TRANSCRIPT_FORMAT) {
    throw new CeremonyError(CeremonyErrorCode.CeremonyNotFound, `${path} is not a ${TRANSCRIPT_FORMAT} transcript`);
  }
  return transcript;
}

/** Writes the transcript atomically (a reader never sees half a file). */
export async function writeTranscript(dir: string, transcript: Transcript): Promise<void> {
  const path = transcriptPath(dir);
  const temporary = `${path}.${process.pid}.partial`;
  await writeFile(temporary, `${JSON.stringify(transcript, null, 2)}\n`);
  await rename(temporary, path);
}
