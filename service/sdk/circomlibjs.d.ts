/** The part of circomlibjs (no types of its own) that the SDK uses: its WebAssembly Poseidon. */
declare module "circomlibjs" {
  export function buildPoseidon(): Promise<unknown>;
}
