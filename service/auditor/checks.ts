/**
 * The auditor's checks over the pool's event list: pure functions, no chain access, so each can be
 * tested on constructed event lists (including histories the pool itself would refuse to write).
 *
 * Walking the events in chain order, per plan, it keeps what the pool keeps: the member roots and
 * their sequence numbers, the current and previous assessor roots, the spent nullifiers and the
 * books. Every claim is then held to the rules the pool applied when it paid it.
 */
import type { Address, Hex } from "viem";
import { PUBLIC_SIGNALS, SNARK_SCALAR_FIELD } from "../sdk/constants.ts";
import { claimContext } from "../sdk/encoding.ts";
import {
  type ClaimEvent,
  type ClosingEvent,
  compareEvents,
  describeRef,
  type EventRef,
  type PlanCreatedEvent,
  type PoolEvent,
  type RefundEvent,
} from "./events.ts";
import type { OnChainBooks } from "./reader.ts";

/** Stable names of the checks; every finding carries one. */
export const AuditCheck = {
  /** The deployed verifier embeds a different verification key than the published one. */
  VerifierKey: "verifier-key",
  /** The deployed verifier accepted a proof that does not verify. */
  VerifierBehaviour: "verifier-behaviour",
  /** A paid claim's proof does not verify against the published verification key. */
  Proof: "proof",
  /** A nullifier was paid more than once. */
  Nullifier: "nullifier",
  /** A claim used a member root that was not one of the plan's recent roots at that time. */
  MemberRoot: "member-root",
  /** A claim used an assessor root outside the plan's window at that time. */
  AssessorRoot: "assessor-root",
  /** The context in the event is not keccak256(chainId, pool, planId, recipient, relayer, fee, gasDrop) mod r. */
  Context: "context",
  /** A public input is not below the scalar field order r. */
  FieldRange: "field-range",
  /** A claim paid in a block whose time is outside the claim's epoch (and the grace after it). */
  Epoch: "epoch",
  /** A claim paid nothing or more than the plan's cap. */
  AmountCap: "amount-cap",
  /** A relayer fee above the plan's maximum. */
  FeeCap: "fee-cap",
  /** An event names a plan that was never created. */
  UnknownPlan: "unknown-plan",
  /** A plan's books disagree with its events, or go negative. */
  Books: "books",
  /** The pool holds less of a token than its plans' balances add up to. */
  TokenBalance: "token-balance",
  /** A closing plan took a join, renewal or rule change after its announcement, or announced a timetable other than its rules give. */
  Closing: "closing",
  /** A refund step outside its window, by a wallet that did not pay last, twice, or a refund that is not the wallet's pro-rata share. */
  Refund: "refund",
} as const;
export type AuditCheck = (typeof AuditCheck)[keyof typeof AuditCheck];

export interface Finding {
  check: AuditCheck;
  message: string;
  planId?: bigint;
  tx?: Hex;
  block?: bigint;
  logIndex?: number;
}

export interface PlanSummary {
  planId: bigint;
  name: string;
  token: Address;
  claimCap: bigint;
  maxFeeBps: number;
  /** Joins (each a new member). */
  members: number;
  renewals: number;
  /** Sum of every join's and renewal's payment. */
  contributions: bigint;
  /** Sum of every donation. */
  donations: bigint;
  claims: number;
  /** To claim recipients (amount - fee). */
  paid: bigint;
  /** To relayers. */
  fees: bigint;
  /** Withdrawals of refunds after the plan closed, and their sum. */
  refunds: number;
  refunded: bigint;
  /** contributions + donations - paid - fees - refunded. */
  balance: bigint;
  /** A closing plan's timetable and refund registrations. */
  closing?: ClosingSummary;
  /** The pool's own books for the plan, if read. */
  onChain?: OnChainBooks;
  /** Claims whose proof verifies / does not verify / was not verified. */
  verified: number;
  failed: number;
  unverified: number;
  findings: number;
}

