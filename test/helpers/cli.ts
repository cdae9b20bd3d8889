/** Runs the real `huzhu` CLI as a child process (`node service/cli/main.ts …`) and collects its output. */
import { spawn } from "node:child_process";
import { join } from "node:path";

const MAIN = join(import.meta.dirname, "..", "..", "service", "cli", "main.ts");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (for `--json` runs). */
  json<T = Record<string, unknown>>(): T;
}

export interface CliRunOptions {
  env?: Record<string, string | undefined>;
  input?: string;
}

export function runCli(args: string[], options: CliRunOptions = {}): Promise<CliResult> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...options.env })) if (v !== undefined) env[k] = v;
  const child = spawn(process.execPath, [MAIN, ...args], { env, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdin.end(options.input ?? "");
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) =>
      resolve({
        code,
        stdout,
        stderr,
        json<T>() {
          try {
            return JSON.parse(stdout) as T;
          } catch {
            throw new Error(`not JSON (exit ${code}):\n${stdout}\n--- stderr ---\n${stderr}`);
          }
        },
      }),
    );
  });
}

export interface ApprovalRequest {
  /** The member's identity commitment (decimal). */
  commitment: string;
  amount: string;
  /** `--expires-epoch`: an epoch, or `+N` epochs from now. */
  expires: string;
  /** The assessor's key file. */
  keyFile: string;
  /** Where the approval is written. */
  out: string;
  env: Record<string, string | undefined>;
}

/** Signs an approval on plan 1 with `huzhu assessor approve` (a fresh event id); returns its file. */
export async function approveWithCli(request: ApprovalRequest): Promise<string> {
  const args = ["assessor", "approve", "--plan", "1", "--commitment", request.commitment, "--event", String(Date.now())];
  args.push("--amount", request.amount, "--expires-epoch", request.expires, "--key", request.keyFile, "--out", request.out);
  const result = await runCli(args, { env: request.env });
  if (result.code !== 0) throw new Error(`huzhu assessor approve exited ${result.code}: ${result.stderr}`);
  return request.out;
}
