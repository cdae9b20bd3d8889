/**
 * `huzhu ceremony init | contribute | verify | beacon | finalize`: the production trusted setup of
 * the claim circuit (docs/CEREMONY.md). Results go to stdout (JSON with the global `--json`),
 * progress to stderr as log lines; every refusal exits with 1.
 */
import { join, resolve } from "node:path";
import { type Command, Option } from "commander";
import { type Logger, pino } from "pino";
import {
  applyBeacon,
  CeremonyError,
  contribute,
  finalizeCeremony,
  initCeremony,
  type Transcript,
  type VerifiedContribution,
  verifyCeremony,
} from "../../ceremony/index.ts";
import { releaseProver } from "../../sdk/prover.ts";

const ROOT = resolve(import.meta.dirname, "..", "..", "..");
const DEFAULT_R1CS = join(ROOT, "circuits", "build", "claim.r1cs");

type Options = Record<string, unknown> & { json?: boolean };

/** Progress lines on stderr: pino's JSON with --json, `ceremony: message key=value` otherwise. */
function progressLog(json: boolean): Logger {
  const level = process.env.LOG_LEVEL ?? "info";
  if (json) return pino({ name: "ceremony", level }, pino.destination({ fd: 2, sync: true }));
  const hidden = new Set(["level", "time", "pid", "hostname", "name", "msg"]);
  return pino(
    { name: "ceremony", level },
    {
      write(line: string) {
        const entry = JSON.parse(line) as Record<string, unknown>;
        const fields = Object.entries(entry)
          .filter(([key]) => !hidden.has(key))
          .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`);
        const level = Number(entry.level);
        const prefix = level >= 50 ? "ceremony (error)" : level >= 40 ? "ceremony (warning)" : "ceremony";
        process.stderr.write(`${prefix}: ${String(entry.msg)}${fields.length > 0 ? ` ${fields.join(" ")}` : ""}\n`);
      },
    },
  );
}

interface Context<O> {
  opts: O;
  log: Logger;
  /** Prints the result: `data` as JSON with --json, else the human text. */
  result(data: unknown, human: string): void;
}

/** Runs one subcommand: global options, a logger, one error path (exit code 1), and the curve's workers ended. */
function action<O extends Options>(body: (context: Context<O>) => Promise<void>): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const command = args[args.length - 1] as Command;
    const opts = command.optsWithGlobals() as O;
    const json = opts.json === true;
    const result = (data: unknown, human: string) => process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${human}\n`);
    try {
      await body({ opts, log: progressLog(json), result });
    } catch (error) {
      const code = error instanceof CeremonyError ? error.code : "ERROR";
      const message = error instanceof Error ? error.message : String(error);
      process.stderr.write(`error: ${message}\n`);
      if (json) process.stdout.write(`${JSON.stringify({ error: { code, message } }, null, 2)}\n`);
      process.exitCode = 1;
    } finally {
      // snarkjs keeps the curve's worker threads alive until told otherwise.
      await releaseProver();
    }
  };
}

function contributionLines(contributions: VerifiedContribution[]): string[] {
  return contributions.map(
    (c) => `  #${c.index} ${c.name}${c.beacon ? ` (beacon ${c.beacon.hash}, 2^${c.beacon.iterationsExp} iterations)` : ""}\n    ${c.hash}`,
  );
}

function setupLabel(transcript: Transcript): string {
  return transcript.ptau.published
    ? `${transcript.ptau.file} (published, power ${transcript.ptau.power})`
    : `${transcript.ptau.file} (power ${transcript.ptau.power}, NOT published: DEVELOPMENT setup, INSECURE)`;
}

export function registerCeremony(program: Command): void {
  const ceremony = program
    .command("ceremony")
    .description("run the phase-2 trusted setup of the claim circuit: init, contribute, verify, beacon, finalize");

  ceremony
    .command("init")
    .description("start a ceremony directory from a published Powers of Tau and the compiled circuit")
    .requiredOption("--ptau <file>", "prepared Powers of Tau (powersOfTau28_hez_final_NN.ptau; its blake2b is checked)")
    .addOption(new Option("--r1cs <file>", "the compiled circuit").default(DEFAULT_R1CS, "circuits/build/claim.r1cs"))
    .option("--wasm <file>", "the circuit's witness calculator (default: <name>_js/<name>.wasm beside the r1cs)")
    .requiredOption("--dir <dir>", "the ceremony directory to create")
    .option("--dev", "accept a Powers of Tau whose hash is not published (INSECURE development setup)")
    .action(
      action<Options & { ptau: string; r1cs: string; wasm?: string; dir: string; dev?: boolean }>(async ({ opts, log, result }) => {
        const transcript = await initCeremony({
          ptau: opts.ptau,
          r1cs: opts.r1cs,
          dir: opts.dir,
          dev: opts.dev === true,
          log,
          ...(opts.wasm === undefined ? {} : { wasm: opts.wasm }),
        });
        result(
          { dir: resolve(opts.dir), transcript },
          [
            `ceremony started in ${resolve(opts.dir)}`,
            `circuit:      ${transcript.circuit.r1cs} (${transcript.circuit.constraints} constraints)`,
            `circuit hash: ${transcript.circuit.circuitHash}`,
            `ptau:         ${setupLabel(transcript)}`,
            `next: each contributor runs \`huzhu ceremony contribute --dir ${opts.dir} --name <name>\``,
          ].join("\n"),
        );
      }),
    );

  ceremony
    .command("contribute")
    .description("verify the latest state, then add your contribution (OS randomness plus optional --entropy)")
    .requiredOption("--dir <dir>", "the ceremony directory")
    .requiredOption("--name <name>", "your public name, recorded in the transcript")
    .option("--entropy <text>", "extra randomness of your own, mixed with the operating system's")
    .option("--ptau <file>", "where the Powers of Tau is on this machine (its blake2b must match the transcript)")
    .action(
      action<Options & { dir: string; name: string; entropy?: string; ptau?: string }>(async ({ opts, log, result }) => {
        const { previous, contribution } = await contribute({
          dir: opts.dir,
          name: opts.name,
          log,
          ...(opts.entropy === undefined ? {} : { entropy: opts.entropy }),
          ...(opts.ptau === undefined ? {} : { ptau: opts.ptau }),
        });
        result(
          { verified: { zkey: previous.zkey, contributions: previous.contributions.length }, contribution },
          [
            `verified ${previous.zkey} (${previous.contributions.length} contribution(s) before yours)`,
            `contribution #${contribution.index} by ${contribution.name}: ${contribution.zkey}`,
            `contribution hash: ${contribution.hash}`,
            "publish this hash: anyone can check it appears in the final transcript and zkey",
          ].join("\n"),
        );
      }),
    );

  ceremony
    .command("verify")
    .description("verify the latest zkey against the circuit, the Powers of Tau and the transcript")
    .requiredOption("--dir <dir>", "the ceremony directory")
    .option("--ptau <file>", "where the Powers of Tau is on this machine")
    .action(
      action<Options & { dir: string; ptau?: string }>(async ({ opts, log, result }) => {
        const verified = await verifyCeremony({ dir: opts.dir, log, ...(opts.ptau === undefined ? {} : { ptau: opts.ptau }) });
        const { transcript, ...report } = verified;
        result(
          { ok: true, ...report, development: transcript.development, closed: transcript.beacon !== null },
          [
            `${verified.zkey} verifies: ${verified.contributions.length} contribution(s), matching the transcript`,
            `circuit hash: ${verified.circuitHash}`,
            `ptau:         ${setupLabel(transcript)}`,
            ...contributionLines(verified.contributions),
          ].join("\n"),
        );
      }),
    );

  ceremony
    .command("beacon")
    .description("close the contributions with a public random beacon")
    .requiredOption("--dir <dir>", "the ceremony directory")
    .requiredOption("--hash <hex>", "the beacon value announced in advance (e.g. a future block hash), hex")
    .requiredOption("--iterations <n>", "log2 of the SHA-256 iterations applied to the beacon (10 to 63)", (v) => Number(v))
    .option("--name <name>", "the beacon's name in the transcript", "final beacon")
    .option("--ptau <file>", "where the Powers of Tau is on this machine")
    .action(
      action<Options & { dir: string; hash: string; iterations: number; name: string; ptau?: string }>(async ({ opts, log, result }) => {
        const { previous, beacon } = await applyBeacon({
          dir: opts.dir,
          hash: opts.hash,
          iterationsExp: opts.iterations,
          name: opts.name,
          log,
          ...(opts.ptau === undefined ? {} : { ptau: opts.ptau }),
        });
        result(
          { verified: { zkey: previous.zkey, contributions: previous.contributions.length }, beacon },
          [
            `verified ${previous.zkey}; beacon applied: ${beacon.zkey}`,
            `beacon ${beacon.beaconHash}, 2^${beacon.iterationsExp} iterations`,
            `contribution hash: ${beacon.hash}`,
            `next: \`huzhu ceremony finalize --dir ${opts.dir} --out <dir>\``,
          ].join("\n"),
        );
      }),
    );

  ceremony
    .command("finalize")
    .description("verify the closed ceremony and export the zkey, wasm, verification key, Solidity verifier and transcript")
    .requiredOption("--dir <dir>", "the ceremony directory")
    .requiredOption("--out <dir>", "where to write the exports")
    .option("--ptau <file>", "where the Powers of Tau is on this machine")
    .action(
      action<Options & { dir: string; out: string; ptau?: string }>(async ({ opts, log, result }) => {
        const finalized = await finalizeCeremony({
          dir: opts.dir,
          out: opts.out,
          log,
          ...(opts.ptau === undefined ? {} : { ptau: opts.ptau }),
        });
        result(
          { out: finalized.out, files: finalized.files, final: finalized.transcript.final },
          [
            `exported to ${finalized.out} (sha256):`,
            ...Object.entries(finalized.files).map(([file, sha256]) => `  ${sha256}  ${file}`),
            finalized.transcript.development
              ? "DEVELOPMENT setup (unpublished Powers of Tau): INSECURE, never deploy it for real funds"
              : "publish the folder (transcript and SHA256SUMS), then deploy the verifier",
          ].join("\n"),
        );
      }),
    );
}
