import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import * as snarkjs from "snarkjs";
import { cacheDir } from "./paths.ts";

/**
 * The development Powers of Tau: a single deterministic beacon over a fresh accumulator.
 * INSECURE: anyone can recompute its toxic waste from the public beacon. Production deployments
 * start from a public ceremony file instead (docs/SETUP.md).
 */
export const DEV_PTAU = {
  power: 14,
  beaconName: "huzhu development beacon (INSECURE)",
  /** sha256("huzhu-dev-insecure-ptau-v1"): a public, fixed value, so the file is reproducible. */
  beaconHash: createHash("sha256").update("huzhu-dev-insecure-ptau-v1").digest("hex"),
  beaconIterationsExp: 10,
  fileName: "pot14_huzhu_dev_insecure.ptau",
} as const;

export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * Returns the path of the prepared development Powers of Tau, making it if the cache lacks it
 * (about 7 minutes on 2 cores; `expectedSha256` guards against a corrupt or foreign cached file).
 */
export async function ensureDevPtau(log: Logger, expectedSha256?: string): Promise<string> {
  const dir = cacheDir();
  const finalPath = join(dir, DEV_PTAU.fileName);
  if (existsSync(finalPath)) {
    const actual = await sha256File(finalPath);
    if (expectedSha256 === undefined || actual === expectedSha256) {
      log.info({ path: finalPath }, "powers of tau: using cached file");
      return finalPath;
    }
    log.warn({ path: finalPath, actual, expected: expectedSha256 }, "powers of tau: cached file has the wrong hash, remaking it");
    await rm(finalPath);
  }
  await mkdir(dir, { recursive: true });
  const fresh = join(dir, `${DEV_PTAU.fileName}.0000.tmp`);
  const beaconed = join(dir, `${DEV_PTAU.fileName}.beacon.tmp`);
  const prepared = join(dir, `${DEV_PTAU.fileName}.prepared.tmp`);
  const snarkLog = progressLogger(log, "powers of tau");
  const curve = await snarkjs.curves.getCurveFromName("bn128");
  try {
    log.info({ power: DEV_PTAU.power }, "powers of tau: new accumulator (step 1/3)");
    await snarkjs.powersOfTau.newAccumulator(curve, DEV_PTAU.power, fresh, snarkLog);
    log.info("powers of tau: deterministic beacon (step 2/3)");
    await snarkjs.powersOfTau.beacon(fresh, beaconed, DEV_PTAU.beaconName, DEV_PTAU.beaconHash, DEV_PTAU.beaconIterationsExp, snarkLog);
    log.info("powers of tau: prepare phase 2 (step 3/3, about 7 minutes on 2 cores)");
    await snarkjs.powersOfTau.preparePhase2(beaconed, prepared, snarkLog);
    await rename(prepared, finalPath);
  } finally {
    await Promise.all([fresh, beaconed, prepared].map((f) => rm(f, { force: true })));
  }
  const actual = await sha256File(finalPath);
  if (expectedSha256 !== undefined && actual !== expectedSha256) {
    throw new Error(
      `the Powers of Tau made here (sha256 ${actual}) differs from the pinned one (${expectedSha256}); ` +
        "the snarkjs version may have changed: check package-lock.json",
    );
  }
  log.info({ path: finalPath, sha256: actual }, "powers of tau: ready");
  return finalPath;
}

/** Adapts snarkjs's logger calls to pino; `quiet` demotes snarkjs's info lines to debug. */
export function progressLogger(log: Logger, stage: string, quiet = false) {
  return {
    debug: (msg: string) => log.debug({ stage }, msg),
    info: (msg: string) => (quiet ? log.debug({ stage }, msg) : log.info({ stage }, msg)),
    warn: (msg: string) => log.warn({ stage }, msg),
    error: (msg: string) => log.error({ stage }, msg),
  };
}
