/**
 * The auditor's event checks on constructed histories, including ones the pool refuses to write
 * (a nullifier paid twice, a root that was never the plan's): each is caught and named with its
 * transaction.
 */
import type { Address, Hex } from "viem";
import { describe, expect, it } from "vitest";
import { AuditCheck, type CheckInput, checkEvents } from "../../service/auditor/checks.ts";
import type { AssessorEvent, ClaimEvent, DonationEvent, MemberEvent, PlanCreatedEvent, PoolEvent } from "../../service/auditor/events.ts";
import { claimContext, SNARK_SCALAR_FIELD } from "../../service/sdk/index.ts";

const POOL: Address = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const TOKEN: Address = "0x0000000000000000000000000000000000007070";
const RECIPIENT: Address = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const RELAYER: Address = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const CHAIN_ID = 31337n;

/** Builds a history block by block; every event gets its own transaction hash. */
function history() {
  const events: PoolEvent[] = [];
  let block = 10n;
  const next = () => {
    block += 1n;
    const tx = `0x${block.toString(16).padStart(64, "0")}` as Hex;
    return { block, blockHash: tx, tx, logIndex: 0 };
  };
  const api = {
    events,
    plan(planId = 1n, overrides: Partial<PlanCreatedEvent> = {}) {
      const e: PlanCreatedEvent = {
        kind: "plan",
        ...next(),
        planId,
        name: `plan ${planId}`,
        admin: RELAYER,
        token: TOKEN,
        contribution: 10n,
        periodLength: 3600n,
        waitingPeriods: 0,
        claimCap: 1_000n,
        maxFeeBps: 300,
        start: 0n,
        ...overrides,
      };
      events.push(e);
      return e;
    },
    join(planId: bigint, memberRoot: bigint, paid = 100n, renewal = false) {
      const e: MemberEvent = { kind: "member", ...next(), renewal, planId, commitment: memberRoot + 7n, index: 0n, paid, memberRoot };
      events.push(e);
      return e;
    },
    donate(planId: bigint, amount: bigint) {
      const e: DonationEvent = { kind: "donation", ...next(), planId, donor: RECIPIENT, amount };
      events.push(e);
      return e;
    },
    assessor(planId: bigint, assessorRoot: bigint, revoked = false) {
      const e: AssessorEvent = { kind: "assessor", ...next(), revoked, planId, leaf: assessorRoot + 3n, assessorRoot };
      events.push(e);
      return e;
    },
    claim(planId: bigint, fields: Partial<ClaimEvent> = {}) {
      const fee = fields.fee ?? 3n;
      const e: ClaimEvent = {
        kind: "claim",
        ...next(),
        planId,
        claimEpoch: 0n,
        amount: 100n,
        memberRoot: 1001n,
        memberRootSeq: 1n,
        assessorRoot: 2001n,
        nullifier: block * 1_000n,
        recipient: RECIPIENT,
        relayer: RELAYER,
        fee,
        gasDrop: 0n,
        context: claimContext({ chainId: CHAIN_ID, pool: POOL, planId, recipient: RECIPIENT, relayer: RELAYER, fee, gasDrop: 0n }),
        proof: {
          a: [1n, 2n],
          b: [
            [0n, 0n],
            [0n, 0n],
          ],
          c: [1n, 2n],
        },
        verified: true,
        ...fields,
      };
      events.push(e);
      return e;
    },
  };
  return api;
}

function check(events: PoolEvent[], extra: Partial<CheckInput> = {}) {
  return checkEvents({ events, chainId: CHAIN_ID, pool: POOL, memberRootHistory: 100n, ...extra });
}

/** One plan with member root 1001 and assessor root 2001, ready for claims. */
function ready() {
  const h = history();
  h.plan(1n);
  h.join(1n, 1001n, 1_000n);
  h.assessor(1n, 2001n);
  return h;
}

