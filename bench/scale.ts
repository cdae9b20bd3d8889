/**
 * Scale benchmark (`npm run bench -- scale`, or `node bench/scale.ts`): what a claim costs in a
 * large plan, and what the tree service pays per event.
 *
 * - Poseidon(2): poseidon-lite per call against the fast WebAssembly hasher in bulk.
 * - 10,000 members joined for real on Hardhat's in-process network: the tree index reads every
 *   event (through eth_getLogs, into its SQLite file: the service's cost per event), serves the
 *   snapshot on 127.0.0.1, and a member prepares a claim (tree, assessor set, epoch, proof) from the
 *   snapshot and, in the same run, from the pool's events.
 * - 2^20 members generated directly (not joined on chain: 10^6 joins would take hours here): the
 *   tree is hashed in bulk, its last 1,000 members joined one by one (the index's hashing per event
 *   at full depth), the full snapshot and the update after those 1,000 joins measured, and a client
 *   process prepares a claim from the snapshot file (excluding the download) with its peak memory;
 *   in Chromium the page prepares it and the web app's prover worker proves it (`node bench/scale.ts
 *   browser` measures only these rows).
 */
import "../service/sdk/poseidon-circomlibjs.ts";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Plugin } from "esbuild";
import Fastify from "fastify";
import { type Logger, pino } from "pino";
import { poseidon2 } from "poseidon-lite";
import { ROOT } from "../scripts/lib/paths.ts";
import { serveWeb, WEB_DIST } from "../scripts/lib/web.ts";
import { signApproval } from "../service/sdk/assessor.ts";
import { huzhuPoolAbi } from "../service/sdk/chain/abi.ts";
import { loadAssessorTree, loadMemberTree } from "../service/sdk/chain/pool.ts";
import { loadMemberTreeFromServices } from "../service/sdk/chain/tree-source.ts";
import { SNARK_SCALAR_FIELD } from "../service/sdk/constants.ts";
import { Identity } from "../service/sdk/identity.ts";
import { readField, writeField } from "../service/sdk/lean-levels.ts";
import { claimArtifacts } from "../service/sdk/node.ts";
import { fastPoseidon } from "../service/sdk/poseidon-wasm.ts";
import { prepareClaim, proveClaim, releaseProver } from "../service/sdk/prover.ts";
import { encodeSnapshot, encodeUpdate } from "../service/sdk/tree-snapshot.ts";
import { type MemberRecord, MemberTree } from "../service/sdk/trees.ts";
import { TreeIndex } from "../service/trees/indexer.ts";
import { treeRoutes } from "../service/trees/routes.ts";
import { TreeStore } from "../service/trees/store.ts";
import { ensureBrowserAndBuild, launchBrowser } from "../testkit/browser.ts";
import { treePool } from "../testkit/pool.ts";
import { CIRCOMLIBJS_POSEIDON, isPoseidonConstants, poseidonConstantsSource } from "../web/vite.config.ts";
import { bundleForBrowser } from "./browser-bundle.ts";
import { type BenchEntry, entry, median, runAlone } from "./stats.ts";

const CHAIN_MEMBERS = Number(process.env.HUZHU_BENCH_SCALE_MEMBERS ?? 10_000);
const BIG = 2 ** Number(process.env.HUZHU_BENCH_SCALE_DEPTH ?? 20);
const LATE_JOINS = Math.min(1_000, BIG / 4);
const ROUNDS = 3;
/** Members in the auditor's run (a tenth as many claims); smaller only to try the bench quickly. */
const AUDIT_MEMBERS = Number(process.env.HUZHU_BENCH_SCALE_AUDIT_MEMBERS ?? 1_000_000);
const OUT = join(ROOT, "bench", "out", "scale");
/** The bench member's identity, the same in the client process. */
const MEMBER_KEY = "huzhu-scale-bench-member";

const f = (x: number, d = 0) => x.toLocaleString("en-US", { maximumFractionDigits: d });

