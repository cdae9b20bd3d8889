/**
 * Committee benchmark: a 3-of-5 committee's DKG and one signature (both signing rounds, share
 * checks and aggregation), every member in this process, so no waiting for people and no network;
 * then claim proofs of a committee approval beside a single assessor's, in turn, in the same process.
 * The circuit is the same for both: its constraint count is the circuit part's row.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import { ROOT } from "../scripts/lib/paths.ts";
import { type CommitteeShare, committeePublicKey, dkgInOneProcess, signInOneProcess } from "../service/sdk/committee/index.ts";
import { type Approval, type ClaimRequest, prepareClaim, proveClaim } from "../service/sdk/index.ts";
import { claimArtifacts } from "../service/sdk/node.ts";
import { claimScenario } from "../testkit/claim-scenario.ts";
import { type BenchEntry, entry, median, runAlone } from "./stats.ts";

const DKG_ROUNDS = 9;
const SIGN_ROUNDS = 20;
const PROOF_ROUNDS = 4;
const PARAMS = { threshold: 3, size: 5 };

/** The prose under the committee table in docs/BENCHMARKS.md. */
export const COMMITTEE_NOTES = `The DKG row is noble's three DKG rounds for all five members (round one: a polynomial, its
commitments and a proof of knowledge; round two: each member checks the four others' proofs and
evaluates its polynomial for them; round three: each checks the four evaluations it received against
their senders' commitments and sums its share), with the SDK's checks and key set around them. The
signature row is what three members' devices and the desk do for one approval: nonce commitments,
the signing package, three signature shares (each signer checks the package against the terms it
reviewed), the coordinator's check of every share, the aggregate, and its check as an EdDSA-Poseidon
signature. Waiting for people and the network are not in either. A committee's signature is an
ordinary EdDSA-Poseidon signature by its group key, so the claim circuit, its constraints, its setup
and its proving time are the same as for one assessor's: the constraint row quotes the circuit
part's figure, and the proof row proves both kinds of approval in turn in one process (their ratio
is the machine's noise). See [COMMITTEES.md](COMMITTEES.md).`;

function time(run: () => unknown): number {
  const started = performance.now();
  run();
  return performance.now() - started;
}

async function proofMs(request: ClaimRequest): Promise<number> {
  const prepared = prepareClaim(request);
  const started = performance.now();
  await proveClaim(prepared, claimArtifacts());
  return performance.now() - started;
}

export async function benchCommittee(log: Logger): Promise<{ entries: BenchEntry[]; table: string }> {
  // Warm-up: module state, Poseidon constants, the curve's precomputed tables.
  const warm = dkgInOneProcess(PARAMS);
  signInOneProcess(warm.slice(0, PARAMS.threshold), claimScenario().approval);

  const dkgMs = Array.from({ length: DKG_ROUNDS }, () => time(() => dkgInOneProcess(PARAMS)));
  log.info({ medianMs: Math.round(median(dkgMs)) }, "committee: 3-of-5 DKG");

  const shares = dkgInOneProcess(PARAMS);
  const groupKey = committeePublicKey((shares[0] as CommitteeShare).keySet);
  // Each of the ten 3-subsets of the five members signs in turn.
  const subsets: CommitteeShare[][] = [];
  for (let a = 0; a < PARAMS.size; a++)
    for (let b = a + 1; b < PARAMS.size; b++)
      for (let c = b + 1; c < PARAMS.size; c++) subsets.push([a, b, c].map((i) => shares[i] as CommitteeShare));
  const signMs = Array.from({ length: SIGN_ROUNDS }, (_, round) => {
    const terms = claimScenario().approval;
    return time(() => signInOneProcess(subsets[round % subsets.length] as CommitteeShare[], terms));
  });
  log.info({ medianMs: Math.round(median(signMs)) }, "committee: 3-of-5 signature");

  // Claim proofs: a committee approval and a single assessor's, in turn, after one warm-up proof.
  const committeeProofMs: number[] = [];
  const singleProofMs: number[] = [];
  await proofMs(claimScenario().request);
  for (let round = 0; round < PROOF_ROUNDS; round++) {
    const single = claimScenario();
    singleProofMs.push(await proofMs(single.request));
    const scenario = claimScenario();
    scenario.assessorTree.add(groupKey);
    const { signature } = signInOneProcess(shares.slice(0, PARAMS.threshold), scenario.approval);
    const approval: Approval = { ...scenario.approval, assessorPublicKey: groupKey, signature };
    committeeProofMs.push(await proofMs({ ...scenario.request, approval }));
  }
  log.info({ committee: Math.round(median(committeeProofMs)), single: Math.round(median(singleProofMs)) }, "committee: claim proofs");

  const recorded = JSON.parse(readFileSync(join(ROOT, "docs", "benchmarks.json"), "utf8")) as BenchEntry[];
  const row = (name: string) => recorded.find((e) => e.name === name)?.value;
  const constraints = row("circuit.claim.constraints");
  const circuitProof = row("circuit.claim.fullProve.median");

  const entries = [
    entry("committee.dkg.3of5.ms", median(dkgMs), "ms"),
    entry("committee.sign.3of5.ms", median(signMs), "ms"),
    entry("committee.claim.fullProve.median", median(committeeProofMs), "ms", median(singleProofMs)),
  ];
  const f = (x: number | undefined) => (x === undefined ? "(not recorded)" : Math.round(x).toLocaleString("en-US"));
  const ratio = (median(committeeProofMs) / median(singleProofMs)).toFixed(2);
  const table = `| committee (3 of 5) | value | note |
| --- | ---: | --- |
| DKG: all five members' three rounds in one process, median of ${DKG_ROUNDS} (\`committee.dkg.3of5.ms\`) | ${f(median(dkgMs))} ms | each member's own part is about a fifth |
| signature: three signers' round one and round two, the coordinator's share checks and aggregation, median of ${SIGN_ROUNDS} (\`committee.sign.3of5.ms\`) | ${f(median(signMs))} ms | each of the ten 3-subsets twice |
| claim circuit constraints with a committee approval | ${f(constraints)} | unchanged: the same circuit (\`circuit.claim.constraints\`) |
| claim proof (witness + prove) of a committee approval, median of ${PROOF_ROUNDS} (\`committee.claim.fullProve.median\`) | ${f(median(committeeProofMs))} ms | a single assessor's approval in turn, same run: ${f(median(singleProofMs))} ms (ratio ${ratio}); the circuit part's row (\`circuit.claim.fullProve.median\`): ${f(circuitProof)} ms |`;
  return { entries, table };
}

if (import.meta.main) runAlone("committee", (log) => benchCommittee(log));
