/**
 * Auditor benchmark on a real local chain (a Hardhat node on 127.0.0.1, read over HTTP): 200 claims
 * with real proofs in two plans, then
 *   - proof verification: batch (random linear combination) vs one-by-one snarkjs.groth16.verify,
 *     on the same 200 proofs in the same run, median of RUNS runs each (speedup: median of the
 *     per-run ratios);
 *   - the full audit (reading every event and the pool's state, verifier check, every proof, every
 *     check), no checkpoint, median of RUNS runs: claims per second and the time 10,000 would take.
 * Proofs are cached under bench/out/audit-proofs/ (keyed by their public signals: the chain is
 * rebuilt deterministically, so a re-run proves nothing). Run alone: `node bench/audit.ts`.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import * as snarkjs from "snarkjs";
import { type Address, createPublicClient, getAddress, http, type PublicClient } from "viem";
import { scriptLogger } from "../scripts/lib/log.ts";
import { ROOT } from "../scripts/lib/paths.ts";
import { freePort, startChain } from "../scripts/lib/stack.ts";
import { claimSignals, runAudit } from "../service/auditor/audit.ts";
import { readPoolEvents } from "../service/auditor/reader.ts";
import { Groth16BatchVerifier } from "../service/sdk/batch-verify.ts";
import {
  assessorKeyFromPrivate,
  type ClaimProof,
  fromSolidityProof,
  Identity,
  type PreparedClaim,
  proveClaim,
  releaseProver,
} from "../service/sdk/index.ts";
import { claimArtifacts, loadVerificationKey } from "../service/sdk/node.ts";
import { poolKit } from "../testkit/pool.ts";
import { type BenchEntry, entry, median } from "./stats.ts";

const CLAIMS = Number(process.env.HUZHU_BENCH_AUDIT_CLAIMS ?? 200);
const PLANS = 2;
const EVENTS_PER_MEMBER = 2;
const RUNS = 5;
const CACHE = join(ROOT, "bench", "out", "audit-proofs");

export interface AuditBenchResult {
  entries: BenchEntry[];
  table: string;
}

/** A proof for the prepared claim: from the cache if its public signals match, else proven and cached. */
async function cachedProof(prepared: PreparedClaim): Promise<{ proof: ClaimProof; proven: boolean }> {
  const key = createHash("sha256").update(Object.values(prepared.expected).map(String).join(",")).digest("hex").slice(0, 32);
  const file = join(CACHE, `${key}.json`);
  try {
    const cached = JSON.parse(await readFile(file, "utf8")) as { proof: ClaimProof["proof"]; publicSignals: string[] };
    return { proof: { proof: cached.proof, publicSignals: cached.publicSignals, claim: prepared.expected }, proven: false };
  } catch {
    const proof = await proveClaim(prepared, claimArtifacts());
    await writeFile(file, JSON.stringify({ proof: proof.proof, publicSignals: proof.publicSignals }));
    return { proof, proven: true };
  }
}

/** Two plans, CLAIMS / EVENTS_PER_MEMBER members, CLAIMS paid claims; deterministic keys and terms. */
async function buildChain(rpcUrl: string, log: Logger): Promise<{ pool: Address; claims: number }> {
  await mkdir(CACHE, { recursive: true });
  const kit = await poolKit({ rpcUrl });
  const token = await kit.deployToken();
  const prover = async (prepared: PreparedClaim) => {
    const cached = await cachedProof(prepared);
    if (cached.proven) proven++;
    return cached.proof;
  };

  const membersPerPlan = Math.ceil(CLAIMS / PLANS / EVENTS_PER_MEMBER);
  let paid = 0;
  let proven = 0;
  const started = performance.now();
  for (let p = 1; p <= PLANS; p++) {
    const planId = await kit.createPlan(token, `Bench plan ${p}`, { assessors: 0 });
    await kit.addAssessor(planId, assessorKeyFromPrivate(createHash("sha256").update(`huzhu-bench-assessor-${p}`).digest("hex")));
    const members: Identity[] = [];
    for (let m = 0; m < membersPerPlan; m++) members.push(await kit.join(planId, 24, new Identity(`huzhu-bench-member-${p}-${m}`)));
    const claimEpoch = await kit.currentEpoch(planId);
    for (let e = 0; e < EVENTS_PER_MEMBER; e++) {
      for (const [m, identity] of members.entries()) {
        if (paid >= CLAIMS) break;
        const recipient = getAddress(
          `0x${(0xbe0c000000n * 2n ** 120n + BigInt(p * 100_000 + e * 10_000 + m)).toString(16).padStart(40, "0")}`,
        );
        await kit.claim(planId, identity, {
          amount: 10_000_000n + BigInt(m),
          fee: 100_000n,
          recipient,
          eventId: BigInt(1_000_000 * p + 1_000 * e + m + 1),
          claimEpoch,
          expiresInEpochs: 12n,
          prover,
        });
        paid++;
        if (paid % 20 === 0)
          log.info({ paid, of: CLAIMS, proven, seconds: Math.round((performance.now() - started) / 1000) }, "audit bench: claims paid");
      }
    }
  }
  return { pool: kit.pool.address, claims: paid };
}

