/**
 * The one error base of the project: a stable `code` to branch on, a message that says what to do,
 * and the ES2022 `cause` kept as the error it was (never flattened into the message), as viem's
 * BaseError does. The SDK's HuzhuError, the relayer's refusals, the relayer client's failures, the
 * CLI's, the ceremony's, configuration errors and the web app's own all extend it.
 */
export interface CodedErrorOptions {
  /** The error this one explains (ES2022 `Error.cause`); undefined: none, and no `cause` property. */
  cause?: unknown;
}

export class CodedError<Code extends string = string> extends Error {
  readonly code: Code;

  constructor(code: Code, message: string, options: CodedErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    // Subclasses set their own name (a literal: minified builds rename classes).
    this.name = "CodedError";
    this.code = code;
  }

  /**
   * This error or the first in its chain of causes that `predicate` accepts (like viem's
   * `BaseError.walk`); without a predicate, the innermost cause.
   */
  walk(predicate?: (error: unknown) => boolean): unknown {
    let current: unknown = this;
    const seen = new Set<unknown>();
    while (current !== undefined && current !== null && !seen.has(current)) {
      if (predicate?.(current)) return current;
      seen.add(current);
      const next: unknown = (current as { cause?: unknown }).cause;
      if (next === undefined || next === null) return predicate ? undefined : current;
      current = next;
    }
    return predicate ? undefined : current;
  }
}
