import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ASSESSOR_TREE_MAX_DEPTH, EPOCH_BITS, MEMBER_TREE_MAX_DEPTH, PUBLIC_SIGNALS, SNARK_SCALAR_FIELD } from "../../service/sdk/index.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");

describe("the SDK, the circuit and the contracts agree", () => {
  it("on the public-signal order (PublicSignals.sol names each index)", () => {
    const source = read("contracts/libraries/PublicSignals.sol");
    const constant = (name: string) => Number(new RegExp(`uint256 internal constant ${name} = (\\d+);`).exec(source)?.[1]);
    const solidityNames = PUBLIC_SIGNALS.map((name) => name.replace(/([A-Z])/g, "_$1").toUpperCase());
    expect(solidityNames.map(constant)).toEqual(PUBLIC_SIGNALS.map((_name, i) => i));
    expect(constant("COUNT")).toBe(PUBLIC_SIGNALS.length);
    expect(source).toContain(SNARK_SCALAR_FIELD.toString());
  });

  it("on the tree depths and epoch width (circuit main, SDK, pool)", () => {
    const main = /Claim\((\d+), (\d+), (\d+)\)/.exec(read("circuits/main/claim.circom"));
    expect(main?.slice(1).map(Number)).toEqual([MEMBER_TREE_MAX_DEPTH, ASSESSOR_TREE_MAX_DEPTH, EPOCH_BITS]);
    const pool = read("contracts/HuzhuPool.sol");
    expect(pool).toContain(`MEMBER_TREE_MAX_DEPTH = ${MEMBER_TREE_MAX_DEPTH};`);
    expect(pool).toContain(`ASSESSOR_TREE_MAX_DEPTH = ${ASSESSOR_TREE_MAX_DEPTH};`);
    // Coverage epochs are stored as uint32: exactly the circuit's EPOCH_BITS.
    expect(read("contracts/interfaces/IHuzhuPool.sol")).toMatch(
      new RegExp(`uint${EPOCH_BITS} eligibleFrom;[\\s\\S]*uint${EPOCH_BITS} paidThrough;`),
    );
  });

  it("on the verifier's input count", () => {
    const verifier = read("contracts/verifiers/ClaimVerifier.sol");
    expect(verifier).toContain(`uint[${PUBLIC_SIGNALS.length}] calldata _pubSignals`);
    const vkey = JSON.parse(read("circuits/setup/dev-insecure/verification_key.json")) as { nPublic: number };
    expect(vkey.nPublic).toBe(PUBLIC_SIGNALS.length);
  });

  it("on a pool that fits the EIP-170 code size limit (tests' in-process network does not enforce it)", () => {
    const artifact = JSON.parse(read("artifacts/contracts/HuzhuPool.sol/HuzhuPool.json")) as { deployedBytecode: string };
    expect((artifact.deployedBytecode.length - 2) / 2).toBeLessThanOrEqual(24_576);
  });
});
