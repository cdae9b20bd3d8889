/** Where the installed snarkjs keeps what the ceremony records and exports (its version, the verifier template). */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);

/** snarkjs's package folder (its `exports` map hides package.json and templates from `require.resolve`). */
function snarkjsDir(): string {
  // The CommonJS entry is build/main.cjs.
  return join(dirname(require.resolve("snarkjs")), "..");
}

export function snarkjsVersion(): string {
  return (JSON.parse(readFileSync(join(snarkjsDir(), "package.json"), "utf8")) as { version: string }).version;
}

/** The Groth16 Solidity verifier template `zkey export solidityverifier` fills in. */
export function groth16VerifierTemplate(): string {
  return readFileSync(join(snarkjsDir(), "templates", "verifier_groth16.sol.ejs"), "utf8");
}
