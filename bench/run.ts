/**
 * `npm run bench`: measures the project on this machine and records the figures in
 * docs/benchmarks.json (stable names) and docs/BENCHMARKS.md (the same figures, with the machine
 * and the command). Anchors are measured in the same run where the issue names one.
 */

import { readFile, writeFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { scriptLogger } from "../scripts/lib/log.ts";
import { ROOT } from "../scripts/lib/paths.ts";
import { benchAudit } from "./audit.ts";
import { benchCircuits, ROUNDS as CIRCUIT_ROUNDS } from "./circuits.ts";
import { benchCommittee, COMMITTEE_NOTES } from "./committee.ts";
import { benchDesk } from "./desk.ts";
import { benchDeskWeb } from "./desk-web.ts";
import { benchGas } from "./gas.ts";
import { benchRelayer } from "./relayer.ts";
import { benchRelayerFaults } from "./relayer-faults.ts";
import { benchScale, SCALE_NOTES } from "./scale.ts";
import type { BenchEntry } from "./stats.ts";
import { benchWeb } from "./web.ts";

const log = scriptLogger("bench");

async function main(): Promise<void> {
  const started = new Date();
  // `npm run bench -- gas` (or `circuits`, `audit`, `relayer`, `relayer-faults`, `desk`, `committee`, `web`, `scale`) runs one part; the other parts' figures are kept.
  const only = process.argv[2];
  const skipped = { entries: [], table: "(not run)" };
  const gas = only && only !== "gas" ? skipped : await benchGas(log);
  const circuits = only && only !== "circuits" ? skipped : await benchCircuits(log);
  const audit = only && only !== "audit" ? skipped : await benchAudit(log);
  const relayer = only && only !== "relayer" ? skipped : await benchRelayer(log);
  const relayerFaults = only && only !== "relayer-faults" ? skipped : await benchRelayerFaults(log);
  const relayerRate = relayer.entries.find((e) => e.name === "relayer.accept.valid_claims_per_second")?.value ?? null;
  const deskNode = only && only !== "desk" ? skipped : await benchDesk(log, relayerRate);
  const deskWeb = only && only !== "desk" ? skipped : await benchDeskWeb(log);
  const desk =
    deskNode === skipped ? skipped : { entries: [...deskNode.entries, ...deskWeb.entries], table: `${deskNode.table}\n\n${deskWeb.table}` };
  const committee = only && only !== "committee" ? skipped : await benchCommittee(log);
  const web = only && only !== "web" ? skipped : await benchWeb(log);
  const scale = only && only !== "scale" ? skipped : await benchScale(log);
  const entries: BenchEntry[] = [
    ...circuits.entries,
    ...gas.entries,
    ...audit.entries,
    ...relayer.entries,
    ...relayerFaults.entries,
    ...desk.entries,
    ...committee.entries,
    ...web.entries,
    ...scale.entries,
  ];

  const jsonPath = join(ROOT, "docs", "benchmarks.json");
  const previous = JSON.parse(await readFile(jsonPath, "utf8").catch(() => "[]")) as BenchEntry[];
  const byName = new Map(previous.map((e) => [e.name, e]));
  for (const e of entries) byName.set(e.name, e);
  await writeFile(jsonPath, `${JSON.stringify([...byName.values()], null, 2)}\n`);

  if (only) {
    // The part's table, for its section of docs/BENCHMARKS.md.
    for (const part of [gas, circuits, audit, relayer, relayerFaults, desk, committee, web, scale])
      if (part !== skipped) process.stdout.write(`${part.table}\n`);
    log.info({ only }, "partial run: docs/benchmarks.json updated, docs/BENCHMARKS.md left as it was");
    return;
  }
  const machine = `${cpus().length} x ${cpus()[0]?.model ?? "unknown CPU"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  const claimFull = entries.find((e) => e.name === "circuit.claim.fullProve.median");
  const ablation = ablationSummary(entries);
  const md = `# Benchmarks

Measured with \`npm run bench\` on ${started.toISOString().slice(0, 10)}.
Machine: ${machine}.
The same figures are in [benchmarks.json](benchmarks.json) (stable names; \`anchor\` is the
reference measured in the same run, \`ratio\` = value / anchor).

## Claim circuit vs Semaphore v4 (depth 20)

Both compiled with circom2 ${"`"}--O2${"`"}, set up from the same development Powers of Tau (2^14) with
a deterministic beacon, and proven with snarkjs Groth16 in Node: ${CIRCUIT_ROUNDS} proofs each. Every
circuit (the claim, Semaphore and the measurement-only variants below) proves in a long-lived
process of its own after one warm-up proof; the bench asks them in turn for one proof each, in a
rotating order, ${CIRCUIT_ROUNDS} times, so that consecutive proofs of different circuits see the machine in
the same state and a slow spell weighs on all alike (peak RSS is read from each process's own
VmHWM). Full proof = witness + prove. The \`prove.*\` rows split proving by snarkjs's own progress messages:
evaluating the constraints (qap), the six FFTs over the evaluation domain (fft), the
multi-exponentiations over the wires (msmWires: A, B1, B2 in G2, C) and over the domain (msmH). The
last row of the first table divides each round's claim proof by the same round's Semaphore proof:
the median of these ratios is the figure least moved by the machine's slow spells, and their
range shows how far the machine moved during the run.

${circuits.table}

Targets: full claim proof under 1,500 ms median (measured: ${claimFull?.value} ms) and at most 1.6x
Semaphore's proving time in the same run (measured: ${claimFull?.ratio}x). The claim proves about twice
Semaphore's statement: Semaphore's identity and depth-20 membership, plus the coverage epochs in the
leaf and their range checks, a depth-4 assessor tree, an EdDSA-Poseidon signature verification and
the context binding.

Where the claim's constraints go (each library template compiled alone with circom2 \`--O2\`):

| part | constraints |
| --- | ---: |
| EdDSA-Poseidon signature check (circomlib \`EdDSAPoseidonVerifier\`) | 4,217 |
| - of which the variable-base scalar multiplication h * 8A (\`EscalarMulAny(254)\`) | 2,310 |
| member tree, depth 20 (\`BinaryMerkleRoot(20)\`, as in Semaphore) | about 4,950 |
| assessor tree, depth 4 (\`BinaryMerkleRoot(4)\`) | 987 |
| secret to public key (\`BabyPbk\`) | 776 |
| approval message Poseidon(5) | 321 |
| leaf and nullifier, two Poseidon(3) | 522 |
| commitment and assessor leaf, two Poseidon(2) | 480 |
| secret < l | 252 |
| four 32-bit epoch range checks and three comparisons | 227 |
| tree depth bounds, R8 on-curve check, context square | about 40 |

Semaphore's whole statement (6,431) is inside the claim's; the signature check alone is a third of
the circuit. Where the proving time goes (the \`prove.*\` rows):

- The claim needs a 2^14 evaluation domain where Semaphore fits in 2^13. The FFTs and the H
  multi-exponentiation run over the whole domain, so they cost about twice Semaphore's for any
  circuit between 8,192 and 16,383 constraints.
- The wire multi-exponentiations grow more slowly than the wire count, because a wire holding a
  bit (range checks, path bits, scalar bits) costs almost nothing in them; what remains costs in
  proportion to the wires that hold full field elements (hash states, curve coordinates).

The variants in the second table are the claim with part of the signature check cut out or cut
down (they accept forged approvals and exist only for this measurement: \`bench/ablation.ts\`
derives them from the real sources by exact edits, and a test pins each edit). They bound what any
cheaper signature check could gain:

- with the variable-base multiplication free of cost, the claim would prove in
  ${ablation.freeMul.text};
- with a multiplication no larger than the cheapest published R1CS variable-base method (6
  constraints per scalar bit, zcash/zcash#3924, against the 9 of circomlib's ladder), in
  ${ablation.ladder.text}. This variant is a lower bound for a multiplication of our own: a real
  one would add constraints the variant does not have (checks that no step of the ladder hits an
  exceptional case of its addition formulas);
- without any signature check, in ${ablation.noSignature.text}.

Against the 1.6x target: the claim measures ${claimFull?.ratio}x here (median of the per-round ratios:
${ablation.claimPerRound}x). The ratio moves by several hundredths from run to run on this host
(single proofs vary by up to about 20%, as the per-round ranges show), so one run does not settle
a margin this small. What the variants settle is how far a different multiplication could move
it, by the medians of the per-round ratios: ${ablation.ladderGain}x for a multiplication as cheap as the
cheapest published method (before its own checks), ${ablation.freeGain}x for one that cost nothing. The
claim keeps circomlib's audited ladder rather than a security-critical gadget of its own for that
margin.

## Gas (Hardhat in-process network, solc ${"`"}0.8.28${"`"}, optimizer 10,000 runs, pool via IR)

${gas.table}

The claim floor is EIP-1108's 181,000 + 6,150 per public input (7), plus the 21,000 base, the
transaction's calldata, one fresh nullifier slot (22,100) and the two token transfers measured alone
(to a fresh recipient and to the relayer). Target: claim <= 1.15x the floor. The join budget is
Semaphore's published addMember upper figure (157,000) plus one ERC-20 transferFrom and one
Poseidon(3) leaf, each measured alone here as the join pays it: its own transaction's gas less the
21,000 base and calldata, plus 2,600 for reaching the token or library account cold.

What a join writes: the LeanIMT insert (its leaf index slot and side nodes, as in Semaphore), one
fresh slot for the commitment's cover (so a commitment cannot join twice, and renewal finds its
leaf), one member-root ring slot and one slot of plan counters (contributions and root count).
Semaphore records each new root in a fresh slot (22,100 gas); the pool instead keeps the last 100
roots in a ring whose slots the plan's creator fills once (the create-plan row), so every join
overwrites a slot (5,000). Claims name the root's sequence number, so the pool reads one ring slot.
Semaphore's own addMember (\`@semaphore-protocol/contracts\`, the same compiler and settings) is
measured in the same run at the same tree sizes: the first 8 members, and members 1,025-1,032
(depth 11), where each insert hashes one more level (one Poseidon(2), about 18,300 gas, for
Semaphore and the pool alike). Against it the join costs the cover record more (one fresh slot,
22,100 gas: a leaf that is not the commitment itself cannot stop a second join, and renewal finds
the member's leaf through it) and the plan's bookkeeping, less the root record the ring saves.

The Poseidon(3) leaf uses poseidon-solidity's PoseidonT4 compiled through the IR pipeline without
the Yul inliner (see hardhat.config.ts); the legacy pipeline's build of the same source cost 74,109
gas per leaf with the cold call (the row above is the IR build), and the full inliner makes 33 KB of
code, over the 24 KB limit.

## Auditor (\`huzhu audit\`, a Hardhat node on 127.0.0.1 read over HTTP)

${audit.table}

Batch verification checks all proofs with one random linear combination (one Miller loop per
proof, one final exponentiation per batch) and bisects only when a batch fails; one-by-one is
\`snarkjs.groth16.verify\` on the same proofs in the same run. The full audit reads every event and
the pool's state, checks the verifier's bytecode (and rebuilds it from the key with solc), verifies
every proof and runs every check, with no checkpoint; 10,000 claims is the verifier checks once
plus the rest at its measured throughput (reading and verifying are linear in the number of claims). Target: batch >= 3x one-by-one, 10,000 claims in under a minute. See
[AUDITING.md](AUDITING.md).

## Relayer (relayer processes, a Hardhat node and, for the shared store, PostgreSQL on 127.0.0.1)

${relayer.table}

Acceptance runs every check of a claim (schema, field ranges, roots, epoch, cap and nullifier read
from the chain, the quote's signature, off-chain Groth16 verification, an \`eth_call\` simulation)
and stores it durably before answering 202, while blocks are not mined; the ceiling is what
verification alone would allow on every core (the relayer verifies in one process per core). The
rest is the chain: the Hardhat node shares the same two cores and answers the reads and the
\`eth_call\` (the chain_checks and simulate stages), so on one machine acceptance reaches about a quarter
of the ceiling; against a remote node the verification processes have the cores to themselves. The
flood sends invalid proofs (which pass every check but verification, so each costs one) from three
loopback addresses, four connections each, for a few seconds (below the per-address rate limit of
600 a minute, so none is refused early), while an honest member submits valid claims from a fourth
address and a monitor polls \`/health\` from a fifth: verification runs outside the event loop, so
health checks and honest claims are still answered promptly. The last three rows run two relayer
instances on one PostgreSQL database (the same key and pool, the four clients split between them)
with the same load: on one two-core machine they share the cores with each other, the chain node and
the database, so the rate shows what sharing the store costs, not what a second machine would add.
Then the writer is killed five times (SIGKILL) and the time until the other instance reports itself
the writer (its \`huzhu_relayer_writer\` gauge, read every 10 ms) is measured; a fresh instance
replaces the killed one each time. See [RELAYER.md](RELAYER.md).

## Relayer faults (relayer processes and a Hardhat node on 127.0.0.1, real claims and proofs)

${relayerFaults.table}

Broken stream: while a member posts its valid claim, another client (another loopback address)
streams broken bodies for the same nullifier: the same quote and request, with pi_a replaced by
another point of the curve, so that each is a different body that passes every check before
verification and costs a full pairing check. The member posts once, at 0 to 250 ms after the
stream started, and only its first answer counts; each trial has a fresh claim and a fresh
attacker address (the default rate limit of 600 requests a minute per address). Verifier kill: a
relayer with two verifier processes (\`HUZHU_VERIFY_THREADS=2\`) is sent 8 claims at once, and one of
its verifier processes (found in \`/proc\` as a child of the relayer running verify-worker) is
SIGKILLed as soon as the first claim reaches verification; recovery lasts until \`/ready\`, polled
every 20 ms, reports every configured verifier alive again with one more restart (the replacement
waits the relayer's first restart delay, 100 ms, then starts and warms). The anchor is one fresh
verifier process (\`ProofVerifier\` with one process) started and warmed in the same run. A 503
\`VERIFIER_UNAVAILABLE\` is retried after 200 ms, as a client should; every claim is then followed
until confirmed. A fresh relayer runs each of the three repetitions. Held claim: on a chain of its
own, two members pay one period each (20 dUSD); a claim for the plan's balance plus 1 dUSD is
accepted (202) and held (\`waiting_for_funds\`, \`INSUFFICIENT_POOL_FUNDS\`), then a new member
pays one period (10 dUSD) and the time from that join's receipt until the claim is \`confirmed\`
(polled every 20 ms; \`HUZHU_POLL_INTERVAL_MS=100\`, one confirmation) is measured; each
repetition makes a fresh shortage. See [RELAYER.md](RELAYER.md).

## Claims desk (\`bench/desk.ts\`: the desk in the bench process on 127.0.0.1, SQLite store, a Hardhat node)

${desk.table}

A case is sealed by the SDK as a member's client seals it (a content key wrapped by HPKE to the
plan's assessor, the document and the file sealed with XChaCha20-Poly1305) and uploaded over HTTP:
the document with its wrapped keys, then the sealed file as an octet stream, checked against its
declared size and SHA-256 and stored in one transaction. Small cases are sealed before the clock
starts and posted by concurrent clients; the anchor is the relayer's rate of accepting valid claims
(schema, chain checks, proof verification, simulation, store) in the same run. The browser rows
(\`bench/desk-web.ts\`, Debian's headless Chromium) run the SDK's \`fileCase\` as the web app's "File a
claim" calls it (roster check, encryption, upload) and decrypt the case as its assessor after its
download, in a page of the web server's origin; the member's identity, the plan's assessor set and
the file are made before the clock starts. See [DESK.md](DESK.md).

## Committees (\`bench/committee.ts\`: every member of a 3-of-5 committee in the bench process)

${committee.table}

${COMMITTEE_NOTES}

## Web app (Debian's headless Chromium on this machine, the web server and a Hardhat node on 127.0.0.1)

${web.table}

The browser proof is the app's own prover worker (the SDK's \`proveClaim\` bundled by Vite, snarkjs
spawning its own workers) on a claim prepared once; Node proves the same prepared claim with the same
SDK call in the same run, before the browser starts. Target: browser <= 2x Node. Transfer sizes are
what the Resource Timing API reports (compressed bytes on the wire); the server sends the text assets
and the circuit wasm gzip-compressed and every hashed file as \`immutable\`, so a second visit
downloads only the revalidated page. See [WEB.md](WEB.md).

## Scale (\`bench/scale.ts\`: Hardhat's in-process network, the tree service on 127.0.0.1, a client process)

${scale.table}

${SCALE_NOTES}
`;
  // The first-run figures are measured by hand on a fresh clone (see that section): kept as they are.
  const previousMd = await readFile(join(ROOT, "docs", "BENCHMARKS.md"), "utf8").catch(() => "");
  const firstRun = /\n## First run[\s\S]*?(?=\n## |$)/.exec(previousMd)?.[0] ?? "";
  await writeFile(
    join(ROOT, "docs", "BENCHMARKS.md"),
    `${md.trimEnd()}\n${firstRun}${firstRun.endsWith("\n") || firstRun === "" ? "" : "\n"}`,
  );
  log.info({ file: "docs/BENCHMARKS.md" }, "benchmarks written");
  for (const e of entries) log.info(e, e.name);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    log.error({ err: error }, "benchmark failed");
    process.exit(1);
  },
);

/** The figures the circuit section's text quotes from the measurement-only variants. */
function ablationSummary(entries: BenchEntry[]) {
  const find = (name: string) => entries.find((e) => e.name === name);
  const describe = (variant: string) => {
    const full = find(`circuit.ablation.${variant}.fullProve.median`);
    const perRound = find(`circuit.ablation.${variant}.fullProve.roundRatio.median`);
    return {
      perRound: perRound?.value ?? Number.NaN,
      text: `${full?.value} ms, ${full?.ratio}x Semaphore (median of the per-round ratios: ${perRound?.value}x)`,
    };
  };
  const claimPerRound = find("circuit.claim.fullProve.roundRatio.median")?.value ?? Number.NaN;
  const ladder = describe("ladderSizedVariableBaseMul");
  const freeMul = describe("withoutVariableBaseMul");
  const gain = (variant: { perRound: number }) => (claimPerRound - variant.perRound).toFixed(2);
  return {
    freeMul,
    ladder,
    noSignature: describe("withoutSignature"),
    claimPerRound,
    ladderGain: gain(ladder),
    freeGain: gain(freeMul),
  };
}
