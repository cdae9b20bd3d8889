/**
 * The claim prover, off the page's main thread. Reads the plan's trees (the member tree from the
 * relayer's snapshot when it checks) and epoch from the chain,
 * checks and proves the claim with the SDK (`buildClaim`), and posts progress. The identity secret
 * arrives by postMessage from the page and goes nowhere else: the worker only fetches the proving
 * artifacts (same origin, cached) and reads the chain.
 */
import { createPublicClient, http } from "viem";
import { parseApproval } from "../../service/sdk/assessor.ts";
import { buildClaim } from "../../service/sdk/chain/claim.ts";
import { HuzhuError } from "../../service/sdk/errors.ts";
import { importIdentity } from "../../service/sdk/identity.ts";
import "../../service/sdk/poseidon-circomlibjs.ts";
import { fastPoseidon } from "../../service/sdk/poseidon-wasm.ts";
import { type PreparedClaim, type ProverArtifacts, proveClaim } from "../../service/sdk/prover.ts";
import type { ProveRequest, WorkerReply } from "./prover.ts";
import { IndexedDbSnapshotCache } from "./tree-cache.ts";

// The WebAssembly Poseidon loads while the page warms the artifacts, before any tree is hashed here;
// a failed load is reported by the first claim that needs it.
fastPoseidon().catch(() => undefined);

const cache = new Map<string, Promise<Uint8Array>>();

/** The artifact's bytes, fetched once per worker (and from the HTTP cache on a later visit). */
function bytes(url: string): Promise<Uint8Array> {
  let pending = cache.get(url);
  if (!pending) {
    pending = fetch(url).then(async (response) => {
      if (!response.ok) throw new Error(`cannot load ${url}: HTTP ${response.status}`);
      return new Uint8Array(await response.arrayBuffer());
    });
    pending.catch(() => cache.delete(url));
    cache.set(url, pending);
  }
  return pending;
}

async function artifacts(urls: { wasm: string; zkey: string }): Promise<ProverArtifacts> {
  const [wasm, zkey] = await Promise.all([bytes(urls.wasm), bytes(urls.zkey)]);
  return { wasm, zkey };
}

function transfers(urls: string[]) {
  return performance
    .getEntriesByType("resource")
    .filter((e): e is PerformanceResourceTiming => urls.some((u) => e.name.endsWith(u)))
    .map((e) => ({ url: e.name, transferSize: e.transferSize, encodedBodySize: e.encodedBodySize, decodedBodySize: e.decodedBodySize }));
}

const post = (reply: WorkerReply) => self.postMessage(reply);

async function handle(request: ProveRequest): Promise<void> {
  const progress = (p: { stage: string; percent: number; step: string }) => post({ id: request.id, kind: "progress", ...p });
  if (request.kind === "warm") {
    await artifacts(request.artifacts);
    post({ id: request.id, kind: "warmed", transfers: transfers([request.artifacts.wasm, request.artifacts.zkey]) });
    return;
  }
  if (request.kind === "prove-prepared") {
    const loaded = await artifacts(request.artifacts);
    const started = performance.now();
    const proof = await proveClaim(request.prepared as PreparedClaim, loaded, progress);
    post({ id: request.id, kind: "proved-prepared", ms: performance.now() - started, publicSignals: proof.publicSignals });
    return;
  }
  const client = createPublicClient({ transport: http(request.rpcUrl) });
  const built = await buildClaim(
    { client, pool: request.pool, fromBlock: BigInt(request.fromBlock) },
    {
      identity: importIdentity(request.identity),
      approval: parseApproval(request.approval),
      recipient: request.recipient,
      relayer: request.relayer,
      fee: BigInt(request.fee),
      gasDrop: BigInt(request.gasDrop),
      artifacts: await artifacts(request.artifacts),
      onProgress: progress,
      // The whole tree from the relayer's snapshot (or the update since the cached one), checked
      // against the pool and this member's path; the events if no service gives one that checks.
      trees: { servers: request.treeServices, cache: new IndexedDbSnapshotCache() },
    },
  );
  post({
    id: request.id,
    kind: "proved",
    proof: built.claimProof.proof,
    publicSignals: built.claimProof.publicSignals,
    memberRootSeq: built.request.memberRootSeq.toString(),
  });
}

self.onmessage = (event: MessageEvent<ProveRequest>) => {
  const request = event.data;
  handle(request).catch((error: unknown) => {
    const e = error as Error;
    post({
      id: request.id,
      kind: "error",
      code: error instanceof HuzhuError ? error.code : undefined,
      name: e?.name ?? "Error",
      message: e?.message ?? String(error),
    });
  });
};
