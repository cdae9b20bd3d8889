import { build } from "esbuild";
import { describe, expect, it } from "vitest";

describe("SDK in a browser", () => {
  it("bundles for the browser platform with no Node built-in on its import graph", async () => {
    const result = await build({
      entryPoints: ["service/sdk/index.ts", "service/sdk/desk/index.ts"],
      bundle: true,
      platform: "browser",
      format: "esm",
      write: false,
      outdir: "browser-bundle",
      metafile: true,
      logLevel: "silent",
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((file) => file.startsWith("service/sdk/prover.ts"))).toBe(true);
    expect(inputs.some((file) => file.startsWith("service/sdk/desk/flows.ts"))).toBe(true);
    expect(inputs.filter((file) => file.startsWith("node:") || /^(fs|path|crypto|os|child_process)$/.test(file))).toEqual([]);
    for (const output of result.outputFiles) expect(output.text).not.toMatch(/from\s*["']node:/);
  });
});
