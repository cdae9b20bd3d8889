/** Runs the real `huzhu` CLI as a child process (`node service/cli/main.ts …`) and collects its output. */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { expect } from "vitest";

const MAIN = join(import.meta.dirname, "..", "service", "cli", "main.ts");

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

/** What `huzhu --json case show <caseId>` says of an approved case. */
export interface ApprovedCase {
  status: string;
  approvalFile: string;
  claimCommand: string;
  decision: { kind: string; amount: { raw: string } };
}

/**
 * The member's side once a case is approved: reads it with `huzhu case show`, runs the claim
 * command it prints with `recipient` through the relayer at `relayerUrl`, and returns both replies.
 */
export async function claimApprovedCase(
  caseId: string,
  recipient: string,
  relayerUrl: string,
  env: Record<string, string | undefined>,
): Promise<{ shown: ApprovedCase; paid: { status: string; payout: { raw: string } } }> {
  const show = await runCli(["--json", "case", "show", caseId], { env });
  if (show.code !== 0) throw new Error(`huzhu case show exited ${show.code}: ${show.stderr}`);
  const shown = show.json<ApprovedCase>();
  const args = shown.claimCommand
    .replace(/^huzhu /, "")
    .replace("<fresh address>", recipient)
    .split(" ");
  const claim = await runCli(["--json", ...args, "--relayer", relayerUrl], { env });
  if (claim.code !== 0) throw new Error(`huzhu ${args.join(" ")} exited ${claim.code}: ${claim.stderr}`);
  return { shown, paid: claim.json() };
}

/**
 * `--json` runs of the CLI in the environment `env()` returns (read at each call, so a test may
 * change it): `cli` as is, `ok` for a command that must succeed (its JSON), `refused` for one
 * that must fail (its error).
 */
export function jsonCli(env: () => Record<string, string>) {
  const cli = (args: string[], extra: Record<string, string> = {}) => runCli(["--json", ...args], { env: { ...env(), ...extra } });
  return {
    cli,
    async ok<T = Record<string, unknown>>(args: string[]): Promise<T> {
      const result = await cli(args);
      expect(result.code, `huzhu ${args.join(" ")}\n${result.stderr}`).toBe(0);
      return result.json<T>();
    },
    async refused(args: string[], extra: Record<string, string> = {}) {
      const result = await cli(args, extra);
      expect(result.code, result.stdout).toBe(1);
      return result.json<{ error: { code: string; message: string; hint?: string } }>().error;
    },
  };
}
