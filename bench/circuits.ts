/**
 * Circuit benchmark: the claim circuit beside Semaphore v4 at depth 20 (compiled here from
 * @semaphore-protocol/circuits with the same circom2, --O2 and the same development setup), and
 * beside measurement-only variants of the claim with part of the signature check cut out or cut
 * down (bench/ablation.ts), which bound what any cheaper signature check could gain. Each circuit
 * proves in a long-lived process of its own; the bench asks them in turn for one proof each, in a
 * rotating order, ROUNDS times, so that consecutive proofs of different circuits see the machine
 * in the same state and a slow spell weighs on all alike.
 */
import { type ChildProcess, fork } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Group } from "@semaphore-protocol/group";
import { Identity } from "@semaphore-protocol/identity";
import type { Logger } from "pino";
import { BUILD_DIR, ROOT } from "../scripts/lib/paths.ts";
import { prepareClaim } from "../service/sdk/index.ts";
import { CLAIM_BUILD } from "../service/sdk/node.ts";
import { claimScenario } from "../testkit/claim-scenario.ts";
import { type AblatedCircuit, buildAblations } from "./ablation.ts";
import { type BenchCircuit, buildBenchCircuit } from "./dev-circuit.ts";
import type { Phase, ProofTiming, WorkerSummary } from "./prove-worker.ts";
import { type BenchEntry, entry, median, p95 } from "./stats.ts";

/** Rounds of one proof per circuit: every circuit makes ROUNDS measured proofs. */
export const ROUNDS = 32;
const SEMAPHORE_DEPTH = 20;
const BENCH_DIR = join(BUILD_DIR, "bench");

/** One circuit's measurements over the whole run. */
interface WorkerResult {
  witnessMs: number[];
  proveMs: number[];
  /** Where proving went: QAP evaluation, the FFTs, the wire MSMs (A, B1, B2, C), the H MSM. */
  phasesMs: Record<Phase, number[]>;
  verifyMs: number[];
  maxRssMb: number;
}

