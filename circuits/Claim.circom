pragma circom 2.1.5;

include "babyjub.circom";
include "bitify.circom";
include "comparators.circom";
include "eddsaposeidon.circom";
include "poseidon.circom";
include "binary-merkle-root.circom";

// Huzhu claim: an anonymous, one-time claim on a mutual-aid plan.
//
// Proves, without revealing who the member is, that the prover
//   1. knows a Semaphore v4 identity secret (a valid BabyJubjub scalar) whose commitment
//      Poseidon(pubkey) is that of a member of the plan;
//   2. holds the leaf Poseidon(commitment, eligibleFrom, paidThrough) in the plan's member tree
//      (root `memberRoot`), with eligibleFrom <= claimEpoch <= paidThrough: the waiting period is
//      over and contributions are paid up;
//   3. holds an approval signed (EdDSA-Poseidon) by an assessor whose key is a leaf of the plan's
//      assessor tree (root `assessorRoot`), over
//      Poseidon(commitment, planId, eventId, amount, expiresAtEpoch), with claimEpoch <= expiresAtEpoch;
//   4. outputs nullifier = Poseidon(secret, planId, eventId): one payout per member per loss event,
//      unlinkable to the member's commitment;
//   5. commits to `context`, which the pool derives from (chain, pool, plan, recipient, relayer, fee)
//      so the proof cannot be replayed with other payout terms.
//
// Public signals, in order: memberRoot, assessorRoot, nullifier (outputs), then planId, claimEpoch,
// amount, context (inputs).
//
// NOTE: the verifier (the pool contract) must check that memberRoot is a known root of planId's
// member tree and is not 0, that assessorRoot is planId's current assessor root, that claimEpoch
// is the current epoch, that amount is within the plan's cap, that the nullifier is unspent, and
// that context equals its own recomputation. The circuit proves only the relations above.
template Claim(MEMBER_MAX_DEPTH, ASSESSOR_MAX_DEPTH, EPOCH_BITS) {
    // PUBLIC
    signal input planId;          // the plan claimed against
    signal input claimEpoch;      // the epoch of the claim (the pool checks it is current)
    signal input amount;          // payout amount, in the plan token's smallest unit
    signal input context;         // keccak256(chainId, pool, planId, recipient, relayer, fee) mod r

    // PRIVATE
    signal input secret;                                  // Semaphore v4 identity secret scalar
    signal input eligibleFrom;                            // first epoch with cover (after waiting)
    signal input paidThrough;                             // last epoch paid for
    signal input memberTreeDepth;                         // depth of the member tree's proof
    signal input memberTreeIndex;                         // leaf index (bits = path directions)
    signal input memberTreeSiblings[MEMBER_MAX_DEPTH];    // member tree siblings, zero-padded
    signal input assessorPubKey[2];                       // assessor's BabyJubjub public key
    signal input assessorTreeDepth;                       // depth of the assessor tree's proof
    signal input assessorTreeIndex;                       // assessor leaf index
    signal input assessorTreeSiblings[ASSESSOR_MAX_DEPTH];// assessor tree siblings, zero-padded
    signal input approvalR8[2];                           // approval signature point R8
    signal input approvalS;                               // approval signature scalar S
    signal input eventId;                                 // the loss event, known to member and assessor
    signal input expiresAtEpoch;                          // last epoch the approval may be used

    // OUTPUT
    signal output memberRoot;     // root of the member tree the proof is against
    signal output assessorRoot;   // root of the assessor tree the proof is against
    signal output nullifier;      // one-time tag of (member, plan, event)

    // 1. Identity. The secret must be below the BabyJubjub subgroup order l, as Semaphore requires:
    //    BabyPbk decomposes it in 253 bits, so LessThan(251) then sees a bounded value.
    var L = 2736030358979909402780800718157159386076813972158567259200215660948447373041;
    signal secretBelowOrder <== LessThan(251)([secret, L]);
    secretBelowOrder === 1;
    signal memberPubKey[2];
    (memberPubKey[0], memberPubKey[1]) <== BabyPbk()(secret);
    signal commitment <== Poseidon(2)(memberPubKey);

    // 2. Membership and good standing. Epochs are range-checked before any comparison, so the
    //    comparators cannot be fooled by values that wrap around the field.
    //    circomspect: allow CS0010 (EPOCH_BITS is 32, far below 254 bits: Num2Bits cannot alias)
    _ <== Num2Bits(EPOCH_BITS)(claimEpoch);
    _ <== Num2Bits(EPOCH_BITS)(eligibleFrom);
    _ <== Num2Bits(EPOCH_BITS)(paidThrough);
    _ <== Num2Bits(EPOCH_BITS)(expiresAtEpoch);
    signal waitingOver <== LessEqThan(EPOCH_BITS)([eligibleFrom, claimEpoch]);
    waitingOver === 1;
    signal paidUp <== LessEqThan(EPOCH_BITS)([claimEpoch, paidThrough]);
    paidUp === 1;

    signal memberLeaf <== Poseidon(3)([commitment, eligibleFrom, paidThrough]);
    // BinaryMerkleRoot returns 0 for a depth above its maximum: bound the depth here too.
    signal memberDepthOk <== LessEqThan(8)([memberTreeDepth, MEMBER_MAX_DEPTH]);
    memberDepthOk === 1;
    _ <== Num2Bits(8)(memberTreeDepth);
    memberRoot <== BinaryMerkleRoot(MEMBER_MAX_DEPTH)(memberLeaf, memberTreeDepth, memberTreeIndex, memberTreeSiblings);

    // 3. Approval. The assessor's key must be a leaf of the assessor tree, R8 a curve point, and
    //    the signature valid; the verifier is always enabled.
    signal assessorLeaf <== Poseidon(2)(assessorPubKey);
    signal assessorDepthOk <== LessEqThan(8)([assessorTreeDepth, ASSESSOR_MAX_DEPTH]);
    assessorDepthOk === 1;
    _ <== Num2Bits(8)(assessorTreeDepth);
    assessorRoot <== BinaryMerkleRoot(ASSESSOR_MAX_DEPTH)(assessorLeaf, assessorTreeDepth, assessorTreeIndex, assessorTreeSiblings);

    signal approvalMessage <== Poseidon(5)([commitment, planId, eventId, amount, expiresAtEpoch]);
    BabyCheck()(approvalR8[0], approvalR8[1]);
    EdDSAPoseidonVerifier()(1, assessorPubKey[0], assessorPubKey[1], approvalS, approvalR8[0], approvalR8[1], approvalMessage);

    signal approvalCurrent <== LessEqThan(EPOCH_BITS)([claimEpoch, expiresAtEpoch]);
    approvalCurrent === 1;

    // 4. Nullifier: depends on the secret (not the commitment), so it cannot be linked to a leaf.
    nullifier <== Poseidon(3)([secret, planId, eventId]);

    // 5. Context carries no relation of its own; squaring it makes a constraint that binds it to
    //    the proof (Groth16 public inputs unused in any constraint could be changed freely).
    //    circomspect: allow CS0017 (the square's only purpose is that one constraint)
    signal contextSquare <== context * context;
}
