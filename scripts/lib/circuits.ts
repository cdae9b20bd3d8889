import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { ROOT } from "./paths.ts";

const run = promisify(execFile);
const require = createRequire(import.meta.url);

/** Include folders for every circuit, in one place (circom2 resolves them from the repository root). */
export const INCLUDE_DIRS = ["node_modules/circomlib/circuits", "node_modules/@zk-kit/binary-merkle-root.circom/src"];

/** Versions that change what the compiler emits; they are part of every build stamp. */
export function toolchainVersions(): Record<string, string> {
  const version = (pkg: string) =>
    (JSON.parse(readFileSync(join(ROOT, "node_modules", pkg, "package.json"), "utf8")) as { version: string }).version;
  return {
    circom2: version("circom2"),
    snarkjs: version("snarkjs"),
    circomlib: version("circomlib"),
    "@zk-kit/binary-merkle-root.circom": version("@zk-kit/binary-merkle-root.circom"),
  };
}

export interface CompileResult {
  r1cs: string;
  wasm: string;
  sym: string;
  constraints: number;
}

/**
 * Compiles a main circuit with circom2 at --O2. circom2 runs from the repository root because its
 * WebAssembly file system cannot reach include folders above the current directory.
 */
export async function compileCircuit(mainFile: string, outDir: string, extraIncludes: string[] = []): Promise<CompileResult> {
  const cli = require.resolve("circom2/cli.js");
  const includes = [...INCLUDE_DIRS, ...extraIncludes].flatMap((dir) => ["-l", dir]);
  const args = [cli, relative(ROOT, mainFile), "--r1cs", "--wasm", "--sym", "--O2", "-o", relative(ROOT, outDir), ...includes];
  const { stdout } = await run(process.execPath, args, { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  const match = /non-linear constraints: (\d+)/.exec(stdout);
  const linear = /linear constraints: (\d+)/.exec(stdout.replace(/non-linear constraints: \d+/, ""));
  if (!match?.[1]) throw new Error(`circom2 did not report a constraint count for ${mainFile}:\n${stdout}`);
  const name =
    mainFile
      .split("/")
      .pop()
      ?.replace(/\.circom$/, "") ?? "main";
  return {
    r1cs: join(outDir, `${name}.r1cs`),
    wasm: join(outDir, `${name}_js`, `${name}.wasm`),
    sym: join(outDir, `${name}.sym`),
    constraints: Number(match[1]) + Number(linear?.[1] ?? 0),
  };
}

/** sha256 over the given files' paths and contents: the circuit's source identity. */
export function hashSources(files: string[]): string {
  const hash = createHash("sha256");
  for (const file of [...files].sort()) {
    hash.update(relative(ROOT, file));
    hash.update("\0");
    hash.update(readFileSync(file));
    hash.update("\0");
  }
  return hash.digest("hex");
}

export function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}
