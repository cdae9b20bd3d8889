// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title ReentrantToken
/// @notice Test token that, on its first transfer out of the pool, calls the pool again with
///         calldata it was given (a replayed claim) and records how that call ended.
contract ReentrantToken is ERC20 {
    address public pool;
    bytes public reentryCall;
    bool public reentered;
    bool public reentrySucceeded;
    bytes public reentryRevertData;

    constructor() ERC20("Reentrant", "RE") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function arm(address pool_, bytes calldata call) external {
        pool = pool_;
        reentryCall = call;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (from == pool && pool != address(0) && !reentered) {
            reentered = true;
            // solhint-disable-next-line avoid-low-level-calls
            (bool ok, bytes memory data) = pool.call(reentryCall);
            reentrySucceeded = ok;
            reentryRevertData = data;
        }
    }
}
