/**
 * The exact pins the code depends on: the batch verifier drives ffjavascript's private worker API
 * (through snarkjs's curve) and the ceremony reads snarkjs's log text, so both are pinned exactly,
 * and the batch verifier checks the worker API every time it starts.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as snarkjs from "snarkjs";
import { afterAll, describe, expect, it } from "vitest";
import { FFJAVASCRIPT_PIN, Groth16BatchVerifier } from "../../service/sdk/batch-verify.ts";
import { releaseProver } from "../../service/sdk/index.ts";
import { loadVerificationKey } from "../../service/sdk/node.ts";

const ROOT = join(import.meta.dirname, "..", "..");
interface PackageJson {
  version: string;
  dependencies: Record<string, string>;
}
const packageJson = (path: string) => JSON.parse(readFileSync(join(ROOT, path, "package.json"), "utf8")) as PackageJson;

describe("pinned dependencies", () => {
  afterAll(releaseProver);

  it("pins snarkjs and ffjavascript exactly, installs those versions, and snarkjs asks for the same ffjavascript", () => {
    const deps = packageJson(".").dependencies;
    expect([deps.snarkjs, deps.ffjavascript]).toEqual(["0.7.6", FFJAVASCRIPT_PIN]);
    expect(packageJson("node_modules/snarkjs").version).toBe("0.7.6");
    expect(packageJson("node_modules/ffjavascript").version).toBe(FFJAVASCRIPT_PIN);
    expect(packageJson("node_modules/snarkjs").dependencies.ffjavascript).toBe(FFJAVASCRIPT_PIN);
  });

  it("refuses to start a batch verifier whose curve workers no longer compute what this version did", async () => {
    const curve = (await snarkjs.curves.getCurveFromName("bn128")) as unknown as {
      tm: { queueAction: (task: unknown[]) => Promise<Uint8Array[]> };
    };
    const real = curve.tm.queueAction;
    // A changed worker API: the command runs but answers the identity point for every product.
    curve.tm.queueAction = async (task) => (await real.call(curve.tm, task)).map((out) => new Uint8Array(out.length));
    try {
      await expect(Groth16BatchVerifier.create(loadVerificationKey())).rejects.toThrow(
        `batch verification's self test failed: ffjavascript's worker API (curve.tm.queueAction, g2m_timesScalarAffine) no longer behaves as ffjavascript ${FFJAVASCRIPT_PIN}'s did; keep package.json's exact pins of snarkjs and ffjavascript, or adapt service/sdk/batch-verify.ts to the new version: a G2 scalar multiplication on the worker threads gave a wrong point`,
      );
    } finally {
      curve.tm.queueAction = real;
    }
    await expect(Groth16BatchVerifier.create(loadVerificationKey())).resolves.toBeInstanceOf(Groth16BatchVerifier);
  });
});
