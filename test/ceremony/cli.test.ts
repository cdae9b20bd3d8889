/**
 * `huzhu ceremony …` as a user runs it: the real CLI in a child process, over a small local Powers
 * of Tau and the multiplier circuit. A three-party ceremony ends in a zkey `zkey verify` accepts and
 * whose proofs verify on chain; refusals print the exact error and exit with 1.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import * as snarkjs from "snarkjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blake2bFile, PUBLISHED_PTAU, type Transcript } from "../../service/ceremony/index.ts";
import { releaseProver } from "../../service/sdk/prover.ts";
import { type CeremonyWorkspace, ceremonyWorkspace, compileSolidity, deployVerifier, flipBytesInSection } from "./fixture.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const CLI = join(ROOT, "service", "cli", "main.ts");
const BEACON = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `huzhu <args>` and returns its exit code and output (never throws on a non-zero exit). */
async function huzhu(...args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

/** `huzhu --json <args>`, expecting success: the parsed result. */
async function huzhuJson<T>(...args: string[]): Promise<T> {
  const run = await huzhu("--json", ...args);
  expect(run.stderr).not.toContain("error:");
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as T;
}

let workspace: CeremonyWorkspace;
let work: string;
let ptau: string;
let circuit: { r1cs: string; wasm: string };

beforeAll(async () => {
  workspace = await ceremonyWorkspace("huzhu-ceremony-cli-");
  ({ work, ptau, circuit } = workspace);
});

afterAll(async () => {
  await releaseProver();
  await workspace?.remove();
});

describe("huzhu ceremony init", () => {
  it("refuses an unpublished Powers of Tau without --dev, with the exact error and exit code 1", async () => {
    const blake2b = await blake2bFile(ptau);
    const message =
      `pot8_test.ptau (power 8) has blake2b ${blake2b}, but the published hash of powersOfTau28_hez_final_08.ptau is ${PUBLISHED_PTAU[8]?.blake2b}; ` +
      "start from the published file, or pass --dev for an INSECURE development setup";
    const human = await huzhu("ceremony", "init", "--ptau", ptau, "--r1cs", circuit.r1cs, "--dir", join(work, "refused"));
    expect(human.code).toBe(1);
    expect(human.stderr).toContain(`error: ${message}\n`);
    expect(human.stdout).toBe("");

    const json = await huzhu("--json", "ceremony", "init", "--ptau", ptau, "--r1cs", circuit.r1cs, "--dir", join(work, "refused"));
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({ error: { code: "PTAU_NOT_PUBLISHED", message } });
  });
});

describe("a three-party ceremony through the CLI", () => {
  it("ends in a zkey that zkey verify accepts and whose proofs verify on chain", async () => {
    const dir = join(work, "ceremony");
    const out = join(work, "out");
    const init = await huzhuJson<{ transcript: Transcript }>(
      "ceremony",
      "init",
      "--ptau",
      ptau,
      "--r1cs",
      circuit.r1cs,
      "--dir",
      dir,
      "--dev",
    );
    expect(init.transcript.development).toBe(true);
    expect(init.transcript.ptau.published).toBeNull();

    const hashes: string[] = [];
    for (const [name, extra] of [
      ["alice", ["--entropy", "alice typed this"]],
      ["bob", []],
      ["carol", []],
    ] as const) {
      const result = await huzhuJson<{ verified: { contributions: number }; contribution: { name: string; hash: string } }>(
        "ceremony",
        "contribute",
        "--dir",
        dir,
        "--name",
        name,
        ...extra,
      );
      expect(result.verified.contributions).toBe(hashes.length);
      expect(result.contribution.name).toBe(name);
      hashes.push(result.contribution.hash);
    }

    // Human output: each verified contribution with its hash; progress on stderr as log lines.
    const verify = await huzhu("ceremony", "verify", "--dir", dir);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toContain("multiplier_0003.zkey verifies: 3 contribution(s), matching the transcript\n");
    expect(verify.stdout).toContain(`  #2 bob\n    ${hashes[1]}\n`);
    expect(verify.stderr).toContain("ceremony: zkey verified zkey=multiplier_0003.zkey contributions=3\n");

    const beacon = await huzhuJson<{ beacon: { hash: string; beaconHash: string } }>(
      "ceremony",
      "beacon",
      "--dir",
      dir,
      "--hash",
      BEACON,
      "--iterations",
      "10",
    );
    expect(beacon.beacon.beaconHash).toBe(BEACON);

    const finalized = await huzhuJson<{ files: Record<string, string> }>("ceremony", "finalize", "--dir", dir, "--out", out);
    expect(Object.keys(finalized.files).sort()).toEqual([
      "MultiplierVerifier.sol",
      "multiplier.wasm",
      "multiplier.zkey",
      "transcript.json",
      "verification_key.json",
    ]);
    const transcript = JSON.parse(await readFile(join(out, "transcript.json"), "utf8")) as Transcript;
    expect(transcript.contributions.map((c) => c.hash)).toEqual(hashes);
    expect(transcript.beacon?.hash).toBe(beacon.beacon.hash);

    expect(await snarkjs.zKey.verifyFromR1cs(circuit.r1cs, ptau, join(out, "multiplier.zkey"))).toBe(true);
    const { proof, publicSignals } = await snarkjs.groth16.fullProve(
      { product: "221", tag: "5", a: "13", b: "17" },
      join(out, "multiplier.wasm"),
      join(out, "multiplier.zkey"),
    );
    const source = await readFile(join(out, "MultiplierVerifier.sol"), "utf8");
    const chain = await deployVerifier(compileSolidity("MultiplierVerifier.sol", source, "MultiplierVerifier"));
    try {
      expect(await chain.verify(proof, publicSignals)).toBe(true);
      expect(await chain.verify(proof, ["222", "5"])).toBe(false);
    } finally {
      await chain.close();
    }
  });

  it("refuses to contribute on, or verify, a tampered contribution", async () => {
    const dir = join(work, "tampered");
    await huzhuJson("ceremony", "init", "--ptau", ptau, "--r1cs", circuit.r1cs, "--dir", dir, "--dev");
    await huzhuJson("ceremony", "contribute", "--dir", dir, "--name", "alice");
    await flipBytesInSection(join(dir, "multiplier_0001.zkey"), 9);
    const reason = "multiplier_0001.zkey does not verify against multiplier.r1cs and the Powers of Tau: H section does not match";

    const contributed = await huzhu("ceremony", "contribute", "--dir", dir, "--name", "bob");
    expect(contributed.code).toBe(1);
    expect(contributed.stderr).toContain(`error: refusing to contribute: ${reason}\n`);
    expect(contributed.stdout).toBe("");

    const verified = await huzhu("--json", "ceremony", "verify", "--dir", dir);
    expect(verified.code).toBe(1);
    expect(JSON.parse(verified.stdout)).toEqual({ error: { code: "ZKEY_INVALID", message: reason } });
  });
});
