/**
 * One audit of a Huzhu pool from an RPC endpoint and the pool's address alone: read every event
 * (resuming from a checkpoint, rewinding past reorganised blocks), check the deployed verifier
 * against the published verification key, re-verify every new claim proof in batches, then run
 * the event checks and compare the books with the pool's own figures and token balances.
 */
import { createHash } from "node:crypto";
import type { Logger } from "pino";
import type { Address, Hex, PublicClient } from "viem";
import { Groth16BatchVerifier } from "../sdk/batch-verify.ts";
import { PUBLIC_SIGNALS } from "../sdk/constants.ts";
import { fromSolidityProof } from "../sdk/encoding.ts";
import type { VerificationKey } from "../sdk/prover.ts";
import { CHECKPOINT_VERSION, type Checkpoint, loadCheckpoint, resumeFrom, saveCheckpoint } from "./checkpoint.ts";
import { AuditCheck, checkEvents, type Finding, type PlanSummary, type TokenSummary } from "./checks.ts";
import type { ClaimEvent, PoolEvent } from "./events.ts";
import { readPoolEvents, readPoolState } from "./reader.ts";
import { rebuildVerifier } from "./verifier-build.ts";
import { checkVerifier } from "./verifier-key.ts";

export interface AuditOptions {
  client: PublicClient;
  pool: Address;
  /** The published verification key the proofs and the verifier are checked against. */
  vkey: VerificationKey;
  /** First block to read (the pool's deployment block; default 0). */
  fromBlock?: bigint;
  /** Last block to audit (default: the head minus `confirmations`). */
  toBlock?: bigint;
  confirmations?: bigint;
  /** Read and write a checkpoint here; a re-run reads only newer blocks. */
  checkpointPath?: string;
  /** Proofs per batch verification (default 256). */
  batchSize?: number;
  /** Largest block span of one eth_getLogs call. */
  logChunk?: bigint;
  /** Progress and notices (pino). */
  logger?: Logger;
}

export interface AuditReport {
  /** True only if every check passed. */
  ok: boolean;
  chainId: bigint;
  pool: Address;
  fromBlock: bigint;
  toBlock: bigint;
  toBlockHash: Hex;
  verifier: {
    address: Address;
    /** sha256 of the published verification key (canonical JSON). */
    vkeyHash: string;
    embedsKey: boolean;
    missingConstants: string[];
    rejectsInvalidProof: boolean;
    /**
     * Whether its runtime code equals snarkjs's verifier for the key built with the project's
     * compiler settings (`build`). Informational: a verifier compiled with other settings differs
     * and can still be right; the two checks above and every proof re-verified decide.
     */
    rebuild: { matches: boolean; build: string };
  };
  claims: { total: number; verified: number; failed: number };
  plans: PlanSummary[];
  tokens: TokenSummary[];
  findings: Finding[];
  run: {
    /** First block this run read (later than fromBlock when resumed from a checkpoint). */
    readFrom: bigint;
    rewoundFrom?: bigint;
    newEvents: number;
    proofsVerified: number;
    readMs: number;
    /** The verifier checks and the rebuild from the key (once per audit, whatever the claims). */
    verifierMs: number;
    verifyMs: number;
    totalMs: number;
  };
}

/** sha256 of a verification key's canonical JSON (keys sorted). */
export function verificationKeyHash(vkey: VerificationKey): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v !== null && typeof v === "object"
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
          )
        : v;
  return createHash("sha256")
    .update(JSON.stringify(canonical(vkey)))
    .digest("hex");
}

/** The claim's public signals in the circuit's order (the SDK's PUBLIC_SIGNALS; the context as the pool computed it). */
export function claimSignals(claim: ClaimEvent): bigint[] {
  return PUBLIC_SIGNALS.map((name) => claim[name]);
}

