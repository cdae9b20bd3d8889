// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {InternalLeanIMT, LeanIMTData} from "@zk-kit/lean-imt.sol/InternalLeanIMT.sol";
import {PoseidonT3} from "poseidon-solidity/PoseidonT3.sol";
import {PoseidonT4} from "poseidon-solidity/PoseidonT4.sol";
import {IClaimVerifier} from "./interfaces/IClaimVerifier.sol";
import {IHuzhuPool} from "./interfaces/IHuzhuPool.sol";
import {PublicSignals} from "./libraries/PublicSignals.sol";

/// @title HuzhuPool
/// @notice Mutual-aid plans with anonymous claims. Members join a plan by paying contributions for
///         an identity commitment; the leaf Poseidon(commitment, eligibleFrom, paidThrough) goes
///         into the plan's member tree. A member holding an assessor's approval proves, in zero
///         knowledge, membership in good standing and the approval, and anyone (usually a relayer)
///         submits the proof: the pool pays `amount - fee` to the recipient and `fee` to the relayer.
/// @dev Member and assessor trees are LeanIMTs (as in Semaphore). Every public signal is checked
///      here before the verifier runs; the nullifier, not the proof bytes, prevents double payment
///      (Groth16 proofs are malleable).
contract HuzhuPool is IHuzhuPool, AccessControl, Pausable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using InternalLeanIMT for LeanIMTData;

    /// @notice May create plans.
    bytes32 public constant PLAN_CREATOR_ROLE = keccak256("PLAN_CREATOR_ROLE");
    /// @notice May pause and unpause the whole pool.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    /// @notice Member trees hold at most 2^20 leaves (the claim circuit's MEMBER_MAX_DEPTH).
    uint256 public constant MEMBER_TREE_MAX_DEPTH = 20;
    /// @notice Assessor trees hold at most 2^4 keys, revoked ones included (ASSESSOR_MAX_DEPTH).
    uint256 public constant ASSESSOR_TREE_MAX_DEPTH = 4;
    /// @notice A member root stays valid for claims until this many newer roots exist.
    uint256 public constant MEMBER_ROOT_HISTORY = 100;
    /// @notice For this long after an epoch begins, a proof made for the previous epoch still pays.
    uint256 public constant EPOCH_GRACE = 1 hours;
    /// @notice The largest relayer fee any plan may allow: 10%.
    uint16 public constant MAX_FEE_BPS_LIMIT = 1_000;
    /// @notice The shortest period a plan may have.
    uint64 public constant MIN_PERIOD_LENGTH = 1 hours;
    /// @notice The most periods one payment may cover (and the longest waiting or claim grace).
    uint32 public constant MAX_PERIODS_PER_PAYMENT = 1_000;
    /// @notice How long a closed plan's paying wallets have to register for refunds once claims end.
    uint64 public constant REFUND_REGISTRATION = 30 days;
    /// @notice The EIP-712 type an admission officer signs for each commitment it admits.
    /// @dev Type strings are what EIP-712 hashes; the compiler folds these constants, hence the lint hint is off.
    // solhint-disable-next-line gas-small-strings
    bytes32 public constant ADMISSION_TYPEHASH = keccak256("Admission(uint256 planId,uint256 commitment,uint64 expiresAt)");
    bytes32 private constant DOMAIN_TYPEHASH =
        // solhint-disable-next-line gas-small-strings
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");

    /// @notice The Groth16 verifier of the claim circuit.
    IClaimVerifier public immutable VERIFIER;

    /// @dev A plan as stored, laid out so that a join reads three slots and writes one, and a claim
    ///      writes one: rules and flags (slot 0), time and price (slot 1), what joins and renewals
    ///      change (slot 2), what claims change (slot 3), the cap and donations (slot 4, which a
    ///      claim reads for the cap anyway). The order follows what each call reads and writes,
    ///      not size, hence the linter's packing hint is off here. Closing state that only a
    ///      closing plan reads lives apart, in ClosingStore.
    // solhint-disable-next-line gas-struct-packing
    struct PlanStore {
        IERC20 token;
        uint32 waitingPeriods;
        uint16 maxFeeBps;
        bool active;
        uint16 claimGracePeriods;
        bool closing;
        bool admissionRequired;
        uint64 start;
        uint64 periodLength;
        uint128 contribution;
        uint128 contributed;
        uint40 rootSeq;
        uint128 paidOut;
        uint128 fees;
        uint128 claimCap;
        uint128 donated;
    }

    /// @dev A member as stored, in one slot: its cover and the wallet that paid last (joined: payer != 0).
    struct MemberStore {
        uint32 eligibleFrom;
        uint32 paidThrough;
        uint32 index;
        address payer;
    }

    /// @dev A closing plan's closing epoch and refunds (one slot), and each paying wallet's refund.
    struct ClosingStore {
        uint32 closingEpoch;
        uint64 unpaidPeriods;
        uint128 refunded;
        mapping(address payer => RefundDue due) refunds;
    }

    /// @dev A paying wallet's registered refund.
    struct RefundDue {
        uint64 periods;
        bool paid;
    }

    /// @dev Fills the member-root ring at plan creation, so that recording a root overwrites a
    ///      non-zero slot (5,000 gas) instead of creating one (22,100). Never a root a claim can use:
    ///      a slot only counts once its sequence number has been recorded (see _isKnownMemberRoot).
    uint256 private constant EMPTY_ROOT_SLOT = 1;

    /// @notice Number of plans created; plan ids run from 1 to `planCount`.
    uint256 public planCount;

    mapping(uint256 planId => PlanStore plan) internal _plans;
    mapping(uint256 planId => address admin) public planAdmin;
    /// @notice Each plan's current terms (set by its admin; every change emits PlanTermsSet).
    mapping(uint256 planId => PlanTerms terms) internal _planTerms;
    /// @notice The address a plan's admin proposed as the next admin, until it accepts (0: none).
    mapping(uint256 planId => address proposed) public pendingPlanAdmin;
    mapping(uint256 planId => string name) public planName;
    mapping(uint256 planId => LeanIMTData tree) internal _memberTrees;
    /// @dev Root number `seq` of a plan's member tree sits at index `seq % MEMBER_ROOT_HISTORY`
    ///      until root number `seq + MEMBER_ROOT_HISTORY` replaces it.
    mapping(uint256 planId => uint256[MEMBER_ROOT_HISTORY] roots) internal _memberRoots;
    mapping(uint256 planId => mapping(uint256 commitment => MemberStore member)) internal _members;
    mapping(uint256 planId => LeanIMTData tree) internal _assessorTrees;
    mapping(uint256 planId => uint256 root) public assessorRoot;
    /// @notice The assessor root before the last addition; 0 after a revocation (old roots die at once).
    mapping(uint256 planId => uint256 root) public previousAssessorRoot;
    mapping(uint256 nullifier => bool spent) public nullifierSpent;
    mapping(uint256 planId => ClosingStore closing) internal _closings;
    /// @notice Who signs a plan's admission vouchers (the zero address: anyone may join).
    mapping(uint256 planId => address officer) public admissionOfficer;

    modifier onlyPlanAdmin(uint256 planId) {
        if (msg.sender != planAdmin[planId]) revert HuzhuPool__NotPlanAdmin(planId, msg.sender);
        _;
    }

    modifier planExists(uint256 planId) {
        if (planId == 0 || planId > planCount) revert HuzhuPool__UnknownPlan(planId);
        _;
    }

    /// @dev The plan's storage, or UnknownPlan. A created plan always has a token, so the plan's
    ///      first slot (read by every caller anyway) answers without reading `planCount`.
    function _existingPlan(uint256 planId) internal view returns (PlanStore storage plan) {
        plan = _plans[planId];
        if (address(plan.token) == address(0)) revert HuzhuPool__UnknownPlan(planId);
    }

    /// @param verifier The claim circuit's Groth16 verifier.
    /// @param admin Receives DEFAULT_ADMIN_ROLE, PLAN_CREATOR_ROLE and PAUSER_ROLE.
    constructor(IClaimVerifier verifier, address admin) {
        if (address(verifier) == address(0) || admin == address(0)) revert HuzhuPool__ZeroAddress();
        VERIFIER = verifier;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(PLAN_CREATOR_ROLE, admin);
        _grantRole(PAUSER_ROLE, admin);
    }

    // ---------------------------------------------------------------- plans

    /// @inheritdoc IHuzhuPool
    function createPlan(PlanParams calldata params) external onlyRole(PLAN_CREATOR_ROLE) returns (uint256 planId) {
        if (address(params.token) == address(0)) revert HuzhuPool__InvalidPlanParams(PlanParamsIssue.TokenIsZero);
        if (params.admin == address(0)) revert HuzhuPool__InvalidPlanParams(PlanParamsIssue.AdminIsZero);
        if (params.contribution == 0) revert HuzhuPool__InvalidPlanParams(PlanParamsIssue.ContributionIsZero);
        if (params.periodLength < MIN_PERIOD_LENGTH) revert HuzhuPool__InvalidPlanParams(PlanParamsIssue.PeriodTooShort);
        if (params.claimCap == 0) revert HuzhuPool__InvalidPlanParams(PlanParamsIssue.ClaimCapIsZero);
        if (params.maxFeeBps > MAX_FEE_BPS_LIMIT) revert HuzhuPool__InvalidPlanParams(PlanParamsIssue.MaxFeeTooHigh);
        if (params.waitingPeriods > MAX_PERIODS_PER_PAYMENT) revert HuzhuPool__InvalidPlanParams(PlanParamsIssue.WaitingTooLong);

        planId = ++planCount;
        PlanStore storage plan = _plans[planId];
        plan.token = params.token;
        plan.waitingPeriods = params.waitingPeriods;
        plan.maxFeeBps = params.maxFeeBps;
        plan.active = true;
        plan.start = uint64(block.timestamp);
        plan.periodLength = params.periodLength;
        plan.contribution = params.contribution;
        plan.claimCap = params.claimCap;
        uint256[MEMBER_ROOT_HISTORY] storage ring = _memberRoots[planId];
        for (uint256 i = 0; i < MEMBER_ROOT_HISTORY; ++i) {
            ring[i] = EMPTY_ROOT_SLOT;
        }
        planAdmin[planId] = params.admin;
        planName[planId] = params.name;
        emit PlanCreated(planId, params.admin, params.token, params, uint64(block.timestamp));
    }

    /// @notice Pauses (false) or resumes (true) one plan: joins, renewals and claims stop while paused.
    function setPlanActive(uint256 planId, bool active) external planExists(planId) onlyPlanAdmin(planId) {
        _plans[planId].active = active;
        emit PlanActiveSet(planId, active);
    }

    /// @notice Sets the plan's category and terms document (its hash, and where to read it). Every
    ///         change is an event, so members see when the rules they joined under changed.
    function setPlanTerms(uint256 planId, PlanTerms calldata terms) external planExists(planId) onlyPlanAdmin(planId) {
        _requireNotClosing(planId, _plans[planId]);
        if (terms.termsHash == bytes32(0)) revert HuzhuPool__TermsHashIsZero();
        _planTerms[planId] = terms;
        emit PlanTermsSet(planId, terms.termsHash, terms.category, terms.termsUri);
    }

    /// @notice Sets how many epochs after its closing epoch the plan still pays claims (at most
    ///         1,000); part of the plan's rules, public with every change, frozen once closing is announced.
    function setClaimGracePeriods(uint256 planId, uint32 periods) external planExists(planId) onlyPlanAdmin(planId) {
        PlanStore storage plan = _plans[planId];
        _requireNotClosing(planId, plan);
        if (periods > MAX_PERIODS_PER_PAYMENT) revert HuzhuPool__GraceTooLong(periods);
        plan.claimGracePeriods = uint16(periods);
        emit ClaimGracePeriodsSet(planId, periods);
    }

    /// @notice Names the plan's admission officer, whose voucher every join then needs
    ///         ({joinWithVoucher}); the zero address opens the plan to anyone again.
    function setAdmissionOfficer(uint256 planId, address officer) external planExists(planId) onlyPlanAdmin(planId) {
        admissionOfficer[planId] = officer;
        _plans[planId].admissionRequired = officer != address(0);
        emit AdmissionOfficerSet(planId, officer);
    }

    /// @notice A plan's current terms (termsHash 0: none set yet).
    function planTerms(uint256 planId) external view planExists(planId) returns (PlanTerms memory) {
        return _planTerms[planId];
    }

    /// @notice Proposes `newAdmin` as the plan's next admin; nothing changes until it accepts, so a
    ///         mistyped address loses nothing. Proposing the zero address withdraws a proposal.
    function proposePlanAdmin(uint256 planId, address newAdmin) external planExists(planId) onlyPlanAdmin(planId) {
        pendingPlanAdmin[planId] = newAdmin;
        emit PlanAdminProposed(planId, msg.sender, newAdmin);
    }

    /// @notice Accepts the administration of a plan the current admin proposed the caller for.
    function acceptPlanAdmin(uint256 planId) external planExists(planId) {
        if (msg.sender != pendingPlanAdmin[planId]) revert HuzhuPool__NotProposedAdmin(planId, msg.sender);
        emit PlanAdminTransferred(planId, planAdmin[planId], msg.sender);
        planAdmin[planId] = msg.sender;
        delete pendingPlanAdmin[planId];
    }

    /// @inheritdoc IHuzhuPool
    function announceClosing(uint256 planId, uint256 closingEpoch) external planExists(planId) onlyPlanAdmin(planId) {
        PlanStore storage plan = _plans[planId];
        _requireNotClosing(planId, plan);
        uint256 epoch = _currentEpoch(plan);
        if (closingEpoch < epoch) revert HuzhuPool__ClosingEpochInPast(closingEpoch, epoch);
        plan.closing = true;
        _closings[planId].closingEpoch = SafeCast.toUint32(closingEpoch);
        (, uint256 lastClaimEpoch, uint256 refundsFrom, uint256 payableFrom) = _closingTimes(planId, plan);
        emit ClosingAnnounced(planId, closingEpoch, lastClaimEpoch, refundsFrom, payableFrom);
    }

    /// @inheritdoc IHuzhuPool
    /// @dev A registered member's paidThrough becomes the closing epoch (its later periods are
    ///      being paid back), so it cannot be registered twice; its leaf is no longer read, since
    ///      claims ended before registration opened.
    function registerRefund(uint256 planId, uint256[] calldata commitments) external whenNotPaused {
        PlanStore storage plan = _existingPlan(planId);
        if (!plan.closing) revert HuzhuPool__PlanNotClosing(planId);
        (uint256 closingEpoch,, uint256 opensAt, uint256 closesAt) = _closingTimes(planId, plan);
        if (block.timestamp < opensAt || block.timestamp >= closesAt) {
            revert HuzhuPool__RefundRegistrationClosed(planId, opensAt, closesAt);
        }
        mapping(uint256 commitment => MemberStore member) storage members = _members[planId];
        uint256 total = 0;
        for (uint256 i = 0; i < commitments.length; ++i) {
            uint256 commitment = commitments[i];
            MemberStore storage member = members[commitment];
            address payer = member.payer;
            if (payer == address(0)) revert HuzhuPool__NotMember(planId, commitment);
            if (payer != msg.sender) revert HuzhuPool__NotPayer(planId, commitment, msg.sender);
            uint256 paidThrough = member.paidThrough;
            if (paidThrough <= closingEpoch) revert HuzhuPool__NothingToRefund(planId, commitment);
            member.paidThrough = uint32(closingEpoch);
            total += paidThrough - closingEpoch;
            emit RefundRegistered(planId, msg.sender, commitment, paidThrough - closingEpoch);
        }
        ClosingStore storage closing = _closings[planId];
        closing.refunds[msg.sender].periods += SafeCast.toUint64(total);
        closing.unpaidPeriods += SafeCast.toUint64(total);
    }

    /// @inheritdoc IHuzhuPool
    /// @dev Each share is taken of what is left, over the periods not yet withdrawn, so shares are
    ///      pro rata whatever the order of withdrawals and the last one takes the rounding dust:
    ///      nothing stays behind.
    function withdrawRefund(uint256 planId) external nonReentrant whenNotPaused returns (uint256 amount) {
        PlanStore storage plan = _existingPlan(planId);
        if (!plan.closing) revert HuzhuPool__PlanNotClosing(planId);
        (,,, uint256 payableFrom) = _closingTimes(planId, plan);
        if (block.timestamp < payableFrom) revert HuzhuPool__RefundsNotPayableYet(planId, payableFrom);
        ClosingStore storage closing = _closings[planId];
        RefundDue storage due = closing.refunds[msg.sender];
        if (due.paid) revert HuzhuPool__RefundAlreadyPaid(planId, msg.sender);
        uint256 periods = due.periods;
        if (periods == 0) revert HuzhuPool__NoRefundDue(planId, msg.sender);

        uint256 unpaid = closing.unpaidPeriods;
        amount = (_balance(plan, closing) * periods) / unpaid;
        due.paid = true;
        closing.unpaidPeriods = uint64(unpaid - periods);
        closing.refunded += SafeCast.toUint128(amount);

        if (amount > 0) plan.token.safeTransfer(msg.sender, amount);
        emit Refunded(planId, msg.sender, periods, amount);
    }

    /// @inheritdoc IHuzhuPool
    function donate(uint256 planId, uint256 amount) external nonReentrant whenNotPaused {
        PlanStore storage plan = _existingPlan(planId);
        if (amount == 0) revert HuzhuPool__ZeroAmount();
        // Once claims end a gift could only be refunded: the plan takes no more.
        if (plan.closing) {
            (, uint256 lastClaimEpoch, uint256 refundsFrom,) = _closingTimes(planId, plan);
            if (block.timestamp >= refundsFrom) revert HuzhuPool__ClaimsClosed(planId, lastClaimEpoch);
        }
        plan.donated += SafeCast.toUint128(amount);
        plan.token.safeTransferFrom(msg.sender, address(this), amount);
        emit DonationReceived(planId, msg.sender, amount);
    }

    /// @notice Stops joins, renewals and claims in every plan.
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @notice Lifts {pause}.
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    // ---------------------------------------------------------------- members

    /// @inheritdoc IHuzhuPool
    function join(uint256 planId, uint256 commitment, uint32 periods)
        external
        nonReentrant
        whenNotPaused
        returns (uint256 index)
    {
        PlanStore storage plan = _existingPlan(planId);
        if (plan.admissionRequired) revert HuzhuPool__AdmissionRequired(planId);
        return _join(planId, plan, commitment, periods);
    }

    /// @inheritdoc IHuzhuPool
    function joinWithVoucher(uint256 planId, uint256 commitment, uint32 periods, AdmissionVoucher calldata voucher)
        external
        nonReentrant
        whenNotPaused
        returns (uint256 index)
    {
        PlanStore storage plan = _existingPlan(planId);
        if (block.timestamp > voucher.expiresAt) revert HuzhuPool__VoucherExpired(voucher.expiresAt);
        (address signer,,) = ECDSA.tryRecoverCalldata(admissionDigest(planId, commitment, voucher.expiresAt), voucher.signature);
        address officer = admissionOfficer[planId];
        if (signer != officer || signer == address(0)) revert HuzhuPool__WrongVoucherSigner(planId, signer, officer);
        return _join(planId, plan, commitment, periods);
    }

    /// @inheritdoc IHuzhuPool
    function renew(uint256 planId, uint256 commitment, uint32 periods, uint256[] calldata siblings)
        external
        nonReentrant
        whenNotPaused
    {
        PlanStore storage plan = _existingPlan(planId);
        _requireOpen(planId, plan);
        if (periods == 0 || periods > MAX_PERIODS_PER_PAYMENT) revert HuzhuPool__InvalidPeriods(periods);
        MemberStore memory cover = _members[planId][commitment];
        if (cover.payer == address(0)) revert HuzhuPool__NotMember(planId, commitment);

        (uint256 eligibleFrom, uint256 paidThrough) = _extendCoverage(plan, cover, periods);
        MemberStore memory renewed = MemberStore({
            eligibleFrom: SafeCast.toUint32(eligibleFrom),
            paidThrough: SafeCast.toUint32(paidThrough),
            index: cover.index,
            payer: msg.sender
        });
        uint256 root =
            _updateLeaf(_memberTrees[planId], _memberLeaf(commitment, cover), _memberLeaf(commitment, renewed), siblings);
        _members[planId][commitment] = renewed;
        _recordMemberRoot(planId, plan, root);
        emit MemberRenewed(
            planId, commitment, msg.sender, cover.index, eligibleFrom, paidThrough, _collect(plan, periods), root
        );
    }

    // ---------------------------------------------------------------- assessors

    /// @notice Adds an assessor's BabyJubjub public key to a plan's assessor set.
    /// @dev The previous root stays valid (its set is a subset of the new one) until the next change.
    function addAssessor(uint256 planId, uint256 pubKeyX, uint256 pubKeyY)
        external
        planExists(planId)
        onlyPlanAdmin(planId)
    {
        if (pubKeyX >= PublicSignals.SNARK_SCALAR_FIELD || pubKeyY >= PublicSignals.SNARK_SCALAR_FIELD) {
            revert HuzhuPool__InvalidAssessorKey();
        }
        LeanIMTData storage tree = _assessorTrees[planId];
        if (tree.size >= 1 << ASSESSOR_TREE_MAX_DEPTH) revert HuzhuPool__AssessorSetFull(planId);
        uint256 leaf = _assessorLeaf(pubKeyX, pubKeyY);
        if (tree._has(leaf)) revert HuzhuPool__AssessorAlreadyAdded(planId, leaf);
        uint256 index = tree.size;
        uint256 root = tree._insert(leaf);
        previousAssessorRoot[planId] = assessorRoot[planId];
        assessorRoot[planId] = root;
        emit AssessorAdded(planId, leaf, pubKeyX, pubKeyY, index, root);
    }

    /// @notice Revokes an assessor key: its leaf becomes 0 and every earlier root stops paying at once.
    /// @param siblings The assessor tree's sibling nodes for the key's leaf.
    function revokeAssessor(uint256 planId, uint256 pubKeyX, uint256 pubKeyY, uint256[] calldata siblings)
        external
        planExists(planId)
        onlyPlanAdmin(planId)
    {
        LeanIMTData storage tree = _assessorTrees[planId];
        uint256 leaf = _assessorLeaf(pubKeyX, pubKeyY);
        if (!tree._has(leaf)) revert HuzhuPool__UnknownAssessor(planId, leaf);
        uint256 index = tree._indexOf(leaf);
        uint256 root = _updateLeaf(tree, leaf, 0, siblings);
        previousAssessorRoot[planId] = 0;
        assessorRoot[planId] = root;
        emit AssessorRevoked(planId, leaf, index, root);
    }

    // ---------------------------------------------------------------- claims

    /// @inheritdoc IHuzhuPool
    function claim(ClaimRequest calldata request, Groth16Proof calldata proof) external payable nonReentrant whenNotPaused {
        uint256 planId = request.planId;
        // 1. Every public input is a canonical field element (no x + r aliases).
        _checkField(request.memberRoot, PublicSignals.MEMBER_ROOT);
        _checkField(request.assessorRoot, PublicSignals.ASSESSOR_ROOT);
        _checkField(request.nullifier, PublicSignals.NULLIFIER);
        _checkField(planId, PublicSignals.PLAN_ID);
        _checkField(request.claimEpoch, PublicSignals.CLAIM_EPOCH);
        _checkField(request.amount, PublicSignals.AMOUNT);
        // 2. The plan exists and is active.
        PlanStore storage plan = _existingPlan(planId);
        if (!plan.active) revert HuzhuPool__PlanInactive(planId);
        // 3. The member root is one of the plan's recent roots (root 0 never is), found at the
        //    sequence number the request names.
        if (!_isKnownMemberRoot(planId, plan, request.memberRoot, request.memberRootSeq)) {
            revert HuzhuPool__UnknownMemberRoot(planId, request.memberRoot);
        }
        // 4. The assessor root is current, or the one before an addition.
        if (!_isValidAssessorRoot(planId, request.assessorRoot)) {
            revert HuzhuPool__StaleAssessorRoot(planId, request.assessorRoot);
        }
        // 5. The claim is for the current epoch, or the previous one just after a boundary; in a
        //    closing plan past its closing epoch, for the closing epoch until its claims end.
        _checkEpoch(planId, plan, request.claimEpoch);
        // 6. Amount and fee within the plan's rules; both addresses set.
        uint256 amount = request.amount;
        if (amount == 0) revert HuzhuPool__ZeroAmount();
        if (amount > plan.claimCap) revert HuzhuPool__AmountOverCap(amount, plan.claimCap);
        uint256 maxFee = (amount * plan.maxFeeBps) / 10_000;
        if (request.fee > maxFee) revert HuzhuPool__FeeTooHigh(request.fee, maxFee);
        if (request.recipient == address(0) || request.relayer == address(0)) revert HuzhuPool__ZeroAddress();
        if (msg.value != request.gasDrop) revert HuzhuPool__GasDropMismatch(request.gasDrop, msg.value);
        // Refunds start only once claims have ended (see _checkEpoch): nothing refunded yet.
        uint256 available = uint256(plan.contributed) + plan.donated - plan.paidOut - plan.fees;
        if (amount > available) revert HuzhuPool__InsufficientPoolFunds(amount, available);
        // 7. One payout per nullifier.
        if (nullifierSpent[request.nullifier]) revert HuzhuPool__NullifierAlreadySpent(request.nullifier);
        // 8. The proof binds these payout terms on this chain and pool, and verifies.
        uint256 context = claimContext(planId, request.recipient, request.relayer, request.fee, request.gasDrop);
        uint256[7] memory signals; // PublicSignals.COUNT
        signals[PublicSignals.MEMBER_ROOT] = request.memberRoot;
        signals[PublicSignals.ASSESSOR_ROOT] = request.assessorRoot;
        signals[PublicSignals.NULLIFIER] = request.nullifier;
        signals[PublicSignals.PLAN_ID] = planId;
        signals[PublicSignals.CLAIM_EPOCH] = request.claimEpoch;
        signals[PublicSignals.AMOUNT] = amount;
        signals[PublicSignals.CONTEXT] = context;
        if (!VERIFIER.verifyProof(proof.a, proof.b, proof.c, signals)) revert HuzhuPool__InvalidProof();

        // Effects.
        nullifierSpent[request.nullifier] = true;
        plan.paidOut += SafeCast.toUint128(amount - request.fee);
        plan.fees += SafeCast.toUint128(request.fee);

        // Interactions.
        IERC20 token = plan.token;
        token.safeTransfer(request.recipient, amount - request.fee);
        if (request.fee > 0) token.safeTransfer(request.relayer, request.fee);
        if (request.gasDrop > 0) {
            // The recipient is a fresh address; a contract there that refuses the coin fails the claim
            // (the submitter's simulation sees this before sending) rather than stranding the coin here.
            (bool delivered,) = request.recipient.call{value: request.gasDrop}("");
            if (!delivered) revert HuzhuPool__GasDropFailed(request.recipient, request.gasDrop);
        }
        emit ClaimPaid(planId, request.nullifier, request.recipient, request, context, proof);
    }

    // ---------------------------------------------------------------- views

    /// @notice The context a claim's proof must commit to: keccak256(abi.encode(chainId, pool,
    ///         planId, recipient, relayer, fee, gasDrop)) mod r.
    function claimContext(uint256 planId, address recipient, address relayer, uint256 fee, uint256 gasDrop)
        public
        view
        returns (uint256)
    {
        return uint256(keccak256(abi.encode(block.chainid, address(this), planId, recipient, relayer, fee, gasDrop)))
            % PublicSignals.SNARK_SCALAR_FIELD;
    }

    /// @notice A plan's stored rules and state.
    function getPlan(uint256 planId) external view planExists(planId) returns (Plan memory) {
        PlanStore storage plan = _plans[planId];
        return Plan({
            token: plan.token,
            waitingPeriods: plan.waitingPeriods,
            maxFeeBps: plan.maxFeeBps,
            active: plan.active,
            rootSeq: plan.rootSeq,
            start: plan.start,
            periodLength: plan.periodLength,
            claimCap: plan.claimCap,
            contribution: plan.contribution,
            claimGracePeriods: plan.claimGracePeriods,
            closing: plan.closing,
            admissionRequired: plan.admissionRequired
        });
    }

    /// @notice A plan's books: contributions and donations in; payouts, relayer fees and refunds out.
    function books(uint256 planId) external view planExists(planId) returns (Books memory) {
        PlanStore storage plan = _plans[planId];
        return Books({
            paidOut: plan.paidOut,
            fees: plan.fees,
            contributed: plan.contributed,
            donated: plan.donated,
            refunded: _closings[planId].refunded
        });
    }

    /// @notice A plan's closing timetable and refunds (all zero while no closing is announced).
    function closingOf(uint256 planId) external view planExists(planId) returns (Closing memory closing) {
        PlanStore storage plan = _plans[planId];
        if (!plan.closing) return closing;
        (uint256 closingEpoch, uint256 lastClaimEpoch, uint256 refundsFrom, uint256 payableFrom) = _closingTimes(planId, plan);
        ClosingStore storage stored = _closings[planId];
        return Closing({
            announced: true,
            closingEpoch: uint32(closingEpoch),
            lastClaimEpoch: uint32(lastClaimEpoch),
            refundsFrom: uint64(refundsFrom),
            refundsPayableFrom: uint64(payableFrom),
            unpaidPeriods: stored.unpaidPeriods,
            refunded: stored.refunded
        });
    }

    /// @notice The epoch a claim sent now must name: the current one, or in a closing plan past its
    ///         closing epoch the closing epoch. Reverts with ClaimsClosed once the plan's claims ended.
    function claimEpochNow(uint256 planId) external view returns (uint256) {
        PlanStore storage plan = _existingPlan(planId);
        uint256 epoch = _currentEpoch(plan);
        if (!plan.closing) return epoch;
        (uint256 closingEpoch, uint256 lastClaimEpoch,,) = _closingTimes(planId, plan);
        if (epoch > lastClaimEpoch) revert HuzhuPool__ClaimsClosed(planId, lastClaimEpoch);
        return epoch > closingEpoch ? closingEpoch : epoch;
    }

    /// @notice The EIP-712 digest an admission officer signs to admit `commitment` to plan `planId`
    ///         until `expiresAt`: domain {name "HuzhuPool", version "1", chainId, this pool}.
    function admissionDigest(uint256 planId, uint256 commitment, uint64 expiresAt) public view returns (bytes32) {
        bytes32 domain =
            keccak256(abi.encode(DOMAIN_TYPEHASH, keccak256("HuzhuPool"), keccak256("1"), block.chainid, address(this)));
        return MessageHashUtils.toTypedDataHash(domain, keccak256(abi.encode(ADMISSION_TYPEHASH, planId, commitment, expiresAt)));
    }

    /// @notice A paying wallet's registered refund periods in a closed plan, and whether it withdrew them.
    function refundDue(uint256 planId, address payer) external view returns (uint64 periods, bool paid) {
        RefundDue storage due = _closings[planId].refunds[payer];
        return (due.periods, due.paid);
    }

    /// @notice The wallet that last paid for a member (a join or renewal), to which its refund goes.
    function memberPayer(uint256 planId, uint256 commitment) external view returns (address) {
        return _members[planId][commitment].payer;
    }

    /// @notice The current epoch of a plan: floor((now - start) / periodLength).
    function currentEpoch(uint256 planId) external view planExists(planId) returns (uint256) {
        return _currentEpoch(_plans[planId]);
    }

    /// @notice The member tree's current root, size and depth.
    function memberTree(uint256 planId) external view planExists(planId) returns (uint256 root, uint256 size, uint256 depth) {
        LeanIMTData storage tree = _memberTrees[planId];
        return (tree._root(), tree.size, tree.depth);
    }

    /// @notice The assessor tree's size and depth (its root is {assessorRoot}).
    function assessorTree(uint256 planId) external view planExists(planId) returns (uint256 size, uint256 depth) {
        LeanIMTData storage tree = _assessorTrees[planId];
        return (tree.size, tree.depth);
    }

    /// @notice Whether a claim naming member root `root` with sequence number `seq` would pass the
    ///         member-root check now.
    function isKnownMemberRoot(uint256 planId, uint256 root, uint256 seq) external view returns (bool) {
        return _isKnownMemberRoot(planId, _plans[planId], root, seq);
    }

    /// @notice The sequence number a claim must name for member root `root`: the newest of the
    ///         plan's recent roots equal to it, or 0 if it is not one of them (unknown or evicted).
    /// @dev Reads up to MEMBER_ROOT_HISTORY slots: for clients and relayers (eth_call), not for claims.
    function memberRootSeq(uint256 planId, uint256 root) external view returns (uint256) {
        PlanStore storage plan = _plans[planId];
        uint256 newest = plan.rootSeq;
        uint256 oldest = newest < MEMBER_ROOT_HISTORY ? 1 : newest - MEMBER_ROOT_HISTORY + 1;
        for (uint256 seq = newest; seq >= oldest && seq != 0; --seq) {
            if (_isKnownMemberRoot(planId, plan, root, seq)) return seq;
        }
        return 0;
    }

    /// @notice Whether `root` would be accepted as an assessor root in a claim now.
    function isValidAssessorRoot(uint256 planId, uint256 root) external view returns (bool) {
        return _isValidAssessorRoot(planId, root);
    }

    /// @notice A commitment's cover in a plan (all zero if it never joined). Once its refund is
    ///         registered, paidThrough is the plan's closing epoch.
    function coverageOf(uint256 planId, uint256 commitment) external view returns (Coverage memory) {
        MemberStore storage member = _members[planId][commitment];
        return Coverage({
            eligibleFrom: member.eligibleFrom,
            paidThrough: member.paidThrough,
            index: member.index,
            joined: member.payer != address(0)
        });
    }

    // ---------------------------------------------------------------- internals

    /// @dev `root` was recorded as root number `seq`, one of the last MEMBER_ROOT_HISTORY; never 0.
    function _isKnownMemberRoot(uint256 planId, PlanStore storage plan, uint256 root, uint256 seq)
        internal
        view
        returns (bool)
    {
        uint256 newest = plan.rootSeq;
        return root != 0 && seq != 0 && seq <= newest && newest - seq < MEMBER_ROOT_HISTORY
            && _memberRoots[planId][seq % MEMBER_ROOT_HISTORY] == root;
    }

    /// @dev The current assessor root, or the one before the last addition; never 0.
    function _isValidAssessorRoot(uint256 planId, uint256 root) internal view returns (bool) {
        return root != 0 && (root == assessorRoot[planId] || root == previousAssessorRoot[planId]);
    }

    function _currentEpoch(PlanStore storage plan) internal view returns (uint256) {
        return (block.timestamp - plan.start) / plan.periodLength;
    }

    function _checkEpoch(uint256 planId, PlanStore storage plan, uint256 claimEpoch) internal view {
        uint256 epoch = _currentEpoch(plan);
        if (plan.closing) {
            (uint256 closingEpoch, uint256 lastClaimEpoch,,) = _closingTimes(planId, plan);
            if (epoch > lastClaimEpoch) revert HuzhuPool__ClaimsClosed(planId, lastClaimEpoch);
            // Renewals stopped at the announcement: a member is proven covered as of the closing
            // epoch, so that every member covered at the end can claim in the grace periods.
            if (epoch > closingEpoch) {
                if (claimEpoch == closingEpoch) return;
                revert HuzhuPool__WrongEpoch(claimEpoch, closingEpoch);
            }
        }
        if (claimEpoch == epoch) return;
        uint256 epochStart = plan.start + epoch * plan.periodLength;
        if (epoch > 0 && claimEpoch == epoch - 1 && block.timestamp - epochStart < EPOCH_GRACE) return;
        revert HuzhuPool__WrongEpoch(claimEpoch, epoch);
    }

    /// @dev A closing plan's closing epoch, its last claim epoch, and the times refund registration
    ///      opens (the start of the epoch after the last claim epoch) and closes.
    function _closingTimes(uint256 planId, PlanStore storage plan)
        internal
        view
        returns (uint256 closingEpoch, uint256 lastClaimEpoch, uint256 refundsFrom, uint256 payableFrom)
    {
        closingEpoch = _closings[planId].closingEpoch;
        lastClaimEpoch = closingEpoch + plan.claimGracePeriods;
        refundsFrom = plan.start + (lastClaimEpoch + 1) * plan.periodLength;
        payableFrom = refundsFrom + REFUND_REGISTRATION;
    }

    /// @dev What the plan can still pay: contributions + donations - payouts - fees - refunds.
    function _balance(PlanStore storage plan, ClosingStore storage closing) internal view returns (uint256) {
        return uint256(plan.contributed) + plan.donated - plan.paidOut - plan.fees - closing.refunded;
    }

    /// @dev Joins and renewals need an active plan that is not closing.
    function _requireOpen(uint256 planId, PlanStore storage plan) internal view {
        if (!plan.active) revert HuzhuPool__PlanInactive(planId);
        _requireNotClosing(planId, plan);
    }

    /// @dev The plan's rules and membership are frozen once its closing is announced.
    function _requireNotClosing(uint256 planId, PlanStore storage plan) internal view {
        if (plan.closing) revert HuzhuPool__PlanClosing(planId, _closings[planId].closingEpoch);
    }

    function _checkField(uint256 value, uint256 signalIndex) internal pure {
        if (value >= PublicSignals.SNARK_SCALAR_FIELD) revert HuzhuPool__InputNotInField(signalIndex);
    }

    /// @dev Cover after paying `periods` more: a member still covered extends `paidThrough`; a lapsed
    ///      member starts anew from the current epoch and serves the waiting period again.
    function _extendCoverage(PlanStore storage plan, MemberStore memory cover, uint32 periods)
        internal
        view
        returns (uint256 eligibleFrom, uint256 paidThrough)
    {
        uint256 epoch = _currentEpoch(plan);
        if (cover.paidThrough >= epoch) {
            eligibleFrom = cover.eligibleFrom;
            paidThrough = uint256(cover.paidThrough) + periods;
        } else {
            eligibleFrom = epoch + plan.waitingPeriods;
            paidThrough = epoch + periods - 1;
        }
    }

    /// @dev A join's checks, leaf, root and payment (join and joinWithVoucher).
    function _join(uint256 planId, PlanStore storage plan, uint256 commitment, uint32 periods)
        internal
        returns (uint256 index)
    {
        _requireOpen(planId, plan);
        if (commitment == 0 || commitment >= PublicSignals.SNARK_SCALAR_FIELD) revert HuzhuPool__InvalidCommitment();
        if (periods == 0 || periods > MAX_PERIODS_PER_PAYMENT) revert HuzhuPool__InvalidPeriods(periods);
        if (_members[planId][commitment].payer != address(0)) revert HuzhuPool__AlreadyMember(planId, commitment);
        LeanIMTData storage tree = _memberTrees[planId];
        if (tree.size >= 1 << MEMBER_TREE_MAX_DEPTH) revert HuzhuPool__MemberTreeFull(planId);

        uint256 epoch = _currentEpoch(plan);
        uint256 eligibleFrom = epoch + plan.waitingPeriods;
        uint256 paidThrough = epoch + periods - 1;

        index = tree.size;
        MemberStore memory cover = MemberStore({
            eligibleFrom: SafeCast.toUint32(eligibleFrom),
            paidThrough: SafeCast.toUint32(paidThrough),
            index: SafeCast.toUint32(index),
            payer: msg.sender
        });
        uint256 root = tree._insert(_memberLeaf(commitment, cover));
        _members[planId][commitment] = cover;
        _recordMemberRoot(planId, plan, root);
        uint256 paid = _collect(plan, periods);
        emit MemberJoined(planId, commitment, msg.sender, index, eligibleFrom, paidThrough, paid, root);
    }

    /// @dev Its own frame: LeanIMT's update needs most of the stack.
    function _updateLeaf(LeanIMTData storage tree, uint256 oldLeaf, uint256 newLeaf, uint256[] calldata siblings)
        internal
        returns (uint256)
    {
        return tree._update(oldLeaf, newLeaf, siblings);
    }

    /// @dev The member tree's leaf for a commitment's cover: Poseidon(commitment, eligibleFrom, paidThrough).
    function _memberLeaf(uint256 commitment, MemberStore memory cover) internal pure returns (uint256) {
        return PoseidonT4.hash([commitment, uint256(cover.eligibleFrom), uint256(cover.paidThrough)]);
    }

    /// @dev The assessor tree's leaf for a public key: Poseidon(Ax, Ay).
    function _assessorLeaf(uint256 pubKeyX, uint256 pubKeyY) internal pure returns (uint256) {
        return PoseidonT3.hash([pubKeyX, pubKeyY]);
    }

    function _recordMemberRoot(uint256 planId, PlanStore storage plan, uint256 root) internal {
        uint40 seq = plan.rootSeq + 1;
        plan.rootSeq = seq;
        _memberRoots[planId][seq % MEMBER_ROOT_HISTORY] = root;
    }

    /// @dev Takes `contribution x periods` from the caller into the plan's books.
    function _collect(PlanStore storage plan, uint32 periods) internal returns (uint256 amount) {
        amount = uint256(plan.contribution) * periods;
        plan.contributed += SafeCast.toUint128(amount);
        plan.token.safeTransferFrom(msg.sender, address(this), amount);
    }
}
