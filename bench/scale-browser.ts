/**
 * Bundled for the browser by bench/scale.ts (esbuild): a member's claim preparation from a snapshot
 * already downloaded, in the page (decode, find the leaf, hash the path, prepare the witness input),
 * exposed as `globalThis.huzhuScale.prepare`. The proof itself is made by the web app's own prover
 * worker, as in the app.
 */
import { generateAssessorKey, signApproval } from "../service/sdk/assessor.ts";
import { Identity } from "../service/sdk/identity.ts";
import "../service/sdk/poseidon-circomlibjs.ts";
import { fastPoseidon } from "../service/sdk/poseidon-wasm.ts";
import { prepareClaim } from "../service/sdk/prover.ts";
import { decodeSnapshot } from "../service/sdk/tree-snapshot.ts";
import { AssessorTree } from "../service/sdk/trees.ts";

function prepare(bytes: Uint8Array, privateKey: string) {
  const identity = new Identity(privateKey);
  const assessor = generateAssessorKey();
  const approval = signApproval(assessor, {
    commitment: identity.commitment,
    planId: 1n,
    eventId: 77n,
    amount: 1_000n,
    expiresAtEpoch: 10n,
  });
  const started = performance.now();
  const { tree } = decodeSnapshot(bytes);
  const decoded = performance.now();
  const record = tree.find(identity.commitment);
  if (!record) throw new Error("the bench member is not in the snapshot");
  tree.proof(record);
  const pathDone = performance.now();
  const prepared = prepareClaim({
    identity,
    memberTree: tree,
    assessorTree: AssessorTree.from([assessor.publicKey]),
    approval,
    claimEpoch: 5n,
    context: 1n,
  });
  return { prepared, decodeMs: decoded - started, pathMs: pathDone - decoded };
}

/** Loads the fast hasher as the app's worker does when it starts; its name. */
const loadHasher = async () => (await fastPoseidon()).name;

(globalThis as unknown as { huzhuScale: unknown }).huzhuScale = { prepare, loadHasher };
