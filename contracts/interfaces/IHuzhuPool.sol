// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title IHuzhuPool
/// @notice A mutual-aid pool: members pay contributions into a plan; a member with an assessor's
///         approval is paid anonymously through a zero-knowledge proof, submitted by anyone.
interface IHuzhuPool {
    /// @notice A plan's rules, as its administrator sets them.
    struct PlanParams {
        IERC20 token; // payout and contribution token
        uint128 contribution; // token units per period
        uint64 periodLength; // seconds per epoch
        uint32 waitingPeriods; // epochs after joining before cover starts
        uint128 claimCap; // most one claim may pay
        uint16 maxFeeBps; // largest relayer fee, in basis points of the amount
        address admin; // manages the plan's assessors and its active flag
        string name; // human-readable label
    }

    /// @notice A plan as stored: rules, start time and state. Fields added later come last, so
    ///         earlier readers decode it unchanged (hence the linter's packing hint is off).
    // solhint-disable-next-line gas-struct-packing
    struct Plan {
        IERC20 token;
        uint32 waitingPeriods;
        uint16 maxFeeBps;
        bool active;
        uint40 rootSeq; // number of member roots so far (the newest root's sequence number)
        uint64 start;
        uint64 periodLength;
        uint128 claimCap;
        uint128 contribution;
        uint16 claimGracePeriods; // epochs after the closing epoch in which claims are still paid
        bool closing; // its admin announced its closing (see closingOf)
        bool admissionRequired; // every join carries a voucher of its admission officer
    }

    /// @notice A plan's books: contributions in, payouts and relayer fees out.
    struct Books {
        uint128 paidOut; // to claim recipients
        uint128 fees; // to relayers
        uint128 contributed; // from members
        uint128 donated; // from anyone, through donate
        uint128 refunded; // back to paying wallets after the plan closed
    }

    /// @notice A closing plan's timetable and refunds (all zero while no closing is announced).
    ///         Claims as of the closing epoch are paid through epoch `lastClaimEpoch`; from
    ///         `refundsFrom` paying wallets register their members' unused periods, until
    ///         `refundsPayableFrom`, when each registered wallet may withdraw its share once.
    struct Closing {
        bool announced;
        uint32 closingEpoch; // the plan's last epoch of cover
        uint32 lastClaimEpoch; // closingEpoch + the plan's claim grace periods
        uint64 refundsFrom; // time the claims end and refund registration opens
        uint64 refundsPayableFrom; // time registration ends and withdrawals open
        uint64 unpaidPeriods; // periods registered and not yet withdrawn
        uint128 refunded; // paid back so far
    }

    /// @notice An admission officer's EIP-712 voucher that lets one commitment join one plan
    ///         (Admission(uint256 planId,uint256 commitment,uint64 expiresAt), see admissionDigest).
    struct AdmissionVoucher {
        uint64 expiresAt; // unix time after which the pool refuses it
        bytes signature; // the officer's 65-byte ECDSA signature of the digest
    }

    /// @notice A member's cover, as proven in the claim circuit's leaf.
    struct Coverage {
        uint32 eligibleFrom;
        uint32 paidThrough;
        uint32 index; // leaf index in the plan's member tree
        bool joined; // distinguishes index 0 / epoch 0 from "never joined"
    }

    /// @notice What a claim asks for; the proof binds every field but `memberRootSeq`, which only
    ///         tells the pool where to find `memberRoot` (a wrong value makes the claim fail).
    struct ClaimRequest {
        uint256 planId;
        uint256 claimEpoch;
        uint256 amount;
        uint256 memberRoot;
        uint256 memberRootSeq; // the root's sequence number (see memberRootSeq); not a proof input
        uint256 assessorRoot;
        uint256 nullifier;
        address recipient;
        address relayer;
        uint256 fee;
        uint256 gasDrop; // native coin (wei) the submitter sends with the claim, passed on to the recipient
    }

    /// @notice Why {createPlan} refused a plan's parameters (HuzhuPool__InvalidPlanParams).
    enum PlanParamsIssue {
        TokenIsZero, // `token` is the zero address
        AdminIsZero, // `admin` is the zero address
        ContributionIsZero, // `contribution` is 0
        PeriodTooShort, // `periodLength` below MIN_PERIOD_LENGTH (one hour)
        ClaimCapIsZero, // `claimCap` is 0
        MaxFeeTooHigh, // `maxFeeBps` above MAX_FEE_BPS_LIMIT (10%)
        WaitingTooLong // `waitingPeriods` above MAX_PERIODS_PER_PAYMENT (1000)
    }

    /// @notice What a plan covers, as members compare plans.
    enum PlanCategory {
        Medical,
        Education,
        DisasterRelief,
        SharedCosts
    }

    /// @notice A plan's terms: its category and the document of claim conditions and rules, named by
    ///         its hash so a member can check that the text they read is the plan's.
    struct PlanTerms {
        bytes32 termsHash; // keccak256 of the document's bytes
        PlanCategory category;
        string termsUri; // where the document can be read (any URL); the hash is what counts
    }

