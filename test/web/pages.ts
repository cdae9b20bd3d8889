/**
 * Steps the web tests take in the page again and again: an identity made or imported, a development
 * wallet chosen, a claim described in the "New case" form.
 */
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

/** Opens the identity page at `webUrl`, imports `exported` (an identity export) under `password` and waits until it is unlocked. */
export async function importIdentityInPage(page: Page, webUrl: string, exported: string, password: string): Promise<void> {
  await page.goto(`${webUrl}/#/identity`);
  await page.getByLabel("Identity export or keystore").fill(exported);
  await page.getByLabel("Password").last().fill(password);
  await page.getByRole("button", { name: "Import" }).click();
  await page.getByTestId("identity-state").getByText("Unlocked").waitFor({ timeout: 60_000 });
}

/** Goes to "New case" and fills its form (the first plan offered) with the loss's date, description and the amount asked; returns the form. */
export async function describeCase(page: Page, loss: { date: string; description: string; amount: string }) {
  await page.getByRole("navigation").getByRole("link", { name: "New case" }).click();
  const form = page.getByTestId("file-case");
  await form.getByLabel("Plan").locator("option").first().waitFor({ state: "attached" });
  await form.getByLabel("Date of loss").fill(loss.date);
  await form.getByLabel("Description").fill(loss.description);
  await form.getByLabel(/Amount asked/).fill(loss.amount);
  return form;
}
