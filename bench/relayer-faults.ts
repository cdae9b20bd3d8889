/**
 * Relayer fault handling against a Hardhat node on 127.0.0.1 and relayer processes of its own,
 * with real claims and real proofs:
 *
 * - broken bodies for a member's nullifier streamed from another client while the member submits
 *   the valid body: how often the member's first post is accepted;
 * - a verifier process SIGKILLed while claims are being checked: how long until the relayer runs
 *   its full verifier capacity again (beside the start-up and warm-up of one fresh verifier
 *   process), and how many submissions never got an answer;
 * - a claim the plan cannot pay yet (held, `waiting_for_funds`): how long after a join brings the
 *   funds it is paid and confirmed.
 *
 * Runs alone with `node bench/relayer-faults.ts`.
 */

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import type { Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { callFrom, type LoopbackReply, verifierPids } from "../scripts/lib/loopback.ts";
import {
  deployLocal,
  devAccount,
  freePort,
  joinMembers,
  type LocalDeployment,
  publicClientFor,
  type RelayerProcess,
  spawnRelayer,
  startChain,
} from "../scripts/lib/stack.ts";
import { ProofVerifier } from "../service/relayer/verifier.ts";
import { BN254_BASE_FIELD } from "../service/sdk/constants.ts";
import {
  type AssessorKey,
  buildClaim,
  createIdentity,
  type Identity,
  randomFieldElement,
  readPlan,
  requestToJson,
  SNARK_SCALAR_FIELD,
  signApproval,
} from "../service/sdk/index.ts";
import { claimArtifacts } from "../service/sdk/node.ts";
import type { ClaimBody, ClaimReply, QuoteReply } from "../service/sdk/relayer-wire.ts";
import { type BenchEntry, entry, median, runAlone } from "./stats.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Broken-stream trials (each with a fresh claim), and the bound of each stream. */
const STREAM_TRIALS = 5;
const STREAM_MAX_MS = 3_000;
const STREAM_MAX_REQUESTS = 500;
const STREAM_CONNECTIONS = 4;
/** When the member posts, after the broken stream started, per trial (ms). */
const STREAM_MEMBER_DELAYS = [0, 20, 50, 100, 250];
/** Verifier-kill repetitions, claims submitted in each, and the verifier processes of the relayer. */
const KILL_REPS = 3;
const KILL_CLAIMS = 8;
const KILL_THREADS = 2;
const SUBMIT_TIMEOUT_MS = 20_000;
/** Held-claim repetitions and the relayer's polling interval there. */
const HELD_REPS = 3;
const HELD_POLL_MS = 100;
const DUSD = 1_000_000n;

type Answer = LoopbackReply<{ id?: string; status?: string; code?: string; message?: string; duplicate?: boolean }>;

/** A claim body as the relayer takes it (the SDK's wire schema). */
type ClaimBodyJson = ClaimBody;

/** Affine point addition on BN254's G1 (y^2 = x^3 + 3 over the base field); P != +-Q. */
function g1Add(p: [bigint, bigint], q: [bigint, bigint]): [bigint, bigint] {
  const m = BN254_BASE_FIELD;
  const mod = (a: bigint) => ((a % m) + m) % m;
  const inv = (a: bigint) => {
    let result = 1n;
    let base = mod(a);
    let e = m - 2n;
    while (e > 0n) {
      if (e & 1n) result = (result * base) % m;
      base = (base * base) % m;
      e >>= 1n;
    }
    return result;
  };
  const lambda = mod((q[1] - p[1]) * inv(q[0] - p[0]));
  const x = mod(lambda * lambda - p[0] - q[0]);
  return [x, mod(lambda * (p[0] - x) - p[1])];
}

/**
 * Endless broken copies of a valid body: the same quote and request, pi_a replaced by another
 * point of the curve (pi_a + kG, so every copy is a different body, passes every check before
 * verification and costs the relayer a full pairing check).
 */
function* brokenBodies(body: ClaimBodyJson): Generator<ClaimBodyJson> {
  let point: [bigint, bigint] = [BigInt(body.proof.pi_a[0] as string), BigInt(body.proof.pi_a[1] as string)];
  for (;;) {
    point = g1Add(point, [1n, 2n]);
    if (point[0] >= SNARK_SCALAR_FIELD || point[1] >= SNARK_SCALAR_FIELD) continue;
    yield { ...body, proof: { ...body.proof, pi_a: [point[0].toString(), point[1].toString(), "1"] } };
  }
}

interface Ready {
  ready?: boolean;
  verifiers?: { alive: number; configured: number; restarts: number };
}

async function ready(url: string): Promise<Ready> {
  try {
    const reply = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(2_000) });
    return (await reply.json()) as Ready;
  } catch {
    return {};
  }
}

