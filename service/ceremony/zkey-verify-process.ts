/**
 * `zkey verify` in a process of its own, started by zkey-check.ts with an IPC channel. snarkjs
 * reports a broken contribution (`INVALID(i): …`) only on standard output, not through its logger,
 * so this process's stdout carries those lines to the parent, which reads them as the refusal's
 * reason; no global output function is replaced anywhere.
 *   request: { r1cs, ptau, zkey }   replies: { level, message } per snarkjs log line, then { ok } or { error }
 */
import * as snarkjs from "snarkjs";

type Level = "debug" | "info" | "warn" | "error";

process.once("message", async (request: { r1cs: string; ptau: string; zkey: string }) => {
  const forward = (level: Level) => (message: string) => process.send?.({ level, message });
  const logger = { debug: forward("debug"), info: forward("info"), warn: forward("warn"), error: forward("error") };
  // The curve's worker threads keep the process alive: it ends once the answer is sent.
  const answer = (reply: { ok: boolean } | { error: string }) => process.send?.(reply, () => process.exit(0));
  try {
    answer({ ok: await snarkjs.zKey.verifyFromR1cs(request.r1cs, request.ptau, request.zkey, logger) });
  } catch (error) {
    answer({ error: error instanceof Error ? error.message : String(error) });
  }
});
