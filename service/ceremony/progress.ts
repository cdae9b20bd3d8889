/**
 * Adapts snarkjs's logger to pino: snarkjs reports the progress of long steps (setup, contribute,
 * verify) through it. Its error lines are kept so that a refusal can say why.
 */
import { type Logger, pino } from "pino";
import type { SnarkLogger } from "snarkjs";

export interface CapturingLogger extends SnarkLogger {
  /** Every info line, in order (snarkjs reports hashes there). */
  readonly infos: string[];
  /** Every error line, in order. */
  readonly errors: string[];
}

/** A logger that prints nothing: the library's default. */
export const silentLogger: Logger = pino({ level: "silent" });

/** snarkjs's per-chunk progress goes to debug; its summary lines to info, unless `quiet`. */
export function snarkLogger(log: Logger, step: string, quiet = false): CapturingLogger {
  const infos: string[] = [];
  const errors: string[] = [];
  return {
    infos,
    errors,
    debug: (msg: string) => log.debug({ step }, msg),
    info: (msg: string) => {
      infos.push(msg);
      if (quiet) log.debug({ step }, msg);
      else log.info({ step }, msg);
    },
    warn: (msg: string) => log.warn({ step }, msg),
    error: (msg: string) => {
      errors.push(msg);
      log.error({ step }, msg);
    },
  };
}
