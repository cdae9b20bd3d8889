/**
 * The claims desk in Debian's headless Chromium (playwright-core), against a Hardhat node, the
 * deployment and the desk on 127.0.0.1: a member's client files a case with one 5 MB file (the
 * SDK's fileCase as the web app calls it: roster check, encryption, upload), and the assessor's
 * client decrypts it (envelope and file, after the download, which is timed apart). The same
 * filing in Node in the same run is the figure beside. Runs alone with `node bench/desk-web.ts`
 * (it writes no file; its rows go to docs/benchmarks.json by hand).
 */
import { mkdirSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import { ROOT } from "../scripts/lib/paths.ts";
import { DeskClient } from "../service/sdk/desk/client.ts";
import { fileCase, publishRosterEntry, signIn } from "../service/sdk/desk/flows.ts";
import { createIdentity } from "../service/sdk/identity.ts";
import { AssessorTree } from "../service/sdk/trees.ts";
import { launchBrowser } from "../testkit/browser.ts";
import { startDeskWebStack } from "../testkit/desk-web-stack.ts";
import { bundleForBrowser } from "./browser-bundle.ts";
import { type BenchEntry, entry, median, runAlone } from "./stats.ts";

const RUNS = 5;
const BYTES = 5 * 1024 * 1024;
const OUT = join(ROOT, "bench", "out", "desk-web");

interface Filed {
  caseId: string;
  ms: number;
  encryptMs: number;
  uploadMs: number;
}

export async function benchDeskWeb(log: Logger): Promise<{ entries: BenchEntry[]; table: string }> {
  mkdirSync(OUT, { recursive: true });
  const bundle = join(OUT, "desk-web-page.js");
  await bundleForBrowser(join(ROOT, "bench", "desk-web-page.ts"), bundle);
  const load = loadavg()[0] ?? 0;
  const stack = await startDeskWebStack();
  const context = await launchBrowser();
  try {
    const assessor = stack.deployment.assessor;
    const desk = new DeskClient(stack.deskUrl);
    const session = await signIn(desk, assessor, 1n);
    await publishRosterEntry(desk, session.token, assessor, 1n);
    const assessorKey: [string, string] = [assessor.publicKey[0].toString(), assessor.publicKey[1].toString()];

    // Node first, alone: the same filing through the same SDK call.
    log.info("filing in Node");
    const nodeTimes: number[] = [];
    const identity = createIdentity();
    for (let i = 0; i <= RUNS; i++) {
      const bytes = new Uint8Array(BYTES);
      for (let at = 0; at < BYTES; at += 65_536) crypto.getRandomValues(bytes.subarray(at, Math.min(BYTES, at + 65_536)));
      const started = performance.now();
      await fileCase({
        client: desk,
        identity,
        planId: 1n,
        assessorTree: AssessorTree.from([assessor.publicKey]),
        details: { category: "medical", dateOfLoss: "2026-11-20", description: "bench case", amount: 1_000_000n },
        files: [{ name: "scan.pdf", type: "application/pdf", bytes }],
      });
      if (i > 0) nodeTimes.push(performance.now() - started);
    }

    const page = await context.newPage();
    // A page of the web server (a loopback origin, so Chromium lets it call the desk on 127.0.0.1)
    // without the app, so nothing else runs beside the measurement; the bundle is added to it.
    const pageErrors: string[] = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));
    await page.goto(`${stack.deskWeb.url}/config.json`);
    await page.addScriptTag({ path: bundle });
    await page
      .waitForFunction(() => "huzhuDeskBench" in globalThis, undefined, { timeout: 30_000 })
      .catch((error: Error) => {
        throw new Error(`the bench page did not load: ${pageErrors.join("; ") || error.message}`);
      });

    log.info("filing in Chromium");
    const filed: Filed[] = [];
    const secret = createIdentity().export();
    for (let i = 0; i <= RUNS; i++) {
      const run = await page.evaluate(
        ({ deskUrl, secret, assessorKey, bytes }) =>
          (globalThis as unknown as { huzhuDeskBench: { file(...a: unknown[]): Promise<Filed> } }).huzhuDeskBench.file(
            deskUrl,
            secret,
            assessorKey,
            bytes,
          ),
        { deskUrl: stack.deskUrl, secret, assessorKey, bytes: BYTES },
      );
      if (i > 0) filed.push(run); // the first warms up
    }

    log.info("decrypting in Chromium");
    const decrypts: { ms: number; downloadMs: number; bytes: number }[] = [];
    for (const [i, run] of [filed[0] as Filed, ...filed].entries()) {
      const result = await page.evaluate(
        ({ deskUrl, token, privateKey, caseId }) =>
          (
            globalThis as unknown as {
              huzhuDeskBench: { decrypt(...a: unknown[]): Promise<{ ms: number; downloadMs: number; bytes: number }> };
            }
          ).huzhuDeskBench.decrypt(deskUrl, token, privateKey, caseId),
        { deskUrl: stack.deskUrl, token: session.token, privateKey: assessor.privateKey, caseId: run.caseId },
      );
      if (result.bytes !== BYTES) throw new Error(`decrypted ${result.bytes} bytes, not ${BYTES}`);
      if (i > 0) decrypts.push(result);
    }

    const nodeMs = median(nodeTimes);
    const fileMs = median(filed.map((r) => r.ms));
    const encryptMs = median(filed.map((r) => r.encryptMs));
    const uploadMs = median(filed.map((r) => r.uploadMs));
    const decryptMs = median(decrypts.map((r) => r.ms));
    const downloadMs = median(decrypts.map((r) => r.downloadMs));
    const entries = [entry("desk.fileCase.5MB.browser", fileMs, "ms", nodeMs), entry("desk.decrypt.5MB.browser", decryptMs, "ms")];
    const f = (x: number, d = 0) => x.toLocaleString("en-US", { maximumFractionDigits: d });
    const table = [
      "| measure | value | beside |",
      "| --- | ---: | --- |",
      `| file a case with one 5 MB file in Chromium (fileCase: roster check, encryption, upload to the desk on 127.0.0.1), median of ${RUNS} after a warm-up | ${f(fileMs)} ms | medians of its parts: roster check and encryption ${f(encryptMs)} ms, upload ${f(uploadMs)} ms; Node, same call, same run: ${f(nodeMs)} ms |`,
      `| decrypt that case in Chromium (envelope, then the 5 MB file, checked against the document), median of ${RUNS} after a warm-up | ${f(decryptMs)} ms | after its download, ${f(downloadMs)} ms |`,
      `| machine load (1-minute load average, 2 cores) at the start | ${f(load, 1)} | |`,
    ].join("\n");
    return { entries, table };
  } finally {
    await context.close();
    await stack.stop();
  }
}

if (import.meta.main) runAlone("desk-web", benchDeskWeb);