    /// @notice A Groth16 proof in the generated verifier's layout (G2 coordinates imaginary first).
    struct Groth16Proof {
        uint256[2] a;
        uint256[2][2] b;
        uint256[2] c;
    }

    error HuzhuPool__InputNotInField(uint256 signalIndex);
    error HuzhuPool__UnknownPlan(uint256 planId);
    error HuzhuPool__PlanInactive(uint256 planId);
    error HuzhuPool__UnknownMemberRoot(uint256 planId, uint256 root);
    error HuzhuPool__StaleAssessorRoot(uint256 planId, uint256 root);
    error HuzhuPool__WrongEpoch(uint256 claimEpoch, uint256 currentEpoch);
    error HuzhuPool__ZeroAmount();
    error HuzhuPool__AmountOverCap(uint256 amount, uint256 claimCap);
    error HuzhuPool__FeeTooHigh(uint256 fee, uint256 maxFee);
    error HuzhuPool__ZeroAddress();
    error HuzhuPool__InsufficientPoolFunds(uint256 amount, uint256 available);
    error HuzhuPool__NullifierAlreadySpent(uint256 nullifier);
    error HuzhuPool__InvalidProof();
    error HuzhuPool__GasDropMismatch(uint256 gasDrop, uint256 sent);
    error HuzhuPool__GasDropFailed(address recipient, uint256 gasDrop);
    error HuzhuPool__InvalidPlanParams(PlanParamsIssue reason);
    error HuzhuPool__NotPlanAdmin(uint256 planId, address account);
    error HuzhuPool__NotProposedAdmin(uint256 planId, address account);
    error HuzhuPool__TermsHashIsZero();
    error HuzhuPool__InvalidCommitment();
    error HuzhuPool__AlreadyMember(uint256 planId, uint256 commitment);
    error HuzhuPool__NotMember(uint256 planId, uint256 commitment);
    error HuzhuPool__InvalidPeriods(uint256 periods);
    error HuzhuPool__MemberTreeFull(uint256 planId);
    error HuzhuPool__InvalidAssessorKey();
    error HuzhuPool__AssessorAlreadyAdded(uint256 planId, uint256 leaf);
    error HuzhuPool__UnknownAssessor(uint256 planId, uint256 leaf);
    error HuzhuPool__AssessorSetFull(uint256 planId);
    error HuzhuPool__GraceTooLong(uint256 periods);
    error HuzhuPool__PlanClosing(uint256 planId, uint256 closingEpoch);
    error HuzhuPool__ClosingEpochInPast(uint256 closingEpoch, uint256 currentEpoch);
    error HuzhuPool__ClaimsClosed(uint256 planId, uint256 lastClaimEpoch);
    error HuzhuPool__PlanNotClosing(uint256 planId);
    error HuzhuPool__RefundRegistrationClosed(uint256 planId, uint256 opensAt, uint256 closesAt);
    error HuzhuPool__RefundsNotPayableYet(uint256 planId, uint256 payableFrom);
    error HuzhuPool__NotPayer(uint256 planId, uint256 commitment, address account);
    error HuzhuPool__NothingToRefund(uint256 planId, uint256 commitment);
    error HuzhuPool__NoRefundDue(uint256 planId, address account);
    error HuzhuPool__RefundAlreadyPaid(uint256 planId, address account);
    error HuzhuPool__AdmissionRequired(uint256 planId);
    error HuzhuPool__VoucherExpired(uint256 expiresAt);
    error HuzhuPool__WrongVoucherSigner(uint256 planId, address signer, address officer);

