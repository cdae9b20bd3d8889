// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title DrainableToken
/// @notice Test token with a backdoor: its owner moves anyone's balance without an allowance. The
///         pool's own books cannot see this; the auditor must catch the shortfall against them.
contract DrainableToken is ERC20 {
    address public immutable OWNER;

    error DrainableToken__NotOwner(address caller);

    constructor() ERC20("Drainable", "DRN") {
        OWNER = msg.sender;
    }

    /// @notice Mints `amount` to `to` (open faucet, tests only).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Moves `amount` of `from`'s tokens to `to`; the owner only, no allowance needed.
    function sweep(address from, address to, uint256 amount) external {
        if (msg.sender != OWNER) revert DrainableToken__NotOwner(msg.sender);
        _transfer(from, to, amount);
    }
}
