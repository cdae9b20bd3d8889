import { afterAll, describe, expect, it } from "vitest";
import {
  AssessorTree,
  createIdentity,
  generateAssessorKey,
  type ProofProgress,
  parseApproval,
  prepareClaim,
  proveClaim,
  releaseProver,
  serializeApproval,
  signApproval,
  verifyApproval,
  verifyClaimProof,
} from "../../service/sdk/index.ts";
import { claimArtifacts, loadVerificationKey } from "../../service/sdk/node.ts";
import { claimScenario } from "../../testkit/claim-scenario.ts";

afterAll(releaseProver);

describe("prepareClaim refuses a bad claim before proving, naming the failed condition", () => {
  it("NOT_A_MEMBER when the identity is not in the plan", () => {
    const s = claimScenario();
    const outsider = createIdentity();
    const approval = signApproval(s.assessor, { ...s.approval, commitment: outsider.commitment });
    expect(() => prepareClaim({ ...s.request, identity: outsider, approval })).toThrow(
      expect.objectContaining({ code: "NOT_A_MEMBER", message: "this identity is not a member of the plan: join it first" }),
    );
  });

  it("WAITING_PERIOD_NOT_OVER before eligibleFrom", () => {
    const s = claimScenario({ eligibleFrom: 8n });
    expect(() => prepareClaim(s.request)).toThrow(
      expect.objectContaining({ code: "WAITING_PERIOD_NOT_OVER", message: "cover starts in epoch 8; this is epoch 7" }),
    );
  });

  it("COVERAGE_LAPSED after paidThrough", () => {
    const s = claimScenario({ paidThrough: 6n });
    expect(() => prepareClaim(s.request)).toThrow(
      expect.objectContaining({ code: "COVERAGE_LAPSED", message: "contributions are paid through epoch 6; renew to claim in epoch 7" }),
    );
  });

  it("APPROVAL_EXPIRED after expiresAtEpoch", () => {
    const s = claimScenario({ expiresAtEpoch: 6n });
    expect(() => prepareClaim(s.request)).toThrow(
      expect.objectContaining({ code: "APPROVAL_EXPIRED", message: "the approval expired after epoch 6; ask the assessor for a new one" }),
    );
  });

  it("AMOUNT_NOT_APPROVED when asking for more than the approval", () => {
    const s = claimScenario({ amount: 100n });
    expect(() => prepareClaim({ ...s.request, amount: 101n })).toThrow(
      expect.objectContaining({
        code: "AMOUNT_NOT_APPROVED",
        message: "the assessor approved 100, not 101: claim the approved amount or ask for a new approval",
      }),
    );
  });

  it("APPROVAL_NOT_FOR_MEMBER when the approval names another commitment", () => {
    const s = claimScenario();
    const approval = signApproval(s.assessor, { ...s.approval, commitment: createIdentity().commitment });
    expect(() => prepareClaim({ ...s.request, approval })).toThrow(expect.objectContaining({ code: "APPROVAL_NOT_FOR_MEMBER" }));
  });

  it("APPROVAL_WRONG_PLAN when the payout terms name another plan", () => {
    const s = claimScenario();
    expect(() => prepareClaim({ ...s.request, context: { ...s.contextTerms, planId: 2n } })).toThrow(
      expect.objectContaining({ code: "APPROVAL_WRONG_PLAN", message: "the approval is for plan 1, the claim for plan 2" }),
    );
  });

  it("INVALID_APPROVAL_SIGNATURE when the approval's amount was altered", () => {
    const s = claimScenario();
    const approval = { ...s.approval, amount: s.approval.amount * 10n };
    expect(() => prepareClaim({ ...s.request, approval })).toThrow(expect.objectContaining({ code: "INVALID_APPROVAL_SIGNATURE" }));
  });

  it("ASSESSOR_NOT_IN_SET when the signer was never added", () => {
    const s = claimScenario();
    const assessorTree = AssessorTree.from([generateAssessorKey().publicKey]);
    expect(() => prepareClaim({ ...s.request, assessorTree })).toThrow(
      expect.objectContaining({
        code: "ASSESSOR_NOT_IN_SET",
        message: "the approval's assessor is not in the plan's assessor set (revoked or never added)",
      }),
    );
  });

  it("EPOCH_OUT_OF_RANGE for a claim epoch of 2^32", () => {
    const s = claimScenario();
    expect(() => prepareClaim({ ...s.request, claimEpoch: 2n ** 32n })).toThrow(expect.objectContaining({ code: "EPOCH_OUT_OF_RANGE" }));
  });
});

describe("proveClaim", () => {
  it("reports monotone progress from the witness to done, and the proof verifies", async () => {
    const s = claimScenario();
    const progress: ProofProgress[] = [];
    const result = await proveClaim(prepareClaim(s.request), claimArtifacts(), (p) => progress.push(p));
    const percents = progress.map((p) => p.percent);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(new Set(percents).size).toBe(percents.length);
    expect(progress[0]).toMatchObject({ stage: "witness", percent: 0 });
    expect(progress.at(-1)).toMatchObject({ stage: "done", percent: 100 });
    expect(progress.some((p) => p.stage === "prove" && p.percent > 10 && p.percent < 100)).toBe(true);
    expect(await verifyClaimProof(loadVerificationKey(), result.proof, result.publicSignals)).toBe(true);
  });
});

describe("approval files", () => {
  it("round-trip through JSON and still verify", () => {
    const s = claimScenario();
    const parsed = parseApproval(JSON.parse(JSON.stringify(serializeApproval(s.approval))));
    expect(parsed).toEqual(s.approval);
    expect(verifyApproval(parsed)).toBe(true);
  });

  it("refuse a file of another kind", () => {
    expect(() => parseApproval({ kind: "x" })).toThrow(
      expect.objectContaining({
        code: "INVALID_APPROVAL_FILE",
        message: 'not a valid approval file: kind must be "huzhu-approval", version 1',
      }),
    );
  });

  it("refuse an amount of r or more", () => {
    const file = serializeApproval(claimScenario().approval);
    file.amount = (2n ** 254n).toString();
    expect(() => parseApproval(file)).toThrow(
      expect.objectContaining({
        code: "INVALID_APPROVAL_FILE",
        message: "not a valid approval file: amount must be below the SNARK scalar field order r",
      }),
    );
  });

  it("refuse a missing signature", () => {
    const { signature: _omitted, ...file } = serializeApproval(claimScenario().approval);
    expect(() => parseApproval(file)).toThrow(
      expect.objectContaining({
        code: "INVALID_APPROVAL_FILE",
        message: "not a valid approval file: signature.R8 must be two decimal strings",
      }),
    );
  });

  it("verify false once any term changes", () => {
    const { approval } = claimScenario();
    expect(verifyApproval({ ...approval, expiresAtEpoch: approval.expiresAtEpoch + 1n })).toBe(false);
    expect(verifyApproval({ ...approval, eventId: approval.eventId + 1n })).toBe(false);
  });
});
