/**
 * Checks the zkey a ceremony stands at, the way every contributor must before adding to it:
 *   1. cryptographically, with `zkey verify` against the circuit's r1cs and the Powers of Tau (it
 *      rebuilds the initial zkey and checks every contribution's proof of knowledge, the delta
 *      chain and the L and H sections);
 *   2. against the transcript: the same circuit hash, the same contributions in the same order,
 *      and the file the transcript recorded.
 */
import { fork } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "pino";
import { CeremonyError, CeremonyErrorCode } from "./errors.ts";
import { sha256File } from "./hashing.ts";
import { type CapturingLogger, snarkLogger } from "./progress.ts";
import type { Ceremony } from "./state.ts";
import { assertSnarkjsPin, SNARKJS_PIN } from "./toolchain.ts";
import { latestZkey } from "./transcript.ts";

export interface VerifiedContribution {
  index: number;
  name: string;
  hash: string;
  beacon?: { hash: string; iterationsExp: number };
}

export interface ZkeyVerification {
  zkey: string;
  sha256: string;
  circuitHash: string;
  contributions: VerifiedContribution[];
}

/** The hex digest in one of snarkjs's `formatHash` blocks (a title line, then 4 lines of 8-hex words). */
function formattedHash(block: string): string {
  return block.slice(block.indexOf("\n") + 1).replace(/\s+/g, "");
}

/**
 * Reads the circuit hash and the contributions from `zkey verify`'s report. A report with no circuit
 * hash line, or contribution blocks it cannot read, is refused TOOLCHAIN_CHANGED: snarkjs's text
 * changed, and comparing it with the transcript would only mislead.
 */
export function parseReport(infos: string[]): { circuitHash: string; contributions: VerifiedContribution[] } {
  let circuitHash = "";
  const contributions: VerifiedContribution[] = [];
  let current: VerifiedContribution | undefined;
  for (const line of infos) {
    const contribution = /^contribution #(\d+) (.*):\n/.exec(line);
    if (line.startsWith("Circuit Hash:")) circuitHash = formattedHash(line);
    else if (contribution) {
      current = { index: Number(contribution[1]), name: contribution[2] ?? "", hash: formattedHash(line) };
      contributions.push(current);
    } else if (current && line.startsWith("Beacon generator: ")) {
      current.beacon = { hash: line.slice("Beacon generator: ".length).trim(), iterationsExp: 0 };
    } else if (current?.beacon && line.startsWith("Beacon iterations Exp: ")) {
      current.beacon.iterationsExp = Number(line.slice("Beacon iterations Exp: ".length));
    }
  }
  const unreadable = (what: string) =>
    new CeremonyError(
      CeremonyErrorCode.ToolchainChanged,
      `snarkjs's zkey verify report no longer reads as snarkjs ${SNARKJS_PIN}'s did (${what}): check zkey-check.ts against the installed snarkjs`,
      { pinned: SNARKJS_PIN },
    );
  if (!/^[0-9a-f]{128}$/.test(circuitHash)) throw unreadable("no circuit hash of 64 bytes");
  const blocks = infos.filter((line) => line.startsWith("contribution #")).length;
  if (blocks !== contributions.length || contributions.some((c) => !/^[0-9a-f]{128}$/.test(c.hash))) {
    throw unreadable("a contribution whose number, name or hash it cannot read");
  }
  // snarkjs reports the newest contribution first.
  contributions.sort((a, b) => a.index - b.index);
  return { circuitHash, contributions };
}

/**
 * Runs `zkey verify` in a process of its own (zkey-verify-process.ts). snarkjs's logger lines come
 * back over IPC into `logger`; the lines it prints on standard output (a broken contribution's
 * `INVALID(i): …`) come back on the process's stdout and go to `logger` as errors
 * (`contribution #i+1: …`), after the logger's own, so the last error is the refusal's reason and
 * nothing reaches this process's stdout (the CLI's JSON).
 */
