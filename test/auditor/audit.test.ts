/**
 * The auditor against real chains (Hardhat's in-process network, real claim proofs): a clean pool
 * audits clean, a re-run resumes from its checkpoint and survives a reorganisation, and each kind
 * of tampering that can happen on chain is caught and named.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PublicClient } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditCheck, type AuditReport, readPoolEvents, reportJson, reportText, runAudit } from "../../service/auditor/index.ts";
import { BN254_BASE_FIELD } from "../../service/sdk/constants.ts";
import { createIdentity, releaseProver } from "../../service/sdk/index.ts";
import { loadVerificationKey } from "../../service/sdk/node.ts";
import { type PoolKit, poolKit } from "../../testkit/pool.ts";

const vkey = loadVerificationKey();

function audit(chain: PoolKit, extra: Partial<Parameters<typeof runAudit>[0]> = {}): Promise<AuditReport> {
  return runAudit({ client: chain.publicClient as unknown as PublicClient, pool: chain.pool.address, vkey, ...extra });
}

afterAll(async () => {
  await releaseProver();
});

describe("audit of a clean pool", () => {
  let chain: PoolKit;
  let planA: bigint;
  let planB: bigint;
  const checkpointPath = join(mkdtempSync(join(tmpdir(), "huzhu-audit-")), "checkpoint.json");

  beforeAll(async () => {
    chain = await poolKit();
    const tokenA = await chain.deployToken();
    const tokenB = await chain.deployToken();
    planA = await chain.createPlan(tokenA, "Medical", { assessors: 2 });
    planB = await chain.createPlan(tokenB, "Dental", { assessors: 1 });
    // Assessor churn: a third key added then revoked, so the window rules are exercised.
    const extra = await chain.addAssessor(planA);
    await chain.revokeAssessor(planA, extra);
    const alice = await chain.join(planA);
    const bob = await chain.join(planA, 12);
    await chain.join(planA, 3);
    const carol = await chain.join(planB);
    await chain.join(planB, 6);
    await chain.renew(planA, bob, 6);
    await chain.advanceEpochs(1);
    await chain.claim(planA, alice);
    await chain.claim(planA, bob, { amount: 250_000_000n, fee: 7_500_000n });
    await chain.claim(planB, carol, { fee: 0n });
  });

  it("passes every check and reports each plan's books", async () => {
    const report = await audit(chain, { checkpointPath });
    expect(report.findings).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.verifier).toMatchObject({
      embedsKey: true,
      rejectsInvalidProof: true,
      missingConstants: [],
      rebuild: { matches: true, build: "snarkjs's Groth16 template, solc 0.8.28, optimizer 10000 runs, EVM cancun" },
    });
    expect(report.claims).toEqual({ total: 3, verified: 3, failed: 0 });
    const [a, b] = report.plans;
    expect(a).toMatchObject({ planId: planA, name: "Medical", members: 3, renewals: 1, claims: 2, verified: 2, failed: 0 });
    // 24 + 12 + 3 + 6 periods of 10 tokens; 100 + 250 paid out less fees of 1 and 7.5.
    expect(a?.contributions).toBe(45n * 10_000_000n);
    expect(a?.paid).toBe(99_000_000n + 242_500_000n);
    expect(a?.fees).toBe(8_500_000n);
    expect(a?.balance).toBe(a?.onChain ? a.onChain.contributed - a.onChain.paidOut - a.onChain.fees : -1n);
    expect(b).toMatchObject({ planId: planB, members: 2, claims: 1, fees: 0n, paid: 100_000_000n, contributions: 30n * 10_000_000n });
    for (const t of report.tokens) expect(t.held).toBe(t.owed);
    expect(reportText(report)).toContain("OK: every check passed.");
    // Each claim carries its block's time, so the epoch rule was checked too.
    const claims = (
      await readPoolEvents({
        client: chain.publicClient as unknown as PublicClient,
        pool: chain.pool.address,
        fromBlock: 0n,
        toBlock: report.toBlock,
      })
    ).filter((e) => e.kind === "claim");
    expect(claims.map((c) => c.timestamp !== undefined)).toEqual([true, true, true]);
    expect(JSON.parse(reportJson(report))).toMatchObject({ ok: true, claims: { total: 3 } });
  });

  it("re-reads only new blocks from its checkpoint, and rewinds past a reorganisation", async () => {
    const first = await audit(chain, { checkpointPath });
    expect(first.run).toMatchObject({ newEvents: 0, proofsVerified: 0 });
    const snapshot = await chain.snapshot();

    const dave = await chain.join(planB);
    await chain.claim(planB, dave);
    const second = await audit(chain, { checkpointPath });
    expect(second.run.readFrom).toBe(first.toBlock + 1n);
    expect(second.run).toMatchObject({ newEvents: 2, proofsVerified: 1 });
    expect(second.claims.total).toBe(4);
    expect(second.ok).toBe(true);

    // The join and claim are reorganised away; other blocks take their place.
    await snapshot.restore();
    await chain.join(planA, 2, createIdentity());
    await chain.networkHelpers.mine(3);
    const third = await audit(chain, { checkpointPath });
    expect(third.run.rewoundFrom).toBe(second.toBlock);
    expect(third.run.readFrom).toBeLessThanOrEqual(first.toBlock + 1n);
    expect(third.claims.total).toBe(3);
    expect(third.plans[0]?.members).toBe(4);
    expect(third.findings).toEqual([]);
  });

  it("fails every proof and names the verifier when audited against another verification key", async () => {
    // Another key: alpha negated, (x, q - y).
    const other = structuredClone(vkey);
    const alpha = other.vk_alpha_1 as string[];
    alpha[1] = (BN254_BASE_FIELD - BigInt(alpha[1] as string)).toString();
    const report = await audit(chain);
    const againstOther = await audit(chain, { vkey: other });
    expect(report.ok).toBe(true);
    expect(againstOther.ok).toBe(false);
    const checks = againstOther.findings.map((f) => f.check);
    expect(checks.filter((c) => c === AuditCheck.Proof)).toHaveLength(againstOther.claims.total);
    expect(againstOther.findings.find((f) => f.check === AuditCheck.VerifierKey)?.message).toMatch(
      /does not embed the published verification key .*missing alpha\.y$/,
    );
    // The rebuild from the other key differs in one constant, so the bytecode no longer matches.
    expect(againstOther.verifier.rebuild.matches).toBe(false);
  });
});

describe("audit of tampered pools", () => {
  it("names a claim paid through a verifier that accepts a proof the published key refuses", async () => {
    const chain = await poolKit({ acceptingVerifier: true });
    const planId = await chain.createPlan(await chain.deployToken(), "Medical");
    const alice = await chain.join(planId);
    const bob = await chain.join(planId);
    await chain.advanceEpochs(1);
    const good = await chain.claim(planId, alice);
    // A real proof, submitted with another recipient: the pool's context differs from the proof's.
    const { request, proof } = await chain.makeClaim(planId, bob);
    const bad = await chain.submit({ ...request, recipient: "0x00000000000000000000000000000000000000b0" }, proof);

    const report = await audit(chain);
    expect(report.ok).toBe(false);
    expect(report.verifier.embedsKey).toBe(false);
    expect(report.verifier.rejectsInvalidProof).toBe(false);
    expect(report.verifier.rebuild.matches).toBe(false);
    const byCheck = (check: string) => report.findings.filter((f) => f.check === check);
    expect(byCheck(AuditCheck.VerifierKey)).toHaveLength(1);
    expect(byCheck(AuditCheck.VerifierBehaviour)).toHaveLength(1);
    expect(byCheck(AuditCheck.Proof)).toEqual([expect.objectContaining({ tx: bad, planId })]);
    expect(byCheck(AuditCheck.Proof)[0]?.message).toContain(bad);
    expect(report.findings.some((f) => f.tx === good)).toBe(false);
    expect(report.claims).toEqual({ total: 2, verified: 1, failed: 1 });
    expect(reportText(report)).toMatch(/\[proof\] plan 1 tx 0x/);
  });

  it("names a token whose balance no longer covers the plans' books", async () => {
    const chain = await poolKit();
    const token = await chain.deployToken("drainable");
    const planId = await chain.createPlan(token, "Drained");
    await chain.join(planId);
    await chain.join(planId);
    const drainable = await chain.viem.getContractAt("DrainableToken", token);
    await drainable.write.sweep([chain.pool.address, chain.accounts.admin.account.address, 50_000_000n]);

    const report = await audit(chain);
    expect(report.ok).toBe(false);
    expect(report.findings).toEqual([
      expect.objectContaining({ check: AuditCheck.TokenBalance, message: expect.stringContaining("short by 50000000") }),
    ]);
    // The pool's own books still agree with its events: only the token balance shows the theft.
    expect(report.plans[0]?.onChain?.contributed).toBe(report.plans[0]?.contributions);
  });
});