/** A deterministic stand-in commitment for member i (distinct, below r). */
function syntheticCommitment(i: number): bigint {
  return ((BigInt(i) + 1n) * 0x9e3779b97f4a7c15f39cc0605cedc835n) % SNARK_SCALAR_FIELD;
}

function benchPoseidon(hasher: Awaited<ReturnType<typeof fastPoseidon>>) {
  const n = 20_000;
  let x = 1n;
  const liteStart = performance.now();
  for (let i = 0; i < n; i++) x = poseidon2([x, BigInt(i)]);
  const liteUs = ((performance.now() - liteStart) * 1000) / n;
  const input = new Uint8Array(n * 64);
  for (let i = 0; i < n; i++) {
    writeField(input, i * 64, BigInt(i) * 7919n);
    writeField(input, i * 64 + 32, BigInt(i));
  }
  const out = new Uint8Array(n * 32);
  const fastStart = performance.now();
  hasher.hashPairs(input, n, out, 0);
  const fastUs = ((performance.now() - fastStart) * 1000) / n;
  if (readField(out, 32 * 5) !== poseidon2([5n * 7919n, 5n])) throw new Error("the fast Poseidon disagrees with poseidon-lite");
  return { liteUs, fastUs };
}

/** Runs `bench/<script>` in a process of its own; returns the JSON line it prints last. */
function childProcess<T>(script: string, args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--disable-warning=ExperimentalWarning", "--max-old-space-size=16384", join(ROOT, "bench", script), ...args],
      {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on("exit", (code) =>
      code === 0 ? resolve(JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as T) : reject(new Error(`${script} exited ${code}`)),
    );
  });
}

interface ClientResult {
  ms: number;
  decodeMs: number;
  pathMs: number;
  proveMs: number;
  peakMb: number;
}

interface AuditResult {
  members: number;
  claims: number;
  checkMs: number;
  findings: number;
  checkpoint: { bytes: number; encodeMs: number; decodeMs: number } | { error: string };
  peakMb: number;
}

const clientProcess = (file: string, privateKey: string) => childProcess<ClientResult>("scale-client.ts", [file, privateKey]);

/** The 2^20-member tree (its last 1,000 joined one by one), its snapshot file and the update after those joins. */
async function millionSnapshot(log: Logger, member: Identity) {
  const memberIndex = Math.floor(BIG * 0.67);
  const records: MemberRecord[] = Array.from({ length: BIG - LATE_JOINS }, (_, i) => ({
    commitment: i === memberIndex ? member.commitment : syntheticCommitment(i),
    eligibleFrom: 0n,
    paidThrough: 100n,
  }));
  log.info({ members: records.length }, "hashing a tree of 2^20 - 1,000 members in bulk");
  const buildStart = performance.now();
  const tree = await MemberTree.build(records);
  const buildS = (performance.now() - buildStart) / 1000;
  const fromRoot = tree.root;
  const fromSize = tree.size;
  log.info({ seconds: buildS }, "joining the last 1,000 one by one");
  const addStart = performance.now();
  for (let i = fromSize; i < BIG; i++) tree.add({ commitment: syntheticCommitment(i), eligibleFrom: 3n, paidThrough: 100n });
  const addMs = (performance.now() - addStart) / LATE_JOINS;
  const head = {
    chainId: 31337n,
    pool: "0x5FbDB2315678afecb367f032d93F642f64180aa3" as const,
    planId: 1n,
    block: 1n,
    blockHash: `0x${"00".repeat(32)}` as const,
  };
  const snapshot = encodeSnapshot(tree, head);
  const update = encodeUpdate(tree, head, { fromRoot, fromSize, changed: Array.from({ length: LATE_JOINS }, (_, i) => fromSize + i) });
  mkdirSync(OUT, { recursive: true });
  const file = join(OUT, "snapshot-1M.bin");
  writeFileSync(file, snapshot);
  return { buildS, addMs, snapshotBytes: snapshot.length, updateBytes: update.length, file };
}

