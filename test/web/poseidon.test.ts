/**
 * The web app hashes member trees with circomlibjs's WebAssembly Poseidon, not poseidon-lite, and
 * gets circomlib's hashes bit for bit. In Debian's headless Chromium: a page and a module worker
 * built with the web app's own Vite configuration (its aliases and plugins) from the registration
 * module the app imports report the hasher "circomlibjs" and hashes equal to poseidon-lite's for
 * pairs and leaves at 0, 1 and near r; the built app's prover worker loads that hasher when it starts.
 */
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext } from "playwright-core";
import { poseidon2, poseidon3 } from "poseidon-lite";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../../scripts/lib/paths.ts";
import { serveWeb, WEB_DIST, type WebServer } from "../../scripts/lib/web.ts";
import { SNARK_SCALAR_FIELD } from "../../service/sdk/constants.ts";
import { POSEIDON_MARK } from "../../service/sdk/poseidon-wasm.ts";
import { ensureBrowserAndBuild, launchBrowser } from "../../testkit/browser.ts";

const r = SNARK_SCALAR_FIELD;
/** Inputs at the field's edges and in between (all canonical: below r). */
const PAIRS: [bigint, bigint][] = [
  [0n, 0n],
  [1n, 2n],
  [r - 1n, r - 1n],
  [r - 1n, 0n],
  [0n, r - 1n],
  [r - 2n, 1n],
  [2n ** 253n, r - 2n ** 128n],
  [0x9e3779b97f4a7c15f39cc0605cedc835n, 0x243f6a8885a308d313198a2e03707344n],
];
const TRIPLES: [bigint, bigint, bigint][] = [
  [0n, 0n, 0n],
  [r - 1n, 0n, 2n ** 32n - 1n],
  [r - 1n, r - 1n, r - 1n],
  [0x9e3779b97f4a7c15f39cc0605cedc835n, 3n, 100n],
];
/** circomlib's Poseidon([1, 2]), as circomlibjs's own tests give it. */
const POSEIDON_1_2 = 7853200120776062878684798364095072458815029376092732009249414926327459813530n;

interface Hashed {
  name: string;
  pairs: string[];
  triples: string[];
}

const src = (path: string) => JSON.stringify(join(ROOT, path));

/** The page's and the worker's shared code: hash the inputs with the SDK's fast hasher. */
const HASH_MODULE = `
import ${src("service/sdk/poseidon-circomlibjs.ts")};
import { FIELD_BYTES, fastPoseidon } from ${src("service/sdk/poseidon-wasm.ts")};
import { readField, writeField } from ${src("service/sdk/lean-levels.ts")};

function hashAll(hasher, rows, arity) {
  const input = new Uint8Array(rows.length * arity * FIELD_BYTES);
  rows.forEach((row, i) => row.forEach((x, k) => writeField(input, (i * arity + k) * FIELD_BYTES, BigInt(x))));
  const out = new Uint8Array(rows.length * FIELD_BYTES);
  hasher.hashMany(input, arity, rows.length, out, 0);
  return rows.map((_, i) => readField(out, i * FIELD_BYTES).toString());
}

export async function hash({ pairs, triples }) {
  const hasher = await fastPoseidon();
  return { name: hasher.name, pairs: hashAll(hasher, pairs, 2), triples: hashAll(hasher, triples, 3) };
}
`;

let context: BrowserContext;
let probe: WebServer;
let app: WebServer;
let probeDist: string;

const webConfig = {
  chainId: 31337,
  rpcUrl: "http://127.0.0.1:9",
  pool: "0x5FbDB2315678afecb367f032d93F642f64180aa3" as const,
  deployBlock: 0,
  relayerUrl: "http://127.0.0.1:9",
  devWallet: false,
};

