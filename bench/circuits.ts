/**
 * Circuit benchmark: the claim circuit beside Semaphore v4 at depth 20 (compiled here from
 * @semaphore-protocol/circuits with the same circom2, --O2 and the same development setup). The two
 * are proven in alternating rounds of RUNS_PER_ROUND proofs, each round in a process of its own, so
 * that a slow spell of the machine weighs on both alike; ROUNDS x RUNS_PER_ROUND proofs each.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { Group } from "@semaphore-protocol/group";
import { Identity } from "@semaphore-protocol/identity";
import type { Logger } from "pino";
import * as snarkjs from "snarkjs";
import { compileCircuit, hashSources } from "../scripts/lib/circuits.ts";
import { BUILD_DIR, ROOT } from "../scripts/lib/paths.ts";
import { ensureDevPtau } from "../scripts/lib/ptau.ts";
import { prepareClaim } from "../service/sdk/index.ts";
import { CLAIM_BUILD } from "../service/sdk/node.ts";
import { claimScenario } from "../test/helpers/claim-fixture.ts";
import { type BenchEntry, entry, median, p95 } from "./stats.ts";

const run = promisify(execFile);
const ROUNDS = 6;
const RUNS_PER_ROUND = 3;
const SEMAPHORE_DEPTH = 20;
const BENCH_DIR = join(BUILD_DIR, "bench");

interface WorkerResult {
  name: string;
  witnessMs: number[];
  proveMs: number[];
  verifyMs: number[];
  maxRssMb: number;
}

interface CircuitUnderTest {
  wasm: string;
  zkey: string;
  vkey: string;
  constraints: number;
}

/** Compiles Semaphore(20) and runs the same deterministic development setup; cached by source hash. */
async function buildSemaphore(log: Logger): Promise<CircuitUnderTest> {
  const dir = join(BENCH_DIR, "semaphore");
  const main = join(dir, "semaphore20.circom");
  const source = `pragma circom 2.1.5;\ninclude "semaphore.circom";\ncomponent main {public [message, scope]} = Semaphore(${SEMAPHORE_DEPTH});\n`;
  const stampFile = join(dir, "stamp.json");
  const semaphoreSrc = join(ROOT, "node_modules/@semaphore-protocol/circuits/src/semaphore.circom");
  const stamp = hashSources([semaphoreSrc]) + source;
  const out = {
    wasm: join(dir, "semaphore20_js", "semaphore20.wasm"),
    zkey: join(dir, "semaphore20.dev-insecure.zkey"),
    vkey: join(dir, "verification_key.json"),
  };
  if (existsSync(stampFile)) {
    const cached = JSON.parse(readFileSync(stampFile, "utf8")) as { stamp: string; constraints: number };
    if (cached.stamp === stamp && existsSync(out.zkey)) return { ...out, constraints: cached.constraints };
  }
  await mkdir(dir, { recursive: true });
  await writeFile(main, source);
  log.info("anchor: compiling Semaphore v4 depth 20 (--O2)");
  const compiled = await compileCircuit(main, dir, ["node_modules/@semaphore-protocol/circuits/src"]);
  const ptau = await ensureDevPtau(log);
  log.info({ constraints: compiled.constraints }, "anchor: groth16 setup");
  const initial = join(dir, "semaphore20.0000.zkey");
  await snarkjs.zKey.newZKey(compiled.r1cs, ptau, initial);
  await snarkjs.zKey.beacon(initial, out.zkey, "semaphore anchor (INSECURE)", "00".repeat(32), 10);
  await writeFile(out.vkey, JSON.stringify(await snarkjs.zKey.exportVerificationKey(out.zkey)));
  await writeFile(stampFile, JSON.stringify({ stamp, constraints: compiled.constraints }));
  return { ...out, constraints: compiled.constraints };
}

function semaphoreInput(): Record<string, unknown> {
  const members = Array.from({ length: 100 }, () => new Identity());
  const group = new Group(members.map((m) => m.commitment));
  const member = members[42] as Identity;
  const proof = group.generateMerkleProof(42);
  const siblings = [...proof.siblings.map(String), ...Array<string>(SEMAPHORE_DEPTH - proof.siblings.length).fill("0")];
  return {
    secret: member.secretScalar.toString(),
    merkleProofLength: proof.siblings.length,
    merkleProofIndex: proof.index,
    merkleProofSiblings: siblings,
    message: "1",
    scope: "2",
  };
}

