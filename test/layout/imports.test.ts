/**
 * The source tree's import graph: no module imports, through any chain of relative imports, one
 * that imports it (a cycle makes load order matter and hides which part depends on which), and the
 * SDK imports nothing above it (services, CLI, web, scripts); benchmarks and the test kit share
 * the kit (testkit/), never a test file.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const SOURCES = ["service", "web/src", "scripts", "bench", "testkit"];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "node_modules" || name === "dist" || name === "out" ? [] : files(path);
    return /\.(ts|tsx)$/.test(name) ? [path] : [];
  });
}

/** Relative static imports and re-exports (type-only imports included: they still tie the modules). */
function imports(path: string): string[] {
  const source = readFileSync(path, "utf8");
  const found: string[] = [];
  for (const match of source.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+"(\.{1,2}\/[^"]+)"/g)) {
    const target = resolve(dirname(path), match[1] as string);
    found.push(target);
  }
  return found;
}

const graph = new Map<string, string[]>();
for (const dir of SOURCES) for (const path of files(join(ROOT, dir))) graph.set(path, imports(path));

function cycles(): string[][] {
  const found: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (state.get(next) === "open") found.push([...stack.slice(stack.indexOf(next)), next].map((p) => relative(ROOT, p)));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return found;
}

describe("the import graph", () => {
  it("reads the whole tree (service, web, scripts, bench, testkit)", () => {
    expect(graph.size).toBeGreaterThan(150);
    expect(graph.get(join(ROOT, "service/desk/app.ts"))).toContain(join(ROOT, "service/desk/routes/cases.ts"));
    expect(graph.get(join(ROOT, "bench/gas.ts"))).toContain(join(ROOT, "testkit/pool.ts"));
  });

  it("has no cycle", () => {
    expect(cycles()).toEqual([]);
  });

  it("keeps the SDK below every other part", () => {
    const upward = [...graph]
      .filter(([path]) => relative(ROOT, path).startsWith("service/sdk/"))
      .flatMap(([path, targets]) =>
        targets.filter((t) => !relative(ROOT, t).startsWith("service/sdk/")).map((t) => `${relative(ROOT, path)} -> ${relative(ROOT, t)}`),
      );
    expect(upward).toEqual([]);
  });

  it("keeps test files out of the benchmarks and the kit", () => {
    const intoTests = [...graph]
      .filter(([path]) => /^(bench|testkit)\//.test(relative(ROOT, path)))
      .flatMap(([path, targets]) =>
        targets.filter((t) => relative(ROOT, t).startsWith("test/")).map((t) => `${relative(ROOT, path)} -> ${relative(ROOT, t)}`),
      );
    expect(intoTests).toEqual([]);
  });
});
