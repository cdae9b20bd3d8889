/**
 * Claims that fail for a temporary reason are not lost, and no body decides another's fate, with a
 * real relayer process, real proofs and a real chain:
 * - a claim the pool cannot pay yet is held (`waiting_for_funds`) and sent by itself once members
 *   pay in, in the order claims were accepted;
 * - a held or recoverably failed claim is replaced by the member's newer proof for the same
 *   nullifier, and only one of them is ever paid; a final failure stays final;
 * - a broken body for a member's nullifier, sent just before or streamed alongside the member's
 *   valid one from another client, never refuses the valid one.
 */
import { type Address, createWalletClient, http } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callFrom, type LoopbackReply } from "../../scripts/lib/loopback.ts";
import { DEV_ROLES, devAccount, joinMembers, type RelayerProcess, spawnRelayer } from "../../scripts/lib/stack.ts";
import {
  type Approval,
  buildClaim,
  createIdentity,
  huzhuPoolAbi,
  type Identity,
  randomFieldElement,
  releaseProver,
  requestToJson,
  signApproval,
} from "../../service/sdk/index.ts";
import { claimArtifacts } from "../../service/sdk/node.ts";
import { RelayerClient } from "../../service/sdk/relayer-client.ts";
import {
  claimStatus,
  getQuote,
  paidEvents,
  postClaim,
  type Quote,
  relayerEnv,
  type Stack,
  startStack,
  tokenBalance,
  until,
  waitForStatus,
} from "../../testkit/relayer-stack.ts";

const DUSD = 1_000_000n;
let stack: Stack;
const running: RelayerProcess[] = [];
/** Development accounts 2-4 paid for the stack's members; each top-up below pays from a new one. */
let nextPayer = 5;

async function relayer(extra: Record<string, string> = {}): Promise<RelayerProcess> {
  const process = await spawnRelayer(relayerEnv(stack, { HUZHU_LOG_LEVEL: "info", ...extra }));
  running.push(process);
  return process;
}

const recipient = (n: number) => `0x${n.toString(16).padStart(40, "0")}` as Address;

function approvalFor(member: Identity, amount: bigint): Approval {
  return signApproval(stack.deployment.assessor, {
    commitment: member.commitment,
    planId: 1n,
    eventId: randomFieldElement(),
    amount,
    expiresAtEpoch: 1000n,
  });
}

/** A claim body proving `approval` for `to`, with the relayer's quote. */
async function claimBody(member: Identity, approval: Approval, quote: Quote, to: Address) {
  const built = await buildClaim(
    { client: stack.client, pool: stack.pool, fromBlock: BigInt(stack.deployment.record.deployBlock) },
    {
      identity: member,
      approval,
      recipient: to,
      relayer: quote.quote.relayer as Address,
      fee: BigInt(quote.quote.fee),
      artifacts: claimArtifacts(),
    },
  );
  return { quote: quote.quote, quoteSignature: quote.signature, request: requestToJson(built.request), proof: built.proof };
}

type Body = Awaited<ReturnType<typeof claimBody>>;

/** The same body with its proof broken (a valid field element, but not the proof's). */
function broken(body: Body, n: number): Body {
  const pi_a = [...body.proof.pi_a];
  pi_a[0] = (BigInt(pi_a[0] as string) + BigInt(n)).toString();
  return { ...body, proof: { ...body.proof, pi_a } };
}

/** The plan's balance, as the pool's books give it. */
async function planBalance(): Promise<bigint> {
  const books = await stack.client.readContract({ address: stack.pool, abi: huzhuPoolAbi, functionName: "books", args: [1n] });
  return books.contributed - books.paidOut - books.fees;
}

/** A new member joins and pays `periods` periods into the plan. */
async function payIn(periods: number): Promise<void> {
  await joinMembers(stack.chain.rpcUrl, stack.deployment.record, [createIdentity()], periods, nextPayer++);
}

beforeAll(async () => {
  stack = await startStack(3);
}, 180_000);

afterAll(async () => {
  for (const process of running) await process.stop("SIGKILL");
  await stack?.chain.stop();
  await releaseProver();
});

