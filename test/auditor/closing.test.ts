/**
 * The auditor's closing and refund checks on constructed histories: a plan that closes by its
 * rules passes and reports its timetable; each way a history can break them (a refund before the
 * grace periods end, twice, more than the wallet's share, by a wallet that did not pay; a claim
 * after the grace periods; a join after the announcement; refunds missing from the books) is named.
 */
import type { Address, Hex } from "viem";
import { describe, expect, it } from "vitest";
import { AuditCheck, checkEvents } from "../../service/auditor/checks.ts";
import type { ClaimEvent, PoolEvent, RefundEvent } from "../../service/auditor/events.ts";
import { claimContext } from "../../service/sdk/index.ts";

const POOL: Address = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const TOKEN: Address = "0x0000000000000000000000000000000000007070";
const ALICE: Hex = "0x00000000000000000000000000000000000a11ce";
const BOB: Hex = "0x0000000000000000000000000000000000000b0b";
const RELAYER: Address = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const CHAIN_ID = 31337n;
const PERIOD = 3_600n;
const REGISTRATION = 2_592_000n;
/** Closing epoch 3, grace 2: claims through epoch 5, registration from the start of epoch 6. */
const REFUNDS_FROM = 6n * PERIOD;
const PAYABLE_FROM = REFUNDS_FROM + REGISTRATION;

/** A plan (contribution 10 per period) whose members Alice (through epoch 23) and Bob (through 5) paid for, closing at epoch 3. */
function closingHistory() {
  const events: PoolEvent[] = [];
  let block = 10n;
  const at = () => {
    block += 1n;
    const tx = `0x${block.toString(16).padStart(64, "0")}` as Hex;
    return { block, blockHash: tx, tx, logIndex: 0 };
  };
  const push = <E extends PoolEvent>(e: E): E => {
    events.push(e);
    return e;
  };
  push({
    kind: "plan",
    ...at(),
    planId: 1n,
    name: "closing",
    admin: RELAYER,
    token: TOKEN,
    contribution: 10n,
    periodLength: PERIOD,
    waitingPeriods: 0,
    claimCap: 1_000n,
    maxFeeBps: 300,
    start: 0n,
  });
  const member = (commitment: bigint, payer: Hex, paidThrough: bigint, memberRoot: bigint, renewal = false) =>
    push({
      kind: "member",
      ...at(),
      renewal,
      planId: 1n,
      commitment,
      index: 0n,
      paid: 10n * (paidThrough + 1n),
      memberRoot,
      payer,
      paidThrough,
    });
  member(101n, ALICE, 23n, 1001n);
  member(202n, BOB, 5n, 1002n);
  push({ kind: "assessor", ...at(), revoked: false, planId: 1n, leaf: 7n, assessorRoot: 2001n });
  push({ kind: "grace", ...at(), planId: 1n, periods: 2n });
  push({
    kind: "closing",
    ...at(),
    planId: 1n,
    closingEpoch: 3n,
    lastClaimEpoch: 5n,
    refundsFrom: REFUNDS_FROM,
    refundsPayableFrom: PAYABLE_FROM,
  });
  const claim = (claimEpoch: bigint, timestamp: bigint): ClaimEvent =>
    push({
      kind: "claim",
      ...at(),
      planId: 1n,
      claimEpoch,
      amount: 40n,
      memberRoot: 1002n,
      memberRootSeq: 2n,
      assessorRoot: 2001n,
      nullifier: block,
      recipient: RELAYER,
      relayer: RELAYER,
      fee: 0n,
      gasDrop: 0n,
      context: claimContext({ chainId: CHAIN_ID, pool: POOL, planId: 1n, recipient: RELAYER, relayer: RELAYER, fee: 0n, gasDrop: 0n }),
      proof: {
        a: [1n, 2n],
        b: [
          [0n, 0n],
          [0n, 0n],
        ],
        c: [1n, 2n],
      },
      timestamp,
      verified: true,
    });
  const register = (payer: Hex, commitment: bigint, periods: bigint, timestamp = REFUNDS_FROM + 10n): RefundEvent =>
    push({ kind: "refund", ...at(), registered: true, planId: 1n, payer, commitment, periods, timestamp });
  const withdraw = (payer: Hex, periods: bigint, amount: bigint, timestamp = PAYABLE_FROM): RefundEvent =>
    push({ kind: "refund", ...at(), registered: false, planId: 1n, payer, periods, amount, timestamp });
  return { events, member, claim, register, withdraw };
}

