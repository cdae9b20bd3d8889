/**
 * The pool's reverts in one catalogue: every custom error the pool's ABI can return (its own
 * `HuzhuPool__*` errors and those of the OpenZeppelin parts it is built from), and the token
 * errors a payment can hit, each with one stable code, a message that says what to do next, and
 * what kind of failure it is. The relayer (its reply codes, which claims are final and which are
 * held), the CLI and the web app all read it; none keeps its own map.
 */

/**
 * What a failure means for the one who sent it:
 * - `final`: this request can never pass (a spent nullifier, a claim outside the plan's rules, a
 *   wrong proof); sending it again, or a newer proof of the same claim, will not help;
 * - `hold`: the pool cannot take it now but will later, unchanged (not enough funds, paused);
 * - `retry`: it passes when made again from fresh state (a new root, epoch, quote or proof).
 */
export type PoolFailureKind = "final" | "hold" | "retry";

export interface PoolRevertEntry {
  /** Stable code: relayer replies, CLI `--json` output and the web app branch on it. */
  readonly code: string;
  readonly kind: PoolFailureKind;
  /** What happened and what to do next, from the revert's arguments (as strings). */
  readonly message: (args: readonly string[]) => string;
}

/** Why createPlan refused a plan's parameters: IHuzhuPool.PlanParamsIssue's members, in declaration order. */
export const PLAN_PARAMS_ISSUES = [
  ["TokenIsZero", "the token is the zero address: name the plan's ERC-20 token"],
  ["AdminIsZero", "the admin is the zero address: name the plan's administrator"],
  ["ContributionIsZero", "the contribution is 0: set a contribution per period"],
  ["PeriodTooShort", "the period is shorter than an hour: use a period of at least 3600 seconds"],
  ["ClaimCapIsZero", "the claim cap is 0: set the most one claim may pay"],
  ["MaxFeeTooHigh", "the maximum relayer fee is above 10%: use at most 1000 basis points"],
  ["WaitingTooLong", "the waiting period is above 1000 periods: use at most 1000"],
] as const;

/** A unix time (seconds, as a decimal string) as an ISO date. */
const isoTime = (seconds: string | undefined): string => {
  const n = Number(seconds);
  return Number.isFinite(n) ? new Date(n * 1000).toISOString() : `time ${seconds}`;
};

const entry = (code: string, kind: PoolFailureKind, message: (a: readonly string[]) => string): PoolRevertEntry => ({
  code,
  kind,
  message,
});

