/**
 * Headless Chromium from Debian's package, driven by playwright-core (no browser download), with
 * the flags that work on a closed network and a new, empty profile each launch.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";
import { ROOT } from "../../scripts/lib/paths.ts";
import { WEB_DIST } from "../../scripts/lib/web.ts";

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

/** Installs Debian's chromium when missing (as root), and builds the web app when web/dist is missing. */
export function ensureBrowserAndBuild(): void {
  execFileSync("sh", [join(ROOT, "scripts", "ensure-chromium.sh")], { stdio: "inherit" });
  if (!existsSync(join(WEB_DIST, "index.html"))) {
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