/** A claim's status as the relayer reports it (the SDK's wire schema). */
type ClaimStatusJson = ClaimReply;

async function claimStatus(url: string, id: string): Promise<ClaimStatusJson | undefined> {
  try {
    const reply = await fetch(`${url}/v1/claims/${id}`, { signal: AbortSignal.timeout(5_000) });
    if (reply.status !== 200) return undefined;
    return (await reply.json()) as ClaimStatusJson;
  } catch {
    return undefined;
  }
}

/** Polls a claim until `done` holds for its status or the deadline passes; the last status seen either way. */
async function waitStatus(
  url: string,
  id: string,
  done: (status: ClaimStatusJson) => boolean,
  timeoutMs: number,
  intervalMs: number,
): Promise<{ status: ClaimStatusJson | undefined; reached: boolean }> {
  const deadline = performance.now() + timeoutMs;
  let last: ClaimStatusJson | undefined;
  for (;;) {
    last = (await claimStatus(url, id)) ?? last;
    if (last && done(last)) return { status: last, reached: true };
    if (last?.status === "failed" || performance.now() > deadline) return { status: last, reached: false };
    await sleep(intervalMs);
  }
}

/** Makes real claims: a fresh approval, a quote from the relayer, a proof over the chain's trees. */
function claimMaker(deployment: LocalDeployment) {
  const { record, assessor } = deployment;
  const client = publicClientFor(record.rpcUrl);
  const ref = { client, pool: record.pool, fromBlock: BigInt(record.deployBlock) };
  let made = 0;
  return {
    ref,
    async make(relayerUrl: string, member: Identity, amount: bigint, key: AssessorKey = assessor): Promise<ClaimBodyJson> {
      made += 1;
      const quoteReply = await fetch(`${relayerUrl}/v1/quote`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ planId: "1", amount: amount.toString() }),
        signal: AbortSignal.timeout(10_000),
      });
      const quote = (await quoteReply.json()) as QuoteReply & { message?: string };
      if (quoteReply.status !== 200) throw new Error(`quote refused: ${quoteReply.status} ${quote.message}`);
      const approval = signApproval(key, {
        commitment: member.commitment,
        planId: 1n,
        eventId: randomFieldElement(),
        amount,
        expiresAtEpoch: 1000n,
      });
      const recipient = privateKeyToAccount(`0x${(made + 5000).toString(16).padStart(64, "0")}` as Hex).address;
      const built = await buildClaim(ref, {
        identity: member,
        approval,
        recipient,
        relayer: quote.quote.relayer,
        fee: BigInt(quote.quote.fee),
        artifacts: claimArtifacts(),
      });
      return {
        quote: quote.quote,
        quoteSignature: quote.signature,
        request: requestToJson(built.request),
        proof: built.proof as unknown as ClaimBodyJson["proof"],
      };
    },
  };
}

export interface RelayerFaultsBenchResult {
  entries: BenchEntry[];
  table: string;
}