/** Keyed by the error's name in the ABI. */
export const POOL_REVERTS = {
  // Claims, in the order the pool checks them.
  HuzhuPool__InputNotInField: entry(
    "FIELD_OUT_OF_RANGE",
    "final",
    (a) => `public signal ${a[0]} of the claim is not below the BN254 field order; the claim is malformed: make it again with the SDK`,
  ),
  HuzhuPool__UnknownPlan: entry("UNKNOWN_PLAN", "final", (a) => `plan ${a[0]} does not exist: check the plan id (list the pool's plans)`),
  HuzhuPool__PlanInactive: entry(
    "PLAN_INACTIVE",
    "hold",
    (a) => `plan ${a[0]} is paused by its admin; it takes no payments or claims until it is resumed: try again then`,
  ),
  EnforcedPause: entry("POOL_PAUSED", "hold", () => "the whole pool is paused by its pauser; try again once it is unpaused"),
  HuzhuPool__UnknownMemberRoot: entry(
    "UNKNOWN_MEMBER_ROOT",
    "retry",
    (a) => `member root ${a[1]} is not one of plan ${a[0]}'s recent roots: re-read the member tree and prove again`,
  ),
  HuzhuPool__StaleAssessorRoot: entry(
    "STALE_ASSESSOR_ROOT",
    "retry",
    (a) => `assessor root ${a[1]} is no longer valid for plan ${a[0]} (the assessor set changed): prove again against the current set`,
  ),
  HuzhuPool__WrongEpoch: entry(
    "WRONG_EPOCH",
    "retry",
    (a) => `the claim is for epoch ${a[0]} but the plan is in epoch ${a[1]}: prove again for the current epoch`,
  ),
  HuzhuPool__ZeroAmount: entry("ZERO_AMOUNT", "final", () => "the amount is 0: a claim (or a donation) must be of a positive amount"),
  HuzhuPool__AmountOverCap: entry(
    "AMOUNT_OVER_CAP",
    "final",
    (a) => `the amount ${a[0]} is above the plan's claim cap ${a[1]}: ask the assessors for an approval within the cap`,
  ),
  HuzhuPool__FeeTooHigh: entry(
    "FEE_POLICY_UNSATISFIABLE",
    "retry",
    (a) => `the relayer fee ${a[0]} is above the plan's maximum ${a[1]}: use a relayer whose fee the plan allows, or submit it yourself`,
  ),
  HuzhuPool__ZeroAddress: entry("ZERO_ADDRESS", "final", () => "an address is the zero address: name a real recipient and relayer"),
  HuzhuPool__GasDropMismatch: entry(
    "GAS_DROP_MISMATCH",
    "retry",
    (a) => `the claim asks for a gas drop of ${a[0]} wei but ${a[1]} wei came with it: send exactly the drop the claim names`,
  ),
  HuzhuPool__InsufficientPoolFunds: entry(
    "INSUFFICIENT_POOL_FUNDS",
    "hold",
    (a) => `the plan holds ${a[1]}, less than the ${a[0]} asked: the claim can be paid once contributions or donations arrive`,
  ),
  HuzhuPool__NullifierAlreadySpent: entry("NULLIFIER_SPENT", "final", () => "this claim was already paid (its nullifier is spent)"),
  HuzhuPool__InvalidProof: entry(
    "INVALID_PROOF",
    "final",
    () => "the pool's verifier rejected the proof for these payout terms: prove again with the SDK for exactly this request",
  ),
  HuzhuPool__GasDropFailed: entry(
    "GAS_DROP_REFUSED",
    "retry",
    (a) => `the recipient ${a[0]} refused the gas drop of ${a[1]} wei: claim again without a drop or to an address that accepts coin`,
  ),
  // Plans, members and assessors.
  HuzhuPool__InvalidPlanParams: entry(
    "INVALID_PLAN_PARAMS",
    "final",
    (a) => `the plan's parameters are invalid: ${PLAN_PARAMS_ISSUES[Number(a[0])]?.[1] ?? `reason ${a[0]}`}`,
  ),
  HuzhuPool__NotPlanAdmin: entry(
    "NOT_PLAN_ADMIN",
    "final",
    (a) => `${a[1]} is not the admin of plan ${a[0]}: send this from the plan admin's wallet`,
  ),
  HuzhuPool__NotProposedAdmin: entry(
    "NOT_PROPOSED_ADMIN",
    "final",
    (a) => `${a[1]} was not proposed as plan ${a[0]}'s next admin: ask its admin to propose this address first`,
  ),
  HuzhuPool__TermsHashIsZero: entry(
    "TERMS_HASH_ZERO",
    "final",
    () => "the plan's terms name no document hash: hash the claim conditions and rules document and set that",
  ),
  HuzhuPool__InvalidCommitment: entry(
    "INVALID_COMMITMENT",
    "final",
    () => "the identity commitment is 0 or not below the field order: use a Semaphore identity's commitment",
  ),
  HuzhuPool__AlreadyMember: entry(
    "ALREADY_MEMBER",
    "final",
    (a) => `this identity is already a member of plan ${a[0]}: renew its cover instead of joining again`,
  ),
  HuzhuPool__NotMember: entry("NOT_A_MEMBER", "final", (a) => `this identity is not a member of plan ${a[0]}: join the plan first`),
  HuzhuPool__InvalidPeriods: entry("INVALID_PERIODS", "final", (a) => `cannot pay for ${a[0]} periods at once: pay for 1 to 1000 periods`),
  HuzhuPool__MemberTreeFull: entry(
    "MEMBER_TREE_FULL",
    "final",
    (a) => `plan ${a[0]} has its 2^20 members and takes no more: join another plan`,
  ),
  HuzhuPool__InvalidAssessorKey: entry(
    "INVALID_ASSESSOR_KEY",
    "final",
    () => "the assessor key's coordinates are not below the field order: use a BabyJubjub public key from `assessor keygen`",
  ),
  HuzhuPool__AssessorAlreadyAdded: entry(
    "ASSESSOR_ALREADY_ADDED",
    "final",
    (a) => `this assessor key is already in plan ${a[0]}'s set: nothing to do`,
  ),
  HuzhuPool__UnknownAssessor: entry(
    "UNKNOWN_ASSESSOR",
    "final",
    (a) => `this assessor key is not in plan ${a[0]}'s set: check the key (it may be revoked already)`,
  ),
  HuzhuPool__AssessorSetFull: entry(
    "ASSESSOR_SET_FULL",
    "final",
    (a) => `plan ${a[0]}'s assessor set holds its 16 keys (revoked ones count): create a new plan for more`,
  ),
  // Closing a plan: the announcement, claims in the grace periods, refund registration and withdrawal.
  HuzhuPool__GraceTooLong: entry(
    "GRACE_TOO_LONG",
    "final",
    (a) => `a claim grace of ${a[0]} periods is too long: use at most 1000 periods`,
  ),
  HuzhuPool__PlanClosing: entry(
    "PLAN_CLOSING",
    "final",
    (a) => `plan ${a[0]} is closing (its last epoch of cover is ${a[1]}): it takes no joins or renewals and its rules are frozen`,
  ),
  HuzhuPool__ClosingEpochInPast: entry(
    "CLOSING_EPOCH_IN_PAST",
    "final",
    (a) => `the closing epoch ${a[0]} is before the plan's current epoch ${a[1]}: announce epoch ${a[1]} or later`,
  ),
  HuzhuPool__ClaimsClosed: entry(
    "CLAIMS_CLOSED",
    "final",
    (a) => `plan ${a[0]} is closed: its claims ended with epoch ${a[1]}, and it takes no more claims or donations`,
  ),
  HuzhuPool__PlanNotClosing: entry(
    "PLAN_NOT_CLOSING",
    "final",
    (a) => `plan ${a[0]} has not announced its closing: there are no refunds to register or withdraw`,
  ),
  HuzhuPool__RefundRegistrationClosed: entry(
    "REFUND_REGISTRATION_CLOSED",
    "hold",
    (a) =>
      `plan ${a[0]}'s refund registration runs from ${isoTime(a[1])} to ${isoTime(a[2])} (after its claims end): register within that window`,
  ),
  HuzhuPool__RefundsNotPayableYet: entry(
    "REFUNDS_NOT_PAYABLE_YET",
    "hold",
    (a) => `plan ${a[0]}'s refunds are paid from ${isoTime(a[1])}, once registration has ended: withdraw then`,
  ),
  HuzhuPool__NotPayer: entry(
    "NOT_PAYER",
    "final",
    (a) =>
      `${a[2]} did not make the last payment for member ${a[1]} of plan ${a[0]}: its refund goes to the wallet that did; send from that wallet`,
  ),
  HuzhuPool__NothingToRefund: entry(
    "NOTHING_TO_REFUND",
    "final",
    (a) =>
      `member ${a[1]} of plan ${a[0]} has no paid periods after the closing epoch left to refund (its cover ended by then, or it is registered already)`,
  ),
  HuzhuPool__NoRefundDue: entry(
    "NO_REFUND_DUE",
    "final",
    (a) => `${a[1]} registered no refund in plan ${a[0]}: only wallets that registered during the registration window are paid`,
  ),
  HuzhuPool__RefundAlreadyPaid: entry("REFUND_ALREADY_PAID", "final", (a) => `${a[1]} has already withdrawn its refund from plan ${a[0]}`),
  // Admission vouchers.
  HuzhuPool__AdmissionRequired: entry(
    "ADMISSION_REQUIRED",
    "final",
    (a) => `plan ${a[0]} admits members only with its admission officer's voucher: ask the officer for one and join with it`,
  ),
  HuzhuPool__VoucherExpired: entry(
    "VOUCHER_EXPIRED",
    "final",
    (a) => `the admission voucher expired at ${isoTime(a[0])}: ask the plan's admission officer for a new one`,
  ),
  HuzhuPool__WrongVoucherSigner: entry(
    "WRONG_VOUCHER_SIGNER",
    "final",
    (a) =>
      `the voucher recovers to ${a[1]}, not plan ${a[0]}'s admission officer ${a[2]}: it is for another plan or commitment, or not the officer's`,
  ),
  // The member and assessor trees (zk-kit's LeanIMT), when a renewal or revocation names its path.
  WrongSiblingNodes: entry(
    "WRONG_SIBLINGS",
    "retry",
    () => "the tree path sent does not lead to the tree's root (the tree changed since it was read): re-read the tree and send again",
  ),
  LeafDoesNotExist: entry("TREE_LEAF_UNKNOWN", "retry", () => "the leaf to replace is not in the tree: re-read the tree and send again"),
  LeafAlreadyExists: entry("TREE_LEAF_EXISTS", "final", () => "the new leaf is already in the tree: nothing to change"),
  LeafCannotBeZero: entry("TREE_LEAF_ZERO", "final", () => "a tree leaf cannot be 0"),
  LeafGreaterThanSnarkScalarField: entry(
    "TREE_NODE_OUT_OF_RANGE",
    "final",
    () => "a tree leaf or path node is not below the BN254 field order: send the path the SDK builds",
  ),
  // The OpenZeppelin parts of the pool.
  ExpectedPause: entry("POOL_NOT_PAUSED", "final", () => "the pool is not paused: nothing to unpause"),
  AccessControlUnauthorizedAccount: entry(
    "NOT_AUTHORIZED",
    "final",
    (a) => `${a[0]} lacks the role this needs (${a[1]}): send it from an account that holds the role`,
  ),
  AccessControlBadConfirmation: entry(
    "BAD_ROLE_CONFIRMATION",
    "final",
    () => "a role can only be renounced by its holder, naming itself: send it from that account",
  ),
  ReentrancyGuardReentrantCall: entry(
    "REENTRANT_CALL",
    "final",
    () => "the pool was called again from inside one of its own payments; that never pays",
  ),
  SafeCastOverflowedUintDowncast: entry(
    "AMOUNT_TOO_LARGE",
    "final",
    (a) => `the value ${a[1]} does not fit the pool's ${a[0]}-bit books: pay for fewer periods`,
  ),
  SafeERC20FailedOperation: entry(
    "TOKEN_TRANSFER_FAILED",
    "retry",
    (a) => `the token ${a[0]} refused a transfer: check the token's balance and allowance, then try again`,
  ),
  // The token's, when a payment runs out of balance or allowance.
  ERC20InsufficientBalance: entry(
    "INSUFFICIENT_BALANCE",
    "retry",
    (a) => `the wallet holds ${a[1]} tokens, less than the ${a[2]} needed: fund it and try again`,
  ),
  ERC20InsufficientAllowance: entry(
    "INSUFFICIENT_ALLOWANCE",
    "retry",
    (a) => `the pool may take ${a[1]} tokens, less than the ${a[2]} needed: approve the amount and try again`,
  ),
} as const satisfies Record<string, PoolRevertEntry>;

