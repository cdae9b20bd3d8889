/**
 * Headless Chromium from Debian's package, driven by playwright-core (no browser download), with
 * the flags that work on a closed network and a new, empty profile each launch.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, statSync } from "node:fs";
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

/** Installs Debian's chromium when missing (as root), and builds the web app when web/dist is missing or stale. */
export function ensureBrowserAndBuild(): void {
  execFileSync("sh", [join(ROOT, "scripts", "ensure-chromium.sh")], { stdio: "inherit" });
  if (bundleStale()) {
    execFileSync(process.execPath, [join(ROOT, "node_modules", "vite", "bin", "vite.js"), "build", "--config", "web/vite.config.ts"], {
      cwd: ROOT,
      stdio: "inherit",
    });
  }
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
