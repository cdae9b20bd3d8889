/**
 * Off-chain Groth16 verification with warm curves: the claim circuit's verification key is loaded
 * once and each verification runs in one of a pool of verifier processes (one per core by default),
 * so checking proofs uses every core and never blocks the event loop that serves other requests.
 */

import { type ChildProcess, fork } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { type ClaimPublicSignals, encodePublicSignals, type Groth16Proof, type VerificationKey } from "../sdk/index.ts";
import { verificationKeyPath } from "../sdk/node.ts";

interface Slot {
  worker: ChildProcess;
  busy: number;
}

export class ProofVerifier {
  readonly key: VerificationKey;
  /** sha256 of the verification key JSON as published (0x-hex). */
  readonly keyHash: `0x${string}`;
  readonly #threads: number;
  readonly #slots: Slot[] = [];
  readonly #pending = new Map<number, (valid: boolean) => void>();
  #nextId = 0;

  constructor(path: string = verificationKeyPath(), threads = Math.max(1, availableParallelism())) {
    const text = readFileSync(path, "utf8");
    this.key = JSON.parse(text) as VerificationKey;
    this.keyHash = `0x${createHash("sha256").update(text).digest("hex")}`;
    this.#threads = threads;
  }

  /** Starts the verifier processes and waits until each has its curve ready. */
  async warm(): Promise<void> {
    if (this.#slots.length > 0) return;
    const script = fileURLToPath(new URL("./verify-worker.ts", import.meta.url));
    await Promise.all(
      Array.from({ length: this.#threads }, async () => {
        const worker = fork(script, [], { stdio: ["ignore", "ignore", "inherit", "ipc"], serialization: "json" });
        worker.send({ key: this.key });
        await new Promise<void>((resolve, reject) => {
          worker.once("message", () => resolve());
          worker.once("error", reject);
          worker.once("exit", (code) => reject(new Error(`a verifier process exited with ${code} while starting`)));
        });
        worker.on("message", (message: { id: number; valid: boolean }) => {
          const resolve = this.#pending.get(message.id);
          this.#pending.delete(message.id);
          resolve?.(message.valid);
        });
        const slot = { worker, busy: 0 };
        this.#slots.push(slot);
        // One throw-away verification loads the curve's tables in that process.
        await this.#run(
          slot,
          {
            pi_a: ["1", "2", "1"],
            pi_b: [
              ["0", "0"],
              ["0", "0"],
              ["1", "0"],
            ],
            pi_c: ["1", "2", "1"],
          },
          ["1", "1", "1", "1", "1", "1", "1"],
        );
      }),
    );
    // Warm: from now on the verifier processes never keep this process alive on their own.
    for (const slot of this.#slots) {
      slot.worker.unref();
      slot.worker.channel?.unref();
    }
  }

  /** True only if the proof verifies for exactly these public signals; malformed input is false. */
  async verify(proof: Groth16Proof, signals: ClaimPublicSignals): Promise<boolean> {
    let publicSignals: string[];
    try {
      publicSignals = encodePublicSignals(signals);
    } catch {
      return false;
    }
    await this.warm();
    const slot = this.#slots.reduce((a, b) => (b.busy < a.busy ? b : a));
    return this.#run(slot, proof, publicSignals);
  }

  async #run(slot: Slot, proof: Groth16Proof, publicSignals: string[]): Promise<boolean> {
    const id = this.#nextId++;
    slot.busy += 1;
    try {
      return await new Promise<boolean>((resolve) => {
        this.#pending.set(id, resolve);
        slot.worker.send({ id, proof, publicSignals });
      });
    } finally {
      slot.busy -= 1;
    }
  }

  async close(): Promise<void> {
    const slots = this.#slots.splice(0);
    for (const slot of slots) slot.worker.kill();
    for (const resolve of this.#pending.values()) resolve(false);
    this.#pending.clear();
  }
}
