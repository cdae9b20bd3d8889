/**
 * `npm run demo` end to end: the unattended story (the case filed, reviewed and approved through
 * the claims desk, the claim paid through the relayer) exits 0 with a summary whose figures add
 * up, and exits non-zero with a clear message when a step cannot be done.
 */
import { spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");

function demo(env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ["--disable-warning=ExperimentalWarning", join(ROOT, "scripts", "demo.ts"), "--json"], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 240_000,
  });
}

describe("npm run demo", () => {
  it("runs the whole story and reports a payout that no member's address is linked to", () => {
    const run = demo();
    expect(run.stderr).not.toContain("demo failed");
    expect(run.status).toBe(0);
    const summary = JSON.parse(run.stdout) as {
      ok: boolean;
      relayer: string;
      desk: { url: string; caseId: string; status: string };
      members: Array<{ wallet: string }>;
      claim: { txHash: string };
      payout: { recipient: string; amount: string; fee: string; received: string; gasDrop: string };
      movedOn: { to: string; txHash: string };
      books: { contributed: string; paidOut: string; fees: string; poolBalance: string };
    };
    expect(summary.ok).toBe(true);
    // The approval came through the desk.
    expect(summary.desk).toMatchObject({ url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), status: "approved" });
    expect(summary.members).toHaveLength(4);
    expect(BigInt(summary.payout.received)).toBe(BigInt(summary.payout.amount) - BigInt(summary.payout.fee));
    // The fresh address got a gas drop with the payout and moved the payout on with it.
    expect(BigInt(summary.payout.gasDrop)).toBeGreaterThan(0n);
    expect(summary.movedOn.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(summary.members.map((m) => m.wallet.toLowerCase())).not.toContain(summary.payout.recipient.toLowerCase());
    expect(summary.claim.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    const { contributed, paidOut, fees, poolBalance } = summary.books;
    expect(BigInt(contributed) - BigInt(paidOut) - BigInt(fees)).toBe(BigInt(poolBalance));
  });

  it("exits 1 and says why when its chain port is taken", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const run = demo({ HUZHU_DEMO_CHAIN_PORT: String(port) });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain("demo failed: the chain node");
    } finally {
      server.close();
    }
  });
});
