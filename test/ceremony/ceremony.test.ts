/**
 * The phase-2 ceremony library, end to end over a small local Powers of Tau and the multiplier
 * circuit: init's Powers of Tau checks, a three-party ceremony whose final zkey `zkey verify`
 * accepts and whose proofs verify on chain, and the refusals (tampered state, transcript
 * mismatch, steps out of order).
 */
import { existsSync } from "node:fs";
import { copyFile, readFile } from "node:fs/promises";
import { join } from "node:path";
import * as snarkjs from "snarkjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  applyBeacon,
  blake2bFile,
  CeremonyError,
  CeremonyErrorCode,
  contribute,
  finalizeCeremony,
  initCeremony,
  PUBLISHED_PTAU,
  readTranscript,
  sha256File,
  verifyCeremony,
} from "../../service/ceremony/index.ts";
import { releaseProver } from "../../service/sdk/prover.ts";
import {
  type CeremonyWorkspace,
  ceremonyWorkspace,
  compileSolidity,
  deployVerifier,
  flipBytesInSection,
  unpreparedPtau,
} from "./fixture.ts";

const BEACON = "5a3c1f0e9d8b7a6c5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d";
const PUBLISHED_08 = PUBLISHED_PTAU[8]?.blake2b;

let workspace: CeremonyWorkspace;
let work: string;
let ptau: string;
let ptauBlake2b: string;
let circuit: { r1cs: string; wasm: string };

beforeAll(async () => {
  workspace = await ceremonyWorkspace("huzhu-ceremony-");
  ({ work, ptau, circuit } = workspace);
  ptauBlake2b = await blake2bFile(ptau);
});

afterAll(async () => {
  await releaseProver();
  await workspace?.remove();
});

/** A ceremony with `names` contributions (and the beacon if asked), in a fresh directory. */
async function ceremonyWith(dirName: string, names: string[], beacon = false): Promise<string> {
  const dir = join(work, dirName);
  await initCeremony({ ptau, r1cs: circuit.r1cs, dir, dev: true });
  for (const name of names) await contribute({ dir, name });
  if (beacon) await applyBeacon({ dir, hash: BEACON, iterationsExp: 10 });
  return dir;
}

describe("init", () => {
  it("refuses a Powers of Tau whose blake2b is not the published one of its power, unless told it is a development setup", async () => {
    await expect(initCeremony({ ptau, r1cs: circuit.r1cs, dir: join(work, "refused") })).rejects.toMatchObject({
      code: CeremonyErrorCode.PtauNotPublished,
      message:
        `pot8_test.ptau (power 8) has blake2b ${ptauBlake2b}, but the published hash of powersOfTau28_hez_final_08.ptau is ${PUBLISHED_08}; ` +
        "start from the published file, or pass --dev for an INSECURE development setup",
    });
    expect(existsSync(join(work, "refused"))).toBe(false);
  });

  it("accepts the same file with dev, and records it as an unpublished development setup", async () => {
    const dir = join(work, "dev-init");
    const transcript = await initCeremony({ ptau, r1cs: circuit.r1cs, dir, dev: true });
    expect(transcript.development).toBe(true);
    expect(transcript.ptau).toEqual({ path: ptau, file: "pot8_test.ptau", power: 8, blake2b: ptauBlake2b, published: null });
    expect(transcript.circuit).toMatchObject({
      name: "multiplier",
      r1cs: "multiplier.r1cs",
      r1csSha256: await sha256File(circuit.r1cs),
      wasm: "multiplier.wasm",
      wasmSha256: await sha256File(circuit.wasm),
      constraints: 4,
      publicSignals: 2,
    });
    expect(transcript.circuit.circuitHash).toMatch(/^[0-9a-f]{128}$/);
    expect(transcript.initial).toEqual({ zkey: "multiplier_0000.zkey", sha256: await sha256File(join(dir, "multiplier_0000.zkey")) });
    expect(await readTranscript(dir)).toEqual(transcript);
  });

  it("refuses a directory that already holds a ceremony", async () => {
    const dir = join(work, "dev-init");
    await expect(initCeremony({ ptau, r1cs: circuit.r1cs, dir, dev: true })).rejects.toMatchObject({
      code: CeremonyErrorCode.CeremonyExists,
      message: `${dir} already holds a ceremony (transcript.json)`,
    });
  });

  it("refuses a Powers of Tau that was not prepared for phase 2", async () => {
    await expect(
      initCeremony({ ptau: unpreparedPtau(join(work, "ptau")), r1cs: circuit.r1cs, dir: join(work, "unprepared"), dev: true }),
    ).rejects.toMatchObject({
      code: CeremonyErrorCode.PtauNotPrepared,
      message:
        "pot_beacon.ptau is not prepared for phase 2 (`snarkjs powersoftau prepare phase2`); the published powersOfTau28_hez_final_NN.ptau files are",
    });
  });

  it("refuses a file that is not a Powers of Tau", async () => {
    await expect(initCeremony({ ptau: circuit.r1cs, r1cs: circuit.r1cs, dir: join(work, "not-ptau"), dev: true })).rejects.toMatchObject({
      code: CeremonyErrorCode.PtauInvalid,
      message: 'multiplier.r1cs is not a Powers of Tau file: not a .ptau file (magic "r1cs")',
    });
  });

  it("holds the published hash of the 2^14 file the claim circuit needs", () => {
    expect(PUBLISHED_PTAU[14]).toEqual({
      file: "powersOfTau28_hez_final_14.ptau",
      blake2b:
        "eeefbcf7c3803b523c94112023c7ff89558f9b8e0cf5d6cdcba3ade60f168af4a181c9c21774b94fbae6c90411995f7d854d02ebd93fb66043dbb06f17a831c1",
    });
    expect(Object.keys(PUBLISHED_PTAU).map(Number)).toEqual([
      8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28,
    ]);
  });
});

