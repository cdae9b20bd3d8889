/**
 * `huzhu audit --rpc URL --pool ADDRESS [--from-block N] [--json]`: audits a pool from chain data
 * alone (no relayer, no private data). Exit code 0 only if every check passes, 1 on any finding,
 * 2 if the audit could not run. Progress goes to stderr; the report to stdout.
 */
import { join } from "node:path";
import type { Command } from "commander";
import { pino } from "pino";
import { createPublicClient, http } from "viem";
import { runAudit } from "../../auditor/audit.ts";
import { reportJson, reportText } from "../../auditor/report.ts";
import { loadVerificationKey, localStateDir } from "../../sdk/node.ts";
import { releaseProver } from "../../sdk/prover.ts";
import { addressOption, blockOption } from "../lib/chain.ts";
import { describeError } from "../lib/errors.ts";

interface AuditCliOptions {
  rpc: string;
  pool: string;
  fromBlock?: string;
  toBlock?: string;
  confirmations: string;
  vkey: string;
  checkpoint: string | boolean;
  batchSize?: string;
  logChunk?: string;
  json?: boolean;
}

export function registerAudit(program: Command): void {
  program
    .command("audit")
    .description("re-verify every claim proof, nullifier, root and plan's books of a pool from chain data alone")
    .requiredOption("--rpc <url>", "JSON-RPC endpoint of the chain")
    .requiredOption("--pool <address>", "the pool contract")
    .option("--from-block <n>", "first block to read (the pool's deployment block)", "0")
    .option("--to-block <n>", "last block to audit (default: the head minus --confirmations)")
    .option("--confirmations <n>", "leave this many newest blocks out", "0")
    .option("--vkey <path>", "the published verification key (default: HUZHU_SETUP_DIR's, else the development key)")
    .option("--checkpoint <path>", "checkpoint file (default: <state dir>/audit/<chainId>-<pool>.json)")
    .option("--no-checkpoint", "read every block, keep no checkpoint")
    .option("--batch-size <n>", "proofs per batch verification", "256")
    .option("--log-chunk <n>", "largest block span of one eth_getLogs call")
    .option("--json", "print the report as JSON")
    .action(async (_opts: AuditCliOptions, command: Command) => {
      const opts = command.optsWithGlobals() as AuditCliOptions;
      const log = pino({ name: "audit", level: process.env.LOG_LEVEL ?? "info" }, pino.destination(2));
      try {
        const pool = addressOption(opts.pool, "--pool");
        const client = createPublicClient({ transport: http(opts.rpc, { batch: true, retryCount: 3 }), cacheTime: 0 });
        const chainId = await client.getChainId();
        const checkpointPath =
          opts.checkpoint === false
            ? undefined
            : typeof opts.checkpoint === "string"
              ? opts.checkpoint
              : join(localStateDir(), "audit", `${chainId}-${pool.toLowerCase()}.json`);
        const report = await runAudit({
          client,
          pool,
          vkey: loadVerificationKey(opts.vkey),
          fromBlock: blockOption(opts.fromBlock ?? "0", "--from-block"),
          ...(opts.toBlock === undefined ? {} : { toBlock: blockOption(opts.toBlock, "--to-block") }),
          confirmations: blockOption(opts.confirmations, "--confirmations"),
          ...(checkpointPath === undefined ? {} : { checkpointPath }),
          ...(opts.batchSize === undefined ? {} : { batchSize: Number(blockOption(opts.batchSize, "--batch-size")) }),
          ...(opts.logChunk === undefined ? {} : { logChunk: blockOption(opts.logChunk, "--log-chunk") }),
          logger: log,
        });
        process.stdout.write(opts.json ? `${reportJson(report)}\n` : reportText(report));
        process.exitCode = report.ok ? 0 : 1;
      } catch (error) {
        const message = (error as { shortMessage?: string }).shortMessage ?? (error instanceof Error ? error.message : String(error));
        // The code is the CLI's for the same error (BAD_ADDRESS, CHAIN_UNREACHABLE, CHECKPOINT_INVALID, ...).
        const { code } = describeError(error);
        if (opts.json) process.stdout.write(`${JSON.stringify({ ok: false, code, error: message })}\n`);
        else process.stderr.write(`huzhu audit: ${message}\n`);
        process.exitCode = 2;
      } finally {
        await releaseProver();
      }
    });
}
