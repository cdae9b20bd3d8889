/**
 * Headless Chromium from Debian's package, driven by playwright-core (no browser download), with
 * the flags that work on a closed network and a new, empty profile each launch.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";
import { ROOT } from "../scripts/lib/paths.ts";
import { WEB_DIST } from "../scripts/lib/web.ts";

export const CHROMIUM = process.env.HUZHU_CHROMIUM ?? "/usr/bin/chromium";

export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** The newest modification time (ms) of the files under `dir`. */
function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) latest = Math.max(latest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return latest;
}

/** web/dist is missing, or older than a source the bundle is built from (the web app's or the SDK's). */
function bundleStale(): boolean {
  const index = join(WEB_DIST, "index.html");
  if (!existsSync(index)) return true;
  const built = statSync(index).mtimeMs;
  return [join(ROOT, "web", "src"), join(ROOT, "service", "sdk")].some((dir) => newest(dir) > built);
}

/** Held while one process rebuilds web/dist: test files run in parallel workers, and each may find the bundle stale. */
const BUILD_LOCK = `${WEB_DIST}.lock`;
/** A lock older than this was left by a build that was killed. */
const STALE_LOCK_MS = 300_000;

function waitSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function lockAge(): number | undefined {
  try {
    return Date.now() - statSync(BUILD_LOCK).mtimeMs;
  } catch {
    return undefined;
  }
}

/**
 * Rebuilds web/dist when it is stale, one process at a time: while another holds the lock, waits for
 * it to finish (never reading a half-written bundle), then looks again.
 */
function buildBundleWhenStale(): void {
  const deadline = Date.now() + 2 * STALE_LOCK_MS;
  for (;;) {
    const age = lockAge();
    if (age !== undefined) {
      if (age > STALE_LOCK_MS) rmSync(BUILD_LOCK, { recursive: true, force: true });
      else if (Date.now() > deadline)
        throw new Error(`another process has held ${BUILD_LOCK} for too long; remove it if no build is running`);
      else waitSync(200);
      continue;
    }
    if (!bundleStale()) return;
    try {
      mkdirSync(BUILD_LOCK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") continue;
      throw error;
    }
    try {
      if (bundleStale()) {
        execFileSync(process.execPath, [join(ROOT, "node_modules", "vite", "bin", "vite.js"), "build", "--config", "web/vite.config.ts"], {
          cwd: ROOT,
          stdio: "inherit",
        });
      }
      return;
    } finally {
      rmSync(BUILD_LOCK, { recursive: true, force: true });
    }
  }
}

/** Installs Debian's chromium when missing (as root), and builds the web app when web/dist is missing or stale. */
export function ensureBrowserAndBuild(): void {
  execFileSync("sh", [join(ROOT, "scripts", "ensure-chromium.sh")], { stdio: "inherit" });
  buildBundleWhenStale();
}

export async function launchBrowser(viewport = { width: 1280, height: 800 }): Promise<BrowserContext> {
  const profile = mkdtempSync(join(tmpdir(), "huzhu-chromium-"));
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport,
  });
}
