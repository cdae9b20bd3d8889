/**
 * Wraps a command's action: reads the global and command options, gives it an Output, prints any
 * failure through one path and sets exit code 1, and ends the prover's worker threads.
 */
import type { Command } from "commander";
import { releaseProver } from "../../sdk/prover.ts";
import { describeError } from "./errors.ts";
import { Output } from "./output.ts";

/** A command's parsed options (commander camel-cases the flags). */
export type Options = object;

export interface ActionContext<O extends Options = Options> {
  out: Output;
  opts: O;
  command: Command;
}

/** `command.action(run(async ({ out, opts }, planId) => …))`. */
export function run<O extends Options, A extends unknown[] = string[]>(
  body: (context: ActionContext<O>, ...args: A) => Promise<void>,
): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const command = args[args.length - 1] as Command;
    const opts = command.optsWithGlobals() as O;
    const out = new Output((opts as { json?: boolean }).json === true);
    try {
      await body({ out, opts, command }, ...(args.slice(0, -2) as A));
    } catch (error) {
      const described = describeError(error);
      out.error(described.code, described.message, described.hint);
      process.exitCode = 1;
    } finally {
      await releaseProver();
    }
  };
}