/** Semaphore v4 at depth 20, from @semaphore-protocol/circuits, built like the claim. */
function buildSemaphore(log: Logger): Promise<BenchCircuit> {
  return buildBenchCircuit(log, {
    what: "Semaphore v4 depth 20 anchor",
    dir: join(BENCH_DIR, "semaphore"),
    name: "semaphore20",
    files: {
      "semaphore20.circom": `pragma circom 2.1.5;\ninclude "semaphore.circom";\ncomponent main {public [message, scope]} = Semaphore(${SEMAPHORE_DEPTH});\n`,
    },
    sources: [join(ROOT, "node_modules/@semaphore-protocol/circuits/src/semaphore.circom")],
    includes: ["node_modules/@semaphore-protocol/circuits/src"],
  });
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

/** One circuit's long-lived prover process (bench/prove-worker.ts), asked for one proof at a time. */
class ProverProcess {
  private readonly child: ChildProcess;
  private readonly waiting: Array<{ resolve: (message: unknown) => void; reject: (error: Error) => void }> = [];
  /** Settles when the warm-up proof is done. */
  readonly ready: Promise<unknown>;

  constructor(name: string, circuit: BenchCircuit, inputFile: string) {
    this.child = fork(join(ROOT, "bench", "prove-worker.ts"), [name, circuit.wasm, circuit.zkey, circuit.vkey, inputFile], {
      cwd: ROOT,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.ready = this.reply();
    this.child.on("message", (message: unknown) => {
      const next = this.waiting.shift();
      const error = (message as { error?: string }).error;
      if (error) next?.reject(new Error(`${name}: ${error}`));
      else next?.resolve(message);
    });
    this.child.on("exit", (code) => {
      for (const next of this.waiting.splice(0)) next.reject(new Error(`${name}: prover process exited with code ${code}`));
    });
  }

  /** Ends the process if it is still running (after a failure elsewhere). */
  stop(): void {
    if (this.child.exitCode === null) this.child.kill();
  }

  private reply(): Promise<unknown> {
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  request(what: "prove"): Promise<ProofTiming>;
  request(what: "finish"): Promise<WorkerSummary>;
  request(what: "prove" | "finish"): Promise<unknown> {
    const reply = this.reply();
    this.child.send(what);
    return reply;
  }
}

/** Each proof's full time: witness plus proving. */
function fullProveMs(r: WorkerResult): number[] {
  return r.witnessMs.map((w, i) => w + (r.proveMs[i] ?? 0));
}

/** A circuit's proofs and its process's summary as one result. */
function collect(samples: ProofTiming[], summary: WorkerSummary): WorkerResult {
  return {
    witnessMs: samples.map((s) => s.witnessMs),
    proveMs: samples.map((s) => s.proveMs),
    phasesMs: {
      qap: samples.map((s) => s.phasesMs.qap),
      fft: samples.map((s) => s.phasesMs.fft),
      msmWires: samples.map((s) => s.phasesMs.msmWires),
      msmH: samples.map((s) => s.phasesMs.msmH),
    },
    verifyMs: summary.verifyMs,
    maxRssMb: summary.maxRssMb,
  };
}

export interface CircuitBenchResult {
  entries: BenchEntry[];
  table: string;
}

export async function benchCircuits(log: Logger): Promise<CircuitBenchResult> {
  await mkdir(BENCH_DIR, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(ROOT, "circuits/setup/dev-insecure/manifest.json"), "utf8")) as { constraints: number };
  const claim: BenchCircuit = {
    wasm: CLAIM_BUILD.wasm,
    zkey: CLAIM_BUILD.zkey,
    vkey: CLAIM_BUILD.verificationKey,
    constraints: manifest.constraints,
  };
  const semaphore = await buildSemaphore(log);

  const ablations = await buildAblations(log);

  const claimInput = prepareClaim(claimScenario().request).input;
  const subjects = [
    { name: "claim", circuit: claim, input: claimInput },
    { name: "semaphore20", circuit: semaphore, input: semaphoreInput() },
    ...ablations.map((a) => ({ name: a.name, circuit: a, input: claimInput })),
  ];
  const provers: ProverProcess[] = [];
  const results: WorkerResult[] = [];
  try {
    for (const subject of subjects) {
      const inputFile = join(BENCH_DIR, `${subject.name}.input.json`);
      await writeFile(inputFile, JSON.stringify(subject.input));
      provers.push(new ProverProcess(subject.name, subject.circuit, inputFile));
    }
    log.info({ circuits: subjects.map((s) => s.name) }, "starting one prover process per circuit (one warm-up proof each)");
    await Promise.all(provers.map((p) => p.ready));
    const samples: ProofTiming[][] = subjects.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      if (round % 4 === 0) log.info({ round: round + 1, of: ROUNDS, circuits: subjects.length }, "proving: one proof per circuit a round");
      // Rotate the order, so that no circuit always runs first or always follows the same one.
      for (let k = 0; k < provers.length; k++) {
        const i = (round + k) % provers.length;
        (samples[i] as ProofTiming[]).push(await (provers[i] as ProverProcess).request("prove"));
      }
    }
    for (const [i, prover] of provers.entries()) results.push(collect(samples[i] as ProofTiming[], await prover.request("finish")));
  } finally {
    for (const prover of provers) prover.stop();
  }
  const [claimResult, semaphoreResult] = results as [WorkerResult, WorkerResult];
  // Each round's proof over the same round's Semaphore proof: the spread shows how much the machine
  // moved during the run.
  const ratiosPerRound = (r: WorkerResult) => {
    const anchor = fullProveMs(semaphoreResult);
    return fullProveMs(r).map((ms, j) => ms / (anchor[j] as number));
  };
  const roundRatios = ratiosPerRound(claimResult);

  const rows: Array<[string, (r: WorkerResult, c: BenchCircuit) => number, string]> = [
    ["constraints", (_r, c) => c.constraints, "constraints"],
    ["witness.median", (r) => median(r.witnessMs), "ms"],
    ["prove.median", (r) => median(r.proveMs), "ms"],
    ["fullProve.median", (r) => median(fullProveMs(r)), "ms"],
    ["fullProve.p95", (r) => p95(fullProveMs(r)), "ms"],
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
  lines.push("", ...ablationTable(results.slice(2), ablations, semaphoreResult, semaphore, ratiosPerRound, entries));
  return { entries, table: lines.join("\n") };
}

/** The measurement-only variants beside the same run's Semaphore: what the claim could reach at best. */
function ablationTable(
  results: WorkerResult[],
  ablations: AblatedCircuit[],
  semaphoreResult: WorkerResult,
  semaphore: BenchCircuit,
  ratiosPerRound: (result: WorkerResult) => number[],
  entries: BenchEntry[],
): string[] {
  const lines = [
    "| variant (measurement only) | constraints | fullProve.median (ms) | ratio to Semaphore | ratio per round (median; range) |",
    "| --- | ---: | ---: | ---: | ---: |",
  ];
  ablations.forEach((variant, i) => {
    const result = results[i] as WorkerResult;
    const constraints = entry(`circuit.ablation.${variant.name}.constraints`, variant.constraints, "constraints", semaphore.constraints);
    const full = entry(
      `circuit.ablation.${variant.name}.fullProve.median`,
      median(fullProveMs(result)),
      "ms",
      median(fullProveMs(semaphoreResult)),
    );
    const perRound = ratiosPerRound(result);
    const spread = entry(`circuit.ablation.${variant.name}.fullProve.roundRatio.median`, median(perRound), "x", 1.6);
    entries.push(constraints, full, spread);
    lines.push(
      `| ${variant.label} | ${constraints.value} | ${full.value} | ${full.ratio}x | ${spread.value}x; ${Math.min(...perRound).toFixed(3)}x-${Math.max(...perRound).toFixed(3)}x |`,
    );
  });
  return lines;
}