export interface ClosingSummary {
  closingEpoch: bigint;
  lastClaimEpoch: bigint;
  /** Unix time claims end and refund registration opens. */
  refundsFrom: bigint;
  /** Unix time registration closes and withdrawals open. */
  refundsPayableFrom: bigint;
  /** Members registered, and their unused periods. */
  registrations: number;
  registeredPeriods: bigint;
  /** Registered periods not yet withdrawn. */
  unpaidPeriods: bigint;
}

export interface TokenSummary {
  token: Address;
  plans: bigint[];
  /** Sum of those plans' balances. */
  owed: bigint;
  /** The pool's token balance, if read. */
  held?: bigint;
}

export interface CheckInput {
  events: readonly PoolEvent[];
  chainId: bigint;
  pool: Address;
  /** The pool's MEMBER_ROOT_HISTORY: a member root pays until this many newer roots exist. */
  memberRootHistory: bigint;
  /** The pool's EPOCH_GRACE: how long into an epoch a proof for the previous one still pays (default 1 hour). */
  epochGrace?: bigint;
  /** The pool's REFUND_REGISTRATION: how long a closed plan's refund registration lasts (default 30 days). */
  refundRegistration?: bigint;
  /** books(planId) as the pool reports it at the audited block. */
  books?: ReadonlyMap<bigint, OnChainBooks>;
  /** The pool's balance of each plan token at the audited block. */
  tokenBalances?: ReadonlyMap<Address, bigint>;
}

export interface CheckResult {
  plans: PlanSummary[];
  tokens: TokenSummary[];
  findings: Finding[];
}

interface PlanState {
  plan: PlanCreatedEvent;
  summary: PlanSummary;
  /** Number of member roots so far (the pool's rootSeq). */
  rootSeq: bigint;
  /** Sequence number -> member root recorded under it (the pool keeps the last memberRootHistory). */
  rootBySeq: Map<bigint, bigint>;
  /** Assessor roots ever current, to tell "stale" from "never". */
  assessorRootsSeen: Set<bigint>;
  assessorRoot: bigint;
  previousAssessorRoot: bigint;
  /** The plan's claim grace periods (ClaimGracePeriodsSet). */
  grace: bigint;
  closing?: ClosingEvent;
  /** Per member: the wallet that paid last and the end of its cover (a registration cuts it to the closing epoch). */
  members: Map<bigint, { payer?: string; paidThrough?: bigint }>;
  /** Per paying wallet: periods registered, and whether withdrawn. */
  refundDue: Map<string, { periods: bigint; paid: boolean }>;
}

function at(event: EventRef): Pick<Finding, "tx" | "block" | "logIndex"> {
  return { tx: event.tx, block: event.block, logIndex: event.logIndex };
}

