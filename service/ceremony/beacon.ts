/**
 * `beacon`: closes the contributions with a public random value nobody could know in advance
 * (announced before the ceremony: e.g. the hash of a future block or a drand round), iterated
 * 2^N times with SHA-256. It makes the final parameters independent of the last contributor.
 */
import { rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import * as snarkjs from "snarkjs";
import { checkOpen } from "./contribute.ts";
import { CeremonyError, CeremonyErrorCode } from "./errors.ts";
import { sha256File, toHex } from "./hashing.ts";
import { silentLogger, snarkLogger } from "./progress.ts";
import { openCeremony } from "./state.ts";
import { type BeaconRecord, latestZkey, writeTranscript, zkeyFileName } from "./transcript.ts";
import { verifyLatestZkey, type ZkeyVerification } from "./zkey-check.ts";

export interface BeaconOptions {
  dir: string;
  /** The public random value, hex (1 to 255 bytes). */
  hash: string;
  /** log2 of the SHA-256 iterations, 10 to 63 (snarkjs's bounds). */
  iterationsExp: number;
  name?: string;
  ptau?: string;
  log?: Logger;
}

export interface BeaconResult {
  previous: ZkeyVerification;
  beacon: BeaconRecord;
}

export function checkBeaconParameters(hash: string, iterationsExp: number): void {
  if (!/^([0-9a-fA-F]{2}){1,255}$/.test(hash)) {
    throw new CeremonyError(CeremonyErrorCode.InvalidBeacon, `the beacon must be 1 to 255 bytes of hex, got ${JSON.stringify(hash)}`);
  }
  if (!Number.isInteger(iterationsExp) || iterationsExp < 10 || iterationsExp > 63) {
    throw new CeremonyError(
      CeremonyErrorCode.InvalidBeacon,
      `the beacon's iteration exponent must be an integer from 10 to 63, got ${iterationsExp}`,
    );
  }
}

export async function applyBeacon(options: BeaconOptions): Promise<BeaconResult> {
  const log = options.log ?? silentLogger;
  checkBeaconParameters(options.hash, options.iterationsExp);
  const ceremony = await openCeremony(options.dir, options.ptau === undefined ? {} : { ptau: options.ptau });
  const { transcript } = ceremony;
  checkOpen(transcript, "apply a beacon");
  if (transcript.contributions.length === 0) {
    throw new CeremonyError(
      CeremonyErrorCode.NoContributions,
      "cannot apply the beacon before any contribution: a beacon alone is public randomness",
    );
  }
  const previous = await verifyLatestZkey(ceremony, log);

  const from = latestZkey(transcript);
  const index = from.index + 1;
  const file = zkeyFileName(transcript.circuit.name, index);
  const path = join(ceremony.dir, file);
  const partial = `${path}.partial`;
  const name = options.name ?? "final beacon";
  const beaconHash = options.hash.toLowerCase();
  log.info({ from: from.zkey, to: file, iterationsExp: options.iterationsExp }, "applying the beacon");
  const logger = snarkLogger(log, "zkey beacon", true);
  let hash: unknown;
  try {
    hash = await snarkjs.zKey.beacon(join(ceremony.dir, from.zkey), partial, name, beaconHash, options.iterationsExp, logger);
    if (hash instanceof Uint8Array) await rename(partial, path);
  } finally {
    await rm(partial, { force: true });
  }
  if (!(hash instanceof Uint8Array)) {
    throw new CeremonyError(CeremonyErrorCode.InvalidBeacon, `snarkjs refused the beacon: ${logger.errors.at(-1) ?? "no reason given"}`);
  }

  const beacon: BeaconRecord = {
    index,
    name,
    beaconHash,
    iterationsExp: options.iterationsExp,
    hash: toHex(hash),
    zkey: file,
    sha256: await sha256File(path),
    time: new Date().toISOString(),
  };
  transcript.beacon = beacon;
  await writeTranscript(ceremony.dir, transcript);
  log.info({ hash: beacon.hash }, "beacon applied: the ceremony is closed");
  return { previous, beacon };
}