async function benchMillion(log: Logger, member: Identity) {
  const million = await millionSnapshot(log, member);
  log.info({ bytes: million.snapshotBytes }, "a client prepares a claim from the 2^20 snapshot");
  const client = await clientProcess(million.file, MEMBER_KEY);
  return { ...million, client };
}

async function benchChain(log: Logger, member: Identity) {
  const chain = await treePool();
  const { networkHelpers, pool, planId, asPayer, ref } = chain;
  const publicClient = ref.client;
  const assessor = await chain.addAssessor();
  log.info({ members: CHAIN_MEMBERS }, "joining members on the in-process chain");
  const joinStart = performance.now();
  for (let i = 0; i < CHAIN_MEMBERS; i++) {
    const commitment = i === Math.floor(CHAIN_MEMBERS / 2) ? member.commitment : syntheticCommitment(i);
    await asPayer.write.join([planId, commitment, 12]);
    if (i % 1000 === 999) log.info({ joined: i + 1 }, "joining");
  }
  const joinS = (performance.now() - joinStart) / 1000;
  await networkHelpers.mine(1);
  const chainId = await publicClient.getChainId();
  const store = new TreeStore(mkdtempSync(join(tmpdir(), "huzhu-bench-trees-")), { chainId, pool: pool.address });
  const index = TreeIndex.open({ ref, chainId, store, log: pino({ level: "silent" }) });
  const syncStart = performance.now();
  const synced = await index.sync();
  const perEventMs = (performance.now() - syncStart) / synced.applied;
  const app = Fastify();
  await app.register(treeRoutes, { prefix: "/v1", trees: index });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  try {
    const claimEpoch = await publicClient.readContract({
      address: pool.address,
      abi: huzhuPoolAbi,
      functionName: "currentEpoch",
      args: [planId],
    });
    const approval = signApproval(assessor, {
      commitment: member.commitment,
      planId,
      eventId: 99n,
      amount: 1_000n,
      expiresAtEpoch: claimEpoch + 2n,
    });
    let treeMs = 0;
    const prepareWith = async (memberTree: () => Promise<MemberTree>) => {
      const started = performance.now();
      const timedTree = async () => {
        const tree = await memberTree();
        treeMs = performance.now() - started;
        return tree;
      };
      const [tree, assessorTree, epoch] = await Promise.all([
        timedTree(),
        loadAssessorTree(ref, planId),
        publicClient.readContract({ address: pool.address, abi: huzhuPoolAbi, functionName: "currentEpoch", args: [planId] }),
      ]);
      const prepared = prepareClaim({ identity: member, memberTree: tree, assessorTree, approval, claimEpoch: epoch, context: 1n });
      const proof = await proveClaim(prepared, claimArtifacts());
      if (proof.claim.memberRoot !== index.tree(planId)?.root) throw new Error("the claim's member root is not the chain's");
      return performance.now() - started;
    };
    const fromSnapshot = () =>
      loadMemberTreeFromServices(ref, planId, { servers: [url], commitment: member.commitment, fallbackToEvents: false }).then(
        (l) => l.tree,
      );
    const fromEvents = () => loadMemberTree(ref, planId);
    await prepareWith(fromSnapshot); // warm-up: the prover and the fast hasher load once per process
    const snapshotMs: number[] = [];
    const eventsMs: number[] = [];
    const snapshotTreeMs: number[] = [];
    const eventsTreeMs: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      snapshotMs.push(await prepareWith(fromSnapshot));
      snapshotTreeMs.push(treeMs);
      eventsMs.push(await prepareWith(fromEvents));
      eventsTreeMs.push(treeMs);
    }
    const snapshotBytes = index.snapshot(planId)?.length ?? 0;
    return {
      joinS,
      perEventMs,
      events: synced.applied,
      snapshotMs: median(snapshotMs),
      eventsMs: median(eventsMs),
      snapshotTreeMs: median(snapshotTreeMs),
      eventsTreeMs: median(eventsTreeMs),
      snapshotBytes,
    };
  } finally {
    await app.close();
    store.close();
  }
}

