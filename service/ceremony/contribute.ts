/**
 * `contribute`: one participant's phase-2 contribution. The participant first verifies the state
 * they receive (the latest zkey, against the r1cs, the Powers of Tau and the transcript), then
 * mixes fresh randomness into delta. The randomness is 64 bytes from the operating system, plus
 * whatever text the participant adds; snarkjs hashes both with 64 more bytes of its own. It lives
 * only in memory: once the process exits, the contribution's toxic waste is gone.
 */
import { randomBytes } from "node:crypto";
import { rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import * as snarkjs from "snarkjs";
import { CeremonyError, CeremonyErrorCode } from "./errors.ts";
import { sha256File, toHex } from "./hashing.ts";
import { silentLogger, snarkLogger } from "./progress.ts";
import { type Ceremony, openCeremony } from "./state.ts";
import { type ContributionRecord, latestZkey, type Transcript, writeTranscript, zkeyFileName } from "./transcript.ts";
import { verifyLatestZkey, type ZkeyVerification } from "./zkey-check.ts";

export interface ContributeOptions {
  dir: string;
  /** Public name of the contributor, recorded in the zkey and the transcript. */
  name: string;
  /** Extra entropy typed by the contributor (optional: OS randomness is always used). */
  entropy?: string;
  /** Where the Powers of Tau is on this machine, if not where `init` read it. */
  ptau?: string;
  log?: Logger;
}

export interface ContributeResult {
  /** What the contributor verified before contributing. */
  previous: ZkeyVerification;
  contribution: ContributionRecord;
}

const MAX_NAME = 64;

/** Names are recorded in the zkey and printed in reports: one line of printable text. */
export function checkContributorName(name: string): void {
  if (name.trim() === "" || name.length > MAX_NAME || /\p{Cc}/u.test(name)) {
    throw new CeremonyError(
      CeremonyErrorCode.InvalidName,
      `a contributor name must be 1 to ${MAX_NAME} printable characters on one line, got ${JSON.stringify(name)}`,
    );
  }
}

/** Refuses to add to a ceremony that a beacon has closed. */
export function checkOpen(transcript: Transcript, step: string): void {
  if (transcript.beacon) {
    throw new CeremonyError(
      CeremonyErrorCode.CeremonyClosed,
      `cannot ${step}: the ceremony is closed by its beacon (${transcript.beacon.zkey}); run \`huzhu ceremony finalize\``,
    );
  }
}

export async function contribute(options: ContributeOptions): Promise<ContributeResult> {
  const log = options.log ?? silentLogger;
  checkContributorName(options.name);
  const ceremony: Ceremony = await openCeremony(options.dir, options.ptau === undefined ? {} : { ptau: options.ptau });
  const { transcript } = ceremony;
  checkOpen(transcript, "contribute");

  let previous: ZkeyVerification;
  try {
    previous = await verifyLatestZkey(ceremony, log);
  } catch (error) {
    if (error instanceof CeremonyError) {
      throw new CeremonyError(error.code, `refusing to contribute: ${error.message}`, error.details, { cause: error });
    }
    throw error;
  }

  const from = latestZkey(transcript);
  const index = from.index + 1;
  const file = zkeyFileName(transcript.circuit.name, index);
  const path = join(ceremony.dir, file);
  const partial = `${path}.partial`;
  const entropy = randomBytes(64).toString("hex") + (options.entropy ? `:${options.entropy}` : "");
  log.info({ from: from.zkey, to: file, contributor: options.name }, "contributing");
  let hash: Uint8Array;
  try {
    hash = await snarkjs.zKey.contribute(
      join(ceremony.dir, from.zkey),
      partial,
      options.name,
      entropy,
      snarkLogger(log, "zkey contribute", true),
    );
    await rename(partial, path);
  } finally {
    await rm(partial, { force: true });
  }

  const contribution: ContributionRecord = {
    index,
    name: options.name,
    hash: toHex(hash),
    zkey: file,
    sha256: await sha256File(path),
    time: new Date().toISOString(),
  };
  transcript.contributions.push(contribution);
  await writeTranscript(ceremony.dir, transcript);
  log.info({ index, contributor: options.name, hash: contribution.hash }, "contribution recorded: publish its hash");
  return { previous, contribution };
}
