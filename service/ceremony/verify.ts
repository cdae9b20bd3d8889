/**
 * `verify`: anyone holding the ceremony directory checks it: the inputs are the ones it started
 * from, the latest zkey verifies against them, and it holds exactly the transcript's contributions.
 */
import type { Logger } from "pino";
import { silentLogger } from "./progress.ts";
import { openCeremony } from "./state.ts";
import type { Transcript } from "./transcript.ts";
import { verifyLatestZkey, type ZkeyVerification } from "./zkey-check.ts";

export interface VerifyOptions {
  dir: string;
  ptau?: string;
  log?: Logger;
}

export interface VerifyResult extends ZkeyVerification {
  transcript: Transcript;
}

export async function verifyCeremony(options: VerifyOptions): Promise<VerifyResult> {
  const ceremony = await openCeremony(options.dir, options.ptau === undefined ? {} : { ptau: options.ptau });
  const verification = await verifyLatestZkey(ceremony, options.log ?? silentLogger);
  return { ...verification, transcript: ceremony.transcript };
}