describe("checkEvents", () => {
  it("passes a consistent history and sums each plan's books", () => {
    const h = ready();
    h.join(1n, 1002n, 500n);
    h.join(1n, 1003n, 200n, true);
    h.claim(1n);
    h.claim(1n, {
      amount: 200n,
      fee: 6n,
      context: claimContext({ chainId: CHAIN_ID, pool: POOL, planId: 1n, recipient: RECIPIENT, relayer: RELAYER, fee: 6n, gasDrop: 0n }),
    });
    const result = check(h.events, {
      books: new Map([[1n, { contributed: 1_700n, donated: 0n, paidOut: 97n + 194n, fees: 9n, refunded: 0n }]]),
      tokenBalances: new Map([[TOKEN, 1_700n - 300n]]),
    });
    expect(result.findings).toEqual([]);
    expect(result.plans[0]).toMatchObject({
      members: 2,
      renewals: 1,
      contributions: 1_700n,
      claims: 2,
      paid: 291n,
      fees: 9n,
      balance: 1_400n,
      verified: 2,
    });
    expect(result.tokens).toEqual([{ token: TOKEN, plans: [1n], owed: 1_400n, held: 1_400n }]);
  });

  it("counts donations apart from contributions in the books, and names a donation missing from the pool's books", () => {
    const h = ready();
    h.donate(1n, 250n);
    h.claim(1n);
    const consistent = check(h.events, {
      books: new Map([[1n, { contributed: 1_000n, donated: 250n, paidOut: 97n, fees: 3n, refunded: 0n }]]),
      tokenBalances: new Map([[TOKEN, 1_150n]]),
    });
    expect(consistent.findings).toEqual([]);
    expect(consistent.plans[0]).toMatchObject({ contributions: 1_000n, donations: 250n, balance: 1_150n });
    const disagreeing = check(h.events, {
      books: new Map([[1n, { contributed: 1_000n, donated: 0n, paidOut: 97n, fees: 3n, refunded: 0n }]]),
      tokenBalances: new Map([[TOKEN, 1_150n]]),
    });
    expect(disagreeing.findings).toContainEqual({
      check: "books",
      planId: 1n,
      message: "plan 1: books disagree with events: donated 0 on chain vs 250 from events",
    });
  });

  it("names the second payment of a nullifier and the transaction of the first", () => {
    const h = ready();
    const first = h.claim(1n, { nullifier: 42n });
    const second = h.claim(1n, { nullifier: 42n });
    const { findings } = check(h.events);
    expect(findings).toEqual([expect.objectContaining({ check: AuditCheck.Nullifier, tx: second.tx, planId: 1n })]);
    expect(findings[0]?.message).toContain(`already paid in tx ${first.tx}`);
  });

  it("names a member root that was never a root of the plan, even one of another plan", () => {
    const h = ready();
    h.plan(2n);
    h.join(2n, 9009n);
    const claim = h.claim(1n, { memberRoot: 9009n });
    const zero = h.claim(1n, { memberRoot: 0n });
    const { findings } = check(h.events);
    expect(findings.map((f) => [f.check, f.tx])).toEqual([
      [AuditCheck.MemberRoot, claim.tx],
      [AuditCheck.MemberRoot, zero.tx],
    ]);
    expect(findings[0]?.message).toContain("member root 9009 was never plan 1's root number 1 before this claim");
  });

  it("names a recent member root claimed under another root's sequence number", () => {
    const h = ready();
    h.join(1n, 1002n);
    h.claim(1n, { memberRoot: 1002n, memberRootSeq: 2n });
    const wrong = h.claim(1n, { memberRoot: 1002n, memberRootSeq: 1n });
    const { findings } = check(h.events);
    expect(findings.map((f) => [f.check, f.tx])).toEqual([[AuditCheck.MemberRoot, wrong.tx]]);
    expect(findings[0]?.message).toContain("member root 1002 was never plan 1's root number 1 before this claim");
  });

  it("names a member root that became a root only after the claim", () => {
    const h = ready();
    const claim = h.claim(1n, { memberRoot: 1002n, memberRootSeq: 2n });
    h.join(1n, 1002n);
    expect(check(h.events).findings).toEqual([expect.objectContaining({ check: AuditCheck.MemberRoot, tx: claim.tx })]);
  });

  it("accepts a member root with 99 newer roots and names one with 100", () => {
    const h = ready();
    for (let i = 0; i < 99; i++) h.join(1n, 5_000n + BigInt(i));
    h.claim(1n);
    h.join(1n, 9_999n);
    const late = h.claim(1n);
    const { findings } = check(h.events);
    expect(findings).toEqual([expect.objectContaining({ check: AuditCheck.MemberRoot, tx: late.tx })]);
    expect(findings[0]?.message).toMatch(/had expired: 100 newer roots \(the pool keeps 100\)/);
  });

  it("follows the assessor window: the root before an addition pays, a revocation ends every older root", () => {
    const h = ready();
    h.assessor(1n, 2002n); // addition: 2001 stays valid
    const previous = h.claim(1n, { assessorRoot: 2001n });
    h.assessor(1n, 2003n); // another addition: 2001 is now two changes old
    const stale = h.claim(1n, { assessorRoot: 2001n });
    const justBefore = h.claim(1n, { assessorRoot: 2002n });
    h.assessor(1n, 2004n, true); // revocation: only 2004 pays
    const revoked = h.claim(1n, { assessorRoot: 2003n });
    const never = h.claim(1n, { assessorRoot: 7n });
    const current = h.claim(1n, { assessorRoot: 2004n });
    const named = check(h.events).findings.map((f) => [f.check, f.tx]);
    expect(named).toEqual([
      [AuditCheck.AssessorRoot, stale.tx],
      [AuditCheck.AssessorRoot, revoked.tx],
      [AuditCheck.AssessorRoot, never.tx],
    ]);
    expect(named.flat()).not.toContain(previous.tx);
    expect(named.flat()).not.toContain(justBefore.tx);
    expect(named.flat()).not.toContain(current.tx);
  });

  it("names a claim above the plan's cap, a zero amount and a fee above the plan's maximum", () => {
    const h = ready();
    h.join(1n, 1002n, 10_000n); // enough in the plan that the books stay positive
    const over = h.claim(1n, { amount: 1_001n });
    const zero = h.claim(1n, {
      amount: 0n,
      fee: 0n,
      context: claimContext({ chainId: CHAIN_ID, pool: POOL, planId: 1n, recipient: RECIPIENT, relayer: RELAYER, fee: 0n, gasDrop: 0n }),
    });
    const fee = 4n; // 3% of 100 is 3
    const greedy = h.claim(1n, {
      fee,
      context: claimContext({ chainId: CHAIN_ID, pool: POOL, planId: 1n, recipient: RECIPIENT, relayer: RELAYER, fee, gasDrop: 0n }),
    });
    expect(check(h.events).findings.map((f) => [f.check, f.tx])).toEqual([
      [AuditCheck.AmountCap, over.tx],
      [AuditCheck.AmountCap, zero.tx],
      [AuditCheck.FeeCap, greedy.tx],
    ]);
  });

  it("names a failed proof, a context for other payout terms, a signal not below r and an unknown plan", () => {
    const h = ready();
    const unproven = h.claim(1n, { verified: false });
    const redirected = h.claim(1n, { recipient: "0x00000000000000000000000000000000000000b0" });
    const wide = h.claim(1n, { claimEpoch: SNARK_SCALAR_FIELD });
    const orphan = h.claim(9n);
    const findings = check(h.events).findings;
    expect(findings.map((f) => [f.check, f.tx])).toEqual([
      [AuditCheck.Proof, unproven.tx],
      [AuditCheck.Context, redirected.tx],
      [AuditCheck.FieldRange, wide.tx],
      [AuditCheck.UnknownPlan, orphan.tx],
    ]);
    expect(check(h.events).plans[0]).toMatchObject({ claims: 3, verified: 2, failed: 1 });
  });

  it("names a claim paid outside its epoch, allowing the previous epoch for the grace hour after a boundary", () => {
    const h = history();
    h.plan(1n, { start: 1_000n, periodLength: 86_400n });
    h.join(1n, 1001n, 1_000n);
    h.assessor(1n, 2001n);
    const epoch3 = 1_000n + 3n * 86_400n;
    h.claim(1n, { claimEpoch: 3n, timestamp: epoch3 + 10n });
    h.claim(1n, { claimEpoch: 2n, timestamp: epoch3 + 3_599n }); // within the grace hour
    const late = h.claim(1n, { claimEpoch: 2n, timestamp: epoch3 + 3_600n });
    const early = h.claim(1n, { claimEpoch: 4n, timestamp: epoch3 + 10n });
    const beforeStart = h.claim(1n, { claimEpoch: 0n, timestamp: 999n });
    const findings = check(h.events, { epochGrace: 3_600n }).findings;
    expect(findings.map((f) => [f.check, f.tx])).toEqual([
      [AuditCheck.Epoch, late.tx],
      [AuditCheck.Epoch, early.tx],
      [AuditCheck.Epoch, beforeStart.tx],
    ]);
    expect(findings[0]?.message).toContain("claim for epoch 2 paid at time");
  });

  it("names books that disagree with the events, and a token the pool holds too little of", () => {
    const h = ready();
    h.plan(2n);
    h.join(2n, 3003n, 400n);
    h.claim(1n);
    const result = check(h.events, {
      books: new Map([
        [1n, { contributed: 1_000n, donated: 0n, paidOut: 97n, fees: 3n, refunded: 0n }],
        [2n, { contributed: 400n, donated: 0n, paidOut: 50n, fees: 0n, refunded: 0n }],
        [3n, { contributed: 0n, donated: 0n, paidOut: 0n, fees: 0n, refunded: 0n }],
      ]),
      tokenBalances: new Map([[TOKEN, 1_299n]]),
    });
    expect(result.findings.map((f) => [f.check, f.planId])).toEqual([
      [AuditCheck.Books, 2n],
      [AuditCheck.Books, 3n],
      [AuditCheck.TokenBalance, undefined],
    ]);
    expect(result.findings[0]?.message).toContain("paidOut 50 on chain vs 0 from events");
    expect(result.findings[2]?.message).toContain("holds 1299 but plans 1, 2 hold 1300 (short by 1)");
    const unread = check(h.events, { tokenBalances: new Map() }).findings;
    expect(unread).toEqual([
      expect.objectContaining({ check: AuditCheck.TokenBalance, message: expect.stringContaining("could not be read") }),
    ]);
  });
});