describe("a three-party ceremony", () => {
  it("ends in a zkey that zkey verify accepts, lists every contribution, and proves on chain", async () => {
    const dir = join(work, "three-party");
    const out = join(work, "three-party-out");
    await initCeremony({ ptau, r1cs: circuit.r1cs, dir, dev: true });
    const alice = await contribute({ dir, name: "alice", entropy: "alice's dice rolls" });
    const bob = await contribute({ dir, name: "bob" });
    const carol = await contribute({ dir, name: "carol" });
    // Each contributor verified the state before theirs.
    expect(alice.previous.contributions).toEqual([]);
    expect(bob.previous.contributions.map((c) => [c.name, c.hash])).toEqual([["alice", alice.contribution.hash]]);
    expect(carol.previous.contributions.map((c) => c.name)).toEqual(["alice", "bob"]);
    expect(new Set([alice, bob, carol].map((c) => c.contribution.hash)).size).toBe(3);

    const { beacon } = await applyBeacon({ dir, hash: BEACON, iterationsExp: 10 });
    expect(beacon).toMatchObject({ index: 4, name: "final beacon", beaconHash: BEACON, iterationsExp: 10, zkey: "multiplier_0004.zkey" });

    const finalized = await finalizeCeremony({ dir, out });
    const transcript = await readTranscript(out);
    expect(transcript.contributions.map((c) => [c.index, c.name, c.hash, c.zkey])).toEqual([
      [1, "alice", alice.contribution.hash, "multiplier_0001.zkey"],
      [2, "bob", bob.contribution.hash, "multiplier_0002.zkey"],
      [3, "carol", carol.contribution.hash, "multiplier_0003.zkey"],
    ]);
    expect(await readTranscript(dir)).toEqual(transcript);
    expect(Object.keys(finalized.files).sort()).toEqual([
      "MultiplierVerifier.sol",
      "multiplier.wasm",
      "multiplier.zkey",
      "transcript.json",
      "verification_key.json",
    ]);
    for (const [file, sha256] of Object.entries(finalized.files)) expect(await sha256File(join(out, file))).toBe(sha256);
    const sums = await readFile(join(out, "SHA256SUMS"), "utf8");
    expect(sums.trim().split("\n")).toHaveLength(5);
    expect(transcript.final?.zkeySha256).toBe(beacon.sha256);
    expect(transcript.final?.verificationKeySha256).toBe(await sha256File(join(out, "verification_key.json")));

    // snarkjs's own `zkey verify` accepts the exported zkey, with the three contributions and the beacon.
    const report = await snarkjs.zKey.verifyFromR1cs(circuit.r1cs, ptau, join(out, "multiplier.zkey"));
    expect(report).toBe(true);
    const verified = await verifyCeremony({ dir });
    expect(verified.contributions.map((c) => [c.name, c.hash])).toEqual([
      ["alice", alice.contribution.hash],
      ["bob", bob.contribution.hash],
      ["carol", carol.contribution.hash],
      ["final beacon", beacon.hash],
    ]);
    expect(verified.contributions[3]?.beacon).toEqual({ hash: BEACON, iterationsExp: 10 });

    // Prove with the exports; verify off chain and on chain with the exported Solidity verifier.
    const vkey = JSON.parse(await readFile(join(out, "verification_key.json"), "utf8")) as Record<string, unknown>;
    const { proof, publicSignals } = await snarkjs.groth16.fullProve(
      { product: "391", tag: "77", a: "17", b: "23" },
      join(out, "multiplier.wasm"),
      join(out, "multiplier.zkey"),
    );
    expect(publicSignals).toEqual(["391", "77"]);
    expect(await snarkjs.groth16.verify(vkey, publicSignals, proof)).toBe(true);

    const source = await readFile(join(out, "MultiplierVerifier.sol"), "utf8");
    expect(source).toContain("contract MultiplierVerifier {");
    expect(source).toContain(
      "// Setup: a DEVELOPMENT ceremony over an unpublished Powers of Tau, INSECURE: never for real funds; 3 contribution(s), then a beacon",
    );
    const chain = await deployVerifier(compileSolidity("MultiplierVerifier.sol", source, "MultiplierVerifier"));
    try {
      expect(await chain.verify(proof, publicSignals)).toBe(true);
      expect(await chain.verify(proof, ["391", "78"])).toBe(false);
    } finally {
      await chain.close();
    }
  });
});

