/**
 * The auditor's checks and checkpoint at 10^6 members and 10^5 claims, in a process of its own so
 * its peak memory is the auditor's (`node bench/scale-audit.ts [members] [claims]`). The events are
 * generated directly (joins and paid claims whose roots, nullifiers, contexts and books are
 * consistent, so every check runs its full path), not read from a chain: 10^5 real claims would
 * take about 30 hours of proving here. Proof verification is not part of this figure; bench/audit.ts
 * measures its throughput on real proofs. Prints one JSON line. Used by bench/scale.ts.
 */
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CHECKPOINT_VERSION, loadCheckpoint, saveCheckpoint } from "../service/auditor/checkpoint.ts";
import { type CheckInput, checkEvents } from "../service/auditor/checks.ts";
import type { ClaimEvent, MemberEvent, PoolEvent } from "../service/auditor/events.ts";
import { claimContext } from "../service/sdk/encoding.ts";

function peakRssMb(): number {
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? 0);
  return kb / 1024;
}

const members = Number(process.argv[2] ?? 1_000_000);
const claims = Number(process.argv[3] ?? 100_000);
const pool = "0x5FbDB2315678afecb367f032d93F642f64180aa3" as const;
const token = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512" as const;
const recipient = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" as const;
const relayer = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC" as const;
const hash = `0x${"ab".repeat(32)}` as const;
/** Any proof: verdicts are given (`verified: true`), as the batch verifier would set them. */
const point = (x: bigint) => [x, x + 1n] as const;
const proof = { a: point(1n), b: [point(3n), point(5n)] as const, c: point(7n) };
const fee = 1_000n;
const context = claimContext({ chainId: 31337n, pool, planId: 1n, recipient, relayer, fee, gasDrop: 0n });

const started = performance.now();
const events: PoolEvent[] = [
  {
    kind: "plan",
    planId: 1n,
    name: "scale",
    admin: relayer,
    token,
    contribution: 1_000n,
    periodLength: 2_592_000n,
    waitingPeriods: 0,
    claimCap: 10n ** 12n,
    maxFeeBps: 300,
    start: 0n,
    block: 1n,
    blockHash: hash,
    tx: hash,
    logIndex: 0,
  },
  { kind: "assessor", revoked: false, planId: 1n, leaf: 5n, assessorRoot: 55n, block: 1n, blockHash: hash, tx: hash, logIndex: 1 },
];
const claimEvery = Math.max(1, Math.floor(members / claims));
let paid = 0;
for (let i = 0; i < members; i++) {
  const block = BigInt(i + 2);
  const member: MemberEvent = {
    kind: "member",
    renewal: false,
    planId: 1n,
    commitment: BigInt(i) * 7919n + 1n,
    index: BigInt(i),
    paid: 12_000n,
    memberRoot: BigInt(i) * 104729n + 3n,
    block,
    blockHash: hash,
    tx: hash,
    logIndex: 0,
  };
  events.push(member);
  if (i % claimEvery === claimEvery - 1 && paid < claims) {
    const claim: ClaimEvent = {
      kind: "claim",
      planId: 1n,
      claimEpoch: 0n,
      amount: 100_000n,
      memberRoot: member.memberRoot,
      memberRootSeq: BigInt(i + 1),
      assessorRoot: 55n,
      nullifier: BigInt(paid) * 15485863n + 11n,
      recipient,
      relayer,
      fee,
      gasDrop: 0n,
      context,
      proof,
      verified: true,
      block,
      blockHash: hash,
      tx: hash,
      logIndex: 1,
    };
    events.push(claim);
    paid++;
  }
}
const generatedMs = performance.now() - started;
const input: CheckInput = { events, chainId: 31337n, pool, memberRootHistory: 100n };
const checkStart = performance.now();
const result = checkEvents(input);
const checkMs = performance.now() - checkStart;
let checkpoint: { bytes: number; encodeMs: number; decodeMs: number } | { error: string };
try {
  const path = join(mkdtempSync(join(tmpdir(), "huzhu-audit-scale-")), "checkpoint.json");
  const encodeStart = performance.now();
  await saveCheckpoint(path, {
    version: CHECKPOINT_VERSION,
    chainId: 31337n,
    pool,
    fromBlock: 0n,
    vkeyHash: "",
    lastBlock: BigInt(members + 1),
    lastBlockHash: hash,
    events,
  });
  const encodeMs = performance.now() - encodeStart;
  const decodeStart = performance.now();
  const loaded = await loadCheckpoint(path);
  if (loaded?.events.length !== events.length) throw new Error("the checkpoint did not read back whole");
  checkpoint = { bytes: statSync(path).size, encodeMs, decodeMs: performance.now() - decodeStart };
} catch (error) {
  checkpoint = { error: (error as Error).message };
}
process.stdout.write(
  `${JSON.stringify({
    members,
    claims: paid,
    generatedMs,
    checkMs,
    findings: result.findings.length,
    firstFinding: result.findings[0]?.message,
    checkpoint,
    peakMb: peakRssMb(),
  })}\n`,
);
process.exit(0);