/** Runs every event-level and books check. Claim proofs are judged by `ClaimEvent.verified`. */
export function checkEvents(input: CheckInput): CheckResult {
  const findings: Finding[] = [];
  const plans = new Map<bigint, PlanState>();
  const nullifiers = new Map<bigint, ClaimEvent>();
  const events = [...input.events].sort(compareEvents);

  const planOf = (event: PoolEvent & { planId: bigint }): PlanState | undefined => {
    const state = plans.get(event.planId);
    if (!state) {
      findings.push({
        check: AuditCheck.UnknownPlan,
        planId: event.planId,
        ...at(event),
        message: `${describeRef(event)}: ${event.kind} event for plan ${event.planId}, which was never created`,
      });
    }
    return state;
  };

  for (const event of events) {
    switch (event.kind) {
      case "plan": {
        if (plans.has(event.planId)) {
          findings.push({
            check: AuditCheck.UnknownPlan,
            planId: event.planId,
            ...at(event),
            message: `${describeRef(event)}: plan ${event.planId} created a second time`,
          });
          break;
        }
        plans.set(event.planId, {
          plan: event,
          summary: {
            planId: event.planId,
            name: event.name,
            token: event.token,
            claimCap: event.claimCap,
            maxFeeBps: event.maxFeeBps,
            members: 0,
            renewals: 0,
            contributions: 0n,
            donations: 0n,
            claims: 0,
            paid: 0n,
            fees: 0n,
            refunds: 0,
            refunded: 0n,
            balance: 0n,
            verified: 0,
            failed: 0,
            unverified: 0,
            findings: 0,
          },
          rootSeq: 0n,
          rootBySeq: new Map(),
          assessorRootsSeen: new Set(),
          assessorRoot: 0n,
          previousAssessorRoot: 0n,
          grace: 0n,
          members: new Map(),
          refundDue: new Map(),
        });
        break;
      }
      case "member": {
        const state = planOf(event);
        if (!state) break;
        state.rootSeq += 1n;
        state.rootBySeq.set(state.rootSeq, event.memberRoot);
        state.rootBySeq.delete(state.rootSeq - input.memberRootHistory);
        state.summary.contributions += event.paid;
        if (event.renewal) state.summary.renewals++;
        else state.summary.members++;
        state.members.set(event.commitment, { payer: event.payer?.toLowerCase(), paidThrough: event.paidThrough });
        if (state.closing) {
          findings.push({
            check: AuditCheck.Closing,
            planId: event.planId,
            ...at(event),
            message: `${describeRef(event)}: a ${event.renewal ? "renewal" : "join"} after plan ${event.planId} announced its closing`,
          });
        }
        break;
      }
      case "grace": {
        const state = planOf(event);
        if (!state) break;
        state.grace = event.periods;
        if (state.closing) {
          findings.push({
            check: AuditCheck.Closing,
            planId: event.planId,
            ...at(event),
            message: `${describeRef(event)}: plan ${event.planId}'s claim grace changed after its closing was announced`,
          });
        }
        break;
      }
      case "closing": {
        const state = planOf(event);
        if (state) checkClosing(event, state, input, findings);
        break;
      }
      case "refund": {
        const state = planOf(event);
        if (state) checkRefund(event, state, findings);
        break;
      }
      case "donation": {
        const state = planOf(event);
        if (state) state.summary.donations += event.amount;
        break;
      }
      case "assessor": {
        const state = planOf(event);
        if (!state) break;
        // The pool's rule: an addition keeps the root before it valid (its set is a subset of the
        // new one); a revocation invalidates every earlier root at once.
        state.previousAssessorRoot = event.revoked ? 0n : state.assessorRoot;
        state.assessorRoot = event.assessorRoot;
        state.assessorRootsSeen.add(event.assessorRoot);
        break;
      }
      case "claim":
        checkClaim(event, plans, nullifiers, input, findings);
        break;
    }
  }

  // Books: the event sums against the pool's own books, then each token against the pool's balance.
  const summaries = [...plans.values()].map((s) => s.summary).sort((a, b) => (a.planId < b.planId ? -1 : 1));
  for (const s of summaries) {
    s.balance = s.contributions + s.donations - s.paid - s.fees - s.refunded;
    if (s.balance < 0n) {
      findings.push({
        check: AuditCheck.Books,
        planId: s.planId,
        message: `plan ${s.planId}: paid ${s.paid} + fees ${s.fees} + refunded ${s.refunded} exceed contributions ${s.contributions} + donations ${s.donations}`,
      });
    }
    const onChain = input.books?.get(s.planId);
    if (onChain) {
      s.onChain = onChain;
      const fromEvents = { contributed: s.contributions, donated: s.donations, paidOut: s.paid, fees: s.fees, refunded: s.refunded };
      const diffs = (["contributed", "donated", "paidOut", "fees", "refunded"] as const)
        .map((field) => [field, onChain[field], fromEvents[field]] as const)
        .filter(([, chain, events]) => chain !== events)
        .map(([field, chain, events]) => `${field} ${chain} on chain vs ${events} from events`);
      if (diffs.length > 0) {
        findings.push({
          check: AuditCheck.Books,
          planId: s.planId,
          message: `plan ${s.planId}: books disagree with events: ${diffs.join("; ")}`,
        });
      }
    }
  }
  if (input.books) {
    for (const planId of input.books.keys()) {
      if (!plans.has(planId)) {
        findings.push({ check: AuditCheck.Books, planId, message: `plan ${planId} has books on chain but no PlanCreated event` });
      }
    }
  }

  const tokens = new Map<Address, TokenSummary>();
  for (const s of summaries) {
    const t = tokens.get(s.token) ?? { token: s.token, plans: [], owed: 0n };
    t.plans.push(s.planId);
    t.owed += s.balance;
    tokens.set(s.token, t);
  }
  for (const t of tokens.values()) {
    if (!input.tokenBalances) continue;
    const held = input.tokenBalances.get(t.token);
    if (held === undefined) {
      findings.push({
        check: AuditCheck.TokenBalance,
        message: `token ${t.token}: the pool's balance could not be read (balanceOf failed)`,
      });
      continue;
    }
    t.held = held;
    if (held < t.owed) {
      findings.push({
        check: AuditCheck.TokenBalance,
        message: `token ${t.token}: the pool holds ${held} but plans ${t.plans.join(", ")} hold ${t.owed} (short by ${t.owed - held})`,
      });
    }
  }

  for (const f of findings) {
    if (f.planId === undefined) continue;
    const s = plans.get(f.planId)?.summary;
    if (s) s.findings++;
  }
  return { plans: summaries, tokens: [...tokens.values()], findings };
}

