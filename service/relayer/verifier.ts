/**
 * Off-chain Groth16 verification with warm curves: the claim circuit's verification key is loaded
 * once and each verification runs in one of a pool of verifier processes (one per core by default),
 * so checking proofs uses every core and never blocks the event loop that serves other requests.
 *
 * The pool heals itself. A process that exits, loses its IPC channel or does not answer within the
 * verification's time limit is noticed at once: it is killed, every check it held is run again on a
 * healthy process (or, with none left, refused with a retryable 503 `VERIFIER_UNAVAILABLE`), and a
 * new process takes its place, after a delay that doubles while replacements keep dying. No
 * verification waits longer than its limit and no failure of a verifier process reaches the
 * relayer's own process.
 */

import { type ChildProcess, fork } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import type { Logger } from "pino";
import { type ClaimPublicSignals, encodePublicSignals, type Groth16Proof, type VerificationKey } from "../sdk/index.ts";
import { verificationKeyPath } from "../sdk/node.ts";
import { RelayerError, RelayerErrorCode } from "./errors.ts";

export interface VerifierOptions {
  /** Processes to run (default: one per core). */
  threads?: number;
  /** A verification not answered in this time counts as a hung process (default 5 s; a warm check takes ~20 ms). */
  timeoutMs?: number;
  /** First delay before replacing a process that died; doubles per consecutive death up to `maxRestartDelayMs`. */
  restartDelayMs?: number;
  maxRestartDelayMs?: number;
  log?: Logger;
  /** Told whenever the number of live processes changes, and when a process is replaced. */
  onCapacity?: (capacity: VerifierCapacity) => void;
}

export interface VerifierCapacity {
  /** Processes started, warm and answering. */
  alive: number;
  /** Processes the relayer is configured to run. */
  configured: number;
  /** Processes replaced since start. */
  restarts: number;
}

interface Job {
  id: number;
  proof: Groth16Proof;
  publicSignals: string[];
  /** Processes that already failed while holding this job (each job is tried on at most two). */
  attempts: number;
  resolve: (valid: boolean) => void;
  reject: (error: Error) => void;
}

interface Slot {
  index: number;
  worker: ChildProcess;
  ready: boolean;
  dead: boolean;
  jobs: Map<number, { job: Job; timer: NodeJS.Timeout }>;
}

/** A throw-away check that loads the curve's tables in a new process (it does not verify). */
const WARM_PROOF: Groth16Proof = {
  pi_a: ["1", "2", "1"],
  pi_b: [
    ["0", "0"],
    ["0", "0"],
    ["1", "0"],
  ],
  pi_c: ["1", "2", "1"],
};

/** A replacement that lives this long resets the restart delay. */
const HEALTHY_AFTER_MS = 30_000;

export function verifierUnavailable(): RelayerError {
  return new RelayerError(
    RelayerErrorCode.VerifierUnavailable,
    "the relayer's proof verifier is restarting, so the claim was not checked and nothing was stored; send the same claim again in a few seconds",
  );
}

export class ProofVerifier {
  readonly key: VerificationKey;
  /** sha256 of the verification key JSON as published (0x-hex). */
  readonly keyHash: `0x${string}`;
  readonly #threads: number;
  readonly #timeoutMs: number;
  readonly #restartDelayMs: number;
  readonly #maxRestartDelayMs: number;
  readonly #log: Logger | undefined;
  readonly #slots: Array<Slot | undefined> = [];
  readonly #deaths: number[] = [];
  readonly #lastStart: number[] = [];
  readonly #restartTimers = new Set<NodeJS.Timeout>();
  #restarts = 0;
  #nextId = 0;
  #warming: Promise<void> | undefined;
  #closed = false;
  onCapacity: ((capacity: VerifierCapacity) => void) | undefined;