describe("claims held for funds", () => {
  it("holds a claim the pool cannot pay yet and sends it by itself, in acceptance order, once members pay in", async () => {
    const node = await relayer();
    try {
      const balance = await planBalance();
      // Two claims that together exceed the plan's balance, and a small one accepted after them.
      const big = (balance * 2n) / 3n;
      const quote = await getQuote(node.url, big);
      const [a, b] = [stack.members[0] as Identity, stack.members[1] as Identity];
      const first = await claimBody(a, approvalFor(a, big), quote, recipient(0xe1));
      const second = await claimBody(b, approvalFor(b, big), quote, recipient(0xe2));
      const acceptedFirst = await postClaim(node.url, first);
      const acceptedSecond = await postClaim(node.url, second);
      expect([acceptedFirst.status, acceptedSecond.status]).toEqual([202, 202]);
      const paidFirst = await waitForStatus(node.url, acceptedFirst.body.id as string, ["confirmed", "failed"]);
      expect(paidFirst.status).toBe("confirmed");
      const held = await waitForStatus(node.url, acceptedSecond.body.id as string, ["waiting_for_funds", "failed", "confirmed"]);
      expect(held).toMatchObject({ status: "waiting_for_funds", code: "INSUFFICIENT_POOL_FUNDS" });
      expect(held.reason).toContain("HuzhuPool__InsufficientPoolFunds");
      const heldUntil = Date.parse((held as { heldUntil?: string }).heldUntil ?? "");
      expect(heldUntil).toBe(quote.quote.expiresAt * 1000);

      // The small claim could be paid now, but it waits behind the older held one.
      const small = 5n * DUSD;
      const smallQuote = await getQuote(node.url, small);
      const c = stack.members[2] as Identity;
      const third = await claimBody(c, approvalFor(c, small), smallQuote, recipient(0xe3));
      const acceptedThird = await postClaim(node.url, third);
      expect(acceptedThird.status).toBe(202);
      const waiting = await waitForStatus(node.url, acceptedThird.body.id as string, ["waiting_for_funds", "submitted", "confirmed"]);
      expect(waiting).toMatchObject({ status: "waiting_for_funds", reason: "waiting behind older held claims of this plan" });
      expect(await claimStatus(node.url, acceptedSecond.body.id as string)).toMatchObject({ status: "waiting_for_funds" });
      // The plan's queue, for members and donors: two claims, what they ask in all, when the first lapses.
      const relayerClient = new RelayerClient(node.url);
      expect(await relayerClient.heldClaims(1n)).toEqual({
        planId: 1n,
        claims: 2,
        amount: big + small,
        firstExpiresAt: new Date(Math.min(quote.quote.expiresAt, smallQuote.quote.expiresAt) * 1000).toISOString(),
      });
      expect(await relayerClient.heldClaims(2n)).toEqual({ planId: 2n, claims: 0, amount: 0n, firstExpiresAt: undefined });
      const badPlan = await fetch(`${node.url}/v1/plans/0/held`);
      expect(badPlan.status).toBe(400);
      expect(((await badPlan.json()) as { code: string }).code).toBe("INVALID_BODY");

      // Members pay in: both are sent by themselves, the older first.
      await payIn(Number((big / 10n / DUSD) * 2n));
      const paidSecond = await waitForStatus(node.url, acceptedSecond.body.id as string, ["confirmed", "failed"]);
      const paidThird = await waitForStatus(node.url, acceptedThird.body.id as string, ["confirmed", "failed"]);
      expect([paidSecond.status, paidThird.status]).toEqual(["confirmed", "confirmed"]);
      const [txSecond, txThird] = await Promise.all(
        [paidSecond, paidThird].map((s) => stack.client.getTransaction({ hash: s.txHash as `0x${string}` })),
      );
      expect((txSecond?.nonce ?? 0) < (txThird?.nonce ?? 0)).toBe(true);
      for (const body of [first, second, third]) expect(await paidEvents(stack, body.request.nullifier)).toHaveLength(1);
      expect(await tokenBalance(stack, recipient(0xe2))).toBe(big - BigInt(quote.quote.fee));
      const metrics = await (await fetch(`${node.url}/metrics`)).text();
      expect(metrics).toContain('huzhu_relayer_claims_unfinished{status="waiting_for_funds"} 0');
      expect(await new RelayerClient(node.url).heldClaims(1n)).toMatchObject({ claims: 0, amount: 0n });
    } finally {
      await node.stop();
    }
  });

  it("lets a member replace a held claim with a newer proof for the same nullifier, and pays only the newer one", async () => {
    const node = await relayer();
    try {
      const amount = (await planBalance()) + 50n * DUSD;
      const quote = await getQuote(node.url, amount);
      const member = stack.members[0] as Identity;
      const approval = approvalFor(member, amount);
      const older = await claimBody(member, approval, quote, recipient(0xf1));
      const accepted = await postClaim(node.url, older);
      expect(accepted.status).toBe(202);
      const id = accepted.body.id as string;
      await waitForStatus(node.url, id, ["waiting_for_funds"]);
      // The same body again is a duplicate of the held claim.
      expect(await postClaim(node.url, older)).toEqual({ status: 200, body: { id, status: "waiting_for_funds", duplicate: true } });

      // A newer proof for the same loss (same approval, so the same nullifier) to another address.
      const newer = await claimBody(member, approval, quote, recipient(0xf2));
      expect(newer.request.nullifier).toBe(older.request.nullifier);
      const replaced = await postClaim(node.url, newer);
      expect(replaced).toEqual({ status: 202, body: { id, status: "queued", replaced: true } });
      const again = await waitForStatus(node.url, id, ["waiting_for_funds"]);
      expect(again).toMatchObject({ recipient: recipient(0xf2), replacements: 1 });

      await payIn(Number(amount / 10n / DUSD) + 1);
      const done = await waitForStatus(node.url, id, ["confirmed", "failed"]);
      expect(done).toMatchObject({ status: "confirmed", recipient: recipient(0xf2) });
      expect(await paidEvents(stack, older.request.nullifier)).toHaveLength(1);
      expect(await tokenBalance(stack, recipient(0xf1))).toBe(0n);
      expect(await tokenBalance(stack, recipient(0xf2))).toBe(amount - BigInt(quote.quote.fee));
      // Paid: any further body for the nullifier is a duplicate of the paid claim, never a second payout.
      const late = await claimBody(member, approval, await getQuote(node.url, amount), recipient(0xf3));
      expect(await postClaim(node.url, late)).toEqual({ status: 200, body: { id, status: "confirmed", duplicate: true } });
    } finally {
      await node.stop();
    }
  });

  it("fails a held claim with HOLD_EXPIRED when its quote runs out, and a proof with a fresh quote replaces it", async () => {
    // Long enough for the proof to be made under the quote on a loaded machine, short enough to run out here.
    const node = await relayer({ HUZHU_QUOTE_TTL_SECONDS: "20" });
    try {
      const amount = (await planBalance()) + 20n * DUSD;
      const member = stack.members[1] as Identity;
      const approval = approvalFor(member, amount);
      const quote = await getQuote(node.url, amount);
      const accepted = await postClaim(node.url, await claimBody(member, approval, quote, recipient(0xf4)));
      const id = accepted.body.id as string;
      const held = await waitForStatus(node.url, id, ["waiting_for_funds"]);
      expect(Date.parse((held as { heldUntil?: string }).heldUntil ?? "")).toBe(quote.quote.expiresAt * 1000);
      const expired = await waitForStatus(node.url, id, ["failed"], 60_000);
      expect(expired).toMatchObject({ status: "failed", code: "HOLD_EXPIRED", final: false });
      expect(expired.reason).toContain("prove again with a fresh quote and send the new proof: it replaces this claim");

      const fresh = await claimBody(member, approval, await getQuote(node.url, amount), recipient(0xf5));
      expect(await postClaim(node.url, fresh)).toEqual({ status: 202, body: { id, status: "queued", replaced: true } });
      await payIn(Number(amount / 10n / DUSD) + 1);
      const done = await waitForStatus(node.url, id, ["confirmed", "failed"]);
      expect(done).toMatchObject({ status: "confirmed", recipient: recipient(0xf5), replacements: 1 });
      expect(await paidEvents(stack, fresh.request.nullifier)).toHaveLength(1);
    } finally {
      await node.stop();
    }
  });
});

