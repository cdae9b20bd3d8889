// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {HuzhuPool} from "../../contracts/HuzhuPool.sol";
import {DemoToken} from "../../contracts/demo/DemoToken.sol";
import {IHuzhuPool} from "../../contracts/interfaces/IHuzhuPool.sol";
import {PoolTestBase} from "./support/PoolTestBase.sol";

/// @title PoolHandler
/// @notice The invariant fuzzer's only target: random joins, renewals, donations, claims (fresh,
///         replayed or more than the plan holds), time steps, and the plan's closing (announcement,
///         refund registrations and withdrawals) on one plan. Each call checks its own outcome,
///         the exact custom error of every refusal included (`failOnRevert` turns any other
///         revert into a failure), and keeps a mirror of the books and of the member tree.
contract PoolHandler is PoolTestBase {
    uint256 internal constant MAX_MEMBERS = 16;
    address internal constant RELAYER = address(0x7e1a7e4);

    uint256[] internal _commitments;
    uint256[] internal _leaves;
    uint256[] internal _paidNullifiers;
    uint256 internal _now;

    uint256 public ghostContributed;
    uint256 public ghostDonated;
    uint256 public ghostClaimed;
    uint256 public ghostFees;
    uint256 public ghostRefunded;
    uint256 public claimsPaid;
    uint256 public replaysRefused;

    constructor() {
        _deployPool();
        _now = block.timestamp;
    }

    function thePool() external view returns (HuzhuPool) {
        return pool;
    }

    function theToken() external view returns (DemoToken) {
        return token;
    }

    function mirrorRoot() external view returns (uint256) {
        return _root(_leaves);
    }

    /// @dev The revert data of PlanClosing, which every join and renewal gets once closing is announced.
    function _planClosing() internal view returns (bytes memory) {
        return abi.encodeWithSelector(IHuzhuPool.HuzhuPool__PlanClosing.selector, PLAN_ID, pool.closingOf(PLAN_ID).closingEpoch);
    }

    function join(uint256 seed, uint32 periods) external {
        VM.warp(_now);
        if (_commitments.length >= MAX_MEMBERS) return;
        uint256 commitment = _bound(seed, 1, R - 1);
        periods = uint32(_bound(periods, 1, 60));
        if (pool.closingOf(PLAN_ID).announced) {
            _expectRevert(abi.encodeCall(pool.join, (PLAN_ID, commitment, periods)), 0, _planClosing());
            return;
        }
        if (pool.coverageOf(PLAN_ID, commitment).joined) {
            _expectRevert(
                abi.encodeCall(pool.join, (PLAN_ID, commitment, periods)),
                0,
                abi.encodeWithSelector(IHuzhuPool.HuzhuPool__AlreadyMember.selector, PLAN_ID, commitment)
            );
            return;
        }
        pool.join(PLAN_ID, commitment, periods);
        IHuzhuPool.Coverage memory cover = pool.coverageOf(PLAN_ID, commitment);
        _commitments.push(commitment);
        _leaves.push(_leaf(commitment, cover.eligibleFrom, cover.paidThrough));
        ghostContributed += uint256(CONTRIBUTION) * periods;
    }

    function renew(uint256 which, uint32 periods) external {
        VM.warp(_now);
        if (_commitments.length == 0) return;
        uint256 index = which % _commitments.length;
        uint256 commitment = _commitments[index];
        periods = uint32(_bound(periods, 1, 60));
        if (pool.closingOf(PLAN_ID).announced) {
            _expectRevert(
                abi.encodeCall(pool.renew, (PLAN_ID, commitment, periods, _siblings(_leaves, index))), 0, _planClosing()
            );
            return;
        }
        IHuzhuPool.Coverage memory before = pool.coverageOf(PLAN_ID, commitment);
        uint256 epoch = pool.currentEpoch(PLAN_ID);
        pool.renew(PLAN_ID, commitment, periods, _siblings(_leaves, index));
        IHuzhuPool.Coverage memory cover = pool.coverageOf(PLAN_ID, commitment);
        bool covered = before.paidThrough >= epoch;
        require(cover.eligibleFrom == (covered ? before.eligibleFrom : epoch + WAITING), "renewal set eligibleFrom wrong");
        require(
            cover.paidThrough == (covered ? uint256(before.paidThrough) + periods : epoch + periods - 1),
            "renewal set paidThrough wrong"
        );
        _leaves[index] = _leaf(commitment, cover.eligibleFrom, cover.paidThrough);
        ghostContributed += uint256(CONTRIBUTION) * periods;
    }

    function claim(uint256 amount, uint256 feeBps, uint256 gasDrop, uint256 nullifier, bool replay) external {
        VM.warp(_now);
        if (_commitments.length == 0) return;
        amount = _bound(amount, 1, CAP);
        uint256 fee = (amount * _bound(feeBps, 0, MAX_FEE_BPS)) / 10_000;
        gasDrop = _bound(gasDrop, 0, 1 ether);
        bool replaying = replay && _paidNullifiers.length > 0;
        nullifier = replaying ? _paidNullifiers[nullifier % _paidNullifiers.length] : _bound(nullifier, 0, R - 1);
        IHuzhuPool.ClaimRequest memory request = _request(amount, fee, gasDrop, nullifier, _fresh(claimsPaid), RELAYER);
        VM.deal(address(this), gasDrop);
        IHuzhuPool.Closing memory closing = pool.closingOf(PLAN_ID);
        if (closing.announced) {
            uint256 epoch = pool.currentEpoch(PLAN_ID);
            if (epoch > closing.lastClaimEpoch) {
                _expectRevert(
                    _claimCall(request),
                    gasDrop,
                    abi.encodeWithSelector(IHuzhuPool.HuzhuPool__ClaimsClosed.selector, PLAN_ID, uint256(closing.lastClaimEpoch))
                );
                return;
            }
            // Past the closing epoch, a claim is as of the closing epoch.
            if (epoch > closing.closingEpoch) request.claimEpoch = closing.closingEpoch;
        }
        uint256 available = ghostContributed + ghostDonated - ghostClaimed;
        if (amount > available) {
            _expectRevert(
                _claimCall(request),
                gasDrop,
                abi.encodeWithSelector(IHuzhuPool.HuzhuPool__InsufficientPoolFunds.selector, amount, available)
            );
            return;
        }
        if (pool.nullifierSpent(nullifier)) {
            _expectRevert(
                _claimCall(request),
                gasDrop,
                abi.encodeWithSelector(IHuzhuPool.HuzhuPool__NullifierAlreadySpent.selector, nullifier)
            );
            replaysRefused++;
            return;
        }
        uint256 balance = token.balanceOf(address(pool));
        pool.claim{value: gasDrop}(request, _proof());
        require(token.balanceOf(address(pool)) == balance - amount, "a claim paid other than its amount");
        _paidNullifiers.push(nullifier);
        ghostClaimed += amount;
        ghostFees += fee;
        claimsPaid++;
    }

    function donate(uint256 amount) external {
        VM.warp(_now);
        amount = _bound(amount, 1, CAP);
        IHuzhuPool.Closing memory closing = pool.closingOf(PLAN_ID);
        if (closing.announced && _now >= closing.refundsFrom) {
            _expectRevert(
                abi.encodeCall(pool.donate, (PLAN_ID, amount)),
                0,
                abi.encodeWithSelector(IHuzhuPool.HuzhuPool__ClaimsClosed.selector, PLAN_ID, uint256(closing.lastClaimEpoch))
            );
            return;
        }
        pool.donate(PLAN_ID, amount);
        ghostDonated += amount;
    }

    function announceClosing(uint256 epochsAhead) external {
        VM.warp(_now);
        uint256 closingEpoch = pool.currentEpoch(PLAN_ID) + _bound(epochsAhead, 0, 3);
        if (pool.closingOf(PLAN_ID).announced) {
            _expectRevert(abi.encodeCall(pool.announceClosing, (PLAN_ID, closingEpoch)), 0, _planClosing());
            return;
        }
        pool.announceClosing(PLAN_ID, closingEpoch);
    }

    function registerRefund(uint256 which) external {
        VM.warp(_now);
        if (_commitments.length == 0) return;
        uint256 commitment = _commitments[which % _commitments.length];
        uint256[] memory commitments = new uint256[](1);
        commitments[0] = commitment;
        bytes memory call = abi.encodeCall(pool.registerRefund, (PLAN_ID, commitments));
        IHuzhuPool.Closing memory closing = pool.closingOf(PLAN_ID);
        if (!closing.announced) {
            _expectRevert(call, 0, abi.encodeWithSelector(IHuzhuPool.HuzhuPool__PlanNotClosing.selector, PLAN_ID));
            return;
        }
        if (_now < closing.refundsFrom || _now >= closing.refundsPayableFrom) {
            _expectRevert(
                call,
                0,
                abi.encodeWithSelector(
                    IHuzhuPool.HuzhuPool__RefundRegistrationClosed.selector,
                    PLAN_ID,
                    uint256(closing.refundsFrom),
                    uint256(closing.refundsPayableFrom)
                )
            );
            return;
        }
        uint256 paidThrough = pool.coverageOf(PLAN_ID, commitment).paidThrough;
        if (paidThrough <= closing.closingEpoch) {
            _expectRevert(call, 0, abi.encodeWithSelector(IHuzhuPool.HuzhuPool__NothingToRefund.selector, PLAN_ID, commitment));
            return;
        }
        (uint64 before,) = pool.refundDue(PLAN_ID, address(this));
        pool.registerRefund(PLAN_ID, commitments);
        (uint64 due,) = pool.refundDue(PLAN_ID, address(this));
        require(due == before + paidThrough - closing.closingEpoch, "registered other than the unused periods");
    }

    function withdrawRefund() external {
        VM.warp(_now);
        bytes memory call = abi.encodeCall(pool.withdrawRefund, (PLAN_ID));
        IHuzhuPool.Closing memory closing = pool.closingOf(PLAN_ID);
        (uint64 periods, bool paid) = pool.refundDue(PLAN_ID, address(this));
        bytes memory refusal;
        if (!closing.announced) {
            refusal = abi.encodeWithSelector(IHuzhuPool.HuzhuPool__PlanNotClosing.selector, PLAN_ID);
        } else if (_now < closing.refundsPayableFrom) {
            refusal = abi.encodeWithSelector(
                IHuzhuPool.HuzhuPool__RefundsNotPayableYet.selector, PLAN_ID, uint256(closing.refundsPayableFrom)
            );
        } else if (paid) {
            refusal = abi.encodeWithSelector(IHuzhuPool.HuzhuPool__RefundAlreadyPaid.selector, PLAN_ID, address(this));
        } else if (periods == 0) {
            refusal = abi.encodeWithSelector(IHuzhuPool.HuzhuPool__NoRefundDue.selector, PLAN_ID, address(this));
        }
        if (refusal.length > 0) {
            _expectRevert(call, 0, refusal);
            return;
        }
        uint256 balance = token.balanceOf(address(pool));
        uint256 amount = pool.withdrawRefund(PLAN_ID);
        // The only paying wallet holds every registered period: it takes the whole balance.
        require(amount == balance && token.balanceOf(address(pool)) == 0, "the last refund left money behind");
        ghostRefunded += amount;
    }

    function advance(uint256 seconds_) external {
        _now += _bound(seconds_, 0, 2 * PERIOD);
        VM.warp(_now);
    }
}