async function measure(name: string, circuit: CircuitUnderTest, input: Record<string, unknown>, round: number, log: Logger) {
  const inputFile = join(BENCH_DIR, `${name}.input.json`);
  await writeFile(inputFile, JSON.stringify(input));
  log.info({ circuit: name, round: round + 1, of: ROUNDS, proofs: RUNS_PER_ROUND }, "proving");
  const { stdout } = await run(
    process.execPath,
    [join(ROOT, "bench", "prove-worker.ts"), name, circuit.wasm, circuit.zkey, circuit.vkey, inputFile, String(RUNS_PER_ROUND)],
    { cwd: ROOT, maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as WorkerResult;
}

/** One result from several rounds: every timing, and the highest peak RSS of any round. */
function merge(results: WorkerResult[]): WorkerResult {
  const [first] = results;
  if (!first) throw new Error("no rounds measured");
  return {
    name: first.name,
    witnessMs: results.flatMap((r) => r.witnessMs),
    proveMs: results.flatMap((r) => r.proveMs),
    verifyMs: results.flatMap((r) => r.verifyMs),
    maxRssMb: Math.max(...results.map((r) => r.maxRssMb)),
  };
}

export interface CircuitBenchResult {
  entries: BenchEntry[];
  table: string;
}

export async function benchCircuits(log: Logger): Promise<CircuitBenchResult> {
  await mkdir(BENCH_DIR, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(ROOT, "circuits/setup/dev-insecure/manifest.json"), "utf8")) as { constraints: number };
  const claim: CircuitUnderTest = {
    wasm: CLAIM_BUILD.wasm,
    zkey: CLAIM_BUILD.zkey,
    vkey: CLAIM_BUILD.verificationKey,
    constraints: manifest.constraints,
  };
  const semaphore = await buildSemaphore(log);

  const claimInput = prepareClaim(claimScenario().request).input;
  const anchorInput = semaphoreInput();
  const claimRounds: WorkerResult[] = [];
  const semaphoreRounds: WorkerResult[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which circuit goes first, so neither always follows the other.
    const claimRound = () => measure("claim", claim, claimInput, round, log).then((r) => claimRounds.push(r));
    const anchorRound = () => measure("semaphore20", semaphore, anchorInput, round, log).then((r) => semaphoreRounds.push(r));
    if (round % 2 === 0) await claimRound().then(anchorRound);
    else await anchorRound().then(claimRound);
  }
  const claimResult = merge(claimRounds);
  const semaphoreResult = merge(semaphoreRounds);
  // Each round's claim median over the same round's Semaphore median: the spread shows how much
  // the machine moved during the run.
  const roundRatios = claimRounds.map((c, i) => {
    const s = semaphoreRounds[i] as WorkerResult;
    return median(c.witnessMs.map((w, j) => w + (c.proveMs[j] ?? 0))) / median(s.witnessMs.map((w, j) => w + (s.proveMs[j] ?? 0)));
  });

  const total = (r: WorkerResult) => r.witnessMs.map((w, i) => w + (r.proveMs[i] ?? 0));
  const rows: Array<[string, (r: WorkerResult, c: CircuitUnderTest) => number, string]> = [
    ["constraints", (_r, c) => c.constraints, "constraints"],
    ["witness.median", (r) => median(r.witnessMs), "ms"],
    ["prove.median", (r) => median(r.proveMs), "ms"],
    ["fullProve.median", (r) => median(total(r)), "ms"],
    ["fullProve.p95", (r) => p95(total(r)), "ms"],
    ["verify.warm.median", (r) => median(r.verifyMs), "ms"],
    ["peakRss", (r) => r.maxRssMb, "MB"],
    ["zkeySize", (_r, c) => statSync(c.zkey).size / 1e6, "MB"],
  ];
  const entries: BenchEntry[] = [];
  const lines = ["| figure | claim | Semaphore v4 depth 20 (anchor) | ratio |", "| --- | ---: | ---: | ---: |"];
  for (const [label, pick, unit] of rows) {
    const e = entry(`circuit.claim.${label}`, pick(claimResult, claim), unit, pick(semaphoreResult, semaphore));
    entries.push(e);
    lines.push(`| ${label} (${unit}) | ${e.value} | ${e.anchor} | ${e.ratio}x |`);
  }
  const spread = entry("circuit.claim.fullProve.roundRatio.median", median(roundRatios), "x", 1.6);
  entries.push(spread);
  lines.push(
    `| fullProve ratio per round (median; range) | | | ${spread.value}x; ${Math.min(...roundRatios).toFixed(3)}x-${Math.max(...roundRatios).toFixed(3)}x |`,
  );
  return { entries, table: lines.join("\n") };
}
