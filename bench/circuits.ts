/**
 * Circuit benchmark: the claim circuit beside Semaphore v4 at depth 20 (compiled here from
 * @semaphore-protocol/circuits with the same circom2, --O2 and the same development setup), and
 * beside two measurement-only variants of the claim with part of the signature check cut out
 * (bench/ablation.ts), which bound what any cheaper signature check could gain. All are proven in
 * rounds of RUNS_PER_ROUND proofs, each round in a process of its own and in a rotating order, so
 * that a slow spell of the machine weighs on all alike; ROUNDS x RUNS_PER_ROUND proofs each.
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
import { type AblatedCircuit, buildAblations } from "./ablation.ts";
import { type BenchEntry, entry, median, p95 } from "./stats.ts";

const run = promisify(execFile);
export const ROUNDS = 8;
export const RUNS_PER_ROUND = 3;
const SEMAPHORE_DEPTH = 20;
const BENCH_DIR = join(BUILD_DIR, "bench");

interface WorkerResult {
  name: string;
  witnessMs: number[];
  proveMs: number[];
  /** Where proving went: QAP evaluation, the FFTs, the wire MSMs (A, B1, B2, C), the H MSM. */
  phasesMs: Record<"qap" | "fft" | "msmWires" | "msmH", number[]>;
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
    phasesMs: {
      qap: results.flatMap((r) => r.phasesMs.qap),
      fft: results.flatMap((r) => r.phasesMs.fft),
      msmWires: results.flatMap((r) => r.phasesMs.msmWires),
      msmH: results.flatMap((r) => r.phasesMs.msmH),
    },
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

  const ablations = await buildAblations(log);

  const claimInput = prepareClaim(claimScenario().request).input;
  const anchorInput = semaphoreInput();
  const subjects: Array<{ name: string; circuit: CircuitUnderTest; input: Record<string, unknown>; rounds: WorkerResult[] }> = [
    { name: "claim", circuit: claim, input: claimInput, rounds: [] },
    { name: "semaphore20", circuit: semaphore, input: anchorInput, rounds: [] },
    ...ablations.map((a) => ({ name: a.name, circuit: a, input: claimInput, rounds: [] as WorkerResult[] })),
  ];
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order, so that no circuit always runs first or always follows the same one.
    for (let k = 0; k < subjects.length; k++) {
      const subject = subjects[(round + k) % subjects.length] as (typeof subjects)[number];
      subject.rounds.push(await measure(subject.name, subject.circuit, subject.input, round, log));
    }
  }
  const [claimSubject, semaphoreSubject] = subjects as [(typeof subjects)[number], (typeof subjects)[number]];
  const claimRounds = claimSubject.rounds;
  const semaphoreRounds = semaphoreSubject.rounds;
  const claimResult = merge(claimRounds);
  const semaphoreResult = merge(semaphoreRounds);
  // Each round's median over the same round's Semaphore median: the spread shows how much the
  // machine moved during the run.
  const fullMedian = (r: WorkerResult) => median(r.witnessMs.map((w, j) => w + (r.proveMs[j] ?? 0)));
  const ratiosPerRound = (rounds: WorkerResult[]) => rounds.map((r, i) => fullMedian(r) / fullMedian(semaphoreRounds[i] as WorkerResult));
  const roundRatios = ratiosPerRound(claimRounds);

  const total = (r: WorkerResult) => r.witnessMs.map((w, i) => w + (r.proveMs[i] ?? 0));
  const rows: Array<[string, (r: WorkerResult, c: CircuitUnderTest) => number, string]> = [
    ["constraints", (_r, c) => c.constraints, "constraints"],
    ["witness.median", (r) => median(r.witnessMs), "ms"],
    ["prove.median", (r) => median(r.proveMs), "ms"],
    ["fullProve.median", (r) => median(total(r)), "ms"],
    ["fullProve.p95", (r) => p95(total(r)), "ms"],
    ["prove.qap.median", (r) => median(r.phasesMs.qap), "ms"],
    ["prove.fft.median", (r) => median(r.phasesMs.fft), "ms"],
    ["prove.msmWires.median", (r) => median(r.phasesMs.msmWires), "ms"],
    ["prove.msmH.median", (r) => median(r.phasesMs.msmH), "ms"],
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
  lines.push("", ...ablationTable(subjects.slice(2), ablations, semaphoreResult, semaphore, ratiosPerRound, entries));
  return { entries, table: lines.join("\n") };
}

/** The measurement-only variants beside the same run's Semaphore: what the claim could reach at best. */
function ablationTable(
  subjects: Array<{ rounds: WorkerResult[] }>,
  ablations: AblatedCircuit[],
  semaphoreResult: WorkerResult,
  semaphore: CircuitUnderTest,
  ratiosPerRound: (rounds: WorkerResult[]) => number[],
  entries: BenchEntry[],
): string[] {
  const total = (r: WorkerResult) => r.witnessMs.map((w, i) => w + (r.proveMs[i] ?? 0));
  const lines = [
    "| variant (measurement only) | constraints | fullProve.median (ms) | ratio to Semaphore | ratio per round (median; range) |",
    "| --- | ---: | ---: | ---: | ---: |",
  ];
  ablations.forEach((variant, i) => {
    const rounds = (subjects[i] as { rounds: WorkerResult[] }).rounds;
    const result = merge(rounds);
    const constraints = entry(`circuit.ablation.${variant.name}.constraints`, variant.constraints, "constraints", semaphore.constraints);
    const full = entry(`circuit.ablation.${variant.name}.fullProve.median`, median(total(result)), "ms", median(total(semaphoreResult)));
    const perRound = ratiosPerRound(rounds);
    const spread = entry(`circuit.ablation.${variant.name}.fullProve.roundRatio.median`, median(perRound), "x", 1.6);
    entries.push(constraints, full, spread);
    lines.push(
      `| ${variant.label} | ${constraints.value} | ${full.value} | ${full.ratio}x | ${spread.value}x; ${Math.min(...perRound).toFixed(3)}x-${Math.max(...perRound).toFixed(3)}x |`,
    );
  });
  return lines;
}
