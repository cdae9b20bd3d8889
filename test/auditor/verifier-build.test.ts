import { readFileSync } from "node:fs";
import type { Hex } from "viem";
import { describe, expect, it } from "vitest";
import { compileSolidity, groth16VerifierSource, rebuildVerifier, withoutMetadata } from "../../service/auditor/verifier-build.ts";
import { verificationKeyPath } from "../../service/sdk/node.ts";
import type { VerificationKey } from "../../service/sdk/prover.ts";

const vkey = JSON.parse(readFileSync(verificationKeyPath(), "utf8")) as VerificationKey;
const deployed = (
  JSON.parse(readFileSync("artifacts/contracts/verifiers/ClaimVerifier.sol/ClaimVerifier.json", "utf8")) as { deployedBytecode: Hex }
).deployedBytecode;

describe("verifier rebuild", () => {
  it("rebuilds the project's compiled verifier byte for byte from the verification key, metadata aside", () => {
    const rebuild = rebuildVerifier(deployed, vkey);
    expect(rebuild.matches).toBe(true);
    // The metadata differs (other file and contract name): only the code before it is compared.
    const built = compileSolidity("Groth16Verifier.sol", groth16VerifierSource(vkey), "Groth16Verifier").deployedBytecode;
    expect(built).not.toBe(deployed);
    expect(withoutMetadata(built)).toBe(withoutMetadata(deployed));
  });

  it("does not match when one constant of the key or one byte of the code differs", () => {
    const other = structuredClone(vkey);
    const ic0 = (other.IC as string[][])[0] as string[];
    ic0[0] = (BigInt(ic0[0] as string) + 1n).toString();
    expect(rebuildVerifier(deployed, other).matches).toBe(false);
    const code = withoutMetadata(deployed);
    const flipped =
      `0x${code.slice(0, 200)}${code.slice(200, 202) === "00" ? "01" : "00"}${code.slice(202)}${deployed.slice(2 + code.length)}` as Hex;
    expect(rebuildVerifier(flipped, vkey).matches).toBe(false);
  });

  it("strips exactly the CBOR metadata its last two bytes announce", () => {
    expect(withoutMetadata("0x6001600255aabbcc0003")).toBe("6001600255");
    expect(withoutMetadata("0x00")).toBe("00");
  });
});
