/**
 * Where a password comes from, in order: a --password-file, the HUZHU_PASSWORD environment
 * variable, or a hidden prompt when stdin and stderr are a terminal.
 */
import { readFile } from "node:fs/promises";
import { CliError } from "./errors.ts";

export interface PasswordOptions {
  passwordFile?: string;
}

export interface PasswordRequest {
  /** Shown in the prompt, e.g. "identity keystore". */
  what: string;
  /** Ask twice when prompting (a new password). */
  confirm?: boolean;
}

export async function readPassword(opts: PasswordOptions, request: PasswordRequest): Promise<string> {
  if (opts.passwordFile !== undefined) {
    let text: string;
    try {
      text = await readFile(opts.passwordFile, "utf8");
    } catch (error) {
      throw new CliError(
        "PASSWORD_FILE",
        `cannot read the password file ${opts.passwordFile} (${(error as NodeJS.ErrnoException).code})`,
        undefined,
        { cause: error },
      );
    }
    const password = text.replace(/\r?\n$/, "");
    if (password.length === 0) throw new CliError("EMPTY_PASSWORD", `the password file ${opts.passwordFile} is empty`);
    return password;
  }
  const fromEnv = process.env.HUZHU_PASSWORD;
  if (fromEnv !== undefined && fromEnv.length > 0) return fromEnv;
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw new CliError(
      "NO_PASSWORD",
      `a password is needed for the ${request.what}`,
      "set HUZHU_PASSWORD, pass --password-file <file>, or run in a terminal to be asked",
    );
  }
  const password = await promptHidden(`Password for the ${request.what}: `);
  if (password.length === 0) throw new CliError("EMPTY_PASSWORD", "the password must not be empty");
  if (request.confirm) {
    const again = await promptHidden("Repeat the password: ");
    if (again !== password) throw new CliError("PASSWORD_MISMATCH", "the two passwords differ; nothing was written");
  }
  return password;
}

/** Reads a line from the terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let value = "";
    const finish = (error?: Error) => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write("\n");
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n" || ch === "\u0004") return finish();
        if (ch === "\u0003") return finish(new CliError("CANCELLED", "cancelled"));
        if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.setEncoding("utf8");
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on("data", onData);
  });
}
