/**
 * Groth16 batch verification for auditors: many claim proofs checked with one final
 * exponentiation, and one-by-one bisection to name the proofs that fail. Runs in Node and in
 * browsers (ffjavascript's bn128 curve through snarkjs, randomness from crypto.getRandomValues).
 *
 * One proof (A, B, C) with public signals x verifies when
 *   e(A, B) = e(alpha, beta) * e(vk_x, gamma) * e(C, delta),   vk_x = IC_0 + sum_j x_j IC_j.
 * For proofs 1..n and secret random 128-bit scalars r_i, the batch checks
 *   prod_i e(-r_i A_i, B_i) * e(sum_i r_i vk_x_i, gamma) * e(sum_i r_i C_i, delta)
 *     * e((sum_i r_i) alpha, beta) = 1,
 * which is n + 3 Miller loops and a single final exponentiation; sum_i r_i vk_x_i is one
 * multi-exponentiation over the IC points with scalars sum_i r_i x_ij. A batch holding an invalid
 * proof passes with probability at most about 2^-128, and a batch of valid proofs always passes.
 * The scalars are drawn after the proofs are fixed, so no prover can aim at them.
 *
 * Points are checked as the EVM's pairing precompile checks them (coordinates below q, on the
 * curve, B in the order-r subgroup of the twist): stricter than snarkjs, which skips the subgroup
 * check, and required here because the random combination is only sound on the prime-order groups.
 */
import * as snarkjs from "snarkjs";
import { PUBLIC_SIGNALS, SNARK_SCALAR_FIELD } from "./constants.ts";
import type { Groth16Proof } from "./encoding.ts";
import { ErrorCode, HuzhuError } from "./errors.ts";
import { type BigNumberish, toCoordinate, toField } from "./field.ts";
import type { VerificationKey } from "./prover.ts";

/**
 * The ffjavascript version whose private worker API this module drives (package.json pins it, as
 * snarkjs 0.7.6 does); every verifier checks that API at creation (selfTest).
 */
export const FFJAVASCRIPT_PIN = "0.3.1";

const SELF_TEST_FAILED = `batch verification's self test failed: ffjavascript's worker API (curve.tm.queueAction, g2m_timesScalarAffine) no longer behaves as ffjavascript ${FFJAVASCRIPT_PIN}'s did; keep package.json's exact pins of snarkjs and ffjavascript, or adapt service/sdk/batch-verify.ts to the new version`;

/** The parts of ffjavascript's wasm curve groups used here (points are Uint8Array, Montgomery form). */
interface CurveGroup {
  zero: Uint8Array;
  F: { n8: number };
  fromObject(point: bigint[] | bigint[][]): Uint8Array;
  isValid(point: Uint8Array): boolean;
  isZero(point: Uint8Array): boolean;
  timesScalar(point: Uint8Array, scalarLE: Uint8Array): Uint8Array;
  neg(point: Uint8Array): Uint8Array;
  toAffine(point: Uint8Array): Uint8Array;
  multiExpAffine(bases: Uint8Array, scalarsLE: Uint8Array): Promise<Uint8Array>;
}

/** One step of a task for the curve's worker threads (ffjavascript's thread manager). */
type WorkerStep =
  | { cmd: "ALLOCSET"; var: number; buff: Uint8Array }
  | { cmd: "ALLOC"; var: number; len: number }
  | { cmd: "CALL"; fnName: string; params: Array<{ var: number } | { val: number }> }
  | { cmd: "GET"; out: number; var: number; len: number };

interface Bn128Curve {
  G1: CurveGroup;
  G2: CurveGroup;
  pairingEq(...pairs: Uint8Array[]): Promise<boolean>;
  tm: { queueAction(task: WorkerStep[]): Promise<Uint8Array[]> };
}

/** One proof and its public signals (decimal strings as snarkjs gives them, or bigints). */
export interface BatchItem {
  proof: Groth16Proof;
  publicSignals: readonly (string | bigint)[];
}

export interface BatchVerifierOptions {
  /** Proofs per random-combination check before bisection (default 256). */
  batchSize?: number;
}