describe("one body never decides another's fate", () => {
  it("accepts a valid body sent 20 ms after a broken one for the same nullifier", async () => {
    const node = await relayer();
    try {
      const member = stack.members[2] as Identity;
      const quote = await getQuote(node.url, 2n * DUSD);
      const valid = await claimBody(member, approvalFor(member, 2n * DUSD), quote, recipient(0xa1));
      const bad = postClaim(node.url, broken(valid, 1));
      await new Promise((resolve) => setTimeout(resolve, 20));
      const good = postClaim(node.url, valid);
      const [badReply, goodReply] = await Promise.all([bad, good]);
      expect(badReply).toMatchObject({ status: 422, body: { code: "INVALID_PROOF" } });
      expect(goodReply.status).toBe(202);
      expect((await waitForStatus(node.url, goodReply.body.id as string, ["confirmed", "failed"])).status).toBe("confirmed");
    } finally {
      await node.stop();
    }
  });

  it("accepts the member's valid body on its first try while another client streams broken bodies for its nullifier", async () => {
    const node = await relayer();
    try {
      const member = stack.members[0] as Identity;
      const quote = await getQuote(node.url, 3n * DUSD);
      const valid = await claimBody(member, approvalFor(member, 3n * DUSD), quote, recipient(0xa2));
      // The attacker streams broken bodies, four at a time, from its own address.
      const replies: LoopbackReply[] = [];
      let streaming = true;
      let sent = 0;
      const lanes = Array.from({ length: 4 }, async () => {
        while (streaming && sent < 400) {
          sent += 1;
          replies.push(await callFrom(`${node.url}/v1/claims`, "POST", broken(valid, sent), "127.0.0.2"));
        }
      });
      await until(
        async () => replies.length,
        (n) => n >= 20,
        "the attacker's first replies",
      );
      const member1 = await callFrom(`${node.url}/v1/claims`, "POST", valid, "127.0.0.1");
      streaming = false;
      await Promise.all(lanes);
      expect(member1.status).toBe(202);
      // The attacker's proofs were verified until its budget ran out, then refused unverified.
      const invalid = replies.filter((r) => r.body.code === "INVALID_PROOF").length;
      const refused = replies.filter((r) => r.status === 429 && r.body.code === "TOO_MANY_INVALID_PROOFS");
      // Checks in progress count against the budget, so even four at a time cannot overrun it.
      expect(invalid).toBeLessThanOrEqual(10);
      // Once the member's claim is stored, a broken body is a duplicate of it and costs no check at all.
      const duplicates = replies.filter((r) => r.status === 200 && r.body.duplicate === true && r.body.id === member1.body.id);
      expect(refused.length + invalid + duplicates.length).toBe(replies.length);
      expect(refused[0]?.body.message).toMatch(
        /^\d+ proofs from this client failed verification in the last minute; no more are checked for \d+ s/,
      );
      expect((await waitForStatus(node.url, member1.body.id as string, ["confirmed", "failed"])).status).toBe("confirmed");
      expect(node.output()).not.toContain("127.0.0.2");
    } finally {
      await node.stop();
    }
  });
});