  constructor(path: string = verificationKeyPath(), threadsOrOptions: number | VerifierOptions = {}) {
    const options = typeof threadsOrOptions === "number" ? { threads: threadsOrOptions } : threadsOrOptions;
    const text = readFileSync(path, "utf8");
    this.key = JSON.parse(text) as VerificationKey;
    this.keyHash = `0x${createHash("sha256").update(text).digest("hex")}`;
    this.#threads = Math.max(1, options.threads ?? availableParallelism());
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.#restartDelayMs = options.restartDelayMs ?? 100;
    this.#maxRestartDelayMs = options.maxRestartDelayMs ?? 10_000;
    this.#log = options.log;
    this.onCapacity = options.onCapacity;
  }

  /** Starts the verifier processes and waits until each has its curve ready. */
  async warm(): Promise<void> {
    this.#warming ??= Promise.all(Array.from({ length: this.#threads }, (_, index) => this.#start(index))).then(() => undefined);
    return this.#warming;
  }

  /** Live processes against the configured number, for `/ready` and `/metrics`. */
  capacity(): VerifierCapacity {
    return { alive: this.#slots.filter((slot) => slot?.ready && !slot.dead).length, configured: this.#threads, restarts: this.#restarts };
  }

  /** The process ids of the live verifier processes (for operators and fault tests). */
  pids(): number[] {
    return this.#slots.flatMap((slot) => (slot?.ready && !slot.dead && slot.worker.pid !== undefined ? [slot.worker.pid] : []));
  }

  /**
   * True only if the proof verifies for exactly these public signals; malformed input is false.
   * Rejects with `VERIFIER_UNAVAILABLE` (retryable) when no verifier process could answer in time.
   */
  async verify(proof: Groth16Proof, signals: ClaimPublicSignals): Promise<boolean> {
    let publicSignals: string[];
    try {
      publicSignals = encodePublicSignals(signals);
    } catch {
      return false;
    }
    await this.warm();
    return new Promise<boolean>((resolve, reject) => {
      this.#dispatch({ id: this.#nextId++, proof, publicSignals, attempts: 0, resolve, reject });
    });
  }

  /** Starts (or restarts) the process in slot `index`; resolves once it is warm. */
  async #start(index: number, replacing = false): Promise<void> {
    const script = fileURLToPath(new URL("./verify-worker.ts", import.meta.url));
    const worker = fork(script, [], { stdio: ["ignore", "ignore", "inherit", "ipc"], serialization: "json" });
    const slot: Slot = { index, worker, ready: false, dead: false, jobs: new Map() };
    this.#slots[index] = slot;
    this.#lastStart[index] = Date.now();
    const started = new Promise<void>((resolve, reject) => {
      worker.once("message", () => resolve());
      worker.once("exit", (code, signal) =>
        reject(new RelayerError(RelayerErrorCode.VerifierUnavailable, `a verifier process exited (${signal ?? code}) while starting`)),
      );
    });
    worker.on("message", (message: { id?: number; valid?: boolean }) => {
      if (message.id === undefined) return;
      const entry = slot.jobs.get(message.id);
      if (!entry) return;
      clearTimeout(entry.timer);
      slot.jobs.delete(message.id);
      entry.job.resolve(message.valid === true);
    });
    // Every way a process can fail ends in #lost: never an unhandled 'error' event.
    worker.on("error", (error) => this.#lost(slot, `failed: ${error.message}`));
    worker.on("exit", (code, signal) => this.#lost(slot, `exited (${signal ?? code})`));
    worker.on("disconnect", () => this.#lost(slot, "lost its IPC channel"));
    if (!this.#send(slot, { key: this.key }))
      throw new RelayerError(RelayerErrorCode.VerifierUnavailable, "a verifier process could not be started");
    await started;
    // One throw-away verification loads the curve's tables in that process.
    await new Promise<void>((resolve) => {
      this.#assign(slot, {
        id: this.#nextId++,
        proof: WARM_PROOF,
        publicSignals: ["1", "1", "1", "1", "1", "1", "1"],
        attempts: 1,
        resolve: () => resolve(),
        reject: () => resolve(),
      });
    });
    // Only a process that came through its warm-up takes checks (and counts as alive).
    if (slot.dead) throw new RelayerError(RelayerErrorCode.VerifierUnavailable, "a verifier process died while warming up");
    slot.ready = true;
    if (replacing) this.#restarts += 1;
    // Warm: from now on the verifier processes never keep this process alive on their own.
    worker.unref();
    worker.channel?.unref();
    this.#report();
  }

  /** Sends over IPC; a closed channel (the process died) is reported as false, never thrown. */
  #send(slot: Slot, message: unknown): boolean {
    if (slot.dead || !slot.worker.connected) return false;
    try {
      slot.worker.send(message as never, (error) => {
        if (error) this.#lost(slot, `could not be sent a check (${error.message})`);
      });
      return true;
    } catch (error) {
      this.#lost(slot, `could not be sent a check (${(error as Error).message})`);
      return false;
    }
  }

  /** Gives a job to the least busy live process, or refuses it when there is none. */
  #dispatch(job: Job): void {
    if (this.#closed) {
      job.reject(verifierUnavailable());
      return;
    }
    let best: Slot | undefined;
    for (const slot of this.#slots) {
      if (!slot?.ready || slot.dead) continue;
      if (!best || slot.jobs.size < best.jobs.size) best = slot;
    }
    if (!best) {
      job.reject(verifierUnavailable());
      return;
    }
    this.#assign(best, job);
  }