/** Node builtins some dependencies mention but the browser path never calls, bundled as empty modules (as Vite does). */
const emptyBuiltins: Plugin = {
  name: "empty-node-builtins",
  setup(build) {
    build.onResolve(
      { filter: /^(node:)?(events|stream|crypto|fs|path|os|util|worker_threads|url|readline|constants|assert)$/ },
      (args) => ({
        path: args.path,
        namespace: "empty",
      }),
    );
    build.onLoad({ filter: /.*/, namespace: "empty" }, () => ({ contents: "module.exports = {};", loader: "js" }));
  },
};

/** circomlibjs resolved as the web app's build resolves it (web/vite.config.ts): its Poseidon alone. */
const webPoseidon: Plugin = {
  name: "web-poseidon",
  setup(build) {
    build.onResolve({ filter: /^circomlibjs$/ }, () => ({ path: CIRCOMLIBJS_POSEIDON }));
    build.onLoad({ filter: /poseidon_constants_opt\.js$/ }, async (args) =>
      isPoseidonConstants(args.path) ? { contents: await poseidonConstantsSource(), loader: "js" } : undefined,
    );
  },
};

/**
 * Claim preparation at 2^20 in Chromium, excluding the download: the page fetches the snapshot file
 * (not timed), then decodes it, finds the member's leaf, hashes its path and prepares the claim
 * (bench/scale-browser.ts, bundled as the web app is, with circomlibjs's WebAssembly Poseidon loaded
 * beforehand as the app's worker loads it when it starts), and the web app's own prover worker proves
 * it (its artifacts loaded beforehand, as the app warms them when it opens).
 */
async function benchBrowser(log: Logger, file: string) {
  ensureBrowserAndBuild();
  const bundle = join(OUT, "scale-browser.js");
  await bundleForBrowser(join(ROOT, "bench", "scale-browser.ts"), bundle, [webPoseidon, emptyBuiltins]);
  const workerFile = readdirSync(join(WEB_DIST, "assets")).find((name) => /^prove\.worker-.*\.js$/.test(name));
  if (!workerFile) throw new Error("no prover worker in web/dist/assets: run npm run build:web");
  const web = await serveWeb({
    port: 0,
    config: {
      chainId: 31337,
      rpcUrl: "http://127.0.0.1:9",
      pool: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
      deployBlock: 0,
      relayerUrl: "http://127.0.0.1:9",
      devWallet: false,
    },
  });
  const context = await launchBrowser();
  try {
    const page = await context.newPage();
    // A page of the web server's origin (so the app's worker and artifacts load) that runs the bundle.
    await page.route("**/scale/**", (route) => {
      const name = new URL(route.request().url()).pathname.split("/").pop();
      if (name === "snapshot.bin") return route.fulfill({ path: file, contentType: "application/octet-stream" });
      if (name === "scale-browser.js") return route.fulfill({ path: bundle, contentType: "text/javascript" });
      return route.fulfill({ body: '<!doctype html><script src="/scale/scale-browser.js"></script>', contentType: "text/html" });
    });
    const pageErrors: string[] = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));
    await page.goto(`${web.url}/scale/index.html`);
    await page
      .waitForFunction(() => "huzhuScale" in globalThis, undefined, { timeout: 30_000 })
      .catch((error: Error) => {
        throw new Error(`the bench page did not load: ${pageErrors.join("; ") || error.message}`);
      });
    log.info("preparing a claim from the 2^20 snapshot in Chromium");
    const result = await page.evaluate(
      async ({ workerUrl, artifacts, key }) => {
        const worker = new Worker(workerUrl, { type: "module" });
        const ask = (message: Record<string, unknown>) =>
          new Promise<{ kind: string; ms?: number; message?: string }>((resolve, reject) => {
            worker.onmessage = (event) => {
              const reply = event.data as { kind: string; ms?: number; message?: string };
              if (reply.kind === "progress") return;
              if (reply.kind === "error") reject(new Error(reply.message));
              else resolve(reply);
            };
            worker.postMessage({ id: 1, ...message });
          });
        await ask({ kind: "warm", artifacts });
        const bytes = new Uint8Array(await (await fetch("/scale/snapshot.bin")).arrayBuffer());
        const scale = (
          globalThis as unknown as {
            huzhuScale: {
              prepare(b: Uint8Array, k: string): { prepared: unknown; decodeMs: number; pathMs: number };
              loadHasher(): Promise<string>;
            };
          }
        ).huzhuScale;
        const hasherStarted = performance.now();
        const hasher = await scale.loadHasher();
        const hasherLoadMs = performance.now() - hasherStarted;
        const started = performance.now();
        const { prepared, decodeMs, pathMs } = scale.prepare(bytes, key);
        const prepareMs = performance.now() - started;
        const proved = await ask({ kind: "prove-prepared", artifacts, prepared });
        worker.terminate();
        const memory = (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory;
        return {
          ms: prepareMs + (proved.ms ?? 0),
          prepareMs,
          decodeMs,
          pathMs,
          proveMs: proved.ms ?? 0,
          heapMb: (memory?.usedJSHeapSize ?? 0) / 1e6,
          hasher,
          hasherLoadMs,
        };
      },
      { workerUrl: `${web.url}/assets/${workerFile}`, artifacts: web.config.artifacts, key: MEMBER_KEY },
    );
    if (result.hasher !== "circomlibjs") throw new Error(`the bench page hashed with ${result.hasher}, not circomlibjs`);
    return result;
  } finally {
    await context.close();
    await web.close();
  }
}

