/** A bench page's script for Chromium: `bench/<entry>.ts` bundled by esbuild for the browser into one file. */
import { build, type Plugin } from "esbuild";

export async function bundleForBrowser(entry: string, outfile: string, plugins: Plugin[] = []): Promise<void> {
  await build({
    entryPoints: [entry],
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "es2022",
    outfile,
    logLevel: "warning",
    plugins,
  });
}
