/**
 * The fastest Poseidon this project found that matches circomlib bit for bit, for the places that
 * hash many nodes: building a member tree in bulk (the tree service, the events fallback, the
 * auditor, benches). It is circomlibjs's Poseidon compiled into ffjavascript's BN254 WebAssembly
 * field (Montgomery form), driven here level by level inside WebAssembly memory so no bigint is
 * made per hash. Measured on this machine kind (docs/BENCHMARKS.md, `scale.poseidon.*`):
 * poseidon-lite 180 us per Poseidon(2), @railgun-community/poseidon-hash-wasm 100 us,
 * @lightprotocol/hasher.rs 190 us, @iden3/js-crypto 210 us, circomlibjs 65 us through its own
 * API and about 50 us here. Runs in Node and in browsers; loading compiles the module (~50 ms).
 * A handful of hashes (a Merkle path) is cheaper with poseidon-lite, which needs no loading.
 */
/** Field elements are 32 bytes, little-endian, canonical (below r). */
export const FIELD_BYTES = 32;
/** Pairs hashed per call into WebAssembly (the module's memory is small and fixed). */
const PAIRS_PER_BATCH = 256;

interface WasmField {
  tm: {
    u8: Uint8Array;
    alloc(length: number): number;
    instance: { exports: Record<string, (...args: number[]) => void> };
  };
}

export interface FastPoseidon {
  /** Poseidon(left, right) of 32-byte little-endian elements, into `out` at `outOffset`. */
  hashPairs(input: Uint8Array, pairs: number, out: Uint8Array, outOffset: number): void;
  /** Poseidon of `arity` elements per item, `count` items laid out one after another in `input`. */
  hashMany(input: Uint8Array, arity: number, count: number, out: Uint8Array, outOffset: number): void;
}

let loading: Promise<FastPoseidon> | undefined;
let loaded: FastPoseidon | undefined;

/** The fast hasher, built once per process (or page) and shared. */
export function fastPoseidon(): Promise<FastPoseidon> {
  loading ??= buildFastPoseidon().then((hasher) => {
    loaded = hasher;
    return hasher;
  });
  return loading;
}

/** The fast hasher if `fastPoseidon()` has loaded it, for code that must stay synchronous. */
export function loadedFastPoseidon(): FastPoseidon | undefined {
  return loaded;
}

async function buildFastPoseidon(): Promise<FastPoseidon> {
  // Loaded on first use: a page that never builds a tree in bulk never downloads it.
  const { buildPoseidon } = await import("circomlibjs");
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
    hashMany,
    hashPairs: (input, pairs, out, outOffset) => hashMany(input, 2, pairs, out, outOffset),
  };
}
