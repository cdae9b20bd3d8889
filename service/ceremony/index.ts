/**
 * The phase-2 trusted-setup ceremony for a Groth16 circuit: init from a published Powers of Tau,
 * contributions that each verify the previous state, a public beacon, and a verified export.
 * The `huzhu ceremony` commands and docs/CEREMONY.md sit on top of this library.
 */
export { applyBeacon, type BeaconOptions, type BeaconResult, checkBeaconParameters } from "./beacon.ts";
export { readPtauHeader, readR1csHeader, requiredPower } from "./binfile.ts";
export { type ContributeOptions, type ContributeResult, checkContributorName, contribute } from "./contribute.ts";
export { CeremonyError, CeremonyErrorCode } from "./errors.ts";
export {
  CHECKSUMS_FILE,
  type FinalizeOptions,
  type FinalizeResult,
  finalizeCeremony,
  renameVerifier,
  VERIFICATION_KEY_FILE,
  verifierContractName,
} from "./finalize.ts";
export { blake2bFile, sha256File } from "./hashing.ts";
export { type InitOptions, initCeremony } from "./init.ts";
export { snarkLogger } from "./progress.ts";
export { checkPtau, type PtauCheck } from "./ptau.ts";
export { PUBLISHED_PTAU, PUBLISHED_PTAU_SOURCE, type PublishedPtau, publishedPtau } from "./ptau-hashes.ts";
export { type Ceremony, openCeremony } from "./state.ts";
export { latestZkey, readTranscript, TRANSCRIPT_FILE, type Transcript, zkeyFileName } from "./transcript.ts";
export { type VerifyOptions, type VerifyResult, verifyCeremony } from "./verify.ts";
export type { VerifiedContribution, ZkeyVerification } from "./zkey-check.ts";
