/**
 * The one writer of the relayer's wallet: takes accepted claims in order, gives each a nonce,
 * records the signed transaction before broadcasting it, follows receipts to the confirmation
 * depth, re-prices a transaction that is not mined in time (same nonce, so at most one of its
 * versions can land), and resumes all of this after a restart from the store alone. Where several
 * instances share a store, each pass first asks the store whether this instance is the writer; the
 * others only accept claims.
 */
import type { Logger } from "pino";
import { BlockNotFoundError, encodeFunctionData, type Hex, keccak256, TransactionReceiptNotFoundError } from "viem";
import { type Groth16Proof, huzhuPoolAbi, requestFromJson, toSolidityProof } from "../sdk/index.ts";
import type { ClaimArgs, PoolGateway } from "./chain.ts";
import { type ClaimPayload, payableUntil } from "./claims.ts";
import { HOLD_CODES, RelayerErrorCode } from "./errors.ts";
import type { Metrics } from "./metrics.ts";
import type { ClaimStore, SentTransaction, StoredClaim } from "./store.ts";

export interface SubmitterOptions {
  confirmations: number;
  repriceAfterMs: number;
  pollIntervalMs: number;
}

/** A pending transaction is broadcast again this often, in case a node dropped it. */
const REBROADCAST_MS = 5_000;

/** Replacement transactions must raise both fees; nodes commonly require at least +10%. */
const REPRICE_NUMERATOR = 125n;

/** A stored claim's request; one accepted before gas drops existed carries none. */
function claimArgs(payload: ClaimPayload): ClaimArgs {
  const stored: Readonly<Record<string, string>> = payload.request;
  return requestFromJson({ gasDrop: "0", ...stored });
}