/** The batch verifier's throughput from the audit part's last run (docs/benchmarks.json), if recorded. */
async function measuredBatchRate(): Promise<number | undefined> {
  const rows = JSON.parse(await readFile(join(ROOT, "docs", "benchmarks.json"), "utf8").catch(() => "[]")) as BenchEntry[];
  return rows.find((row) => row.name === "audit.batch_verify.proofs_per_s")?.value;
}

type BrowserResult = Awaited<ReturnType<typeof benchBrowser>>;

const browserEntries = (browser: BrowserResult) => [
  entry("scale.claimPrep.1M.browser", browser.ms, "ms", 15_000),
  entry("scale.claimPrep.1M.browser.heapMB", browser.heapMb, "MB"),
];

const browserRow = (browser: BrowserResult) =>
  `| claim preparation at 2^20 members in Chromium, excluding the download (decode ${f(browser.decodeMs)} ms, path ${f(browser.pathMs)} ms, all before the proof ${f(browser.prepareMs)} ms, proof in the app's worker ${f(browser.proveMs)} ms; hashing with ${browser.hasher}, loaded beforehand in ${f(browser.hasherLoadMs)} ms) | ${f(browser.ms)} ms | target <= 15,000 ms; page JS heap after it ${f(browser.heapMb)} MB |`;

/**
 * `node bench/scale.ts browser`: only the Chromium rows (the 2^20 snapshot made again first). The
 * figures are printed, not recorded: copy them into docs/benchmarks.json by name.
 */
export async function benchScaleBrowser(log: Logger): Promise<{ entries: BenchEntry[]; table: string }> {
  await fastPoseidon();
  const million = await millionSnapshot(log, new Identity(MEMBER_KEY));
  const browser = await benchBrowser(log, million.file);
  log.info(browser, "2^20 members in Chromium");
  return {
    entries: browserEntries(browser),
    table: ["| measure | value | beside |", "| --- | ---: | --- |", browserRow(browser)].join("\n"),
  };
}

