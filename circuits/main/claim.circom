pragma circom 2.1.5;

include "../Claim.circom";

// Production parameters: member trees up to 2^20 leaves, assessor trees up to 2^4 keys,
// epochs as 32-bit numbers.
component main {public [planId, claimEpoch, amount, context]} = Claim(20, 4, 32);
