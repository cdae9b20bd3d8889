/** A proving progress bar on stderr: redrawn in place on a terminal, one line per stage otherwise. */
import type { ProofProgress } from "../../sdk/prover.ts";

export function proofProgress(): { update: (progress: ProofProgress) => void; finish: () => void } {
  const tty = process.stderr.isTTY === true;
  const started = Date.now();
  let lastStage = "";
  let drawn = false;
  return {
    update(progress) {
      if (tty) {
        const width = 30;
        const filled = Math.round((progress.percent / 100) * width);
        process.stderr.write(
          `\rproving [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${String(progress.percent).padStart(3)}% ${progress.step.padEnd(24)}`,
        );
        drawn = true;
      } else if (progress.stage !== lastStage) {
        process.stderr.write(`proving: ${progress.percent}% ${progress.step}\n`);
      }
      lastStage = progress.stage;
    },
    finish() {
      if (drawn) process.stderr.write("\n");
      process.stderr.write(`proof ready in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    },
  };
}
