/**
 * A verification process: holds the verification key and a warm curve, and answers
 * { id, proof, publicSignals } with { id, valid } over IPC. (A process rather than a worker thread:
 * snarkjs's curve library claims every worker thread as one of its own.)
 */
import * as snarkjs from "snarkjs";

interface Job {
  id: number;
  proof: unknown;
  publicSignals: string[];
}

let key: Record<string, unknown> | undefined;

process.on("message", async (message: { key?: Record<string, unknown> } & Partial<Job>) => {
  if (message.key) {
    key = message.key;
    process.send?.({ ready: true });
    return;
  }
  let valid = false;
  try {
    valid = key !== undefined && (await snarkjs.groth16.verify(key, message.publicSignals ?? [], message.proof as never));
  } catch {
    valid = false;
  }
  process.send?.({ id: message.id, valid });
});
// The parent going away ends this process.
process.on("disconnect", () => process.exit(0));
