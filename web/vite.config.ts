/**
 * `npm run build:web`: bundles the member and auditor app into web/dist (served by scripts/lib/web.ts).
 * Preact through the automatic JSX runtime; the prover runs in a module Web Worker. Text assets also
 * get a .gz twin so the server can send them compressed.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { defineConfig, type Plugin } from "vite";

const root = import.meta.dirname;
const outDir = join(root, "dist");

function precompress(): Plugin {
  return {
    name: "huzhu-precompress",
    apply: "build",
    closeBundle() {
      const walk = (dir: string): string[] =>
        readdirSync(dir).flatMap((name) => {
          const path = join(dir, name);
          return statSync(path).isDirectory() ? walk(path) : [path];
        });
      for (const file of walk(outDir)) {
        if (/\.(js|css|html|svg|json)$/.test(file)) writeFileSync(`${file}.gz`, gzipSync(readFileSync(file), { level: 9 }));
      }
    },
  };
}

export default defineConfig({
  root,
  base: "/",
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  worker: { format: "es" },
  resolve: {
    alias: [
      { find: /^poseidon-lite$/, replacement: join(root, "src", "poseidon-lite.ts") },
      // The SDK's fast Poseidon takes only buildPoseidon from circomlibjs; its main module also
      // loads EdDSA, Pedersen and more, which need Node's Buffer. In the browser, load just that one.
      { find: /^circomlibjs$/, replacement: join(root, "..", "node_modules", "circomlibjs", "src", "poseidon_wasm.js") },
    ],
  },
  build: { outDir, emptyOutDir: true, target: "es2022", chunkSizeWarningLimit: 2048, reportCompressedSize: false },
  plugins: [precompress()],
});
