/**
 * The exact pins the code depends on: the batch verifier drives ffjavascript's private worker API
 * (through snarkjs's curve) and the ceremony reads snarkjs's log text, so both are pinned exactly,
 * and the batch verifier checks the worker API every time it starts; the ceremony checks the snarkjs
 * version when it starts and refuses a report it can no longer read.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as snarkjs from "snarkjs";
import { afterAll, describe, expect, it } from "vitest";
import { CeremonyError } from "../../service/ceremony/errors.ts";
import { renameVerifier } from "../../service/ceremony/finalize.ts";
import { assertSnarkjsPin, SNARKJS_PIN, snarkjsVersion } from "../../service/ceremony/toolchain.ts";
import { parseReport } from "../../service/ceremony/zkey-check.ts";
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
      await expect(Groth16BatchVerifier.create(loadVerificationKey())).rejects.toMatchObject({
        name: "HuzhuError",
        code: "TOOLCHAIN_CHANGED",
      });
    } finally {
      curve.tm.queueAction = real;
    }
    await expect(Groth16BatchVerifier.create(loadVerificationKey())).resolves.toBeInstanceOf(Groth16BatchVerifier);
  });
});

describe("the ceremony's snarkjs", () => {
  it("starts with the pinned snarkjs, and refuses another version loudly with TOOLCHAIN_CHANGED", () => {
    expect(snarkjsVersion()).toBe(SNARKJS_PIN);
    expect(() => assertSnarkjsPin()).not.toThrow();
    let refused: unknown;
    try {
      assertSnarkjsPin("0.7.7");
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(CeremonyError);
    expect(refused).toMatchObject({
      code: "TOOLCHAIN_CHANGED",
      message:
        "snarkjs 0.7.7 is installed, but the ceremony reads the report text of snarkjs 0.7.6: reinstall with `npm ci`, or check zkey-check.ts against the new version before changing the pin",
    });
  });

  const hashBlock = (title: string, byte: string) =>
    `${title}\n${Array.from({ length: 4 }, () => `\t\t${Array.from({ length: 4 }, () => byte.repeat(4)).join(" ")}`).join("\n")}\n`;
  const report = [hashBlock("Circuit Hash: ", "ab"), hashBlock("contribution #1 alice:", "cd"), hashBlock("contribution #2 bob:", "ef")];

  it("reads the circuit hash and the contributions, oldest first, from zkey verify's report", () => {
    const read = parseReport([...report].reverse());
    expect(read.circuitHash).toBe("ab".repeat(64));
    expect(read.contributions).toEqual([
      { index: 1, name: "alice", hash: "cd".repeat(64) },
      { index: 2, name: "bob", hash: "ef".repeat(64) },
    ]);
  });

  it("refuses a report whose text changed (no circuit hash line, or a contribution it cannot read) with TOOLCHAIN_CHANGED", () => {
    const lowercased = [report[0]?.replace("Circuit Hash:", "Circuit hash:") ?? "", ...report.slice(1)];
    expect(() => parseReport(lowercased)).toThrow(
      "snarkjs's zkey verify report no longer reads as snarkjs 0.7.6's did (no circuit hash of 64 bytes): check zkey-check.ts against the installed snarkjs",
    );
    const renamed = [report[0] ?? "", (report[1] ?? "").replace(":\n", " -\n"), report[2] ?? ""];
    expect(() => parseReport(renamed)).toThrow(
      "snarkjs's zkey verify report no longer reads as snarkjs 0.7.6's did (a contribution whose number, name or hash it cannot read): check zkey-check.ts against the installed snarkjs",
    );
  });

  it("refuses a verifier export whose template no longer names Groth16Verifier with TOOLCHAIN_CHANGED", () => {
    const transcript = {} as Parameters<typeof renameVerifier>[2];
    expect(() => renameVerifier("contract PlonkVerifier {}", "HuzhuClaimVerifier", transcript)).toThrow(
      new CeremonyError("TOOLCHAIN_CHANGED", "the snarkjs verifier template changed: `contract Groth16Verifier` not found"),
    );
  });
});
