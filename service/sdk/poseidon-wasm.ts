/**
 * The fastest Poseidon this project found that matches circomlib bit for bit, for the places that
 * hash many nodes: building a member tree in bulk (the tree service, the events fallback, the
 * auditor, benches). It is circomlibjs's Poseidon compiled into ffjavascript's BN254 WebAssembly
 * field (Montgomery form), driven here level by level inside WebAssembly memory so no bigint is
 * made per hash. Measured on this machine kind (docs/BENCHMARKS.md, `scale.poseidon.*`):
 * poseidon-lite 180 us per Poseidon(2), @railgun-community/poseidon-hash-wasm 100 us,
 * @lightprotocol/hasher.rs 190 us, @iden3/js-crypto 210 us, circomlibjs 65 us through its own
 * API and about 50 us here; in Chromium poseidon-lite 100 us and about 70 us here. Loading
 * generates and compiles the module (0.2-0.6 s: ffjavascript's whole BN254 engine and the constants
 * of every Poseidon width, built in JS). Node programs and the web app register it
 * (service/sdk/poseidon-circomlibjs.ts); unregistered, the same interface runs on poseidon-lite.
 * Each load is marked on the process's or page's performance timeline (`POSEIDON_MARK`, its detail
 * the hasher's name and load time), so a trace or a test can see which one a page or worker uses.
 */
import { poseidon1, poseidon2, poseidon3, poseidon4, poseidon5 } from "poseidon-lite";
import { FIELD_BYTES, readField, writeField } from "./field-bytes.ts";

export { FIELD_BYTES };

/** Pairs hashed per call into WebAssembly (the module's memory is small and fixed). */
const PAIRS_PER_BATCH = 256;
/** The performance mark each load leaves: `detail` is `{ name, loadMs }`. */
export const POSEIDON_MARK = "huzhu:poseidon";

interface WasmField {
  tm: {
    u8: Uint8Array;
    alloc(length: number): number;
    instance: { exports: Record<string, (...args: number[]) => void> };
  };
}

export interface FastPoseidon {
  /** Which implementation this is: "circomlibjs" (WebAssembly) or "poseidon-lite". */
  readonly name: "circomlibjs" | "poseidon-lite";
  /** Poseidon(left, right) of 32-byte little-endian elements, into `out` at `outOffset`. */
  hashPairs(input: Uint8Array, pairs: number, out: Uint8Array, outOffset: number): void;
  /** Poseidon of `arity` elements per item, `count` items laid out one after another in `input`. */
  hashMany(input: Uint8Array, arity: number, count: number, out: Uint8Array, outOffset: number): void;
}

let loading: Promise<FastPoseidon> | undefined;
let loaded: FastPoseidon | undefined;
/** circomlibjs's `buildPoseidon`, once registered (service/sdk/poseidon-circomlibjs.ts). */
let builder: (() => Promise<() => Promise<unknown>>) | undefined;

/**
 * Where circomlibjs's `buildPoseidon` comes from. The SDK's own import graph stays free of it (its
 * package's main module imports Node built-ins that browser bundles lack): Node programs and the
 * web app import service/sdk/poseidon-circomlibjs.ts, which registers it (the web build aliases the
 * package to its Poseidon module alone, web/vite.config.ts). Unregistered, the same interface
 * hashes with poseidon-lite.
 */
export function registerPoseidonBuilder(load: () => Promise<() => Promise<unknown>>): void {
  builder = load;
}

/** The fast hasher, built once per process (or page) and shared (poseidon-lite if none is registered). */
export function fastPoseidon(): Promise<FastPoseidon> {
  if (!loading) {
    const started = performance.now();
    loading = (builder ? buildFastPoseidon(builder) : Promise.resolve(litePoseidon())).then((hasher) => {
      loaded = hasher;
      performance.mark(POSEIDON_MARK, { detail: { name: hasher.name, loadMs: performance.now() - started } });
      return hasher;
    });
  }
  return loading;
}

/** The fast hasher if `fastPoseidon()` has loaded it, for code that must stay synchronous. */
export function loadedFastPoseidon(): FastPoseidon | undefined {
  return loaded;
}

/** The same interface on poseidon-lite (where circomlibjs is not registered, e.g. in browsers). */
function litePoseidon(): FastPoseidon {
  const hashes = [undefined, poseidon1, poseidon2, poseidon3, poseidon4, poseidon5] as const;
  function hashMany(input: Uint8Array, arity: number, count: number, out: Uint8Array, outOffset: number): void {
    const hash = hashes[arity];
    if (!hash) throw new Error(`Poseidon arity ${arity} is not supported here (1-5)`);
    for (let i = 0; i < count; i++) {
      const inputs = Array.from({ length: arity }, (_, k) => readField(input, (i * arity + k) * FIELD_BYTES));
      writeField(out, outOffset + i * FIELD_BYTES, hash(inputs));
    }
  }
  return { name: "poseidon-lite", hashMany, hashPairs: (input, pairs, out, outOffset) => hashMany(input, 2, pairs, out, outOffset) };
}

async function buildFastPoseidon(load: () => Promise<() => Promise<unknown>>): Promise<FastPoseidon> {
  const buildPoseidon = await load();
  const poseidon = (await buildPoseidon()) as unknown as { F: WasmField };
  const tm = poseidon.F.tm;
  const exports = tm.instance.exports;
  const hash = exports.poseidon as (pState: number, pIn: number, n: number, pOut: number, nOut: number) => void;
  const toMont = exports.frm_toMontgomery as (pIn: number, pOut: number) => void;
  const fromMont = exports.frm_fromMontgomery as (pIn: number, pOut: number) => void;
  const maxArity = 5;
  const pState = tm.alloc(FIELD_BYTES);
  const pIn = tm.alloc(FIELD_BYTES * maxArity * PAIRS_PER_BATCH);
  const pOut = tm.alloc(FIELD_BYTES * PAIRS_PER_BATCH);
  // ffjavascript's memory never grows after this, so one view stays valid.
  const memory = tm.u8;
  memory.fill(0, pState, pState + FIELD_BYTES);

  function hashMany(input: Uint8Array, arity: number, count: number, out: Uint8Array, outOffset: number): void {
    if (arity < 1 || arity > maxArity) throw new Error(`Poseidon arity ${arity} is not supported here (1-${maxArity})`);
    const itemBytes = FIELD_BYTES * arity;
    for (let done = 0; done < count; done += PAIRS_PER_BATCH) {
      const batch = Math.min(PAIRS_PER_BATCH, count - done);
      memory.set(input.subarray(done * itemBytes, (done + batch) * itemBytes), pIn);
      for (let i = 0; i < batch * arity; i++) toMont(pIn + i * FIELD_BYTES, pIn + i * FIELD_BYTES);
      for (let i = 0; i < batch; i++) {
        hash(pState, pIn + i * itemBytes, arity, pOut + i * FIELD_BYTES, 1);
        fromMont(pOut + i * FIELD_BYTES, pOut + i * FIELD_BYTES);
      }
      out.set(memory.subarray(pOut, pOut + batch * FIELD_BYTES), outOffset + done * FIELD_BYTES);
    }
  }
  return {
    name: "circomlibjs",
    hashMany,
    hashPairs: (input, pairs, out, outOffset) => hashMany(input, 2, pairs, out, outOffset),
  };
}
