/** The BN254 scalar field order r: every circuit signal and public input is an element of F_r. */
export const SNARK_SCALAR_FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
/** The BN254 base field order q: every coordinate of a proof's points is below it (q > r). */
export const BN254_BASE_FIELD = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;

/** The order l of BabyJubjub's prime subgroup: a Semaphore identity secret must be below it. */
export const BABYJUBJUB_SUBORDER = 2736030358979909402780800718157159386076813972158567259200215660948447373041n;

/** Member trees hold up to 2^20 leaves (circuit parameter MEMBER_MAX_DEPTH). */
export const MEMBER_TREE_MAX_DEPTH = 20;
/** Assessor trees hold up to 2^4 keys, revoked ones included (circuit parameter ASSESSOR_MAX_DEPTH). */
export const ASSESSOR_TREE_MAX_DEPTH = 4;
/** Epochs are 32-bit unsigned numbers (circuit parameter EPOCH_BITS). */
export const EPOCH_BITS = 32;
export const MAX_EPOCH = (1n << BigInt(EPOCH_BITS)) - 1n;

/**
 * The claim circuit's public signals, in the order snarkjs and the verifier contract use:
 * outputs first, then public inputs in declaration order.
 */
export const PUBLIC_SIGNALS = ["memberRoot", "assessorRoot", "nullifier", "planId", "claimEpoch", "amount", "context"] as const;
export type PublicSignalName = (typeof PUBLIC_SIGNALS)[number];

/**
 * Hardhat's development mnemonic: a local Hardhat node funds its accounts. For local chains
 * (chain id 31337) only; every key it derives is public.
 */
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";
