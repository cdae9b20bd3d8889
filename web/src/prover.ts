/** The page's side of the prover worker: one request at a time, progress by callback. */
import type { Address } from "viem";
import type { ApprovalFile } from "../../service/sdk/assessor.ts";
import { CodedError } from "../../service/sdk/coded-error.ts";
import { decodePublicSignals, type Groth16Proof } from "../../service/sdk/encoding.ts";
import type { ClaimProof, PreparedClaim } from "../../service/sdk/prover.ts";

interface Artifacts {
  wasm: string;
  zkey: string;
}

export type ProveRequest = { id: number } & (
  | { kind: "warm"; artifacts: Artifacts }
  | { kind: "prove-prepared"; artifacts: Artifacts; prepared: PreparedClaim }
  | {
      kind: "prove";
      artifacts: Artifacts;
      rpcUrl: string;
      pool: Address;
      fromBlock: number;
      /** Semaphore's export of the identity; stays inside this page and its worker. */
      identity: string;
      approval: ApprovalFile;
      recipient: Address;
      relayer: Address;
      fee: string;
      /** Native coin (wei) the relayer sends with the claim to the recipient, as quoted. */
      gasDrop: string;
      /** Tree services (the relayer's URL) to take the member tree's snapshot from, cached in IndexedDB; events if none checks. */
      treeServices: string[];
    }
);

export interface ResourceTransfer {
  url: string;
  transferSize: number;
  encodedBodySize: number;
  decodedBodySize: number;
}

export type WorkerReply = { id: number } & (
  | { kind: "progress"; stage: string; percent: number; step: string }
  | { kind: "warmed"; transfers: ResourceTransfer[] }
  | { kind: "proved"; proof: Groth16Proof; publicSignals: string[]; memberRootSeq: string }
  | { kind: "proved-prepared"; ms: number; publicSignals: string[] }
  | { kind: "error"; code: string | undefined; name: string; message: string }
);

/** An error the worker reported, with the SDK's code when it was a HuzhuError (WORKER_ERROR otherwise). */
export class WorkerError extends CodedError {
  constructor(code: string | undefined, name: string, message: string) {
    super(code ?? "WORKER_ERROR", message);
    this.name = name;
  }
}

type Progress = (p: { stage: string; percent: number; step: string }) => void;
type Distribute<T> = T extends unknown ? Omit<T, "id"> : never;

export class ProverClient {
  readonly #worker: Worker;
  #next = 1;
  readonly #pending = new Map<number, { resolve: (r: WorkerReply) => void; reject: (e: Error) => void; onProgress?: Progress }>();

  constructor() {
    this.#worker = new Worker(new URL("./prove.worker.ts", import.meta.url), { type: "module", name: "huzhu-prover" });
    this.#worker.onmessage = (event: MessageEvent<WorkerReply>) => {
      const reply = event.data;
      const pending = this.#pending.get(reply.id);
      if (!pending) return;
      if (reply.kind === "progress") return pending.onProgress?.(reply);
      this.#pending.delete(reply.id);
      if (reply.kind === "error") pending.reject(new WorkerError(reply.code, reply.name, reply.message));
      else pending.resolve(reply);
    };
    this.#worker.onerror = (event) => {
      for (const p of this.#pending.values()) p.reject(new Error(`the prover stopped: ${event.message}`));
      this.#pending.clear();
    };
  }

  #send(request: Distribute<ProveRequest>, onProgress?: Progress): Promise<WorkerReply> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, onProgress });
      this.#worker.postMessage({ ...request, id });
    });
  }

  /** Downloads the artifacts ahead of the first claim (or finds them in the cache). */
  async warm(artifacts: Artifacts): Promise<ResourceTransfer[]> {
    const reply = await this.#send({ kind: "warm", artifacts });
    return reply.kind === "warmed" ? reply.transfers : [];
  }

  /** Proves a claim from chain data; also returns where the pool keeps the proof's member root. */
  async prove(
    request: Omit<Extract<ProveRequest, { kind: "prove" }>, "id" | "kind">,
    onProgress: Progress,
  ): Promise<{ claimProof: ClaimProof; memberRootSeq: bigint }> {
    const reply = await this.#send({ kind: "prove", ...request }, onProgress);
    if (reply.kind !== "proved") throw new Error(`unexpected prover reply ${reply.kind}`);
    return {
      claimProof: { proof: reply.proof, publicSignals: reply.publicSignals, claim: decodePublicSignals(reply.publicSignals) },
      memberRootSeq: BigInt(reply.memberRootSeq),
    };
  }

  /** Proves an already prepared claim and reports the proving time alone (benchmarks). */
  async provePrepared(artifacts: Artifacts, prepared: PreparedClaim): Promise<{ ms: number; publicSignals: string[] }> {
    const reply = await this.#send({ kind: "prove-prepared", artifacts, prepared });
    if (reply.kind !== "proved-prepared") throw new Error(`unexpected prover reply ${reply.kind}`);
    return reply;
  }
}