function checkClaim(
  claim: ClaimEvent,
  plans: Map<bigint, PlanState>,
  nullifiers: Map<bigint, ClaimEvent>,
  input: CheckInput,
  findings: Finding[],
): void {
  const where = describeRef(claim);
  const add = (check: AuditCheck, message: string) =>
    findings.push({ check, planId: claim.planId, ...at(claim), message: `${where}: ${message}` });

  // 1. Every public input is a canonical field element.
  for (const name of PUBLIC_SIGNALS) {
    if (claim[name] >= SNARK_SCALAR_FIELD) add(AuditCheck.FieldRange, `${name} ${claim[name]} is not below r`);
  }

  // 2. One payout per nullifier (checked before the plan: a double spend is a finding on its own).
  const first = nullifiers.get(claim.nullifier);
  if (first) add(AuditCheck.Nullifier, `nullifier ${claim.nullifier} was already paid in ${describeRef(first)}`);
  else nullifiers.set(claim.nullifier, claim);

  // 3. The proof, as verified against the published key.
  const state = plans.get(claim.planId);
  if (claim.verified === false) add(AuditCheck.Proof, "the proof does not verify against the published verification key");

  if (!state) {
    add(AuditCheck.UnknownPlan, `claim for plan ${claim.planId}, which was never created`);
    return;
  }
  const s = state.summary;
  s.claims++;
  if (claim.verified === true) s.verified++;
  else if (claim.verified === false) s.failed++;
  else s.unverified++;
  s.paid += claim.amount - claim.fee;
  s.fees += claim.fee;

  // 4. The member root was one of the plan's recent roots when the claim was paid, recorded under
  //    the sequence number the claim names.
  const seq = claim.memberRootSeq;
  if (seq > 0n && seq <= state.rootSeq && state.rootSeq - seq >= input.memberRootHistory) {
    add(
      AuditCheck.MemberRoot,
      `member root number ${seq} had expired: ${state.rootSeq - seq} newer roots (the pool keeps ${input.memberRootHistory})`,
    );
  } else if (claim.memberRoot === 0n || state.rootBySeq.get(seq) !== claim.memberRoot) {
    add(AuditCheck.MemberRoot, `member root ${claim.memberRoot} was never plan ${claim.planId}'s root number ${seq} before this claim`);
  }

  // 5. The assessor root was current, or the one before the last addition (no revocation since).
  const ar = claim.assessorRoot;
  if (ar === 0n || (ar !== state.assessorRoot && ar !== state.previousAssessorRoot)) {
    const why = state.assessorRootsSeen.has(ar)
      ? "was no longer valid (replaced by later changes or a revocation)"
      : "was never an assessor root of the plan";
    add(AuditCheck.AssessorRoot, `assessor root ${ar} ${why}`);
  }

  // 6. Paid in the claim's epoch, or just after it (the pool's clock is the block's timestamp); in a
  //    closing plan past its closing epoch, as of the closing epoch, and never after the last claim epoch.
  if (claim.timestamp !== undefined) {
    const plan = state.plan;
    const epoch = claim.timestamp >= plan.start ? (claim.timestamp - plan.start) / plan.periodLength : -1n;
    const intoEpoch = claim.timestamp - (plan.start + epoch * plan.periodLength);
    const grace = input.epochGrace ?? 3_600n;
    const closing = state.closing;
    const inGrace = epoch > 0n && claim.claimEpoch === epoch - 1n && intoEpoch < grace;
    if (closing && epoch > closing.lastClaimEpoch) {
      add(AuditCheck.Epoch, `claim paid in epoch ${epoch}, after plan ${claim.planId}'s claims ended with epoch ${closing.lastClaimEpoch}`);
    } else if (closing && epoch > closing.closingEpoch) {
      if (claim.claimEpoch !== closing.closingEpoch) {
        add(
          AuditCheck.Epoch,
          `claim for epoch ${claim.claimEpoch} paid in epoch ${epoch}, in plan ${claim.planId}'s grace periods, where claims are as of its closing epoch ${closing.closingEpoch}`,
        );
      }
    } else if (claim.claimEpoch !== epoch && !inGrace) {
      add(
        AuditCheck.Epoch,
        `claim for epoch ${claim.claimEpoch} paid at time ${claim.timestamp}, in epoch ${epoch} of plan ${claim.planId}`,
      );
    }
  }

  // 7. Amount and fee within the plan's rules.
  if (claim.amount === 0n || claim.amount > state.plan.claimCap) {
    add(AuditCheck.AmountCap, `amount ${claim.amount} is outside 1..${state.plan.claimCap} (the plan's cap)`);
  }
  const maxFee = (claim.amount * BigInt(state.plan.maxFeeBps)) / 10_000n;
  if (claim.fee > maxFee) add(AuditCheck.FeeCap, `fee ${claim.fee} exceeds the plan's maximum ${maxFee} (${state.plan.maxFeeBps} bps)`);

  // 8. The context binds this chain, pool, plan, recipient, relayer, fee and gas drop.
  let expected: bigint | undefined;
  try {
    expected = claimContext({
      chainId: input.chainId,
      pool: input.pool,
      planId: claim.planId,
      recipient: claim.recipient,
      relayer: claim.relayer,
      fee: claim.fee,
      gasDrop: claim.gasDrop,
    });
  } catch {
    expected = undefined;
  }
  if (expected !== claim.context) add(AuditCheck.Context, `context ${claim.context} is not the one these payout terms give (${expected})`);
}