/// @title PoolInvariantsTest
/// @notice After every call of every random sequence (hardhat.config.ts: 10,000 sequences): the
///         books (refunds included) balance against the token, match the history of payments, the member root is
///         the tree of every member's current leaf, no nullifier paid twice and no coin stays.
contract PoolInvariantsTest {
    PoolHandler internal handler;
    HuzhuPool internal pool;
    DemoToken internal token;

    function setUp() public {
        handler = new PoolHandler();
        pool = handler.thePool();
        token = handler.theToken();
    }

    /// @dev Foundry's target selection (EDR honours it): only the handler is called at random.
    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @dev One invariant function, so the 10,000 sequences are run once rather than once per property.
    function invariant_booksRootsAndCoin() public view {
        IHuzhuPool.Books memory books = pool.books(1);
        require(
            uint256(books.contributed) + books.donated - books.paidOut - books.fees - books.refunded
                == token.balanceOf(address(pool)),
            "contributed + donated - paidOut - fees - refunded differs from the pool's balance"
        );
        require(books.refunded == handler.ghostRefunded(), "refunds differ from what paying wallets withdrew");
        require(books.contributed == handler.ghostContributed(), "contributions differ from what members paid");
        require(books.donated == handler.ghostDonated(), "donations differ from what donors gave");
        require(books.paidOut + books.fees == handler.ghostClaimed(), "payouts differ from the claims paid");
        require(books.fees == handler.ghostFees(), "fees differ from the claims' fees");
        (uint256 root,,) = pool.memberTree(1);
        require(root == handler.mirrorRoot(), "member root differs from the tree of the members' leaves");
        require(address(pool).balance == 0, "a gas drop stayed in the pool");
    }
}
