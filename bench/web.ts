/**
 * Web app benchmark in Debian's headless Chromium (playwright-core) against a Hardhat node and the
 * web server on 127.0.0.1: the claim proof made in the app's prover worker beside the same proof
 * in Node in the same run, the app's transfer sizes, and what a second visit downloads (the
 * proving artifacts are content-addressed and immutable, so nothing).
 * Runs alone with `node bench/web.ts`.
 */

import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import type { Page } from "playwright-core";
import { deployLocal, devAccount, joinMembers, publicClientFor, startChain } from "../scripts/lib/stack.ts";
import { serveWeb, WEB_DIST } from "../scripts/lib/web.ts";
import {
  createIdentity,
  loadAssessorTree,
  loadMemberTree,
  type PreparedClaim,
  prepareClaim,
  proveClaim,
  randomFieldElement,
  releaseProver,
  signApproval,
} from "../service/sdk/index.ts";
import { claimArtifacts } from "../service/sdk/node.ts";
import { ensureBrowserAndBuild, launchBrowser } from "../testkit/browser.ts";
import { type BenchEntry, entry, median, runAlone } from "./stats.ts";

const RUNS = 6;

export interface WebBenchResult {
  entries: BenchEntry[];
  table: string;
}

interface Transfer {
  url: string;
  transferSize: number;
  encodedBodySize: number;
  decodedBodySize: number;
}

/** A claim ready to prove: a member who joined the demo plan, an approval, the trees from chain. */
async function preparedClaim(rpcUrl: string) {
  const { record, assessor } = await deployLocal(rpcUrl);
  const client = publicClientFor(rpcUrl);
  const identity = createIdentity();
  await joinMembers(rpcUrl, record, [identity], 3);
  const ref = { client, pool: record.pool, fromBlock: BigInt(record.deployBlock) };
  const approval = signApproval(assessor, {
    commitment: identity.commitment,
    planId: 1n,
    eventId: randomFieldElement(),
    amount: 10_000_000n,
    expiresAtEpoch: 5n,
  });
  const prepared = prepareClaim({
    identity,
    memberTree: await loadMemberTree(ref, 1n),
    assessorTree: await loadAssessorTree(ref, 1n),
    approval,
    claimEpoch: 0n,
    context: {
      chainId: 31337n,
      pool: record.pool,
      planId: 1n,
      recipient: devAccount(9).address,
      relayer: devAccount(1).address,
      fee: 100_000n,
      gasDrop: 0n,
    },
  });
  return { record, prepared };
}

/** Runs one message through a fresh instance of the app's prover worker, from the page's origin. */
function inWorker<T>(page: Page, workerUrl: string, message: Record<string, unknown>): Promise<T> {
  return page.evaluate(
    ({ workerUrl, message }) =>
      new Promise<T>((resolve, reject) => {
        const worker = new Worker(workerUrl, { type: "module" });
        worker.onmessage = (event) => {
          const reply = event.data as { kind: string; message?: string };
          if (reply.kind === "progress") return;
          worker.terminate();
          if (reply.kind === "error") reject(new Error(reply.message));
          else resolve(reply as T);
        };
        worker.onerror = (event) => reject(new Error(event.message));
        worker.postMessage({ id: 1, ...message });
      }),
    { workerUrl, message },
  );
}

/** Proves `runs` times in one worker (after a warm-up) and returns the worker's proving times. */
function proveInWorker(page: Page, workerUrl: string, artifacts: unknown, prepared: PreparedClaim, runs: number): Promise<number[]> {
  return page.evaluate(
    ({ workerUrl, artifacts, prepared, runs }) =>
      new Promise<number[]>((resolve, reject) => {
        const worker = new Worker(workerUrl, { type: "module" });
        const times: number[] = [];
        let id = 0;
        const next = () => worker.postMessage({ id: ++id, kind: "prove-prepared", artifacts, prepared });
        worker.onmessage = (event) => {
          const reply = event.data as { kind: string; ms: number; message?: string };
          if (reply.kind === "progress") return;
          if (reply.kind === "error") return reject(new Error(reply.message));
          if (id > 1) times.push(reply.ms); // the first proof warms up
          if (times.length === runs) {
            worker.terminate();
            resolve(times);
          } else next();
        };
        worker.onerror = (event) => reject(new Error(event.message));
        next();
      }),
    { workerUrl, artifacts, prepared, runs },
  );
}

/** The page's own resources (document, scripts, styles) as the Resource Timing API saw them. */
function pageTransfers(page: Page): Promise<Transfer[]> {
  return page.evaluate(() =>
    [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")].map((e) => {
      const r = e as PerformanceResourceTiming;
      return { url: r.name, transferSize: r.transferSize, encodedBodySize: r.encodedBodySize, decodedBodySize: r.decodedBodySize };
    }),
  );
}

const sum = (items: Transfer[], key: keyof Omit<Transfer, "url">) => items.reduce((total, t) => total + t[key], 0);
const kb = (bytes: number) => bytes / 1024;

