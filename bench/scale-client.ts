/**
 * One member's claim preparation from a snapshot already on disk, in a process of its own so its
 * peak memory is the client's alone (`node bench/scale-client.ts <snapshot> <member private key>`):
 * read the file (not timed: that is the download), then, timed, decode it, find the member's leaf,
 * hash its path to the root, and prove. Prints one JSON line. Used by bench/scale.ts.
 */
import { readFileSync } from "node:fs";
import { generateAssessorKey, signApproval } from "../service/sdk/assessor.ts";
import { Identity } from "../service/sdk/identity.ts";
import { claimArtifacts } from "../service/sdk/node.ts";
import { prepareClaim, proveClaim, releaseProver } from "../service/sdk/prover.ts";
import { decodeSnapshot } from "../service/sdk/tree-snapshot.ts";
import { AssessorTree } from "../service/sdk/trees.ts";

function peakRssMb(): number {
  const status = readFileSync("/proc/self/status", "utf8");
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

const [file, privateKey] = process.argv.slice(2);
if (!file || !privateKey) throw new Error("usage: node bench/scale-client.ts <snapshot file> <member private key>");
const identity = new Identity(privateKey);
const assessor = generateAssessorKey();
const assessorTree = AssessorTree.from([assessor.publicKey]);
const claimEpoch = 5n;
const approval = signApproval(assessor, { commitment: identity.commitment, planId: 1n, eventId: 77n, amount: 1_000n, expiresAtEpoch: 10n });
const bytes = new Uint8Array(readFileSync(file));
const started = performance.now();
const { tree, head } = decodeSnapshot(bytes);
const decoded = performance.now();
const record = tree.find(identity.commitment);
if (!record) throw new Error("the bench member is not in the snapshot");
const path = tree.proof(record);
const pathDone = performance.now();
const prepared = prepareClaim({ identity, memberTree: tree, assessorTree, approval, claimEpoch, context: 1n });
const proof = await proveClaim(prepared, claimArtifacts());
const done = performance.now();
if (proof.claim.memberRoot !== head.root) throw new Error("the proof's member root is not the snapshot's");
process.stdout.write(
  `${JSON.stringify({
    ms: done - started,
    decodeMs: decoded - started,
    pathMs: pathDone - decoded,
    proveMs: done - pathDone,
    size: head.size,
    depth: path.depth,
    peakMb: peakRssMb(),
  })}\n`,
);
await releaseProver();
process.exit(0);