/** A closing announcement: once only, with the timetable the plan's rules give. */
function checkClosing(event: ClosingEvent, state: PlanState, input: CheckInput, findings: Finding[]): void {
  const add = (message: string) =>
    findings.push({ check: AuditCheck.Closing, planId: event.planId, ...at(event), message: `${describeRef(event)}: ${message}` });
  if (state.closing) {
    add(`plan ${event.planId} announced its closing a second time`);
    return;
  }
  const plan = state.plan;
  const lastClaimEpoch = event.closingEpoch + state.grace;
  const refundsFrom = plan.start + (lastClaimEpoch + 1n) * plan.periodLength;
  const payableFrom = refundsFrom + (input.refundRegistration ?? 2_592_000n);
  if (event.lastClaimEpoch !== lastClaimEpoch || event.refundsFrom !== refundsFrom || event.refundsPayableFrom !== payableFrom) {
    add(
      `the announced timetable (claims through epoch ${event.lastClaimEpoch}, refunds from ${event.refundsFrom}, paid from ${event.refundsPayableFrom}) ` +
        `is not the one its rules give (epoch ${lastClaimEpoch}, ${refundsFrom}, ${payableFrom})`,
    );
  }
  state.closing = event;
  state.summary.closing = {
    closingEpoch: event.closingEpoch,
    lastClaimEpoch: event.lastClaimEpoch,
    refundsFrom: event.refundsFrom,
    refundsPayableFrom: event.refundsPayableFrom,
    registrations: 0,
    registeredPeriods: 0n,
    unpaidPeriods: 0n,
  };
}

