// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {PoseidonT3} from "poseidon-solidity/PoseidonT3.sol";
import {PoseidonT4} from "poseidon-solidity/PoseidonT4.sol";
import {HuzhuPool} from "../../../contracts/HuzhuPool.sol";
import {DemoToken} from "../../../contracts/demo/DemoToken.sol";
import {IHuzhuPool} from "../../../contracts/interfaces/IHuzhuPool.sol";
import {PublicSignals} from "../../../contracts/libraries/PublicSignals.sol";
import {AcceptingVerifier} from "../../../contracts/test/AcceptingVerifier.sol";

/// @notice The cheatcodes these tests use (Hardhat 3 runs Solidity tests on EDR, which serves
///         Foundry's cheatcodes at this address; the real forge-std is not on npm).
interface Vm {
    function warp(uint256 timestamp) external;
    function deal(address account, uint256 balance) external;
}

/// @title PoolTestBase
/// @notice A pool on an accepting verifier (Solidity cannot make real proofs: those are tested with
///         the generated verifier in HuzhuPool.test.ts), a demo token, one plan with one assessor,
///         and helpers that build claims and check exact revert data.
abstract contract PoolTestBase {
    Vm internal constant VM = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    uint256 internal constant R = PublicSignals.SNARK_SCALAR_FIELD;

    uint128 internal constant CONTRIBUTION = 10_000_000;
    uint64 internal constant PERIOD = 30 days;
    uint32 internal constant WAITING = 2;
    uint128 internal constant CAP = 5_000_000_000;
    uint16 internal constant MAX_FEE_BPS = 300;
    uint256 internal constant PLAN_ID = 1;

    HuzhuPool internal pool;
    DemoToken internal token;
    uint256 internal start;

    /// @dev Deploys the pool, the token and plan 1 (the test's setUp, or a handler's constructor).
    function _deployPool() internal {
        pool = new HuzhuPool(new AcceptingVerifier(), address(this));
        token = new DemoToken("Demo USD", "dUSD", 6);
        pool.createPlan(
            IHuzhuPool.PlanParams({
                token: token,
                contribution: CONTRIBUTION,
                periodLength: PERIOD,
                waitingPeriods: WAITING,
                claimCap: CAP,
                maxFeeBps: MAX_FEE_BPS,
                admin: address(this),
                name: "Fuzz"
            })
        );
        pool.addAssessor(PLAN_ID, 1, 2);
        start = block.timestamp;
        token.mint(address(this), type(uint128).max);
        token.approve(address(pool), type(uint256).max);
    }

    // ------------------------------------------------------------ helpers

    /// @dev `x` mapped into [lo, hi] (lo <= hi), spreading edge values to both ends.
    function _bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        if (x >= lo && x <= hi) return x;
        return lo + (x % (hi - lo + 1));
    }

    function _warpToEpoch(uint256 epoch, uint256 offset) internal {
        VM.warp(start + epoch * PERIOD + offset);
    }

    function _leaf(uint256 commitment, uint256 eligibleFrom, uint256 paidThrough) internal pure returns (uint256) {
        return PoseidonT4.hash([commitment, eligibleFrom, paidThrough]);
    }

    /// @dev An address no contract and no test account uses.
    function _fresh(uint256 seed) internal pure returns (address) {
        return address(uint160(uint256(keccak256(abi.encode("fresh", seed)))));
    }

    /// @dev A claim of plan 1 against its current roots, for the current epoch.
    function _request(uint256 amount, uint256 fee, uint256 gasDrop, uint256 nullifier, address recipient, address relayer)
        internal
        view
        returns (IHuzhuPool.ClaimRequest memory request)
    {
        (uint256 root,,) = pool.memberTree(PLAN_ID);
        request = IHuzhuPool.ClaimRequest({
            planId: PLAN_ID,
            claimEpoch: pool.currentEpoch(PLAN_ID),
            amount: amount,
            memberRoot: root,
            memberRootSeq: pool.getPlan(PLAN_ID).rootSeq,
            assessorRoot: pool.assessorRoot(PLAN_ID),
            nullifier: nullifier,
            recipient: recipient,
            relayer: relayer,
            fee: fee,
            gasDrop: gasDrop
        });
    }

    function _proof() internal pure returns (IHuzhuPool.Groth16Proof memory proof) {
        proof.a = [uint256(1), 2];
        proof.b = [[uint256(3), 4], [uint256(5), 6]];
        proof.c = [uint256(7), 8];
    }

    function _claimCall(IHuzhuPool.ClaimRequest memory request) internal pure returns (bytes memory) {
        return abi.encodeCall(HuzhuPool.claim, (request, _proof()));
    }

    /// @dev Calls the pool and requires it to revert with exactly `expected` (selector and arguments).
    function _expectRevert(bytes memory call, uint256 value, bytes memory expected) internal {
        (bool ok, bytes memory data) = address(pool).call{value: value}(call);
        require(!ok, "call succeeded, expected a revert");
        require(keccak256(data) == keccak256(expected), "reverted with other data than expected");
    }

    /// @dev One LeanIMT level up: pairs hashed, a lone right-most node moved up unhashed.
    function _parents(uint256[] memory level) internal pure returns (uint256[] memory next) {
        uint256 n = level.length;
        next = new uint256[]((n + 1) / 2);
        for (uint256 i = 0; i < next.length; ++i) {
            next[i] = 2 * i + 1 < n ? PoseidonT3.hash([level[2 * i], level[2 * i + 1]]) : level[2 * i];
        }
    }

    /// @dev The LeanIMT root of `leaves` (a lone right-most node moves up unhashed).
    function _root(uint256[] memory leaves) internal pure returns (uint256) {
        uint256 n = leaves.length;
        if (n == 0) return 0;
        uint256[] memory level = leaves;
        while (n > 1) {
            level = _parents(level);
            n = level.length;
        }
        return level[0];
    }

    /// @dev The sibling nodes LeanIMT's update takes for leaf `index` of `leaves` (levels where the
    ///      node has no right sibling contribute none).
    function _siblings(uint256[] memory leaves, uint256 index) internal pure returns (uint256[] memory siblings) {
        uint256 n = leaves.length;
        uint256[] memory found = new uint256[](32);
        uint256 count = 0;
        uint256[] memory level = leaves;
        while (n > 1) {
            if (index % 2 == 1) found[count++] = level[index - 1];
            else if (index + 1 < n) found[count++] = level[index + 1];
            level = _parents(level);
            n = level.length;
            index /= 2;
        }
        siblings = new uint256[](count);
        for (uint256 i = 0; i < count; ++i) {
            siblings[i] = found[i];
        }
    }
}