function larger(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

export class Submitter {
  readonly #gateway: PoolGateway;
  readonly #store: ClaimStore;
  readonly #log: Logger;
  readonly #metrics: Metrics;
  readonly #options: SubmitterOptions;
  #nextNonce: number | undefined;
  /** Hash of the head block the receipts were last looked up at. */
  #lastHead: Hex | undefined;
  /** Hash of the head block at which held claims were last tried. */
  #lastWaitHead: Hex | undefined;
  /** When each transaction was last broadcast (re-broadcast at most every REBROADCAST_MS). */
  readonly #broadcastAt = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = true;
  /** Whether the last pass found this instance the writer (undefined before the first pass). */
  #writer: boolean | undefined;

  constructor(gateway: PoolGateway, store: ClaimStore, log: Logger, metrics: Metrics, options: SubmitterOptions) {
    this.#gateway = gateway;
    this.#store = store;
    this.#log = log;
    this.#metrics = metrics;
    this.#options = options;
  }

  start(): void {
    this.#stopped = false;
    this.wake();
  }

  /** Finishes the step in progress (a transaction is never left half-recorded) and stops. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  /** Runs a pass now (after a new claim), or right after the current one. */
  wake(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#running = this.#pass()
      .catch((error: unknown) => this.#log.warn({ err: error }, "submitter pass failed; retrying"))
      .finally(() => {
        this.#running = undefined;
        if (this.#stopped) return;
        if (this.#again) {
          this.#again = false;
          this.wake();
        } else {
          this.#timer = setTimeout(() => this.wake(), this.#options.pollIntervalMs);
        }
      });
  }

  async #pass(): Promise<void> {
    if (!(await this.#isWriter())) return;
    // Receipts and balances can only change with a new head: look them up once per head block, not
    // once per pass. A head is named by its hash, so a reorganisation to a chain of the same height
    // (or a lower one) counts as new.
    const head = await this.#gateway.publicClient.getBlock({ blockTag: "latest" });
    const newHead = head.hash !== this.#lastHead;
    for (const claim of await this.#store.unfinished("submitted")) {
      if (this.#stopped) return;
      if (newHead) await this.#track(claim, head.number);
      else await this.#keepAlive(claim);
    }
    this.#lastHead = head.hash;
    // Held claims, oldest first: each is tried again when a new block may have brought funds. In a
    // plan whose oldest held claim still cannot be paid, younger claims wait behind it, so claims
    // are paid in the order they were accepted.
    const blocked = new Set<string>();
    const newWaitHead = head.hash !== this.#lastWaitHead;
    for (const claim of await this.#store.unfinished("waiting_for_funds")) {
      if (this.#stopped) return;
      if (blocked.has(claim.planId)) continue;
      if (!newWaitHead) {
        if (Date.now() / 1000 > (claim.heldUntil ?? Number.POSITIVE_INFINITY)) await this.#expire(claim);
        else blocked.add(claim.planId);
        continue;
      }
      if ((await this.#send(claim)) === "held") blocked.add(claim.planId);
    }
    this.#lastWaitHead = head.hash;
    for (const claim of await this.#store.unfinished("queued")) {
      if (this.#stopped) return;
      if (blocked.has(claim.planId))
        await this.#hold(claim, RelayerErrorCode.InsufficientPoolFunds, "waiting behind older held claims of this plan");
      else if ((await this.#send(claim)) === "held") blocked.add(claim.planId);
    }
    const counts = await this.#store.countByStatus();
    this.#metrics.queueDepth.set({ status: "queued" }, counts.queued);
    this.#metrics.queueDepth.set({ status: "waiting_for_funds" }, counts.waiting_for_funds);
    this.#metrics.queueDepth.set({ status: "submitted" }, counts.submitted);
  }

  /**
   * Asks the store whether this instance is the writer. On becoming the writer, the nonce and the
   * receipts are read afresh: another instance may have sent transactions meanwhile.
   */
  async #isWriter(): Promise<boolean> {
    const writer = await this.#store.writer();
    if (writer !== this.#writer) {
      this.#nextNonce = undefined;
      this.#lastHead = undefined;
      this.#lastWaitHead = undefined;
      this.#metrics.writer.set(writer ? 1 : 0);
      if (writer) this.#log.info({ store: this.#store.location }, "this instance sends the claims (writer)");
      else this.#log.info({ store: this.#store.location }, "another instance sends the claims; this one accepts them and answers status");
      this.#writer = writer;
    }
    return writer;
  }

  async #nonce(): Promise<number> {
    if (this.#nextNonce === undefined) {
      const pending = await this.#gateway.publicClient.getTransactionCount({ address: this.#gateway.relayer, blockTag: "pending" });
      this.#nextNonce = Math.max(pending, (await this.#store.maxNonce()) + 1);
    }
    return this.#nextNonce;
  }

  async #fail(claim: StoredClaim, code: string, reason: string): Promise<void> {
    await this.#store.markFailed(claim.id, code, reason);
    this.#metrics.claimsFinished.inc({ status: "failed" });
    this.#log.info({ claim: claim.id, code }, "claim failed");
  }

  /** Holds a claim the pool cannot pay yet (`waiting_for_funds`), until its quote or epoch runs out. */
  async #hold(claim: StoredClaim, code: string, reason: string): Promise<void> {
    const payload = JSON.parse(claim.payload) as ClaimPayload;
    const plan = await this.#gateway.plan(BigInt(claim.planId));
    const until = payableUntil(payload, plan);
    if (Date.now() / 1000 > until) {
      await this.#expire({ ...claim, heldUntil: until });
      return;
    }
    if (claim.status === "waiting_for_funds" && claim.code === code && claim.reason === reason) return;
    await this.#store.markWaiting(claim.id, code, reason, until);
    this.#log.info({ claim: claim.id, code, heldUntil: until }, "claim held until the pool can pay it");
  }

  async #expire(claim: StoredClaim): Promise<void> {
    const until = claim.heldUntil === null ? "its quote's expiry" : new Date(claim.heldUntil * 1000).toISOString();
    await this.#fail(
      claim,
      RelayerErrorCode.HoldExpired,
      `held for funds until ${until}, when its quote or claim epoch ran out; prove again with a fresh quote and send the new proof: it replaces this claim`,
    );
  }

  /** Sends a queued or held claim; says whether it was sent, held (the pool cannot pay it yet) or ended. */
  async #send(claim: StoredClaim): Promise<"sent" | "held" | "ended"> {
    const payload = JSON.parse(claim.payload) as ClaimPayload;
    const args = claimArgs(payload);
    const proof = toSolidityProof(payload.proof as Groth16Proof);
    // Someone else (the member directly, another relayer) may have paid it since we accepted it:
    // find out before spending gas.
    if (await this.#gateway.nullifierSpent(args.nullifier)) {
      // A claim sent again after losing its nonce may have been paid by an earlier version after all.
      for (const tx of claim.transactions) {
        const receipt = await this.#gateway.publicClient.getTransactionReceipt({ hash: tx.hash }).catch(() => undefined);
        if (receipt?.status === "success") {
          await this.#store.markConfirmed(claim.id, tx.hash, receipt.blockNumber);
          this.#metrics.claimsFinished.inc({ status: "confirmed" });
          return "ended";
        }
      }
      await this.#fail(claim, RelayerErrorCode.NullifierSpent, "already spent: another submission of this claim was paid first");
      return "ended";
    }
    if (claim.status === "waiting_for_funds" && claim.heldUntil !== null && Date.now() / 1000 > claim.heldUntil) {
      await this.#expire(claim);
      return "ended";
    }
    let gas: bigint;
    try {
      gas = await this.#gateway.estimateGas(args, proof);
    } catch (error) {
      const e = error as { code?: string; message: string };
      if (e.code === RelayerErrorCode.NotReady) throw error; // chain unreachable: retry next pass
      if (e.code !== undefined && HOLD_CODES.includes(e.code)) {
        await this.#hold(claim, e.code, e.message);
        return "held";
      }
      await this.#fail(claim, e.code ?? RelayerErrorCode.SimulationFailed, e.message);
      return "ended";
    }
    const fees = await this.#gateway.publicClient.estimateFeesPerGas();
    const nonce = await this.#nonce();
    const tx = await this.#sign(args, proof, nonce, (gas * 12n) / 10n, fees.maxFeePerGas, fees.maxPriorityFeePerGas);
    if (!(await this.#store.recordTransaction(claim.id, nonce, tx, claim.replacements))) {
      // The member's newer body replaced this one while it was being signed: send that one instead
      // (next pass); this transaction is never broadcast, so its nonce stays free.
      this.#log.info({ claim: claim.id }, "claim replaced while being sent; sending the newer body");
      this.wake();
      return "ended";
    }
    this.#nextNonce = nonce + 1;
    this.#metrics.transactionsSent.inc({ kind: "first" });
    this.#log.info({ claim: claim.id, tx: tx.hash, nonce, wasHeld: claim.status === "waiting_for_funds" }, "claim transaction sent");
    await this.#broadcast(tx);
    return "sent";
  }

  async #sign(args: ClaimArgs, proof: ReturnType<typeof toSolidityProof>, nonce: number, gas: bigint, maxFee: bigint, maxPriority: bigint) {
    const data = encodeFunctionData({ abi: huzhuPoolAbi, functionName: "claim", args: [args, proof] });
    const raw = await this.#gateway.account.signTransaction({
      type: "eip1559",
      chainId: this.#gateway.chainId,
      to: this.#gateway.pool,
      data,
      // The gas drop rides with the claim; the pool refuses any other value (GasDropMismatch).
      value: args.gasDrop,
      nonce,
      gas,
      maxFeePerGas: maxFee,
      maxPriorityFeePerGas: maxPriority,
    });
    return {
      hash: keccak256(raw),
      raw,
      gas: gas.toString(),
      maxFeePerGas: maxFee.toString(),
      maxPriorityFeePerGas: maxPriority.toString(),
      sentAt: Date.now(),
    } satisfies SentTransaction;
  }

  async #broadcast(tx: SentTransaction): Promise<void> {
    this.#broadcastAt.set(tx.hash, Date.now());
    try {
      await this.#gateway.publicClient.sendRawTransaction({ serializedTransaction: tx.raw as Hex });
    } catch (error) {
      // Already known, nonce used by a version that was mined, or the chain is down: the receipt
      // check of the next pass tells which, and re-broadcasts if needed.
      this.#log.debug({ tx: tx.hash, err: (error as Error).message.split("\n")[0] }, "broadcast not accepted");
    }
  }

  async #track(claim: StoredClaim, head: bigint): Promise<void> {
    const client = this.#gateway.publicClient;
    for (const tx of [...claim.transactions].reverse()) {
      // Only "not found" means not mined; any other failure aborts the pass (never guess).
      const receipt = await client.getTransactionReceipt({ hash: tx.hash }).catch((error: unknown) => {
        if (error instanceof TransactionReceiptNotFoundError) return undefined;
        throw error;
      });
      // A receipt counts only if its block is on the chain the node now follows: a receipt above the
      // head, or of a block since replaced at that height, belongs to a reorganised-away block.
      if (!receipt || !(await this.#canonical(receipt.blockNumber, receipt.blockHash, head))) continue;
      const depth = Number(head - receipt.blockNumber) + 1;
      if (depth < this.#options.confirmations) {
        if (claim.blockNumber !== receipt.blockNumber.toString()) await this.#store.markIncluded(claim.id, tx.hash, receipt.blockNumber);
        return;
      }
      if (receipt.status === "success") {
        await this.#store.markConfirmed(claim.id, tx.hash, receipt.blockNumber);
        this.#metrics.claimsFinished.inc({ status: "confirmed" });
        this.#log.info({ claim: claim.id, tx: tx.hash, block: receipt.blockNumber }, "claim confirmed");
      } else {
        const payload = JSON.parse(claim.payload) as ClaimPayload;
        const spent = await this.#gateway.nullifierSpent(BigInt(payload.request.nullifier));
        await this.#store.markIncluded(claim.id, tx.hash, receipt.blockNumber);
        if (spent)
          await this.#fail(claim, RelayerErrorCode.NullifierSpent, "already spent: another submission of this claim was paid first");
        else await this.#fail(claim, RelayerErrorCode.SimulationFailed, `the claim transaction ${tx.hash} reverted`);
      }
      return;
    }
    // Not mined (or reorged out).
    if (claim.blockNumber !== null) await this.#store.markUnincluded(claim.id);
    // None of its versions is mined, yet the wallet's nonce moved past it: another transaction
    // from this key (sent outside the relayer) took the nonce, so no version can ever land.
    // Send the claim again with a new nonce (the nullifier is re-checked first).
    if (claim.nonce !== null) {
      const used = await client.getTransactionCount({ address: this.#gateway.relayer, blockTag: "latest" });
      if (used > claim.nonce) {
        await this.#store.requeue(claim.id);
        this.#nextNonce = undefined;
        this.#log.warn(
          { claim: claim.id, nonce: claim.nonce },
          "claim nonce taken by another transaction from the relayer key; sending again",
        );
        return;
      }
    }
    await this.#keepAlive(claim);
  }

  async #canonical(blockNumber: bigint, blockHash: Hex, head: bigint): Promise<boolean> {
    if (blockNumber > head) return false;
    // Only "no such block" means not canonical; any other failure aborts the pass (never guess).
    const block = await this.#gateway.publicClient.getBlock({ blockNumber }).catch((error: unknown) => {
      if (error instanceof BlockNotFoundError) return undefined;
      throw error;
    });
    return block?.hash === blockHash;
  }

  /** Keeps a pending transaction in the mempool, and raises its price when it is stuck. */
  async #keepAlive(claim: StoredClaim): Promise<void> {
    const last = claim.transactions.at(-1);
    if (!last || claim.nonce === null || claim.blockNumber !== null) return;
    if (Date.now() - last.sentAt < this.#options.repriceAfterMs) {
      if (Date.now() - (this.#broadcastAt.get(last.hash) ?? 0) >= REBROADCAST_MS) await this.#broadcast(last);
      return;
    }
    const payload = JSON.parse(claim.payload) as ClaimPayload;
    if (await this.#gateway.nullifierSpent(BigInt(payload.request.nullifier))) {
      // Paid by someone else while ours waited: our transaction would revert; let it, at its old price.
      await this.#broadcast(last);
      return;
    }
    const bump = (v: string) => (BigInt(v) * REPRICE_NUMERATOR) / 100n + 1n;
    const fees = await this.#gateway.publicClient.estimateFeesPerGas();
    const maxFee = larger(fees.maxFeePerGas, bump(last.maxFeePerGas));
    const maxPriority = larger(fees.maxPriorityFeePerGas, bump(last.maxPriorityFeePerGas));
    const tx = await this.#sign(claimArgs(payload), toSolidityProof(payload.proof), claim.nonce, BigInt(last.gas), maxFee, maxPriority);
    await this.#store.recordTransaction(claim.id, claim.nonce, tx);
    this.#metrics.transactionsSent.inc({ kind: "reprice" });
    this.#log.info({ claim: claim.id, tx: tx.hash, nonce: claim.nonce, maxFeePerGas: maxFee.toString() }, "claim transaction re-priced");
    await this.#broadcast(tx);
  }

  /** Blocks mined on top of a claim's inclusion block (for status replies). */
  async confirmations(claim: StoredClaim): Promise<number | undefined> {
    if (claim.blockNumber === null) return undefined;
    try {
      const head = await this.#gateway.publicClient.getBlockNumber();
      return Number(head - BigInt(claim.blockNumber)) + 1;
    } catch {
      return undefined;
    }
  }
}