/**
 * A refund step, held to the pool's rules: registrations within the registration window, by the
 * wallet that paid last, for the member's periods after the closing epoch, once; withdrawals after
 * registration ended, once per wallet, of its registered periods, each the balance left times its
 * periods over the periods not yet withdrawn.
 */
function checkRefund(event: RefundEvent, state: PlanState, findings: Finding[]): void {
  const add = (message: string) =>
    findings.push({ check: AuditCheck.Refund, planId: event.planId, ...at(event), message: `${describeRef(event)}: ${message}` });
  const closing = state.closing;
  const summary = state.summary.closing;
  if (!closing || !summary) {
    add(`a refund step in plan ${event.planId}, which never announced its closing`);
    return;
  }
  const payer = event.payer.toLowerCase();
  const due = state.refundDue.get(payer) ?? { periods: 0n, paid: false };
  if (event.registered) {
    if (event.timestamp !== undefined && (event.timestamp < closing.refundsFrom || event.timestamp >= closing.refundsPayableFrom)) {
      add(
        `a refund registered at time ${event.timestamp}, outside the registration window ${closing.refundsFrom}..${closing.refundsPayableFrom}`,
      );
    }
    const member = event.commitment === undefined ? undefined : state.members.get(event.commitment);
    if (member?.payer !== undefined && member.payer !== payer) {
      add(`member ${event.commitment} registered by ${event.payer}, but its last payment came from ${member.payer}`);
    }
    if (member?.paidThrough !== undefined) {
      const unused = member.paidThrough > closing.closingEpoch ? member.paidThrough - closing.closingEpoch : 0n;
      if (event.periods !== unused || unused === 0n) {
        add(
          `member ${event.commitment} registered for ${event.periods} periods, but it had ${unused} paid periods after the closing epoch`,
        );
      }
      member.paidThrough = closing.closingEpoch;
    }
    due.periods += event.periods;
    summary.registrations++;
    summary.registeredPeriods += event.periods;
    summary.unpaidPeriods += event.periods;
    state.refundDue.set(payer, due);
    return;
  }
  const s = state.summary;
  const amount = event.amount ?? 0n;
  if (event.timestamp !== undefined && event.timestamp < closing.refundsPayableFrom) {
    add(`a refund paid at time ${event.timestamp}, before registration ended at ${closing.refundsPayableFrom}`);
  }
  if (due.paid) add(`${event.payer} was refunded a second time`);
  if (event.periods !== due.periods) add(`${event.payer} was refunded for ${event.periods} periods but registered ${due.periods}`);
  const balance = s.contributions + s.donations - s.paid - s.fees - s.refunded;
  const share = summary.unpaidPeriods === 0n ? 0n : (balance * event.periods) / summary.unpaidPeriods;
  if (amount !== share) {
    add(
      `${event.payer} was refunded ${amount}, not its share ${share} (balance ${balance} x ${event.periods} / ${summary.unpaidPeriods} periods not yet withdrawn)`,
    );
  }
  due.paid = true;
  state.refundDue.set(payer, due);
  summary.unpaidPeriods = event.periods < summary.unpaidPeriods ? summary.unpaidPeriods - event.periods : 0n;
  s.refunds++;
  s.refunded += amount;
}