    /// @notice Emitted when a plan is created.
    event PlanCreated(uint256 indexed planId, address indexed admin, IERC20 indexed token, PlanParams params, uint64 start);
    /// @notice Emitted when a plan is paused or resumed by its administrator.
    event PlanActiveSet(uint256 indexed planId, bool active);
    /// @notice Emitted when a plan's admin proposes its successor (the zero address: proposal withdrawn).
    event PlanAdminProposed(uint256 indexed planId, address indexed admin, address indexed proposed);
    /// @notice Emitted when a plan's admin sets its terms (every change is public).
    event PlanTermsSet(uint256 indexed planId, bytes32 indexed termsHash, PlanCategory category, string termsUri);
    /// @notice Emitted when someone gives to a plan's pool.
    event DonationReceived(uint256 indexed planId, address indexed donor, uint256 amount);
    /// @notice Emitted when a plan's administrator changes.
    event PlanAdminTransferred(uint256 indexed planId, address indexed previousAdmin, address indexed newAdmin);
    /// @notice Emitted when a commitment joins a plan; its leaf Poseidon(commitment, eligibleFrom,
    ///         paidThrough) is inserted at `index`, making `memberRoot` the plan's next root.
    event MemberJoined(
        uint256 indexed planId,
        uint256 indexed commitment,
        address indexed payer,
        uint256 index,
        uint256 eligibleFrom,
        uint256 paidThrough,
        uint256 paid,
        uint256 memberRoot
    );
    /// @notice Emitted when a member's cover is extended; the leaf at `index` is replaced by
    ///         Poseidon(commitment, eligibleFrom, paidThrough).
    event MemberRenewed(
        uint256 indexed planId,
        uint256 indexed commitment,
        address indexed payer,
        uint256 index,
        uint256 eligibleFrom,
        uint256 paidThrough,
        uint256 paid,
        uint256 memberRoot
    );
    /// @notice Emitted when an assessor key is added to a plan's assessor set.
    event AssessorAdded(uint256 indexed planId, uint256 indexed leaf, uint256 pubKeyX, uint256 pubKeyY, uint256 index, uint256 assessorRoot);
    /// @notice Emitted when an assessor key is revoked (its leaf set to 0).
    event AssessorRevoked(uint256 indexed planId, uint256 indexed leaf, uint256 index, uint256 assessorRoot);
    /// @notice Emitted when a plan's admin sets how many epochs after its closing epoch claims are paid.
    event ClaimGracePeriodsSet(uint256 indexed planId, uint256 periods);
    /// @notice Emitted when a plan's admin announces its closing: no joins, renewals or rule changes
    ///         from now; claims as of `closingEpoch` through `lastClaimEpoch`; refund registration
    ///         from time `refundsFrom`, withdrawals from time `refundsPayableFrom`.
    event ClosingAnnounced(
        uint256 indexed planId, uint256 closingEpoch, uint256 lastClaimEpoch, uint256 refundsFrom, uint256 refundsPayableFrom
    );
    /// @notice Emitted when the wallet that last paid for `commitment` registers its unused periods
    ///         (paidThrough - closingEpoch) for a refund.
    event RefundRegistered(uint256 indexed planId, address indexed payer, uint256 indexed commitment, uint256 periods);
    /// @notice Emitted when a paying wallet withdraws its refund: `amount` is the plan's balance
    ///         times `periods` over the periods registered and not yet withdrawn.
    event Refunded(uint256 indexed planId, address indexed payer, uint256 periods, uint256 amount);
    /// @notice Emitted when a plan's admin names its admission officer (the zero address: joins need no voucher).
    event AdmissionOfficerSet(uint256 indexed planId, address indexed officer);
    /// @notice Emitted for every paid claim, with everything an auditor needs to re-verify it.
    event ClaimPaid(
        uint256 indexed planId,
        uint256 indexed nullifier,
        address indexed recipient,
        ClaimRequest request,
        uint256 context,
        Groth16Proof proof
    );

    /// @notice Creates a plan starting now. Caller needs PLAN_CREATOR_ROLE.
    function createPlan(PlanParams calldata params) external returns (uint256 planId);

    /// @notice Pays `contribution x periods` from the caller and adds `commitment` to the plan.
    function join(uint256 planId, uint256 commitment, uint32 periods) external returns (uint256 index);

    /// @notice Pays `contribution x periods` from the caller to extend `commitment`'s cover.
    /// @param siblings The member tree's sibling nodes for the member's current leaf.
    function renew(uint256 planId, uint256 commitment, uint32 periods, uint256[] calldata siblings) external;

    /// @notice Like {join}, for a plan that requires admission: `voucher` is the plan's admission
    ///         officer's EIP-712 signature for this plan and commitment, not yet expired. A
    ///         commitment joins a plan once, so a voucher is spent with its join.
    function joinWithVoucher(uint256 planId, uint256 commitment, uint32 periods, AdmissionVoucher calldata voucher)
        external
        returns (uint256 index);

    /// @notice Announces the plan's closing at the end of epoch `closingEpoch` (this epoch or later).
    ///         Joins, renewals, terms and grace changes stop at once; claims as of the closing epoch
    ///         are paid through the plan's claim grace periods; then the balance is refunded.
    function announceClosing(uint256 planId, uint256 closingEpoch) external;

    /// @notice During a closed plan's registration window, the wallet that last paid for each of
    ///         `commitments` registers its unused periods (paidThrough - closingEpoch) for a refund.
    function registerRefund(uint256 planId, uint256[] calldata commitments) external;

    /// @notice Once registration has ended, pays the caller its share of the plan's balance:
    ///         balance x its registered periods / the periods registered and not yet withdrawn.
    function withdrawRefund(uint256 planId) external returns (uint256 amount);

    /// @notice Gives `amount` of the plan's token (approved beforehand) to its pool: it pays claims
    ///         like contributions do, and the books count it apart.
    function donate(uint256 planId, uint256 amount) external;

    /// @notice Verifies an anonymous claim and pays `amount - fee` to the recipient and `fee` to the relayer.
    ///         The caller sends exactly `request.gasDrop` wei with it, which the pool passes on to the
    ///         recipient, so a fresh address can pay gas to move its payout without being funded
    ///         from a wallet that would link it to the member.
    function claim(ClaimRequest calldata request, Groth16Proof calldata proof) external payable;
}