export async function benchScale(log: Logger): Promise<{ entries: BenchEntry[]; table: string }> {
  const member = new Identity(MEMBER_KEY);
  const hasher = await fastPoseidon();
  const poseidon = benchPoseidon(hasher);
  log.info(poseidon, "Poseidon(2) per hash (us)");
  const chain = await benchChain(log, member);
  log.info(chain, "10k chain");
  await releaseProver();
  const million = await benchMillion(log, member);
  log.info(million, "2^20 members");
  const browser = await benchBrowser(log, million.file);
  log.info(browser, "2^20 members in Chromium");
  log.info("the auditor's checks and checkpoint at 10^6 members and 10^5 claims");
  const audit = await childProcess<AuditResult>("scale-audit.ts", [String(AUDIT_MEMBERS), String(AUDIT_MEMBERS / 10)]);
  log.info(audit, "audit at scale");
  const checkpointMs = "error" in audit.checkpoint ? 0 : audit.checkpoint.encodeMs + audit.checkpoint.decodeMs;
  const auditS = (audit.checkMs + checkpointMs) / 1000;
  const batchRate = await measuredBatchRate();
  const verifyS = batchRate ? audit.claims / batchRate : Number.NaN;
  const mb = (bytes: number) => bytes / 1e6;
  const entries = [
    entry("scale.poseidon2.fast.us", poseidon.fastUs, "us", poseidon.liteUs),
    entry("scale.poseidon2.lite.us", poseidon.liteUs, "us"),
    entry(`scale.claimPrep.10k.node`, chain.snapshotMs, "ms", chain.eventsMs),
    entry(`scale.claimPrep.10k.events.node`, chain.eventsMs, "ms"),
    entry("scale.memberTree.10k.snapshot.ms", chain.snapshotTreeMs, "ms", chain.eventsTreeMs),
    entry("scale.memberTree.10k.events.ms", chain.eventsTreeMs, "ms"),
    entry("scale.indexer.perEvent.ms", chain.perEventMs, "ms", 10),
    entry("scale.indexer.perEvent.1M.hashing.ms", million.addMs, "ms", 10),
    entry("scale.tree.build.1M.s", million.buildS, "s"),
    entry("scale.claimPrep.1M.node", million.client.ms, "ms", 5_000),
    entry("scale.claimPrep.1M.node.peakMB", million.client.peakMb, "MB"),
    ...browserEntries(browser),
    entry("scale.snapshot.1M.bytes", million.snapshotBytes, "bytes", 70e6),
    entry("scale.snapshot.update.1k.bytes", million.updateBytes, "bytes", 100e3),
    entry("scale.snapshot.10k.bytes", chain.snapshotBytes, "bytes"),
    entry("scale.audit.1M.members.100k.claims", auditS, "s"),
    entry("scale.audit.1M.members.100k.claims.peakMB", audit.peakMb, "MB"),
    entry("scale.audit.100k.claims.verify.extrapolated.s", verifyS, "s"),
  ];
  const table = [
    "| measure | value | beside |",
    "| --- | ---: | --- |",
    `| Poseidon(2), fast WebAssembly hasher in bulk | ${f(poseidon.fastUs, 1)} us | poseidon-lite, one call at a time: ${f(poseidon.liteUs, 1)} us |`,
    `| claim preparation, ${f(CHAIN_MEMBERS)} members joined on chain, tree from the snapshot (download from 127.0.0.1, verify, assessor set, epoch, proof), median of ${ROUNDS} | ${f(chain.snapshotMs)} ms | from the pool's events, same run: ${f(chain.eventsMs)} ms |`,
    `| of which the member tree: snapshot downloaded from 127.0.0.1, decoded, path and root checked against the pool | ${f(chain.snapshotTreeMs)} ms | from the pool's events (eth_getLogs, replay, bulk hash, root check): ${f(chain.eventsTreeMs)} ms |`,
    `| tree index, cost per event (${f(chain.events)} events: eth_getLogs, hash, check the root, SQLite commit) | ${f(chain.perEventMs, 2)} ms | target <= 10 ms; joining them took ${f(chain.joinS)} s |`,
    `| tree index hashing per join at 2^20 (depth 20, in memory) | ${f(million.addMs, 2)} ms | |`,
    `| 2^20-member tree hashed in bulk (generated members) | ${f(million.buildS, 1)} s | |`,
    `| claim preparation at 2^20 members in Node, excluding the download (decode ${f(million.client.decodeMs)} ms, path ${f(million.client.pathMs)} ms, proof ${f(million.client.proveMs)} ms) | ${f(million.client.ms)} ms | target <= 5,000 ms; peak RSS ${f(million.client.peakMb)} MB |`,
    browserRow(browser),
    `| full snapshot at 2^20 members | ${f(mb(million.snapshotBytes), 1)} MB | target <= 70 MB |`,
    `| update after 1,000 joins at 2^20 | ${f(million.updateBytes / 1000, 1)} KB | target <= 100 KB |`,
    `| snapshot at ${f(CHAIN_MEMBERS)} members | ${f(chain.snapshotBytes / 1000)} KB | |`,
    `| auditor at 10^6 members and 10^5 claims (generated events): every check ${f(audit.checkMs / 1000, 1)} s, checkpoint ${"error" in audit.checkpoint ? `failed: ${audit.checkpoint.error}` : `${f(audit.checkpoint.bytes / 1e6)} MB written in ${f(audit.checkpoint.encodeMs / 1000, 1)} s and read in ${f(audit.checkpoint.decodeMs / 1000, 1)} s`}, ${audit.findings} findings | ${f(auditS, 1)} s | peak RSS ${f(audit.peakMb)} MB; verifying 10^5 proofs at this machine's measured batch rate (audit.batch_verify.proofs_per_s, ${f(batchRate ?? 0)}/s) adds about ${f(verifyS)} s |`,
  ].join("\n");
  return { entries, table };
}