async function verifyInOwnProcess(files: { r1cs: string; ptau: string; zkey: string }, logger: CapturingLogger): Promise<boolean> {
  const child = fork(fileURLToPath(new URL("./zkey-verify-process.ts", import.meta.url)), [], {
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
  let printed = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    printed += chunk;
  });
  type Reply = { level: "debug" | "info" | "warn" | "error"; message: string } | { ok: boolean } | { error: string };
  const outcome = await new Promise<{ ok: boolean } | { error: string }>((resolve, reject) => {
    let answer: { ok: boolean } | { error: string } | undefined;
    child.on("message", (reply: Reply) => {
      if ("level" in reply) logger[reply.level](reply.message);
      else answer = reply;
    });
    child.on("error", reject);
    child.on("close", (code) => (answer ? resolve(answer) : reject(new Error(`the verification process ended with code ${code}`))));
    child.send(files);
  });
  for (const line of printed.split("\n").map((l) => l.trim())) {
    if (!line) continue;
    const invalid = /^INVALID\((\d+)\): (.*)$/.exec(line);
    logger.error(invalid ? `contribution #${Number(invalid[1]) + 1}: ${invalid[2]}` : line);
  }
  if ("error" in outcome) throw new Error(outcome.error);
  return outcome.ok;
}

export async function verifyLatestZkey(ceremony: Ceremony, log: Logger): Promise<ZkeyVerification> {
  const { transcript } = ceremony;
  const record = latestZkey(transcript);
  const path = join(ceremony.dir, record.zkey);
  const refuse = (reason: string, cause?: unknown) =>
    new CeremonyError(
      CeremonyErrorCode.ZkeyInvalid,
      `${record.zkey} does not verify against ${transcript.circuit.r1cs} and the Powers of Tau: ${reason}`,
      { zkey: record.zkey },
      { cause },
    );
  if (!existsSync(path)) throw refuse("the file is missing");
  assertSnarkjsPin();

  // 1. Cryptographic check.
  log.info({ zkey: record.zkey }, "verifying the zkey against the r1cs and the Powers of Tau");
  const logger = snarkLogger(log, "zkey verify", true);
  let ok: boolean;
  try {
    ok = await verifyInOwnProcess({ r1cs: ceremony.r1csPath, ptau: ceremony.ptauPath, zkey: path }, logger);
  } catch (error) {
    throw refuse(`unreadable (${(error as Error).message})`, error);
  }
  if (!ok) throw refuse(logger.errors.at(-1) ?? "a contribution's proof or the delta chain is inconsistent");

  // 2. Consistency with the transcript.
  const report = parseReport(logger.infos);
  const mismatch = (reason: string) =>
    new CeremonyError(CeremonyErrorCode.TranscriptMismatch, `${record.zkey} verifies, but ${reason}`, { zkey: record.zkey });
  if (report.circuitHash !== transcript.circuit.circuitHash) {
    throw mismatch(`its circuit hash ${report.circuitHash} is not the transcript's ${transcript.circuit.circuitHash}`);
  }
  const expected = [...transcript.contributions, ...(transcript.beacon ? [transcript.beacon] : [])];
  if (report.contributions.length !== expected.length) {
    throw mismatch(`it holds ${report.contributions.length} contributions and the transcript lists ${expected.length}`);
  }
  for (const [i, step] of expected.entries()) {
    const found = report.contributions[i];
    if (found?.hash !== step.hash) {
      throw mismatch(`its contribution #${i + 1} has hash ${found?.hash}, the transcript lists ${step.hash} (${step.name})`);
    }
  }
  const sha256 = await sha256File(path);
  if (sha256 !== record.sha256) throw mismatch(`the file's sha256 ${sha256} is not the transcript's ${record.sha256}`);

  log.info({ zkey: record.zkey, contributions: report.contributions.length }, "zkey verified");
  return { zkey: record.zkey, sha256, ...report };
}