beforeAll(async () => {
  ensureBrowserAndBuild();
  // A page and a worker bundled exactly as the app is: the web app's Vite configuration, another root.
  const dir = mkdtempSync(join(tmpdir(), "huzhu-poseidon-page-"));
  probeDist = join(dir, "dist");
  mkdirSync(join(dir, "src"));
  writeFileSync(join(dir, "src", "hash.js"), HASH_MODULE);
  writeFileSync(
    join(dir, "src", "worker.js"),
    `import { hash } from "./hash.js";\nself.onmessage = async (e) => self.postMessage(await hash(e.data));\n`,
  );
  writeFileSync(
    join(dir, "src", "main.js"),
    `import { hash } from "./hash.js";
const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
const inWorker = (inputs) => new Promise((resolve) => { worker.onmessage = (e) => resolve(e.data); worker.postMessage(inputs); });
globalThis.huzhuPoseidon = { page: hash, worker: inWorker };
`,
  );
  writeFileSync(join(dir, "index.html"), '<!doctype html><script type="module" src="/src/main.js"></script>');
  await build({
    configFile: join(ROOT, "web", "vite.config.ts"),
    root: dir,
    logLevel: "warn",
    build: { outDir: probeDist, emptyOutDir: true },
  });
  probe = await serveWeb({ port: 0, config: webConfig, dist: probeDist });
  app = await serveWeb({ port: 0, config: webConfig });
  context = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await context?.close();
  await probe?.close();
  await app?.close();
});

function expectCircomlib(hashed: Hashed): void {
  expect(hashed.name).toBe("circomlibjs");
  expect(hashed.pairs).toEqual(PAIRS.map((pair) => poseidon2(pair).toString()));
  expect(hashed.triples).toEqual(TRIPLES.map((triple) => poseidon3(triple).toString()));
  expect(hashed.pairs[1]).toBe(POSEIDON_1_2.toString());
}

describe("Poseidon in the browser", () => {
  const inputs = { pairs: PAIRS.map((p) => p.map(String)), triples: TRIPLES.map((t) => t.map(String)) };

  /** The probe page's hashes of `inputs`, made on the page itself or in its module worker. */
  async function hashedIn(where: "page" | "worker"): Promise<Hashed> {
    const page = await context.newPage();
    await page.goto(`${probe.url}/index.html`);
    await page.waitForFunction(() => "huzhuPoseidon" in globalThis);
    const hashed = await page.evaluate(
      ({ where, inputs }) =>
        (globalThis as unknown as { huzhuPoseidon: Record<string, (x: unknown) => Promise<Hashed>> }).huzhuPoseidon[where]?.(inputs),
      { where, inputs },
    );
    await page.close();
    if (!hashed) throw new Error(`the probe page has no ${where} hasher`);
    return hashed;
  }

  it("hashes with circomlibjs on the page, equal to poseidon-lite at 0, 1 and near r", async () => {
    expectCircomlib(await hashedIn("page"));
  });

  it("hashes with circomlibjs in a module worker, equal to poseidon-lite at 0, 1 and near r", async () => {
    expectCircomlib(await hashedIn("worker"));
  });

  it("loads circomlibjs's Poseidon in the built app's prover worker when it starts", async () => {
    const workerFile = readdirSync(join(WEB_DIST, "assets")).find((name) => /^prove\.worker-.*\.js$/.test(name));
    expect(workerFile, "web/dist has a prover worker (npm run build:web)").toBeDefined();
    const page = await context.newPage();
    await page.goto(`${app.url}/`);
    const started = page.waitForEvent("worker");
    await page.evaluate((url) => {
      (globalThis as unknown as { prover: Worker }).prover = new Worker(url, { type: "module" });
    }, `${app.url}/assets/${workerFile}`);
    const worker = await started;
    const mark = await worker.evaluate(async (name) => {
      for (let i = 0; i < 600; i++) {
        const entry = performance.getEntriesByName(name)[0] as PerformanceMark | undefined;
        if (entry) return entry.detail as { name: string };
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return undefined;
    }, POSEIDON_MARK);
    expect(mark?.name).toBe("circomlibjs");
    await page.close();
  });
});
