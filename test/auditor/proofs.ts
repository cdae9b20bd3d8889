/**
 * Proof material for batch-verification tests: a few real claim proofs, re-randomised into as many
 * distinct valid proofs of the same statements as a test needs (Groth16 proofs are malleable:
 * A' = A / t, B' = t B + t s delta, C' = C + s A verifies whenever (A, B, C) does), and a point of
 * the G2 twist outside its order-r subgroup.
 */
import * as snarkjs from "snarkjs";
import { type Groth16Proof, prepareClaim, proveClaim, SNARK_SCALAR_FIELD, type VerificationKey } from "../../service/sdk/index.ts";
import { claimArtifacts } from "../../service/sdk/node.ts";
import { claimScenario } from "../../testkit/claim-scenario.ts";

interface Field {
  random(): Uint8Array;
  add(a: Uint8Array, b: Uint8Array): Uint8Array;
  mul(a: Uint8Array, b: Uint8Array): Uint8Array;
  square(a: Uint8Array): Uint8Array;
  isSquare(a: Uint8Array): boolean;
  sqrt(a: Uint8Array): Uint8Array;
}

interface Group {
  b: Uint8Array;
  F: Field;
  fromObject(p: unknown): Uint8Array;
  toObject(p: Uint8Array): unknown;
  toAffine(p: Uint8Array): Uint8Array;
  timesScalar(p: Uint8Array, s: Uint8Array): Uint8Array;
  add(a: Uint8Array, b: Uint8Array): Uint8Array;
  isValid(p: Uint8Array): boolean;
}

interface Curve {
  G1: Group;
  G2: Group;
}

async function curve(): Promise<Curve> {
  return (await snarkjs.curves.getCurveFromName("bn128")) as unknown as Curve;
}

function le(value: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let v = value;
  for (let i = 0; i < 32; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function randomScalar(): bigint {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const v = bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n) % SNARK_SCALAR_FIELD;
  return v === 0n ? 1n : v;
}

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
    e >>= 1n;
  }
  return result;
}

const strings = (v: unknown): unknown => (Array.isArray(v) ? v.map(strings) : typeof v === "bigint" ? v.toString() : v);

/** Real proofs of `count` different claim statements. */
export async function realProofs(count: number): Promise<Array<{ proof: Groth16Proof; publicSignals: string[] }>> {
  const out = [];
  for (let i = 0; i < count; i++) {
    const proof = await proveClaim(prepareClaim(claimScenario().request), claimArtifacts());
    out.push({ proof: proof.proof, publicSignals: proof.publicSignals });
  }
  return out;
}

/** Another valid proof of the same statement. */
export async function rerandomize(proof: Groth16Proof, vkey: VerificationKey): Promise<Groth16Proof> {
  const { G1, G2 } = await curve();
  const t = randomScalar();
  const s = randomScalar();
  const tInv = modPow(t, SNARK_SCALAR_FIELD - 2n, SNARK_SCALAR_FIELD);
  const bigints = (v: unknown): unknown => (Array.isArray(v) ? v.map(bigints) : BigInt(v as string));
  const a = G1.fromObject(bigints(proof.pi_a));
  const b = G2.fromObject(bigints(proof.pi_b));
  const c = G1.fromObject(bigints(proof.pi_c));
  const delta = G2.fromObject(bigints(vkey.vk_delta_2));
  const a2 = G1.timesScalar(a, le(tInv));
  const b2 = G2.add(G2.timesScalar(b, le(t)), G2.timesScalar(delta, le((t * s) % SNARK_SCALAR_FIELD)));
  const c2 = G1.add(c, G1.timesScalar(a, le(s)));
  return {
    pi_a: strings(G1.toObject(G1.toAffine(a2))) as string[],
    pi_b: strings(G2.toObject(G2.toAffine(b2))) as string[][],
    pi_c: strings(G1.toObject(G1.toAffine(c2))) as string[],
    protocol: "groth16",
    curve: "bn128",
  };
}

/** A point on the G2 twist that is not in the order-r subgroup (snarkjs's on-curve check passes it). */
export async function twistPointOutsideG2(): Promise<string[][]> {
  const { G2 } = await curve();
  const F = G2.F;
  for (;;) {
    const x = F.random();
    const rhs = F.add(F.mul(F.square(x), x), G2.b);
    if (!F.isSquare(rhs)) continue;
    const point = new Uint8Array(x.length * 2);
    point.set(x);
    point.set(F.sqrt(rhs), x.length);
    if (!G2.isValid(point)) continue;
    return strings(G2.toObject(point)) as string[][];
  }
}
