/**
 * The SDK imports `poseidon-lite`'s index, which is CommonJS and takes every width's constants
 * (about 0.9 MB) into a bundle. The web build aliases it to this module: the same functions, from
 * the per-width entry points, so only the widths used are bundled.
 */
export { poseidon1 } from "poseidon-lite/poseidon1";
export { poseidon2 } from "poseidon-lite/poseidon2";
export { poseidon3 } from "poseidon-lite/poseidon3";
export { poseidon4 } from "poseidon-lite/poseidon4";
export { poseidon5 } from "poseidon-lite/poseidon5";
