/**
 * Circuit test helpers: witness calculation, reading and editing witness values by signal name
 * (from the compiler's .sym file), constraint checks with snarkjs, and the source line of a
 * constraint so a failure can be pinned to the check that raised it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as snarkjs from "snarkjs";
import { expect } from "vitest";
import type { ClaimCircuitInput } from "../service/sdk/index.ts";
import { CLAIM_BUILD } from "../service/sdk/node.ts";

const ROOT = join(import.meta.dirname, "..");
export const CLAIM_SOURCE = join(ROOT, "circuits", "Claim.circom");
export const CIRCOMLIB = join(ROOT, "node_modules", "circomlib", "circuits");

/** 1-based line of the single line of `file` that contains `snippet`. */
export function lineOf(file: string, snippet: string): number {
  const lines = readFileSync(file, "utf8").split("\n");
  const hits = lines.flatMap((line, i) => (line.includes(snippet) ? [i + 1] : []));
  if (hits.length !== 1) throw new Error(`expected one line with ${JSON.stringify(snippet)} in ${file}, found ${hits.length}`);
  return hits[0] as number;
}

/** A witness-calculator stack frame: template `name` failing at `line` of its source. */
export function frame(template: string, line: number): RegExp {
  return new RegExp(`Error in template ${template}_\\d+ line: ${line}\\b`);
}

/** A stack frame of the Claim template at the line holding `snippet`. */
export function claimFrame(snippet: string): RegExp {
  return frame("Claim", lineOf(CLAIM_SOURCE, snippet));
}

export interface Witness {
  type: "mem";
  data: Uint8Array;
}

export async function calculateWitness(input: ClaimCircuitInput): Promise<Witness> {
  const witness: { type: "mem"; data?: Uint8Array } = { type: "mem" };
  await snarkjs.wtns.calculate(input, CLAIM_BUILD.wasm, witness);
  if (!witness.data) throw new Error("witness calculator returned no data");
  return { type: "mem", data: witness.data };
}

/** Expects the witness calculator to reject `input` with every given stack frame in its error. */
export async function expectWitnessFailure(input: ClaimCircuitInput, frames: RegExp[]): Promise<void> {
  let message = "";
  try {
    await calculateWitness(input);
  } catch (error) {
    message = String(error);
  }
  expect(message, "the circuit accepted the input").toContain("Assert Failed");
  for (const f of frames) expect(message).toMatch(f);
}

let symbols: Map<string, number> | undefined;
/** Signal name -> witness index, for the signals --O2 kept. */
function symbolTable(): Map<string, number> {
  if (!symbols) {
    symbols = new Map();
    for (const line of readFileSync(CLAIM_BUILD.sym, "utf8").split("\n")) {
      const [, varIdx, , name] = line.split(",");
      if (name !== undefined && varIdx !== undefined && Number(varIdx) >= 0) symbols.set(name, Number(varIdx));
    }
  }
  return symbols;
}

/** Witness names matching `pattern` (e.g. all range-check bits of one comparator). */
export function signalsMatching(pattern: RegExp): string[] {
  return [...symbolTable().keys()].filter((name) => pattern.test(name));
}

function signalIndex(name: string): number {
  const index = symbolTable().get(name);
  if (index === undefined) throw new Error(`no witness signal named ${name}`);
  return index;
}

// .wtns layout: "wtns", version, nSections; section 1 = n8, prime, nWitness; section 2 = values (LE).
function valuesOffset(data: Uint8Array): { offset: number; n8: number } {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let pos = 12;
  let n8 = 0;
  const nSections = view.getUint32(8, true);
  for (let s = 0; s < nSections; s++) {
    const type = view.getUint32(pos, true);
    const size = Number(view.getBigUint64(pos + 4, true));
    pos += 12;
    if (type === 1) n8 = view.getUint32(pos, true);
    if (type === 2) return { offset: pos, n8 };
    pos += size;
  }
  throw new Error("witness has no values section");
}

export function readSignal(witness: Witness, name: string): bigint {
  const { offset, n8 } = valuesOffset(witness.data);
  const start = offset + signalIndex(name) * n8;
  let value = 0n;
  for (let i = n8 - 1; i >= 0; i--) value = (value << 8n) | BigInt(witness.data[start + i] ?? 0);
  return value;
}

/** A copy of the witness with one signal set to `value`: a forged witness. */
export function editWitness(witness: Witness, name: string, value: bigint): Witness {
  const data = new Uint8Array(witness.data);
  const { offset, n8 } = valuesOffset(data);
  const start = offset + signalIndex(name) * n8;
  let v = value;
  for (let i = 0; i < n8; i++) {
    data[start + i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return { type: "mem", data };
}

const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** Whether every R1CS constraint holds for the witness. */
export async function constraintsHold(witness: Witness): Promise<boolean> {
  return snarkjs.wtns.check(CLAIM_BUILD.r1cs, witness, silent);
}