export async function benchAudit(log: Logger): Promise<AuditBenchResult> {
  log.info({ claims: CLAIMS }, "audit bench: starting a Hardhat node");
  const node = await startChain(await freePort());
  const { rpcUrl } = node;
  try {
    const { pool, claims } = await buildChain(rpcUrl, log);
    const client = createPublicClient({ transport: http(rpcUrl, { batch: true }) }) as PublicClient;
    const vkey = loadVerificationKey();

    // The same proofs for both verifiers, exactly as the audit reads them.
    const events = await readPoolEvents({ client, pool, fromBlock: 0n, toBlock: await client.getBlockNumber() });
    const items = events.flatMap((e) =>
      e.kind === "claim" ? [{ proof: fromSolidityProof(e.proof), publicSignals: claimSignals(e) }] : [],
    );
    const strings = items.map((i) => ({ proof: i.proof, publicSignals: i.publicSignals.map(String) }));
    const batch = await Groth16BatchVerifier.create(vkey);
    // Warm both paths (curve build, worker threads).
    await batch.verify(items.slice(0, 4));
    for (const i of strings.slice(0, 4)) await snarkjs.groth16.verify(vkey, i.publicSignals, i.proof);

    const batchRates: number[] = [];
    const singleRates: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      let t = performance.now();
      const results = await batch.verify(items);
      batchRates.push(items.length / ((performance.now() - t) / 1000));
      if (!results.every(Boolean)) throw new Error("a bench proof failed batch verification");
      t = performance.now();
      for (const i of strings) {
        if (!(await snarkjs.groth16.verify(vkey, i.publicSignals, i.proof))) throw new Error("a bench proof failed verification");
      }
      singleRates.push(strings.length / ((performance.now() - t) / 1000));
      log.info(
        { run, batch: Math.round(batchRates[run] as number), oneByOne: Math.round(singleRates[run] as number) },
        "audit bench: proofs/s",
      );
    }

    const auditMs: number[] = [];
    const verifierMs: number[] = [];
    const readMs: number[] = [];
    const verifyMs: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const report = await runAudit({ client, pool, vkey });
      if (!report.ok || report.claims.total !== claims)
        throw new Error(`the bench chain did not audit clean: ${JSON.stringify(report.findings.slice(0, 3))}`);
      auditMs.push(report.run.totalMs);
      verifierMs.push(report.run.verifierMs);
      readMs.push(report.run.readMs);
      verifyMs.push(report.run.verifyMs);
      log.info({ run, ms: Math.round(report.run.totalMs) }, "audit bench: full audit");
    }
    const batchRate = median(batchRates);
    const singleRate = median(singleRates);
    // Each run times both verifiers back to back under the same machine load: the speedup is the
    // median of the per-run ratios.
    const speedup = median(batchRates.map((rate, i) => rate / (singleRates[i] as number)));
    const audit = median(auditMs);
    // The verifier checks (bytecode, eth_call, the rebuild from the key) cost the same for any
    // number of claims; the rest grows with them.
    const fixedMs = median(verifierMs);
    const claimsPerSecond = claims / ((audit - fixedMs) / 1000);
    const tenThousand = fixedMs / 1000 + 10_000 / claimsPerSecond;
    const entries = [
      entry("audit.claims", claims, "claims"),
      entry("audit.batch_verify.proofs_per_s", batchRate, "proofs/s", singleRate),
      entry("audit.one_by_one_verify.proofs_per_s", singleRate, "proofs/s"),
      entry("audit.batch_verify_speedup", speedup, "x", 3),
      entry("audit.full.median_ms", audit, "ms"),
      entry("audit.full.read_ms", median(readMs), "ms"),
      entry("audit.full.verify_ms", median(verifyMs), "ms"),
      entry("audit.full.verifier_checks_ms", fixedMs, "ms"),
      entry("audit.full.claims_per_s", claimsPerSecond, "claims/s"),
      entry("audit.full.extrapolated_10k_s", tenThousand, "s", 60),
    ];
    const f = (x: number, digits = 1) => x.toFixed(digits);
    const table = `| figure | value |
| --- | ---: |
| claims on the chain (2 plans, real proofs) | ${claims} |
| batch verification (median of ${RUNS}) | ${f(batchRate)} proofs/s |
| one-by-one \`snarkjs.groth16.verify\` (median of ${RUNS}) | ${f(singleRate)} proofs/s |
| speedup, median of the per-run ratios (target >= 3x) | ${f(speedup, 2)}x |
| full audit, no checkpoint (median of ${RUNS}) | ${f(audit, 0)} ms (reading ${f(median(readMs), 0)} ms, verifier checks and rebuild ${f(fixedMs, 0)} ms, verifying proofs ${f(median(verifyMs), 0)} ms) |
| full audit throughput, the verifier checks aside | ${f(claimsPerSecond)} claims/s |
| 10,000 claims, extrapolated (target < 60 s) | ${f(tenThousand)} s |`;
    return { entries, table };
  } finally {
    await node.stop();
    await releaseProver();
  }
}

if (import.meta.filename === process.argv[1]) {
  const log = scriptLogger("bench-audit");
  benchAudit(log).then(
    (result) => {
      process.stdout.write(`${result.table}\n`);
      for (const e of result.entries) log.info(e, e.name);
      process.exit(0);
    },
    (error: unknown) => {
      log.error({ err: error }, "audit benchmark failed");
      process.exit(1);
    },
  );
}
