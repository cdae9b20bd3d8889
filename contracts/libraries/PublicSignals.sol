// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title PublicSignals
/// @notice Names the claim circuit's public signals by their index: outputs first, then public
///         inputs in declaration order (the order snarkjs and the generated verifier use).
/// @dev Must match `PUBLIC_SIGNALS` in service/sdk/constants.ts; a test pins both.
library PublicSignals {
    uint256 internal constant MEMBER_ROOT = 0;
    uint256 internal constant ASSESSOR_ROOT = 1;
    uint256 internal constant NULLIFIER = 2;
    uint256 internal constant PLAN_ID = 3;
    uint256 internal constant CLAIM_EPOCH = 4;
    uint256 internal constant AMOUNT = 5;
    uint256 internal constant CONTEXT = 6;
    uint256 internal constant COUNT = 7;

    /// @notice The BN254 scalar field order r: every public signal must be below it.
    uint256 internal constant SNARK_SCALAR_FIELD =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;
}
