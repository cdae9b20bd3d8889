import { homedir } from "node:os";
import { join, resolve } from "node:path";

/** Repository root, resolved from this file's location. */
export const ROOT = resolve(import.meta.dirname, "..", "..");
export const CIRCUITS_DIR = join(ROOT, "circuits");
/** Build outputs (git-ignored): r1cs, wasm, sym, zkey. */
export const BUILD_DIR = join(CIRCUITS_DIR, "build");
/** Committed setup outputs: verification key and the manifest of artifact hashes. */
export const SETUP_DIR = join(CIRCUITS_DIR, "setup", "dev-insecure");
export const VERIFIER_SOL = join(ROOT, "contracts", "verifiers", "ClaimVerifier.sol");

/**
 * Per-machine cache for the Powers of Tau file: it takes minutes to prepare and never changes,
 * so it is made once per machine and checked against its pinned hash on every use.
 */
export function cacheDir(): string {
  const base = process.env.HUZHU_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "huzhu");
  return resolve(base);
}