describe("refusals", () => {
  it("contribute and verify refuse a contribution whose bytes were tampered with", async () => {
    const dir = await ceremonyWith("tampered", ["alice"]);
    await flipBytesInSection(join(dir, "multiplier_0001.zkey"), 9);
    const reason = "multiplier_0001.zkey does not verify against multiplier.r1cs and the Powers of Tau: H section does not match";
    const refused = await contribute({ dir, name: "bob" }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(CeremonyError);
    expect(refused).toMatchObject({ code: CeremonyErrorCode.ZkeyInvalid, message: `refusing to contribute: ${reason}` });
    // The verification's own refusal, kept as the cause.
    expect((refused as CeremonyError).cause).toBeInstanceOf(CeremonyError);
    expect((refused as CeremonyError).cause).toMatchObject({ code: CeremonyErrorCode.ZkeyInvalid, message: reason });
    await expect(verifyCeremony({ dir })).rejects.toMatchObject({ code: CeremonyErrorCode.ZkeyInvalid, message: reason });
    // Nothing was added on top of it.
    expect((await readTranscript(dir)).contributions).toHaveLength(1);
    expect(existsSync(join(dir, "multiplier_0002.zkey"))).toBe(false);
  });

  it("refuses a zkey that is not one as unreadable, keeping the verifier's failure as the cause", async () => {
    const dir = await ceremonyWith("unreadable", ["alice"]);
    const zkey = join(dir, "multiplier_0001.zkey");
    await copyFile(circuit.r1cs, zkey);
    const refused = await verifyCeremony({ dir }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(CeremonyError);
    expect(refused).toMatchObject({
      code: CeremonyErrorCode.ZkeyInvalid,
      message: `multiplier_0001.zkey does not verify against multiplier.r1cs and the Powers of Tau: unreadable (${zkey}: Invalid File format)`,
    });
    expect((refused as CeremonyError).cause).toBeInstanceOf(Error);
    expect((refused as CeremonyError).cause).toMatchObject({ message: `${zkey}: Invalid File format` });
  });

  it("refuses a contribution whose L section was tampered with", async () => {
    const dir = await ceremonyWith("tampered-l", ["alice"]);
    await flipBytesInSection(join(dir, "multiplier_0001.zkey"), 8);
    await expect(verifyCeremony({ dir })).rejects.toMatchObject({
      code: CeremonyErrorCode.ZkeyInvalid,
      message: "multiplier_0001.zkey does not verify against multiplier.r1cs and the Powers of Tau: L section does not match",
    });
  });

  it("refuses a contribution whose public key was altered (its proof of knowledge no longer holds)", async () => {
    const dir = await ceremonyWith("tampered-key", ["alice"]);
    // Section 10: circuit hash (64 bytes), count (4), then alice's deltaAfter (64), g1_s (64), g1_sx (64).
    await flipBytesInSection(join(dir, "multiplier_0001.zkey"), 10, 64 + 4 + 64 + 64 + 16);
    await expect(verifyCeremony({ dir })).rejects.toMatchObject({
      code: CeremonyErrorCode.ZkeyInvalid,
      message:
        "multiplier_0001.zkey does not verify against multiplier.r1cs and the Powers of Tau: contribution #1: Inconsistent transcript",
    });
  });

  it("refuses a valid zkey whose contributions are not the transcript's", async () => {
    const dir = await ceremonyWith("substituted", ["alice"]);
    const recorded = (await readTranscript(dir)).contributions[0];
    // Someone replaces alice's contribution with their own, made on the same initial zkey.
    const substitute = join(work, "substitute.zkey");
    const mallory = Buffer.from(await snarkjs.zKey.contribute(join(dir, "multiplier_0000.zkey"), substitute, "alice", "mallory")).toString(
      "hex",
    );
    await copyFile(substitute, join(dir, "multiplier_0001.zkey"));
    const message = `multiplier_0001.zkey verifies, but its contribution #1 has hash ${mallory}, the transcript lists ${recorded?.hash} (alice)`;
    await expect(verifyCeremony({ dir })).rejects.toMatchObject({ code: CeremonyErrorCode.TranscriptMismatch, message });
    await expect(contribute({ dir, name: "bob" })).rejects.toMatchObject({ message: `refusing to contribute: ${message}` });
  });

  it("refuses a Powers of Tau other than the one the ceremony started from", async () => {
    const dir = await ceremonyWith("other-ptau", []);
    const other = unpreparedPtau(join(work, "ptau"));
    await expect(verifyCeremony({ dir, ptau: other })).rejects.toMatchObject({
      code: CeremonyErrorCode.PtauMismatch,
      message: `${other} has blake2b ${await blake2bFile(other)}, but the ceremony started from pot8_test.ptau with blake2b ${ptauBlake2b}`,
    });
  });

  it("refuses the beacon before any contribution, finalize before the beacon, and contributions after it", async () => {
    const dir = await ceremonyWith("order", []);
    await expect(applyBeacon({ dir, hash: BEACON, iterationsExp: 10 })).rejects.toMatchObject({
      code: CeremonyErrorCode.NoContributions,
      message: "cannot apply the beacon before any contribution: a beacon alone is public randomness",
    });
    await contribute({ dir, name: "alice" });
    await expect(finalizeCeremony({ dir, out: join(work, "order-out") })).rejects.toMatchObject({
      code: CeremonyErrorCode.NoBeacon,
      message: "cannot finalize before the beacon: run `huzhu ceremony beacon` first",
    });
    await applyBeacon({ dir, hash: BEACON, iterationsExp: 10 });
    await expect(contribute({ dir, name: "late" })).rejects.toMatchObject({
      code: CeremonyErrorCode.CeremonyClosed,
      message: "cannot contribute: the ceremony is closed by its beacon (multiplier_0002.zkey); run `huzhu ceremony finalize`",
    });
  });

  it("refuses malformed beacons and contributor names", async () => {
    const dir = join(work, "dev-init");
    await expect(applyBeacon({ dir, hash: "xyz", iterationsExp: 10 })).rejects.toMatchObject({
      code: CeremonyErrorCode.InvalidBeacon,
      message: 'the beacon must be 1 to 255 bytes of hex, got "xyz"',
    });
    await expect(applyBeacon({ dir, hash: BEACON, iterationsExp: 9 })).rejects.toMatchObject({
      code: CeremonyErrorCode.InvalidBeacon,
      message: "the beacon's iteration exponent must be an integer from 10 to 63, got 9",
    });
    await expect(contribute({ dir, name: "two\nlines" })).rejects.toMatchObject({
      code: CeremonyErrorCode.InvalidName,
      message: 'a contributor name must be 1 to 64 printable characters on one line, got "two\\nlines"',
    });
  });
});