function check(events: PoolEvent[], refunded?: bigint) {
  return checkEvents({
    events,
    chainId: CHAIN_ID,
    pool: POOL,
    memberRootHistory: 100n,
    ...(refunded === undefined ? {} : { books: new Map([[1n, { contributed: 300n, donated: 0n, paidOut: 40n, fees: 0n, refunded }]]) }),
  });
}

/** The closing by the rules: a claim as of the closing epoch in the grace, both wallets registered and refunded. */
function closedByTheRules() {
  const h = closingHistory();
  h.claim(3n, 4n * PERIOD + 5n);
  h.register(ALICE, 101n, 20n);
  h.register(BOB, 202n, 2n);
  // Balance 300 - 40 = 260: Alice 260 x 20 / 22 = 236, Bob the rest.
  h.withdraw(ALICE, 20n, 236n);
  h.withdraw(BOB, 2n, 24n);
  return h;
}

describe("closing and refund checks", () => {
  it("passes a plan closed by its rules, books with refunds included, and reports its timetable", () => {
    const result = check(closedByTheRules().events, 260n);
    expect(result.findings).toEqual([]);
    expect(result.plans[0]).toMatchObject({
      refunds: 2,
      refunded: 260n,
      balance: 0n,
      closing: {
        closingEpoch: 3n,
        lastClaimEpoch: 5n,
        refundsFrom: REFUNDS_FROM,
        refundsPayableFrom: PAYABLE_FROM,
        registrations: 2,
        registeredPeriods: 22n,
        unpaidPeriods: 0n,
      },
    });
  });

  it("names refunds the pool's books do not show", () => {
    const result = check(closedByTheRules().events, 0n);
    expect(result.findings).toEqual([
      { check: AuditCheck.Books, planId: 1n, message: "plan 1: books disagree with events: refunded 0 on chain vs 260 from events" },
    ]);
  });

  it("names a refund registered before the grace periods end, and one paid before registration ended", () => {
    const h = closingHistory();
    const early = h.register(ALICE, 101n, 20n, REFUNDS_FROM - 1n);
    const paid = h.withdraw(ALICE, 20n, 260n, PAYABLE_FROM - 1n);
    const messages = check(h.events).findings.map((f) => [f.check, f.tx, f.message]);
    expect(messages).toContainEqual([
      AuditCheck.Refund,
      early.tx,
      expect.stringContaining(`a refund registered at time ${REFUNDS_FROM - 1n}, outside the registration window`),
    ]);
    expect(messages).toContainEqual([
      AuditCheck.Refund,
      paid.tx,
      expect.stringContaining(`a refund paid at time ${PAYABLE_FROM - 1n}, before registration ended at ${PAYABLE_FROM}`),
    ]);
  });

  it("names a refund paid twice, one that is not the wallet's share, and a registration by a wallet that did not pay", () => {
    const h = closingHistory();
    const notPayer = h.register(BOB, 101n, 20n);
    h.register(ALICE, 202n, 2n);
    const wrongShare = h.withdraw(BOB, 20n, 250n);
    const twice = h.withdraw(BOB, 20n, 0n);
    const found = check(h.events).findings;
    expect(found).toContainEqual(
      expect.objectContaining({
        check: AuditCheck.Refund,
        tx: notPayer.tx,
        message: expect.stringContaining(`but its last payment came from ${ALICE}`),
      }),
    );
    expect(found).toContainEqual(
      expect.objectContaining({
        check: AuditCheck.Refund,
        tx: wrongShare.tx,
        message: expect.stringContaining(`was refunded 250, not its share 272 (balance 300 x 20 / 22 periods not yet withdrawn)`),
      }),
    );
    expect(found).toContainEqual(
      expect.objectContaining({ check: AuditCheck.Refund, tx: twice.tx, message: expect.stringContaining("was refunded a second time") }),
    );
  });

  it("names a claim paid after the grace periods, one for another epoch than the closing epoch in them, and a join after the announcement", () => {
    const h = closingHistory();
    const late = h.claim(3n, 6n * PERIOD + 1n);
    const current = h.claim(4n, 4n * PERIOD + 1n);
    const join = h.member(303n, ALICE, 9n, 1003n);
    const found = check(h.events).findings.map((f) => [f.check, f.tx]);
    expect(found).toContainEqual([AuditCheck.Epoch, late.tx]);
    expect(found).toContainEqual([AuditCheck.Epoch, current.tx]);
    expect(found).toContainEqual([AuditCheck.Closing, join.tx]);
  });
});
