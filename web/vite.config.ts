/**
 * `npm run build:web`: bundles the member and auditor app into web/dist (served by scripts/lib/web.ts).
 * Preact through the automatic JSX runtime; the prover runs in a module Web Worker. Text assets also
 * get a .gz twin so the server can send them compressed.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { defineConfig, type Plugin } from "vite";

const root = import.meta.dirname;
const outDir = join(root, "dist");
/**
 * circomlibjs's Poseidon module alone: the SDK's fast Poseidon takes only `buildPoseidon` from the
 * package, whose main module also loads EdDSA, Pedersen and more, which need Node's Buffer.
 * Browser bundles (this build, the benches' pages) resolve `circomlibjs` to it.
 */
export const CIRCOMLIBJS_POSEIDON = join(root, "..", "node_modules", "circomlibjs", "src", "poseidon_wasm.js");
const POSEIDON_CONSTANTS = join(root, "..", "node_modules", "circomlibjs", "src", "poseidon_constants_opt.js");
/** The widths the SDK hashes (1 to 5 inputs, service/sdk/poseidon-wasm.ts). */
const POSEIDON_MAX_INPUTS = 5;

/**
 * circomlibjs's Poseidon constants for 1 to 5 inputs only, as a module's source. The module holds
 * them for 1 to 16 (1.8 MB, 0.9 MB compressed, and most of the time its load spends converting
 * them); the kept ones are the same values, so the hashes are the same.
 */
export async function poseidonConstantsSource(): Promise<string> {
  const all = (await import(pathToFileURL(POSEIDON_CONSTANTS).href)) as { default: Record<string, unknown[]> };
  const kept = Object.fromEntries(Object.entries(all.default).map(([key, widths]) => [key, widths.slice(0, POSEIDON_MAX_INPUTS)]));
  return `export default ${JSON.stringify(kept)};\n`;
}

/** Whether a module id is circomlibjs's Poseidon constants (for bundlers' load hooks). */
export const isPoseidonConstants = (id: string): boolean => resolve(id) === POSEIDON_CONSTANTS;

function poseidonWidths(): Plugin {
  return {
    name: "huzhu-poseidon-widths",
    load: (id) => (isPoseidonConstants(id) ? poseidonConstantsSource() : undefined),
  };
}

function precompress(): Plugin {
  // The output folder the build was given (web/dist unless a caller builds elsewhere).
  let built = outDir;
  return {
    name: "huzhu-precompress",
    apply: "build",
    configResolved(config) {
      built = resolve(config.root, config.build.outDir);
    },
    closeBundle() {
      const walk = (dir: string): string[] =>
        readdirSync(dir).flatMap((name) => {
          const path = join(dir, name);
          return statSync(path).isDirectory() ? walk(path) : [path];
        });
      for (const file of walk(built)) {
        if (/\.(js|css|html|svg|json)$/.test(file)) writeFileSync(`${file}.gz`, gzipSync(readFileSync(file), { level: 9 }));
      }
    },
  };
}

export default defineConfig({
  root,
  base: "/",
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  worker: { format: "es", plugins: () => [poseidonWidths()] },
  resolve: {
    alias: [
      { find: /^poseidon-lite$/, replacement: join(root, "src", "poseidon-lite.ts") },
      { find: /^circomlibjs$/, replacement: CIRCOMLIBJS_POSEIDON },
    ],
  },
  build: { outDir, emptyOutDir: true, target: "es2022", chunkSizeWarningLimit: 2048, reportCompressedSize: false },
  plugins: [poseidonWidths(), precompress()],
});