if (import.meta.main) runAlone("scale", process.argv[2] === "browser" ? benchScaleBrowser : benchScale);

/** What docs/BENCHMARKS.md says under the scale table. */
export const SCALE_NOTES = `The 10,000 members are joined for real (one transaction each) and read back through
\`eth_getLogs\`; the 2^20 members are generated directly (deterministic commitments, not joined on
chain: a million joins would take hours here) and hashed in bulk, so the 2^20 rows measure the
client and the file, not the chain. The client's claim preparation at 2^20 runs in a process of its
own on the snapshot file (read before the clock starts: that is the download) and checks the
member's path against the snapshot's root; on a real chain it also reads \`memberRootSeq\` once (one
\`eth_call\`). In Chromium the page decodes the snapshot, finds the leaf and hashes its path (the SDK
bundled by esbuild as the web app's build resolves it, \`bench/scale-browser.ts\`, with circomlibjs's
WebAssembly Poseidon loaded first, as the app's prover worker loads it when it starts) and the web
app's own prover worker proves, its artifacts loaded beforehand. The "from the pool's events" rows are the fallback path: every join and
renewal read, replayed into records and hashed once in bulk (before this work it hashed every insert
and checked every root, about 1.5 ms per member). The auditor row runs every event check and the
checkpoint round trip (one line per event) on generated events (consistent roots, nullifiers,
contexts and books: no finding) in a process of its own; proof verification is not in it (10^5 real
proofs would take about 30 hours to make here) but extrapolated from the audit part's batch rate.
The proof dominates every claim-preparation row: compare it with the circuit part's
\`circuit.claim.fullProve.median\` and the web part's \`web.proof.browser.median\`, measured alone.
Poseidon candidates measured on this machine kind for the same Poseidon(2), outputs identical to
circomlib's: poseidon-lite 0.3.0 about 180 us, @iden3/js-crypto 1.3.3 210 us,
@lightprotocol/hasher.rs 0.2.1 190 us (through its string API), @railgun-community/poseidon-hash-wasm
1.0.1 100 us, circomlibjs 0.1.7 65 us through its own API and about 50 us driven in WebAssembly memory
as \`service/sdk/poseidon-wasm.ts\` does (the first row). In Debian's Chromium 156 the same two
measured about 100 us (poseidon-lite) and 70 us (circomlibjs in bulk), and the web app uses the
latter too (its build keeps circomlibjs's constants for 1 to 5 inputs only: a 133 KB compressed
chunk). See [SCALE.md](SCALE.md).`;
