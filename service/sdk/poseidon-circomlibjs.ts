/**
 * Registers circomlibjs's WebAssembly Poseidon as the SDK's fast hasher (service/sdk/poseidon-wasm.ts),
 * loaded on first use. Imported by Node programs (CLI, relayer, tree service, benches) and by the web
 * app (its page and its prover worker), whose build resolves `circomlibjs` to the package's Poseidon
 * module alone (web/vite.config.ts): its main module also loads code that needs Node's Buffer.
 */
import { registerPoseidonBuilder } from "./poseidon-wasm.ts";

registerPoseidonBuilder(async () => (await import("circomlibjs")).buildPoseidon);