/** Counters for reports and benchmarks. */
export interface BatchVerifierStats {
  proofs: number;
  /** Proofs refused before any pairing (bad encoding, point off the curve or out of the subgroup, signal >= r). */
  malformed: number;
  /** Random-combination checks run (each one final exponentiation). */
  checks: number;
  /** Miller loops run. */
  millerLoops: number;
}

/** A proof whose points and signals passed every encoding check, ready for pairing. */
interface ParsedProof {
  index: number;
  a: Uint8Array;
  b: Uint8Array;
  c: Uint8Array;
  signals: bigint[];
}

const FR_BYTES = 32;
const RANDOM_BYTES = 16; // 128-bit combination scalars

function scalarToLE(value: bigint, bytes: number, out: Uint8Array = new Uint8Array(bytes), offset = 0): Uint8Array {
  let v = value;
  for (let i = 0; i < bytes; i++) {
    out[offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function leToScalar(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i] as number);
  return v;
}

/** A uniformly random non-zero 128-bit scalar, little-endian. */
function randomScalar(): Uint8Array {
  const bytes = new Uint8Array(RANDOM_BYTES);
  do crypto.getRandomValues(bytes);
  while (bytes.every((b) => b === 0));
  return bytes;
}

/** A point's coordinate (below q) or a public signal (below r), by the SDK's one check of each; throws HuzhuError. */
const coordinate = (value: unknown): bigint => toCoordinate(value as BigNumberish, "a proof or key coordinate");
const signal = (value: unknown): bigint => toField(value as BigNumberish, "a public signal");

export class Groth16BatchVerifier {
  readonly stats: BatchVerifierStats = { proofs: 0, malformed: 0, checks: 0, millerLoops: 0 };
  private readonly curve: Bn128Curve;
  private readonly nPublic: number;
  private readonly batchSize: number;
  private readonly alpha: Uint8Array;
  private readonly beta: Uint8Array;
  private readonly gamma: Uint8Array;
  private readonly delta: Uint8Array;
  /** IC_0..IC_n, affine, concatenated for multi-exponentiation. */
  private readonly ic: Uint8Array;
  private readonly rLE: Uint8Array;

  private constructor(curve: Bn128Curve, vkey: VerificationKey, options: BatchVerifierOptions) {
    this.curve = curve;
    this.nPublic = vkey.nPublic;
    this.batchSize = Math.max(1, options.batchSize ?? 256);
    const g1 = (p: unknown) => curve.G1.toAffine(curve.G1.fromObject((p as string[]).map(coordinate)));
    const g2 = (p: unknown) => curve.G2.toAffine(curve.G2.fromObject((p as string[][]).map((c) => c.map(coordinate))));
    this.alpha = g1(vkey.vk_alpha_1);
    this.beta = g2(vkey.vk_beta_2);
    this.gamma = g2(vkey.vk_gamma_2);
    this.delta = g2(vkey.vk_delta_2);
    const ic = vkey.IC as unknown[];
    if (!Array.isArray(ic) || ic.length !== this.nPublic + 1)
      throw new Error(`verification key has ${ic?.length} IC points, expected ${this.nPublic + 1}`);
    const size = curve.G1.F.n8 * 2;
    this.ic = new Uint8Array(size * ic.length);
    ic.forEach((p, i) => {
      this.ic.set(g1(p), i * size);
    });
    this.rLE = scalarToLE(SNARK_SCALAR_FIELD, FR_BYTES);
  }

  /**
   * A verifier for one verification key. Uses snarkjs's process-wide bn128 curve (its worker
   * threads run the Miller loops and the G2 subgroup checks); `releaseProver()` ends it.
   */
  static async create(vkey: VerificationKey, options: BatchVerifierOptions = {}): Promise<Groth16BatchVerifier> {
    if (vkey.protocol !== "groth16" || (vkey as { curve?: string }).curve !== "bn128") {
      throw new Error("batch verification supports Groth16 keys on bn128 only");
    }
    const curve = (await snarkjs.curves.getCurveFromName("bn128")) as unknown as Bn128Curve;
    const verifier = new Groth16BatchVerifier(curve, vkey, options);
    await verifier.selfTest();
    return verifier;
  }

  /**
   * Fails loudly unless the curve's worker threads still run the commands this module sends them.
   * They are ffjavascript's private thread-manager API (`curve.tm.queueAction` and the wasm
   * function names), reached through snarkjs: package.json pins both exactly (ffjavascript
   * FFJAVASCRIPT_PIN, snarkjs 0.7.6), and a new version must pass this before anything is verified
   * with it. r * beta must be the identity and 1 * beta must not (beta, the key's G2 point, is in
   * the order-r subgroup).
   */
  private async selfTest(): Promise<void> {
    const { G2 } = this.curve;
    let ok = false;
    try {
      const rTimes = await this.g2TimesOnWorkers(this.beta, this.rLE);
      const oneTimes = await this.g2TimesOnWorkers(this.beta, scalarToLE(1n, FR_BYTES));
      ok = G2.isZero(rTimes) && !G2.isZero(oneTimes);
    } catch (error) {
      throw new HuzhuError(ErrorCode.ToolchainChanged, `${SELF_TEST_FAILED}: ${(error as Error).message}`, {}, { cause: error });
    }
    if (!ok)
      throw new HuzhuError(
        ErrorCode.ToolchainChanged,
        `${SELF_TEST_FAILED}: a G2 scalar multiplication on the worker threads gave a wrong point`,
      );
  }

  /** scalar * point (affine G2) on the curve's worker threads; the result in Jacobian form. */
  private async g2TimesOnWorkers(point: Uint8Array, scalarLE: Uint8Array): Promise<Uint8Array> {
    const jacobianSize = this.curve.G2.F.n8 * 3;
    const out = await this.curve.tm.queueAction([
      { cmd: "ALLOCSET", var: 0, buff: point },
      { cmd: "ALLOCSET", var: 1, buff: scalarLE },
      { cmd: "ALLOC", var: 2, len: jacobianSize },
      { cmd: "CALL", fnName: "g2m_timesScalarAffine", params: [{ var: 0 }, { var: 1 }, { val: FR_BYTES }, { var: 2 }] },
      { cmd: "GET", out: 0, var: 2, len: jacobianSize },
    ]);
    return out[0] as Uint8Array;
  }

  /** The number of public signals the key expects (the claim circuit has PUBLIC_SIGNALS.length). */
  get publicSignalCount(): number {
    return this.nPublic;
  }

  /**
   * Verifies every proof; result[i] is whether items[i] verifies. Valid proofs cost one Miller
   * loop each; a failed batch is bisected (with fresh randomness) down to the failing proofs.
   */
  async verify(items: readonly BatchItem[], onProgress?: (done: number, total: number) => void): Promise<boolean[]> {
    const results = new Array<boolean>(items.length).fill(false);
    const decoded: ParsedProof[] = [];
    items.forEach((item, index) => {
      const p = this.parse(item, index);
      if (p) decoded.push(p);
    });
    const parsed = await this.inSubgroup(decoded);
    this.stats.malformed += items.length - parsed.length;
    this.stats.proofs += items.length;
    let done = items.length - parsed.length;
    for (let start = 0; start < parsed.length; start += this.batchSize) {
      const batch = parsed.slice(start, start + this.batchSize);
      await this.resolve(batch, results, false);
      done += batch.length;
      onProgress?.(done, items.length);
    }
    if (parsed.length === 0) onProgress?.(items.length, items.length);
    return results;
  }

  /** One random-combination check over all items: true only if every proof verifies (w.h.p.). */
  async checkBatch(items: readonly BatchItem[]): Promise<boolean> {
    const decoded: ParsedProof[] = [];
    for (const [index, item] of items.entries()) {
      const p = this.parse(item, index);
      if (!p) return false;
      decoded.push(p);
    }
    const parsed = await this.inSubgroup(decoded);
    if (parsed.length < decoded.length) return false;
    return parsed.length === 0 ? true : this.combinedCheck(parsed);
  }

  /**
   * Marks each proof of `group`. `knownBad`: the caller already knows the group holds an invalid
   * proof (its sibling passed while their parent failed), so the group's own check is skipped.
   * Returns whether the group held an invalid proof.
   */
  private async resolve(group: ParsedProof[], results: boolean[], knownBad: boolean): Promise<boolean> {
    if (!knownBad && (await this.combinedCheck(group))) {
      for (const p of group) results[p.index] = true;
      return false;
    }
    if (group.length === 1) {
      const only = group[0] as ParsedProof;
      // A known-bad singleton needs no pairing; otherwise its own check just failed.
      results[only.index] = false;
      return true;
    }
    const mid = group.length >> 1;
    const leftBad = await this.resolve(group.slice(0, mid), results, false);
    await this.resolve(group.slice(mid), results, !leftBad);
    return true;
  }

  /**
   * The proofs whose B is in G2's order-r subgroup (r * B = 0; G1 has cofactor 1, so A and C need
   * no such check). The scalar multiplications run on the curve's worker threads, in parallel.
   */
  private async inSubgroup(proofs: ParsedProof[]): Promise<ParsedProof[]> {
    const { G2 } = this.curve;
    const results = await Promise.all(
      proofs.map((p) => (G2.isZero(p.b) ? true : this.g2TimesOnWorkers(p.b, this.rLE).then((out) => G2.isZero(out)))),
    );
    return proofs.filter((_, i) => results[i]);
  }

  /** Decodes and checks one item's points (on the curve) and signals; undefined if anything is malformed. */
  private parse(item: BatchItem, index: number): ParsedProof | undefined {
    const { G1, G2 } = this.curve;
    try {
      if (item.publicSignals.length !== this.nPublic) return undefined;
      const signals = item.publicSignals.map(signal);
      const proof = item.proof;
      const a = G1.fromObject(proof.pi_a.map(coordinate));
      const c = G1.fromObject(proof.pi_c.map(coordinate));
      const b = G2.fromObject(proof.pi_b.map((pair) => pair.map(coordinate)));
      if (!G1.isValid(a) || !G1.isValid(c) || !G2.isValid(b)) return undefined;
      return { index, a: G1.toAffine(a), b: G2.toAffine(b), c: G1.toAffine(c), signals };
    } catch {
      return undefined;
    }
  }

  private async combinedCheck(group: ParsedProof[]): Promise<boolean> {
    const { G1 } = this.curve;
    const n = group.length;
    const g1Size = G1.F.n8 * 2;
    const rs = group.map(() => randomScalar());
    // Scalars of the IC multi-exponentiation: s_0 = sum r_i, s_{j+1} = sum r_i x_ij (mod r).
    const sums = new Array<bigint>(this.nPublic + 1).fill(0n);
    const cBases = new Uint8Array(g1Size * n);
    const cScalars = new Uint8Array(RANDOM_BYTES * n);
    const pairs: Uint8Array[] = [];
    group.forEach((p, i) => {
      const rBytes = rs[i] as Uint8Array;
      const r = leToScalar(rBytes);
      sums[0] = (sums[0] as bigint) + r;
      p.signals.forEach((x, j) => {
        sums[j + 1] = (sums[j + 1] as bigint) + r * x;
      });
      cBases.set(p.c, i * g1Size);
      cScalars.set(rBytes, i * RANDOM_BYTES);
      pairs.push(G1.neg(G1.timesScalar(p.a, rBytes)), p.b);
    });
    const icScalars = new Uint8Array(FR_BYTES * sums.length);
    sums.forEach((s, j) => {
      scalarToLE(s % SNARK_SCALAR_FIELD, FR_BYTES, icScalars, j * FR_BYTES);
    });
    const [vkx, cSum] = await Promise.all([G1.multiExpAffine(this.ic, icScalars), G1.multiExpAffine(cBases, cScalars)]);
    const alphaSum = G1.timesScalar(this.alpha, icScalars.slice(0, FR_BYTES));
    pairs.push(vkx, this.gamma, cSum, this.delta, alphaSum, this.beta);
    this.stats.checks++;
    this.stats.millerLoops += n + 3;
    return this.curve.pairingEq(...pairs);
  }
}

/** Whether a verification key is shaped for the claim circuit (Groth16, bn128, seven public signals). */
export function isClaimVerificationKey(vkey: VerificationKey): boolean {
  return vkey.protocol === "groth16" && (vkey as { curve?: string }).curve === "bn128" && vkey.nPublic === PUBLIC_SIGNALS.length;
}
