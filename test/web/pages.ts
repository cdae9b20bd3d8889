/** Steps the web tests take in the page again and again: an identity made, a development wallet chosen. */
import type { Page } from "playwright-core";
import { expect } from "vitest";
import { devAccount } from "../../scripts/lib/stack.ts";

/** Opens the identity page at `webUrl`, creates an identity under `password` and waits until it is unlocked. */
export async function createIdentityInPage(page: Page, webUrl: string, password: string): Promise<void> {
  await page.goto(`${webUrl}/#/identity`);
  await page.getByLabel("Password", { exact: true }).first().fill(password);
  await page.getByLabel("Repeat the password").fill(password);
  await page.getByLabel("Repeat the password").press("Enter");
  await page.getByTestId("identity-state").getByText("Unlocked").waitFor({ timeout: 30_000 });
}

/** Picks development account `index` in the wallet box and waits until the page pays from it. */
export async function useDevWallet(page: Page, index: number): Promise<void> {
  await page.getByLabel("Development account").selectOption(String(index));
  await page.getByRole("button", { name: "Use development wallet" }).click();
  await expect.poll(() => page.getByTestId("payer").textContent()).toContain(devAccount(index).address);
}
