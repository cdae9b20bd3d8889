/** Where the installed snarkjs keeps what the ceremony records and exports (its version, the verifier template). */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { CeremonyError, CeremonyErrorCode } from "./errors.ts";

const require = createRequire(import.meta.url);

/** snarkjs's package folder (its `exports` map hides package.json and templates from `require.resolve`). */
function snarkjsDir(): string {
  // The CommonJS entry is build/main.cjs.
  return join(dirname(require.resolve("snarkjs")), "..");
}

/**
 * The snarkjs version whose `zkey verify` report the ceremony reads line by line ("Circuit Hash:",
 * "contribution #i name:", "Beacon generator: "); package.json pins it exactly (docs/DEPENDENCIES.md).
 */
export const SNARKJS_PIN = "0.7.6";

/** Fails loudly when the installed snarkjs is not the one whose report text the ceremony reads. */
export function assertSnarkjsPin(installed: string = snarkjsVersion()): void {
  if (installed !== SNARKJS_PIN) {
    throw new CeremonyError(
      CeremonyErrorCode.ToolchainChanged,
      `snarkjs ${installed} is installed, but the ceremony reads the report text of snarkjs ${SNARKJS_PIN}: reinstall with \`npm ci\`, or check zkey-check.ts against the new version before changing the pin`,
      { installed, pinned: SNARKJS_PIN },
    );
  }
}

export function snarkjsVersion(): string {
  return (JSON.parse(readFileSync(join(snarkjsDir(), "package.json"), "utf8")) as { version: string }).version;
}

/** The Groth16 Solidity verifier template `zkey export solidityverifier` fills in. */
export function groth16VerifierTemplate(): string {
  return readFileSync(join(snarkjsDir(), "templates", "verifier_groth16.sol.ejs"), "utf8");
}
