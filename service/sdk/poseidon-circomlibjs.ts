/**
 * Registers circomlibjs's WebAssembly Poseidon as the SDK's fast hasher (service/sdk/poseidon-wasm.ts).
 * Imported by Node programs (CLI, relayer, tree service, benches); loaded on first use.
 */
import { registerPoseidonBuilder } from "./poseidon-wasm.ts";

registerPoseidonBuilder(async () => (await import("circomlibjs")).buildPoseidon);