/** Verifies every claim that has no verdict yet, in batches; sets `verified` on each. */
export async function verifyClaims(
  claims: readonly ClaimEvent[],
  verifier: Groth16BatchVerifier,
  onProgress?: (done: number, total: number) => void,
): Promise<void> {
  const pending = claims.filter((c) => c.verified === undefined);
  if (pending.length === 0) return;
  const items = pending.map((c) => ({ proof: fromSolidityProof(c.proof), publicSignals: claimSignals(c) }));
  const results = await verifier.verify(items, onProgress);
  pending.forEach((c, i) => {
    c.verified = results[i] === true;
  });
}

/** Calls `report` at most every `ms` milliseconds, and always when `last` is true. */
function every(ms: number): (last: boolean, report: () => void) => void {
  let previous = 0;
  return (last, report) => {
    const now = Date.now();
    if (last || now - previous >= ms) {
      previous = now;
      report();
    }
  };
}

export async function runAudit(options: AuditOptions): Promise<AuditReport> {
  const started = performance.now();
  const { client, pool, vkey, logger } = options;
  const chainId = BigInt(await client.getChainId());
  const fromBlock = options.fromBlock ?? 0n;
  const head = await client.getBlockNumber();
  const confirmations = options.confirmations ?? 0n;
  const toBlock = options.toBlock ?? (head > confirmations ? head - confirmations : 0n);
  const vkeyHash = verificationKeyHash(vkey);

  /** What a checkpoint holds once `events` are read up to `lastBlock`. */
  const checkpointAt = (lastBlock: bigint, lastBlockHash: Hex, events: PoolEvent[]): Checkpoint => ({
    version: CHECKPOINT_VERSION,
    chainId,
    pool,
    fromBlock,
    vkeyHash,
    lastBlock,
    lastBlockHash,
    events,
  });

  // 1. Resume from the checkpoint if it is for this chain, pool, start block and key.
  let events: PoolEvent[] = [];
  let readFrom = fromBlock;
  let rewoundFrom: bigint | undefined;
  if (options.checkpointPath) {
    const saved = await loadCheckpoint(options.checkpointPath);
    if (saved && saved.chainId === chainId && saved.pool.toLowerCase() === pool.toLowerCase() && saved.fromBlock === fromBlock) {
      const resume = await resumeFrom(client, saved);
      // A --to-block below the checkpoint's last block audits only up to it.
      events = resume.events.filter((e) => e.block <= toBlock);
      readFrom = resume.nextBlock <= toBlock + 1n ? resume.nextBlock : toBlock + 1n;
      rewoundFrom = resume.rewoundFrom;
      if (rewoundFrom !== undefined) {
        logger?.warn(
          { from: rewoundFrom, to: readFrom - 1n },
          "the checkpoint's last blocks are no longer on the chain (reorganisation): rewinding",
        );
      }
      if (saved.vkeyHash !== vkeyHash) {
        logger?.info("the verification key differs from the checkpoint's: every proof is verified again");
        for (const e of events) if (e.kind === "claim") delete e.verified;
      }
      logger?.info({ checkpoint: options.checkpointPath, events: events.length, readFrom }, "resuming from the checkpoint");
    } else if (saved) {
      logger?.warn(
        { checkpoint: options.checkpointPath },
        "the checkpoint is for another chain, pool or start block: reading from the start",
      );
    }
  }

  // 2. Read the new blocks. If the audited block changes hash meanwhile, rewind and read again.
  const readStarted = performance.now();
  let toBlockHash: Hex;
  let newEvents = 0;
  for (let attempt = 0; ; attempt++) {
    const block = await client.getBlock({ blockNumber: toBlock });
    toBlockHash = block.hash as Hex;
    const progress = every(2_000);
    const fresh =
      readFrom <= toBlock
        ? await readPoolEvents({
            client,
            pool,
            fromBlock: readFrom,
            toBlock,
            ...(options.logChunk === undefined ? {} : { logChunk: options.logChunk }),
            onProgress: (p) =>
              progress(p.block === toBlock, () => logger?.info({ block: p.block, toBlock, events: p.events }, "reading events")),
          })
        : [];
    const after = await client.getBlock({ blockNumber: toBlock });
    if (after.hash === toBlockHash || attempt >= 2) {
      events = events.concat(fresh);
      newEvents = fresh.length;
      break;
    }
    logger?.warn({ toBlock }, "the chain reorganised while reading: reading again");
    const resume = await resumeFrom(client, checkpointAt(toBlock, toBlockHash, events.concat(fresh)));
    events = resume.events;
    readFrom = resume.nextBlock;
  }
  const readMs = performance.now() - readStarted;

  // 3. The pool's state at the audited block, and the verifier against the published key.
  const tokens = [...new Set(events.flatMap((e) => (e.kind === "plan" ? [e.token] : [])))];
  const state = await readPoolState(client, pool, toBlock, tokens);
  const verifierStarted = performance.now();
  const verifierCheck = await checkVerifier(client, state.verifier, vkey, toBlock);
  const rebuild = rebuildVerifier((await client.getCode({ address: state.verifier, blockNumber: toBlock })) ?? "0x", vkey);
  const verifierMs = performance.now() - verifierStarted;

  // 4. Every claim without a verdict, in batches.
  const verifyStarted = performance.now();
  const claims = events.filter((e): e is ClaimEvent => e.kind === "claim");
  const pending = claims.filter((c) => c.verified === undefined).length;
  if (pending > 0) {
    const batch = await Groth16BatchVerifier.create(vkey, options.batchSize === undefined ? {} : { batchSize: options.batchSize });
    const progress = every(2_000);
    await verifyClaims(claims, batch, (done, total) =>
      progress(done === total, () =>
        logger?.info({ done, total, perSecond: Math.round(done / ((performance.now() - verifyStarted) / 1000)) }, "verifying claim proofs"),
      ),
    );
  }
  const verifyMs = performance.now() - verifyStarted;

  // 5. The event checks and the books.
  const result = checkEvents({
    events,
    chainId,
    pool,
    memberRootHistory: state.memberRootHistory,
    epochGrace: state.epochGrace,
    refundRegistration: state.refundRegistration,
    books: state.books,
    tokenBalances: state.tokenBalances,
  });
  const findings: Finding[] = [];
  if (verifierCheck.missing.length > 0) {
    findings.push({
      check: AuditCheck.VerifierKey,
      message: `the verifier ${state.verifier} does not embed the published verification key (sha256 ${vkeyHash}): missing ${verifierCheck.missing.join(", ")}`,
    });
  }
  if (!verifierCheck.rejectsInvalidProof) {
    findings.push({
      check: AuditCheck.VerifierBehaviour,
      message: `the verifier ${state.verifier} accepted a proof that does not verify (group generators, zero signals)`,
    });
  }
  findings.push(...result.findings);

  if (options.checkpointPath) {
    await saveCheckpoint(options.checkpointPath, checkpointAt(toBlock, toBlockHash, events));
  }

  const verified = claims.filter((c) => c.verified === true).length;
  return {
    ok: findings.length === 0,
    chainId,
    pool,
    fromBlock,
    toBlock,
    toBlockHash,
    verifier: {
      address: state.verifier,
      vkeyHash,
      embedsKey: verifierCheck.missing.length === 0,
      missingConstants: verifierCheck.missing,
      rejectsInvalidProof: verifierCheck.rejectsInvalidProof,
      rebuild,
    },
    claims: { total: claims.length, verified, failed: claims.length - verified },
    plans: result.plans,
    tokens: result.tokens,
    findings,
    run: {
      readFrom,
      ...(rewoundFrom === undefined ? {} : { rewoundFrom }),
      newEvents,
      proofsVerified: pending,
      readMs,
      verifierMs,
      verifyMs,
      totalMs: performance.now() - started,
    },
  };
}