export async function benchWeb(log: Logger): Promise<WebBenchResult> {
  ensureBrowserAndBuild();
  const chain = await startChain(22_000 + Math.floor(Math.random() * 5000));
  let context: Awaited<ReturnType<typeof launchBrowser>> | undefined;
  let web: Awaited<ReturnType<typeof serveWeb>> | undefined;
  try {
    const { record, prepared } = await preparedClaim(chain.rpcUrl);
    web = await serveWeb({
      port: 0,
      config: {
        chainId: record.chainId,
        rpcUrl: chain.rpcUrl,
        pool: record.pool,
        deployBlock: record.deployBlock,
        relayerUrl: "http://127.0.0.1:9",
        devWallet: true,
      },
    });
    const workerFile = readdirSync(join(WEB_DIST, "assets")).find((f) => /^prove\.worker-.*\.js$/.test(f));
    if (!workerFile) throw new Error("no prover worker in web/dist/assets: run npm run build:web");
    const workerUrl = `${web.url}/assets/${workerFile}`;
    const artifacts = web.config.artifacts;

    // Node first, alone on the machine: the same prepared claim, warm-up then RUNS proofs.
    log.info("proving in Node");
    const nodeTimes: number[] = [];
    for (let i = 0; i <= RUNS; i++) {
      const started = performance.now();
      await proveClaim(prepared, claimArtifacts());
      if (i > 0) nodeTimes.push(performance.now() - started);
    }
    await releaseProver();

    context = await launchBrowser();
    // First visit: the app as a new visitor loads it, then the artifacts its prover fetches.
    // (Read from a page without the app first, so the app's own background fetch does not hide them.)
    log.info("first visit");
    const blank = await context.newPage();
    await blank.goto(`${web.url}/config.json`);
    const firstArtifacts = (await inWorker<{ transfers: Transfer[] }>(blank, workerUrl, { kind: "warm", artifacts })).transfers;
    await blank.close();
    const page = await context.newPage();
    await page.goto(web.url);
    await page.getByRole("heading", { level: 2 }).waitFor();
    const firstApp = (await pageTransfers(page)).filter((t) => !t.url.includes("/artifacts/"));

    log.info("proving in Chromium");
    const browserTimes = await proveInWorker(page, workerUrl, artifacts, prepared, RUNS);
    await page.close();

    // Second visit, same browser profile: the artifacts come from the HTTP cache.
    log.info("second visit");
    const again = await context.newPage();
    await again.goto(web.url);
    await again.getByRole("heading", { level: 2 }).waitFor();
    const secondApp = (await pageTransfers(again)).filter((t) => !t.url.includes("/artifacts/"));
    const secondArtifacts = (await inWorker<{ transfers: Transfer[] }>(again, workerUrl, { kind: "warm", artifacts })).transfers;

    const nodeMedian = median(nodeTimes);
    const browserMedian = median(browserTimes);
    const js = firstApp.filter((t) => t.url.endsWith(".js"));
    const css = firstApp.filter((t) => t.url.endsWith(".css"));
    const html = firstApp.filter((t) => !t.url.endsWith(".js") && !t.url.endsWith(".css"));
    const wasm = firstArtifacts.find((t) => t.url.endsWith(".wasm"));
    const zkey = firstArtifacts.find((t) => t.url.endsWith(".zkey"));
    const entries = [
      entry("web.proof.browser.median", browserMedian, "ms", nodeMedian),
      entry("web.proof.node.median", nodeMedian, "ms"),
      entry("web.transfer.app.js", kb(sum(js, "transferSize")), "KiB"),
      entry("web.transfer.app.css", kb(sum(css, "transferSize")), "KiB"),
      entry("web.transfer.artifacts.first", kb(sum(firstArtifacts, "transferSize")), "KiB"),
      entry("web.transfer.artifacts.second", sum(secondArtifacts, "transferSize"), "bytes"),
      entry("web.transfer.app.second", kb(sum(secondApp, "transferSize")), "KiB"),
    ];
    const f = (x: number, d = 0) => x.toLocaleString("en-US", { maximumFractionDigits: d });
    const size = (t: Transfer | undefined) => (t ? `${f(kb(t.transferSize))} KiB (${f(kb(t.decodedBodySize))} KiB unpacked)` : "-");
    const table = [
      "| measure | value | beside |",
      "| --- | ---: | --- |",
      `| claim proof in the browser's prover worker, median of ${RUNS} after a warm-up | ${f(browserMedian)} ms | Node, same claim, same run: ${f(nodeMedian)} ms (ratio ${f(browserMedian / nodeMedian, 2)}x; target <= 2x) |`,
      `| app scripts, first visit (${js.length} files, gzip) | ${f(kb(sum(js, "transferSize")))} KiB | ${f(kb(sum(js, "decodedBodySize")))} KiB unpacked: ${js
        .map((t) =>
          t.url
            .split("/")
            .pop()
            ?.replace(/-[\w-]{8}\.js$/, ".js"),
        )
        .join(", ")}; the auditor's verifier loads on demand |`,
      `| app styles and page, first visit | ${f(kb(sum(css, "transferSize") + sum(html, "transferSize")), 1)} KiB | |`,
      `| circuit wasm, first visit | ${size(wasm)} | |`,
      `| proving key (zkey), first visit | ${size(zkey)} | |`,
      `| artifacts, second visit | ${f(sum(secondArtifacts, "transferSize"))} bytes | ${secondArtifacts.length} artifacts from the HTTP cache (immutable, content-addressed) |`,
      `| app, second visit | ${f(kb(sum(secondApp, "transferSize")), 1)} KiB | the page revalidated (no-cache), hashed scripts from the cache |`,
    ].join("\n");
    return { entries, table };
  } finally {
    await context?.close();
    await web?.close();
    await chain.stop();
  }
}

if (import.meta.main) runAlone("web", benchWeb);