export async function benchRelayerFaults(log: Logger): Promise<RelayerFaultsBenchResult> {
  const running: RelayerProcess[] = [];
  const launch = async (env: Record<string, string>) => {
    const relayer = await spawnRelayer(env);
    running.push(relayer);
    return relayer;
  };
  const stopRelayer = async (relayer: RelayerProcess) => {
    await relayer.stop();
    running.splice(running.indexOf(relayer), 1);
  };
  const relayerEnv = (record: LocalDeployment["record"], extra: Record<string, string> = {}) => ({
    HUZHU_RPC_URL: record.rpcUrl,
    HUZHU_RELAYER_KEY: devAccount(1).privateKey,
    HUZHU_POOL: record.pool,
    HUZHU_FROM_BLOCK: String(record.deployBlock),
    HUZHU_RELAYER_PORT: "0",
    HUZHU_RELAYER_DATA_DIR: mkdtempSync(join(tmpdir(), "huzhu-bench-faults-")),
    HUZHU_POLL_INTERVAL_MS: "200",
    HUZHU_LOG_LEVEL: "info", // spawnRelayer waits for the "relayer listening" line
    ...extra,
  });

  // Anchor of the recovery time: one fresh verifier process started and warmed (median of 3).
  log.info("relayer faults: start and warm-up of a fresh verifier process");
  const warmMs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const verifier = new ProofVerifier(undefined, { threads: 1 });
    const t = performance.now();
    await verifier.warm();
    warmMs.push(performance.now() - t);
    await verifier.close();
  }
  const warmMedian = median(warmMs);

  let chain = await startChain(await freePort());
  try {
    const deployment = await deployLocal(chain.rpcUrl);
    const { record } = deployment;
    log.info("relayer faults: 8 members join");
    const members: Identity[] = Array.from({ length: 8 }, () => createIdentity());
    await joinMembers(chain.rpcUrl, record, members, 1000);
    const claims = claimMaker(deployment);

    // 1. A stream of broken bodies for the member's nullifier from another client while the member posts the valid body.
    const relayer = await launch(relayerEnv(record, { HUZHU_RATE_LIMIT_PER_MINUTE: "600" }));
    const streamStatus = new Map<string, number>();
    const memberFirst: Array<{ status: number; code?: string; message?: string; ms: number }> = [];
    let streamRequests = 0;
    /** Broken bodies the relayer verified (422 INVALID_PROOF) per trial: the budget is 10 per client. */
    const invalidPerTrial: number[] = [];
    for (let trial = 0; trial < STREAM_TRIALS; trial++) {
      const member = members[trial % members.length] as Identity;
      const body = await claims.make(relayer.url, member, DUSD);
      const broken = brokenBodies(body);
      // A fresh attacker address per trial: each trial's stream has the full invalid-proof budget.
      const attacker = `127.0.0.${2 + trial}`;
      const started = performance.now();
      let sent = 0;
      const trialStatus = new Map<string, number>();
      let memberAnswered: number | undefined;
      let firstSent: () => void = () => {};
      const streaming = new Promise<void>((resolve) => {
        firstSent = resolve;
      });
      const stream = Promise.all(
        Array.from({ length: STREAM_CONNECTIONS }, async () => {
          while (sent < STREAM_MAX_REQUESTS && performance.now() - started < STREAM_MAX_MS) {
            sent += 1;
            const pending = callFrom<Answer["body"]>(`${relayer.url}/v1/claims`, "POST", broken.next().value, attacker, 10_000);
            firstSent();
            const reply = await pending.catch(() => ({ status: 0, body: {} as Answer["body"], ms: 0 }));
            const key = `${reply.status}${reply.body.code ? ` ${reply.body.code}` : reply.body.duplicate ? " duplicate" : ""}`;
            streamStatus.set(key, (streamStatus.get(key) ?? 0) + 1);
            trialStatus.set(key, (trialStatus.get(key) ?? 0) + 1);
            // Broken bodies answered before the member's post got its answer.
            if (memberAnswered === undefined) trialStatus.set("before member", (trialStatus.get("before member") ?? 0) + 1);
          }
        }),
      );
      await streaming;
      await sleep(STREAM_MEMBER_DELAYS[trial % STREAM_MEMBER_DELAYS.length] as number);
      const postedAt = performance.now() - started;
      const first = await callFrom<Answer["body"]>(`${relayer.url}/v1/claims`, "POST", body, "127.0.0.1").catch((error: Error) => ({
        status: 0,
        body: { message: error.message } as Answer["body"],
        ms: 0,
      }));
      memberAnswered = performance.now() - started;
      memberFirst.push({ status: first.status, code: first.body.code, message: first.body.message, ms: first.ms });
      await stream;
      streamRequests += sent;
      invalidPerTrial.push(trialStatus.get("422 INVALID_PROOF") ?? 0);
      if (first.status !== 202)
        log.warn({ trial, status: first.status, reply: first.body }, "relayer faults: the member's first post was not accepted");
      else {
        const paid = await waitStatus(relayer.url, first.body.id as string, (s) => s.status === "confirmed", 60_000, 100);
        if (!paid.reached) log.warn({ trial, status: paid.status }, "relayer faults: the member's claim was not confirmed");
      }
      log.info(
        {
          trial: trial + 1,
          of: STREAM_TRIALS,
          member: first.status,
          memberPostedAtMs: Math.round(postedAt),
          memberMs: Math.round(first.ms),
          streamRequests: sent,
          stream: Object.fromEntries(trialStatus),
        },
        "relayer faults: broken stream trial",
      );
    }
    const acceptedFirst = memberFirst.filter((m) => m.status === 202).length;
    await stopRelayer(relayer);

    // 2. A verifier process SIGKILLed while claims are being checked.
    const recoveryMs: number[] = [];
    let unanswered = 0;
    let retried503 = 0;
    let unconfirmed = 0;
    /** Checks the killed process held, moved to the other one (from the relayer's warning line). */
    let movedChecks = 0;
    const otherReplies = new Map<string, number>();
    let made = 0;
    for (let rep = 0; rep < KILL_REPS; rep++) {
      const killRelayer = await launch(
        relayerEnv(record, { HUZHU_VERIFY_THREADS: String(KILL_THREADS), HUZHU_RATE_LIMIT_PER_MINUTE: "100000" }),
      );
      log.info({ rep: rep + 1, of: KILL_REPS, claims: KILL_CLAIMS }, "relayer faults: proving claims for the verifier kill");
      const bodies: ClaimBodyJson[] = [];
      for (let i = 0; i < KILL_CLAIMS; i++)
        bodies.push(await claims.make(killRelayer.url, members[made++ % members.length] as Identity, DUSD));
      let before = await ready(killRelayer.url);
      for (let tries = 0; before.verifiers?.alive !== KILL_THREADS && tries < 250; tries++) {
        await sleep(20);
        before = await ready(killRelayer.url);
      }
      const restartsBefore = before.verifiers?.restarts ?? 0;
      const pids = verifierPids(killRelayer.child.pid as number);
      if (pids.length !== KILL_THREADS) throw new Error(`found ${pids.length} verifier processes of the relayer, expected ${KILL_THREADS}`);
      const quoteStage = async () => {
        const text = await (await fetch(`${killRelayer.url}/metrics`, { signal: AbortSignal.timeout(2_000) })).text();
        return Number(/huzhu_relayer_accept_stage_seconds_count\{stage="quote"\} (\d+)/.exec(text)?.[1] ?? 0);
      };
      const quotesBefore = await quoteStage();

      const ids: Array<string | undefined> = [];
      const submissions = bodies.map(async (body, i) => {
        for (let attempt = 0; attempt < 100; attempt++) {
          let reply: Response;
          try {
            reply = await fetch(`${killRelayer.url}/v1/claims`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify(body),
              signal: AbortSignal.timeout(SUBMIT_TIMEOUT_MS),
            });
          } catch (error) {
            unanswered += 1;
            log.warn({ claim: i, err: (error as Error).message }, "relayer faults: a submission got no answer");
            return;
          }
          const answer = (await reply.json().catch(() => ({}))) as Answer["body"];
          if (reply.status === 503 && answer.code === "VERIFIER_UNAVAILABLE") {
            retried503 += 1;
            await sleep(200);
            continue;
          }
          if (reply.status !== 202 && reply.status !== 200) {
            const key = `${reply.status} ${answer.code}`;
            otherReplies.set(key, (otherReplies.get(key) ?? 0) + 1);
            log.warn({ claim: i, status: reply.status, reply: answer }, "relayer faults: a submission was refused");
          }
          ids[i] = answer.id;
          return;
        }
      });
      // SIGKILL one verifier process as soon as the first claim has reached verification (past the quote stage).
      for (let polls = 0; polls < 500 && (await quoteStage()) === quotesBefore; polls++) await sleep(2);
      const victim = pids[rep % pids.length] as number;
      const killed = performance.now();
      process.kill(victim, "SIGKILL");
      let recovered: number | undefined;
      while (performance.now() - killed < 60_000) {
        const state = await ready(killRelayer.url);
        const v = state.verifiers;
        if (v && v.alive === v.configured && v.restarts > restartsBefore) {
          recovered = performance.now() - killed;
          break;
        }
        await sleep(20);
      }
      await Promise.all(submissions);
      if (recovered === undefined) log.warn({ rep }, "relayer faults: the verifier pool did not recover within 60 s");
      else recoveryMs.push(recovered);
      // Every claim must end paid; one whose submission got no answer is looked up by sending it again.
      for (const [i, body] of bodies.entries()) {
        let id = ids[i];
        if (id === undefined) {
          const again = await callFrom<Answer["body"]>(`${killRelayer.url}/v1/claims`, "POST", body, "127.0.0.1").catch(() => undefined);
          id = again?.body.id;
        }
        const paid = id ? await waitStatus(killRelayer.url, id, (s) => s.status === "confirmed", 60_000, 100) : undefined;
        if (!paid?.reached) {
          unconfirmed += 1;
          log.warn({ rep, claim: i, status: paid?.status }, "relayer faults: a claim was not confirmed after the verifier kill");
        }
      }
      log.info(
        { rep: rep + 1, of: KILL_REPS, recoveryMs: recovered === undefined ? null : Math.round(recovered), unanswered, retried503 },
        "relayer faults: verifier killed",
      );
      movedChecks += Number(/"checksMoved":(\d+)/.exec(killRelayer.output())?.[1] ?? 0);
      await stopRelayer(killRelayer);
    }

    // 3. A claim the plan cannot pay yet, paid once a join brings the funds (a fresh chain: a small pool).
    await chain.stop();
    chain = await startChain(await freePort());
    const small = await deployLocal(chain.rpcUrl);
    const smallClaims = claimMaker(small);
    log.info("relayer faults: 2 members join for one period each (a small plan balance)");
    const smallMembers: Identity[] = [createIdentity(), createIdentity()];
    await joinMembers(chain.rpcUrl, small.record, smallMembers, 1);
    const heldRelayer = await launch(
      relayerEnv(small.record, { HUZHU_POLL_INTERVAL_MS: String(HELD_POLL_MS), HUZHU_RATE_LIMIT_PER_MINUTE: "100000" }),
    );
    const paidAfterMs: number[] = [];
    const heldSeen: string[] = [];
    let nextAccount = 4;
    for (let rep = 0; rep < HELD_REPS; rep++) {
      const balance = (await readPlan(smallClaims.ref, 1n)).balance;
      const amount = balance + DUSD;
      const body = await smallClaims.make(heldRelayer.url, smallMembers[rep % smallMembers.length] as Identity, amount);
      const posted = await callFrom<Answer["body"]>(`${heldRelayer.url}/v1/claims`, "POST", body, "127.0.0.1");
      if (posted.status !== 202 || !posted.body.id) {
        log.warn({ rep, status: posted.status, reply: posted.body }, "relayer faults: a claim over the plan's balance was not accepted");
        heldSeen.push(`${posted.status} ${posted.body.code ?? ""}`.trim());
        continue;
      }
      const id = posted.body.id;
      const held = await waitStatus(heldRelayer.url, id, (s) => s.status === "waiting_for_funds", 20_000, 20);
      heldSeen.push(held.status ? `${held.status.status}${held.status.code ? ` ${held.status.code}` : ""}` : "no status");
      if (!held.reached || held.status?.code !== "INSUFFICIENT_POOL_FUNDS" || !held.status.heldUntil) {
        log.warn({ rep, status: held.status }, "relayer faults: the claim over the plan's balance was not held as described");
        if (!held.reached) continue;
      }
      // One period (10 dUSD) from a fresh member covers the 1 dUSD shortage.
      await joinMembers(chain.rpcUrl, small.record, [createIdentity()], 1, nextAccount++);
      const joined = performance.now();
      const paid = await waitStatus(heldRelayer.url, id, (s) => s.status === "confirmed", 60_000, 20);
      if (!paid.reached) {
        log.warn({ rep, status: paid.status }, "relayer faults: the held claim was not confirmed after the join");
        continue;
      }
      paidAfterMs.push(performance.now() - joined);
      log.info(
        { rep: rep + 1, of: HELD_REPS, amount: amount.toString(), paidAfterMs: Math.round(performance.now() - joined) },
        "relayer faults: held claim paid",
      );
    }
    await stopRelayer(heldRelayer);

    const nan = (samples: number[]) => (samples.length > 0 ? median(samples) : Number.NaN);
    const recoveryMedian = nan(recoveryMs);
    const paidMedian = nan(paidAfterMs);
    const entries = [
      entry("relayer.brokenStream.validAcceptedFirstTry", acceptedFirst / STREAM_TRIALS, "fraction"),
      entry("relayer.workerKill.recoveryMs", recoveryMedian, "ms", warmMedian),
      entry("relayer.workerKill.unanswered", unanswered, "count"),
      entry("relayer.heldClaim.paidAfterFundsMs", paidMedian, "ms", HELD_POLL_MS),
    ];
    const f = (x: number, d = 0) => (Number.isNaN(x) ? "n/a" : x.toLocaleString("en-US", { maximumFractionDigits: d }));
    const range = (samples: number[]) => (samples.length > 0 ? `${f(Math.min(...samples))}-${f(Math.max(...samples))} ms` : "no samples");
    const statusList = (counts: Map<string, number>) =>
      [...counts.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([s, n]) => `${n} x ${s}`)
        .join(", ") || "none";
    const heldCounts = new Map<string, number>();
    for (const seen of heldSeen) heldCounts.set(seen, (heldCounts.get(seen) ?? 0) + 1);
    const memberMs = memberFirst.filter((m) => m.status === 202).map((m) => m.ms);
    const table = [
      "| measure | value | beside |",
      "| --- | ---: | --- |",
      `| broken bodies for the member's nullifier streamed from another address (${STREAM_CONNECTIONS} connections, up to ${STREAM_MAX_REQUESTS} requests or ${STREAM_MAX_MS / 1000} s per trial; ${streamRequests} requests: ${statusList(streamStatus)}): member's first post accepted (202) | ${acceptedFirst} / ${STREAM_TRIALS} | member's post answered in ${memberMs.length > 0 ? `${f(median(memberMs))} ms (median)` : "n/a"}; broken proofs verified per trial ${invalidPerTrial.join(", ")} (budget 10 per client); goal ${STREAM_TRIALS} / ${STREAM_TRIALS} |`,
      `| a verifier process SIGKILLed while ${KILL_CLAIMS} claims are checked (${KILL_THREADS} processes): until \`/ready\` reports them all alive again, median of ${recoveryMs.length} (range) | ${f(recoveryMedian)} ms | ${range(recoveryMs)}; a fresh verifier process starts and warms in ${f(warmMedian)} ms (ratio ${f(recoveryMedian / warmMedian, 2)}) |`,
      `| the same: submissions never answered (${KILL_REPS} x ${KILL_CLAIMS}, each with a ${SUBMIT_TIMEOUT_MS / 1000} s limit) | ${unanswered} | checks the killed process held, run again on the other: ${movedChecks}; ${retried503} x 503 VERIFIER_UNAVAILABLE retried after 200 ms${otherReplies.size > 0 ? `; other refusals: ${statusList(otherReplies)}` : ""}; claims not confirmed: ${unconfirmed}; goal 0 |`,
      `| a claim over the plan's balance, held (${statusList(heldCounts)}): from the receipt of the join that brings the funds until it is confirmed, median of ${paidAfterMs.length} (range) | ${f(paidMedian)} ms | ${range(paidAfterMs)}; relayer polling interval ${HELD_POLL_MS} ms (ratio ${f(paidMedian / HELD_POLL_MS, 2)}) |`,
    ].join("\n");
    log.info({ table }, "relayer faults: done");
    return { entries, table };
  } finally {
    for (const relayer of [...running]) await relayer.stop();
    await chain.stop();
  }
}

if (import.meta.main) runAlone("relayer-faults", benchRelayerFaults);
