// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IClaimVerifier} from "../interfaces/IClaimVerifier.sol";

/// @title AcceptingVerifier
/// @notice Test double for fuzzing the pool's accounting: accepts every proof. Real proofs are
///         tested against the generated verifier; Solidity fuzzing cannot make them.
contract AcceptingVerifier is IClaimVerifier {
    function verifyProof(uint256[2] calldata, uint256[2][2] calldata, uint256[2] calldata, uint256[7] calldata)
        external
        pure
        returns (bool)
    {
        return true;
    }
}
