/** Reading and writing the CLI's JSON files; secrets are written owner-only (0600). */
import { constants } from "node:fs";
import { chmod, mkdir, open, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { CliError } from "./errors.ts";
import { toJson } from "./output.ts";

export async function readJsonFile(path: string, what: string, hint?: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new CliError("FILE_NOT_FOUND", `no ${what} at ${path}`, hint, { cause: error });
    throw new CliError("FILE_UNREADABLE", `cannot read the ${what} ${path} (${code})`, undefined, { cause: error });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new CliError("NOT_JSON", `the ${what} ${path} is not JSON`);
  }
}

export interface WriteOptions {
  /** Replace an existing file. */
  force?: boolean;
  /** Owner read/write only (keys, keystores). */
  secret?: boolean;
}

/** Writes `content` (a string, or a value as JSON); refuses to overwrite unless `force`. */
export async function writeFileSafely(path: string, content: unknown, options: WriteOptions = {}): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const text = typeof content === "string" ? content : `${toJson(content)}\n`;
  const flags = constants.O_WRONLY | constants.O_CREAT | (options.force ? constants.O_TRUNC : constants.O_EXCL);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, flags, options.secret ? 0o600 : 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") {
      throw new CliError(
        "FILE_EXISTS",
        `${path} already exists; nothing was written`,
        "pass --force to replace it, or choose another path",
        { cause: error },
      );
    }
    throw new CliError("FILE_UNWRITABLE", `cannot write ${path} (${(error as NodeJS.ErrnoException).code})`, undefined, { cause: error });
  }
  try {
    await handle.writeFile(text);
  } finally {
    await handle.close();
  }
  // An existing file keeps its mode when truncated: tighten it explicitly.
  if (options.secret) await chmod(path, 0o600);
}