  #assign(slot: Slot, job: Job): void {
    const timer = setTimeout(() => this.#lost(slot, `did not answer a check within ${this.#timeoutMs} ms`), this.#timeoutMs);
    timer.unref();
    slot.jobs.set(job.id, { job, timer });
    if (!this.#send(slot, { id: job.id, proof: job.proof, publicSignals: job.publicSignals })) this.#lost(slot, "is not connected");
  }

  /** A process failed: kill it, move its checks to healthy processes (once each), schedule a replacement. */
  #lost(slot: Slot, why: string): void {
    if (slot.dead) return;
    slot.dead = true;
    slot.worker.kill("SIGKILL");
    const jobs = [...slot.jobs.values()];
    slot.jobs.clear();
    for (const { job, timer } of jobs) {
      clearTimeout(timer);
      job.attempts += 1;
      if (job.attempts >= 2) job.reject(verifierUnavailable());
      else this.#dispatch(job);
    }
    this.#report();
    if (this.#closed || !slot.ready) return;
    const lived = Date.now() - (this.#lastStart[slot.index] ?? 0);
    const deaths = lived >= HEALTHY_AFTER_MS ? 0 : (this.#deaths[slot.index] ?? 0);
    this.#deaths[slot.index] = deaths + 1;
    const delay = Math.min(this.#maxRestartDelayMs, this.#restartDelayMs * 2 ** deaths);
    this.#log?.warn({ verifier: slot.index, restartInMs: delay, checksMoved: jobs.length }, `a verifier process ${why}; replacing it`);
    this.#replace(slot.index, delay);
  }

  #replace(index: number, delay: number): void {
    const timer = setTimeout(() => {
      this.#restartTimers.delete(timer);
      if (this.#closed) return;
      this.#start(index, true).then(
        () => {
          this.#log?.info({ verifier: index, ...this.capacity() }, "verifier process replaced");
        },
        (error: Error) => {
          // It died while starting: try again later, with a longer delay.
          const deaths = (this.#deaths[index] ?? 0) + 1;
          this.#deaths[index] = deaths;
          const next = Math.min(this.#maxRestartDelayMs, this.#restartDelayMs * 2 ** deaths);
          this.#log?.warn({ verifier: index, restartInMs: next, err: error.message }, "a replacement verifier process failed to start");
          this.#replace(index, next);
        },
      );
    }, delay);
    timer.unref();
    this.#restartTimers.add(timer);
  }

  #report(): void {
    this.onCapacity?.(this.capacity());
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#restartTimers) clearTimeout(timer);
    this.#restartTimers.clear();
    for (const slot of this.#slots.splice(0)) {
      if (!slot) continue;
      slot.dead = true;
      slot.worker.kill();
      for (const { job, timer } of slot.jobs.values()) {
        clearTimeout(timer);
        job.resolve(false);
      }
      slot.jobs.clear();
    }
  }
}