describe("a paused plan or pool at the relayer", () => {
  /** The plan's admin and the pool's pauser (both development account 0 here) send `functionName`. */
  async function asAdmin(functionName: "setPlanActive" | "pause" | "unpause", args: readonly unknown[] = []): Promise<void> {
    const admin = createWalletClient({ account: devAccount(DEV_ROLES.admin).account, transport: http(stack.chain.rpcUrl) });
    const hash = await admin.writeContract({ address: stack.pool, abi: huzhuPoolAbi, functionName, args: args as never, chain: null });
    expect((await stack.client.waitForTransactionReceipt({ hash })).status).toBe("success");
  }

  it("refuses a claim while its plan is paused (PLAN_INACTIVE) or the pool is (POOL_PAUSED), saying so in the catalogue's words, and takes it once both run again", async () => {
    await payIn(1);
    const node = await relayer();
    const member = stack.members[1] as Identity;
    const body = await claimBody(member, approvalFor(member, 2n * DUSD), await getQuote(node.url, 2n * DUSD), recipient(0xba05e));

    await asAdmin("setPlanActive", [1n, false]);
    const planPaused = await postClaim(node.url, body);
    expect(planPaused.status).toBe(422);
    expect(planPaused.body).toMatchObject({
      code: "PLAN_INACTIVE",
      message: "plan 1 is paused by its admin; it takes no payments or claims until it is resumed: try again then",
    });
    await asAdmin("setPlanActive", [1n, true]);

    await asAdmin("pause");
    const poolPaused = await postClaim(node.url, body);
    expect(poolPaused.status).toBe(422);
    expect(poolPaused.body).toMatchObject({
      code: "POOL_PAUSED",
      message: "the whole pool is paused by its pauser; try again once it is unpaused",
    });
    await asAdmin("unpause");

    // Neither refusal stored the claim or spent anything: the same body is taken and paid.
    const accepted = await postClaim(node.url, body);
    expect(accepted.status).toBe(202);
    expect((await waitForStatus(node.url, accepted.body.id as string, ["confirmed", "failed"])).status).toBe("confirmed");
    expect(await paidEvents(stack, body.request.nullifier)).toHaveLength(1);
  });
});
