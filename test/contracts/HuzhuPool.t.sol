// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IHuzhuPool} from "../../contracts/interfaces/IHuzhuPool.sol";
import {PoolTestBase} from "./support/PoolTestBase.sol";

/// @title HuzhuPoolFuzzTest
/// @notice Fuzz tests of join, renew and claim (hardhat.config.ts sets the run count: at least
///         10,000 each). Every success checks the stored cover, the tree root, the books and the
///         balances; every refusal checks the exact custom error and its arguments.
contract HuzhuPoolFuzzTest is PoolTestBase {
    address internal constant RELAYER = address(0x7e1a7e4);

    function setUp() public {
        _deployPool();
    }

    // ------------------------------------------------------------ join

    function testFuzz_join(uint256 commitment, uint32 periods, uint32 epoch, uint256 offset) public {
        commitment = _bound(commitment, 1, R - 1);
        periods = uint32(_bound(periods, 1, pool.MAX_PERIODS_PER_PAYMENT()));
        epoch = uint32(_bound(epoch, 0, 10_000));
        _warpToEpoch(epoch, _bound(offset, 0, PERIOD - 1));
        uint256 balance = token.balanceOf(address(pool));

        pool.join(PLAN_ID, commitment, periods);

        IHuzhuPool.Coverage memory cover = pool.coverageOf(PLAN_ID, commitment);
        require(cover.joined && cover.index == 0, "cover not recorded");
        require(cover.eligibleFrom == uint256(epoch) + WAITING, "eligibleFrom is not epoch + waiting periods");
        require(cover.paidThrough == uint256(epoch) + periods - 1, "paidThrough is not epoch + periods - 1");
        (uint256 root, uint256 size,) = pool.memberTree(PLAN_ID);
        require(size == 1 && root == _leaf(commitment, cover.eligibleFrom, cover.paidThrough), "root is not the member leaf");
        uint256 paid = uint256(CONTRIBUTION) * periods;
        require(pool.books(PLAN_ID).contributed == paid, "books do not hold the payment");
        require(token.balanceOf(address(pool)) == balance + paid, "pool did not receive the payment");

        _expectRevert(
            abi.encodeCall(pool.join, (PLAN_ID, commitment, periods)),
            0,
            abi.encodeWithSelector(IHuzhuPool.HuzhuPool__AlreadyMember.selector, PLAN_ID, commitment)
        );
    }

    function testFuzz_joinRefusesBadPeriods(uint32 periods) public {
        if (periods >= 1 && periods <= pool.MAX_PERIODS_PER_PAYMENT()) periods = 0;
        _expectRevert(
            abi.encodeCall(pool.join, (PLAN_ID, 42, periods)),
            0,
            abi.encodeWithSelector(IHuzhuPool.HuzhuPool__InvalidPeriods.selector, uint256(periods))
        );
    }

    function testFuzz_joinRefusesCommitmentOutsideField(uint256 commitment) public {
        if (commitment != 0 && commitment < R) commitment = R + (commitment % (type(uint256).max - R));
        _expectRevert(
            abi.encodeCall(pool.join, (PLAN_ID, commitment, 3)),
            0,
            abi.encodeWithSelector(IHuzhuPool.HuzhuPool__InvalidCommitment.selector)
        );
    }

    function testFuzz_joinNeverTruncatesThePayment(uint128 contribution, uint32 periods) public {
        contribution = uint128(_bound(contribution, 1, type(uint128).max));
        periods = uint32(_bound(periods, 1, pool.MAX_PERIODS_PER_PAYMENT()));
        IHuzhuPool.Plan memory rules = pool.getPlan(PLAN_ID);
        uint256 planId = pool.createPlan(
            IHuzhuPool.PlanParams({
                token: rules.token,
                contribution: contribution,
                periodLength: PERIOD,
                waitingPeriods: WAITING,
                claimCap: CAP,
                maxFeeBps: MAX_FEE_BPS,
                admin: address(this),
                name: "Big"
            })
        );
        uint256 amount = uint256(contribution) * periods;
        if (amount > type(uint128).max) {
            _expectRevert(
                abi.encodeCall(pool.join, (planId, 7, periods)),
                0,
                abi.encodeWithSelector(SafeCast.SafeCastOverflowedUintDowncast.selector, uint8(128), amount)
            );
        } else {
            pool.join(planId, 7, periods);
            require(pool.books(planId).contributed == amount, "books do not hold the whole payment");
        }
    }

    // ------------------------------------------------------------ renew

    /// @dev Two members; one of them renews after `elapsed` epochs. A member still covered extends
    ///      paidThrough; a lapsed one starts again and waits again. The root must be the tree of
    ///      both members' leaves as they are now.
    function testFuzz_renew(uint32 firstPeriods, uint32 morePeriods, uint32 elapsed, bool second) public {
        uint32 maxPeriods = pool.MAX_PERIODS_PER_PAYMENT();
        firstPeriods = uint32(_bound(firstPeriods, 1, maxPeriods));
        morePeriods = uint32(_bound(morePeriods, 1, maxPeriods));
        elapsed = uint32(_bound(elapsed, 0, 3_000));
        pool.join(PLAN_ID, 11, firstPeriods);
        pool.join(PLAN_ID, 22, 5);
        uint256[] memory leaves = new uint256[](2);
        leaves[0] = _leaf(11, WAITING, firstPeriods - 1);
        leaves[1] = _leaf(22, WAITING, 4);
        uint256 index = second ? 1 : 0;
        uint256 commitment = second ? 22 : 11;
        uint256 paidThrough = second ? 4 : firstPeriods - 1;
        _warpToEpoch(elapsed, 0);
        uint256 contributed = pool.books(PLAN_ID).contributed;

        pool.renew(PLAN_ID, commitment, morePeriods, _siblings(leaves, index));

        IHuzhuPool.Coverage memory cover = pool.coverageOf(PLAN_ID, commitment);
        if (paidThrough >= elapsed) {
            require(cover.eligibleFrom == WAITING, "a covered member's eligibleFrom changed");
            require(cover.paidThrough == paidThrough + morePeriods, "paidThrough not extended");
        } else {
            require(cover.eligibleFrom == uint256(elapsed) + WAITING, "a lapsed member did not wait again");
            require(cover.paidThrough == uint256(elapsed) + morePeriods - 1, "a lapsed member's cover did not restart");
        }
        require(cover.index == index, "renewal moved the leaf");
        leaves[index] = _leaf(commitment, cover.eligibleFrom, cover.paidThrough);
        (uint256 root,,) = pool.memberTree(PLAN_ID);
        require(root == _root(leaves), "root is not the tree of the members' current leaves");
        require(
            pool.books(PLAN_ID).contributed == contributed + uint256(CONTRIBUTION) * morePeriods, "books miss the renewal"
        );
    }

    function testFuzz_renewRefusesNonMembers(uint256 commitment, uint32 periods) public {
        periods = uint32(_bound(periods, 1, pool.MAX_PERIODS_PER_PAYMENT()));
        _expectRevert(
            abi.encodeCall(pool.renew, (PLAN_ID, commitment, periods, new uint256[](0))),
            0,
            abi.encodeWithSelector(IHuzhuPool.HuzhuPool__NotMember.selector, PLAN_ID, commitment)
        );
    }

    // ------------------------------------------------------------ claim

    /// @dev Members pay in enough for any claim up to the cap, then a claim of any valid shape pays
    ///      exactly `amount - fee` to the recipient, `fee` to the relayer and the gas drop to the
    ///      recipient, and its nullifier never pays again.
    function testFuzz_claim(
        uint256 amount,
        uint256 feeBps,
        uint256 gasDrop,
        uint256 nullifier,
        uint256 seed,
        uint32 epoch,
        uint256 offset
    ) public {
        pool.join(PLAN_ID, 1, 1_000);
        amount = _bound(amount, 1, CAP);
        uint256 fee = (amount * _bound(feeBps, 0, MAX_FEE_BPS)) / 10_000;
        gasDrop = _bound(gasDrop, 0, 10 ether);
        nullifier = _bound(nullifier, 0, R - 1);
        _warpToEpoch(_bound(epoch, 0, 5_000), _bound(offset, 0, PERIOD - 1));
        address recipient = _fresh(seed);
        VM.deal(address(this), gasDrop);
        IHuzhuPool.ClaimRequest memory request = _request(amount, fee, gasDrop, nullifier, recipient, RELAYER);
        uint256 poolBalance = token.balanceOf(address(pool));
        uint256 relayerBalance = token.balanceOf(RELAYER);

        pool.claim{value: gasDrop}(request, _proof());

        require(token.balanceOf(recipient) == amount - fee, "recipient not paid amount - fee");
        require(token.balanceOf(RELAYER) == relayerBalance + fee, "relayer not paid the fee");
        require(recipient.balance == gasDrop && address(pool).balance == 0, "gas drop not passed on");
        require(token.balanceOf(address(pool)) == poolBalance - amount, "pool paid other than the amount");
        IHuzhuPool.Books memory books = pool.books(PLAN_ID);
        require(books.paidOut == amount - fee && books.fees == fee, "books do not record the payout");
        require(pool.nullifierSpent(nullifier), "nullifier not spent");

        VM.deal(address(this), gasDrop);
        _expectRevert(
            _claimCall(request),
            gasDrop,
            abi.encodeWithSelector(IHuzhuPool.HuzhuPool__NullifierAlreadySpent.selector, nullifier)
        );
    }

    function testFuzz_claimRefusesFeeAboveMax(uint256 amount, uint256 fee) public {
        pool.join(PLAN_ID, 1, 1_000);
        amount = _bound(amount, 1, CAP);
        uint256 maxFee = (amount * MAX_FEE_BPS) / 10_000;
        fee = _bound(fee, maxFee + 1, type(uint256).max);
        _expectRevert(
            _claimCall(_request(amount, fee, 0, 5, _fresh(amount), RELAYER)),
            0,
            abi.encodeWithSelector(IHuzhuPool.HuzhuPool__FeeTooHigh.selector, fee, maxFee)
        );
    }

    function testFuzz_claimRefusesAmountOverCap(uint256 amount) public {
        pool.join(PLAN_ID, 1, 1_000);
        amount = _bound(amount, uint256(CAP) + 1, R - 1);
        _expectRevert(
            _claimCall(_request(amount, 0, 0, 5, _fresh(amount), RELAYER)),
            0,
            abi.encodeWithSelector(IHuzhuPool.HuzhuPool__AmountOverCap.selector, amount, uint256(CAP))
        );
    }

    function testFuzz_claimRefusesMoreThanThePlanHolds(uint32 periods, uint256 amount) public {
        periods = uint32(_bound(periods, 1, 400));
        pool.join(PLAN_ID, 1, periods);
        uint256 available = uint256(CONTRIBUTION) * periods; // below the cap for 400 periods
        amount = _bound(amount, available + 1, CAP);
        _expectRevert(
            _claimCall(_request(amount, 0, 0, 5, _fresh(amount), RELAYER)),
            0,
            abi.encodeWithSelector(IHuzhuPool.HuzhuPool__InsufficientPoolFunds.selector, amount, available)
        );
    }

    function testFuzz_claimRefusesAnotherGasDrop(uint256 gasDrop, uint256 sent) public {
        pool.join(PLAN_ID, 1, 1_000);
        gasDrop = _bound(gasDrop, 0, 10 ether);
        sent = _bound(sent, 0, 10 ether);
        if (sent == gasDrop) sent = gasDrop + 1;
        VM.deal(address(this), sent);
        _expectRevert(
            _claimCall(_request(1_000_000, 0, gasDrop, 5, _fresh(gasDrop), RELAYER)),
            sent,
            abi.encodeWithSelector(IHuzhuPool.HuzhuPool__GasDropMismatch.selector, gasDrop, sent)
        );
    }

    function testFuzz_claimRefusesInputsOutsideTheField(uint256 which, uint256 value) public {
        pool.join(PLAN_ID, 1, 1_000);
        value = _bound(value, R, type(uint256).max);
        IHuzhuPool.ClaimRequest memory request = _request(1_000_000, 0, 0, 5, _fresh(value), RELAYER);
        which = _bound(which, 0, 5);
        // PublicSignals order: memberRoot, assessorRoot, nullifier, planId, claimEpoch, amount.
        if (which == 0) request.memberRoot = value;
        if (which == 1) request.assessorRoot = value;
        if (which == 2) request.nullifier = value;
        if (which == 3) request.planId = value;
        if (which == 4) request.claimEpoch = value;
        if (which == 5) request.amount = value;
        _expectRevert(
            _claimCall(request), 0, abi.encodeWithSelector(IHuzhuPool.HuzhuPool__InputNotInField.selector, which)
        );
    }

    function testFuzz_claimRefusesOtherEpochs(uint32 epoch, uint256 claimEpoch, uint256 offset) public {
        pool.join(PLAN_ID, 1, 1_000);
        epoch = uint32(_bound(epoch, 0, 5_000));
        offset = _bound(offset, 0, PERIOD - 1);
        _warpToEpoch(epoch, offset);
        claimEpoch = _bound(claimEpoch, 0, R - 1);
        bool graced = epoch > 0 && claimEpoch == uint256(epoch) - 1 && offset < pool.EPOCH_GRACE();
        if (claimEpoch == epoch || graced) claimEpoch = uint256(epoch) + 1;
        IHuzhuPool.ClaimRequest memory request = _request(1_000_000, 0, 0, 5, _fresh(claimEpoch), RELAYER);
        request.claimEpoch = claimEpoch;
        _expectRevert(
            _claimCall(request),
            0,
            abi.encodeWithSelector(IHuzhuPool.HuzhuPool__WrongEpoch.selector, claimEpoch, uint256(epoch))
        );
    }
}