export type PoolRevertName = keyof typeof POOL_REVERTS;

export interface PoolRevert {
  /** The error's name in the ABI, e.g. `HuzhuPool__WrongEpoch`. */
  readonly name: string;
  readonly code: string;
  readonly kind: PoolFailureKind;
  readonly message: string;
}

/** The code of a revert the catalogue does not know (or one without data); treated as retryable. */
export const UNKNOWN_REVERT_CODE = "REVERTED";

/** What a pool revert means, from its name and decoded arguments (viem's `errorName` and `args`). */
export function describePoolRevert(name: string, args: readonly unknown[] = []): PoolRevert {
  const known = (POOL_REVERTS as Record<string, PoolRevertEntry>)[name];
  const a = args.map(String);
  if (!known) {
    const what = name ? `${name}(${a.join(", ")})` : "an unknown reason";
    return { name, code: UNKNOWN_REVERT_CODE, kind: "retry", message: `the transaction would revert with ${what}` };
  }
  return { name, code: known.code, kind: known.kind, message: known.message(a) };
}

/** Every catalogue code of one kind (e.g. the relayer's final and held claim codes). */
export function poolCodesOfKind(kind: PoolFailureKind): string[] {
  return [
    ...new Set(
      Object.values(POOL_REVERTS as Record<string, PoolRevertEntry>)
        .filter((e) => e.kind === kind)
        .map((e) => e.code),
    ),
  ];
}

/** The kind of failure a catalogue code stands for, or undefined for a code that is not the pool's. */
export function poolFailureKind(code: string): PoolFailureKind | undefined {
  return Object.values(POOL_REVERTS as Record<string, PoolRevertEntry>).find((e) => e.code === code)?.kind;
}
