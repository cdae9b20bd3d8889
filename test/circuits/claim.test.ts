import { addPoint, Base8 } from "@zk-kit/baby-jubjub";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BABYJUBJUB_SUBORDER,
  type ClaimCircuitInput,
  type ClaimProof,
  claimContext,
  claimNullifier,
  createIdentity,
  generateAssessorKey,
  type PreparedClaim,
  PUBLIC_SIGNALS,
  prepareClaim,
  proveClaim,
  releaseProver,
  SNARK_SCALAR_FIELD,
  signApproval,
  verifyClaimProof,
} from "../../service/sdk/index.ts";
import { claimArtifacts, loadVerificationKey } from "../../service/sdk/node.ts";
import {
  CIRCOMLIB,
  calculateWitness,
  claimFrame,
  constraintsHold,
  editWitness,
  expectWitnessFailure,
  frame,
  lineOf,
  readSignal,
  signalsMatching,
} from "../../testkit/circuit.ts";
import { type ClaimScenario, claimScenario } from "../../testkit/claim-scenario.ts";

const vkey = loadVerificationKey();
const EDDSA = `${CIRCOMLIB}/eddsaposeidon.circom`;
const BITIFY = `${CIRCOMLIB}/bitify.circom`;
const COMPARATORS = `${CIRCOMLIB}/comparators.circom`;
const TWO_POW_32 = 2n ** 32n;

/** Frames of a failed approval signature: the final point equality inside the EdDSA verifier. */
const signatureRejected = [
  frame("ForceEqualIfEnabled", lineOf(COMPARATORS, "(1 - isz.out)*enabled === 0;")),
  claimFrame("EdDSAPoseidonVerifier()(1,"),
];
const num2BitsRejected = (snippet: string) => [frame("Num2Bits", lineOf(BITIFY, "lc1 === in;")), claimFrame(snippet)];

function withInput(prepared: PreparedClaim, change: Partial<ClaimCircuitInput>): ClaimCircuitInput {
  return { ...prepared.input, ...change } as ClaimCircuitInput;
}

describe("claim circuit", () => {
  let scenario: ClaimScenario;
  let prepared: PreparedClaim;
  let valid: ClaimProof;

  beforeAll(async () => {
    scenario = claimScenario();
    prepared = prepareClaim(scenario.request);
    valid = await proveClaim(prepared, claimArtifacts());
  });
  afterAll(releaseProver);

  describe("a valid claim", () => {
    it("proves and verifies, and its public signals decode to the claim's values", async () => {
      expect(await verifyClaimProof(vkey, valid.proof, valid.publicSignals)).toBe(true);
      const { approval, memberTree, assessorTree, identity } = scenario;
      expect(valid.claim).toEqual({
        memberRoot: memberTree.root,
        assessorRoot: assessorTree.root,
        nullifier: claimNullifier(identity.secretScalar, approval.planId, approval.eventId),
        planId: approval.planId,
        claimEpoch: scenario.claimEpoch,
        amount: approval.amount,
        context: claimContext(scenario.contextTerms),
      });
    });

    it("proves at the edges of coverage: claimEpoch = eligibleFrom = paidThrough = expiresAtEpoch", async () => {
      const edge = claimScenario({ eligibleFrom: 5n, paidThrough: 5n, claimEpoch: 5n, expiresAtEpoch: 5n });
      const witness = await calculateWitness(prepareClaim(edge.request).input);
      expect(readSignal(witness, "main.memberRoot")).toBe(edge.memberTree.root);
      expect(await constraintsHold(witness)).toBe(true);
    });

    it("proves with epoch 2^32 - 1, the largest epoch", async () => {
      const max = TWO_POW_32 - 1n;
      const edge = claimScenario({ eligibleFrom: 0n, paidThrough: max, claimEpoch: max, expiresAtEpoch: max });
      const witness = await calculateWitness(prepareClaim(edge.request).input);
      expect(await constraintsHold(witness)).toBe(true);
    });

    it.each(PUBLIC_SIGNALS)("fails verification when public signal %s is changed", async (name) => {
      const index = PUBLIC_SIGNALS.indexOf(name);
      const changed = [...valid.publicSignals];
      changed[index] = ((BigInt(changed[index] as string) + 1n) % SNARK_SCALAR_FIELD).toString();
      expect(await verifyClaimProof(vkey, valid.proof, changed)).toBe(false);
    });

    it("fails verification when the context is that of other payout terms (a front-runner's recipient)", async () => {
      const frontRun = claimContext({ ...scenario.contextTerms, recipient: "0x90F79bf6EB2c4f870365E785982E1f101E93b906" });
      expect(await verifyClaimProof(vkey, valid.proof, { ...valid.claim, context: frontRun })).toBe(false);
    });

    it("fails verification when a proof point is changed", async () => {
      const proof = { ...valid.proof, pi_c: [valid.proof.pi_a[0] ?? "", valid.proof.pi_a[1] ?? "", "1"] };
      expect(await verifyClaimProof(vkey, proof, valid.publicSignals)).toBe(false);
    });
  });

  describe("identity (step 1)", () => {
    it("rejects a wrong secret: the approval no longer verifies for the derived commitment", async () => {
      await expectWitnessFailure(withInput(prepared, { secret: createIdentity().secretScalar.toString() }), signatureRejected);
    });

    it("rejects secret = l, the BabyJubjub subgroup order", async () => {
      await expectWitnessFailure(withInput(prepared, { secret: BABYJUBJUB_SUBORDER.toString() }), [claimFrame("secretBelowOrder === 1;")]);
    });

    it("rejects secret = r - 1 (it wraps past LessThan(251); BabyPbk's 253-bit decomposition refuses it)", async () => {
      await expectWitnessFailure(withInput(prepared, { secret: (SNARK_SCALAR_FIELD - 1n).toString() }), [
        frame("Num2Bits", lineOf(BITIFY, "lc1 === in;")),
        claimFrame("BabyPbk()(secret)"),
      ]);
    });
  });

  describe("membership and good standing (step 2)", () => {
    it("cannot show the plan's member root for a commitment not in the tree", async () => {
      // An assessor approves an outsider, who proves against a tree with their own made-up leaf.
      const outsider = createIdentity();
      const approval = signApproval(scenario.assessor, { ...scenario.approval, commitment: outsider.commitment });
      const input = withInput(prepared, {
        secret: outsider.secretScalar.toString(),
        approvalR8: approval.signature.R8.map(String),
        approvalS: approval.signature.S.toString(),
      });
      const witness = await calculateWitness(input);
      expect(await constraintsHold(witness)).toBe(true);
      expect(readSignal(witness, "main.memberRoot")).not.toBe(scenario.memberTree.root);
    });

    it("rejects a claim before the waiting period is over (claimEpoch < eligibleFrom)", async () => {
      await expectWitnessFailure(withInput(prepared, { claimEpoch: "2" }), [claimFrame("waitingOver === 1;")]);
    });

    it("rejects a claim after coverage lapsed (claimEpoch > paidThrough)", async () => {
      const lapsed = claimScenario({ paidThrough: 8n, expiresAtEpoch: 20n });
      await expectWitnessFailure(withInput(prepareClaim(lapsed.request), { claimEpoch: "9" }), [claimFrame("paidUp === 1;")]);
    });

    it("rejects leaf fields that differ from the leaf in the tree: the root no longer matches", async () => {
      const witness = await calculateWitness(withInput(prepared, { paidThrough: "13" }));
      expect(readSignal(witness, "main.memberRoot")).not.toBe(scenario.memberTree.root);
    });

    it("rejects a member tree depth above its maximum (the library would output root 0)", async () => {
      await expectWitnessFailure(withInput(prepared, { memberTreeDepth: "21" }), [claimFrame("memberDepthOk === 1;")]);
    });

    it("rejects a leaf index of 2^20 or more (path bits must fit the tree)", async () => {
      await expectWitnessFailure(withInput(prepared, { memberTreeIndex: (2n ** 20n).toString() }), [
        frame("Num2Bits", lineOf(BITIFY, "lc1 === in;")),
        claimFrame("memberRoot <== BinaryMerkleRoot"),
      ]);
    });
  });

  describe("approval (step 3)", () => {
    it("rejects an approval used after it expired (claimEpoch > expiresAtEpoch)", async () => {
      await expectWitnessFailure(withInput(prepared, { claimEpoch: "10" }), [claimFrame("approvalCurrent === 1;")]);
    });

    it("rejects an expiry changed after signing", async () => {
      await expectWitnessFailure(withInput(prepared, { expiresAtEpoch: "11" }), signatureRejected);
    });

    it("rejects an amount changed after signing", async () => {
      await expectWitnessFailure(withInput(prepared, { amount: (scenario.approval.amount + 1n).toString() }), signatureRejected);
    });

    it("rejects a plan changed after signing", async () => {
      await expectWitnessFailure(withInput(prepared, { planId: "2" }), signatureRejected);
    });

    it("rejects an event changed after signing", async () => {
      await expectWitnessFailure(withInput(prepared, { eventId: "12345" }), signatureRejected);
    });

    it("rejects a tampered signature scalar S", async () => {
      await expectWitnessFailure(withInput(prepared, { approvalS: (scenario.approval.signature.S + 1n).toString() }), signatureRejected);
    });

    it("rejects S + l (a malleated S outside the subgroup order)", async () => {
      const malleated = scenario.approval.signature.S + BABYJUBJUB_SUBORDER;
      await expectWitnessFailure(withInput(prepared, { approvalS: malleated.toString() }), [
        frame("EdDSAPoseidonVerifier", lineOf(EDDSA, "compConstant.out*enabled === 0;")),
      ]);
    });

    it("rejects a tampered R8 that is still a curve point", async () => {
      const [x, y] = scenario.approval.signature.R8;
      const moved = addPoint([x, y], Base8);
      await expectWitnessFailure(withInput(prepared, { approvalR8: moved.map(String) }), signatureRejected);
    });

    it("rejects an R8 that is not on the curve", async () => {
      const [x, y] = scenario.approval.signature.R8;
      await expectWitnessFailure(withInput(prepared, { approvalR8: [x.toString(), (y + 1n).toString()] }), [
        claimFrame("BabyCheck()(approvalR8[0]"),
      ]);
    });

    it("rejects a signature by another key than the one presented", async () => {
      const other = generateAssessorKey();
      await expectWitnessFailure(withInput(prepared, { assessorPubKey: other.publicKey.map(String) }), signatureRejected);
    });

    it("cannot show the plan's assessor root when the signer is not in the assessor set", async () => {
      const outsider = generateAssessorKey();
      const approval = signApproval(outsider, scenario.approval);
      const witness = await calculateWitness(
        withInput(prepared, {
          assessorPubKey: outsider.publicKey.map(String),
          approvalR8: approval.signature.R8.map(String),
          approvalS: approval.signature.S.toString(),
        }),
      );
      expect(await constraintsHold(witness)).toBe(true);
      expect(readSignal(witness, "main.assessorRoot")).not.toBe(scenario.assessorTree.root);
    });

    it("proves a revoked assessor only against the old root, never the current one", async () => {
      const revoked = claimScenario();
      const before = prepareClaim(revoked.request);
      const oldRoot = revoked.assessorTree.root;
      revoked.assessorTree.revoke(revoked.assessor.publicKey);
      expect(() => prepareClaim(revoked.request)).toThrow(expect.objectContaining({ code: "ASSESSOR_NOT_IN_SET" }));
      const witness = await calculateWitness(before.input);
      expect(readSignal(witness, "main.assessorRoot")).toBe(oldRoot);
      expect(readSignal(witness, "main.assessorRoot")).not.toBe(revoked.assessorTree.root);
    });

    it("rejects an assessor tree depth above its maximum", async () => {
      await expectWitnessFailure(withInput(prepared, { assessorTreeDepth: "5" }), [claimFrame("assessorDepthOk === 1;")]);
    });
  });

  describe("out-of-range epochs are refused before any comparison", () => {
    for (const signal of ["claimEpoch", "eligibleFrom", "paidThrough", "expiresAtEpoch"] as const) {
      for (const [label, value] of [
        ["2^32", TWO_POW_32],
        ["r - 1", SNARK_SCALAR_FIELD - 1n],
      ] as const) {
        it(`rejects ${signal} = ${label}`, async () => {
          await expectWitnessFailure(
            withInput(prepared, { [signal]: value.toString() }),
            num2BitsRejected(`_ <== Num2Bits(EPOCH_BITS)(${signal});`),
          );
        });
      }
    }
  });

  describe("nullifier (step 4)", () => {
    it("is the same for the same member, plan and event, whatever the payout terms", () => {
      const again = prepareClaim({ ...scenario.request, context: { ...scenario.contextTerms, fee: 0n } });
      expect(again.expected.nullifier).toBe(prepared.expected.nullifier);
      expect(again.expected.context).not.toBe(prepared.expected.context);
    });

    it("differs for another event of the same member", () => {
      const approval = signApproval(scenario.assessor, { ...scenario.approval, eventId: scenario.approval.eventId + 1n });
      const other = prepareClaim({ ...scenario.request, approval });
      expect(other.expected.nullifier).not.toBe(prepared.expected.nullifier);
    });

    it("is the witness's output and does not reveal the commitment", async () => {
      const witness = await calculateWitness(prepared.input);
      expect(readSignal(witness, "main.nullifier")).toBe(prepared.expected.nullifier);
      expect(prepared.expected.nullifier).not.toBe(scenario.identity.commitment);
    });
  });

  describe("forged witnesses (hand-assigned signals edited after witness generation)", () => {
    const forgeries: Array<[string, RegExp, (v: bigint) => bigint]> = [
      ["a range-check bit of claimEpoch", /^main\.Num2Bits_\d+_\d+\.out\[0\]$/, (v) => v ^ 1n],
      ["a bit of a comparator's decomposition", /^main\.LessEqThan_\d+_\d+\.lt\.n2b\.out\[0\]$/, (v) => v ^ 1n],
      ["a bit of the secret < l check", /^main\.LessThan_\d+_\d+\.n2b\.out\[0\]$/, (v) => v ^ 1n],
      ["a member path bit set to 2 (non-boolean)", /^main\.BinaryMerkleRoot_\d+_\d+\.indices\[0\]$/, () => 2n],
      ["a member path bit flipped", /^main\.BinaryMerkleRoot_\d+_\d+\.indices\[1\]$/, (v) => v ^ 1n],
      ["the depth selector's inverse", /^main\.BinaryMerkleRoot_\d+_\d+\.IsEqual_\d+_\d+\[0\]\.isz\.inv$/, (v) => v + 1n],
      ["a BabyPbk addition slope", /^main\.BabyPbk_\d+_\d+\.mulFix\.segments\[0\]\.adders\[0\]\.lamda$/, (v) => v + 1n],
      ["the EdDSA final addition", /^main\.EdDSAPoseidonVerifier_\d+_\d+\.addRight\.xout$/, (v) => v + 1n],
      ["an EdDSA doubling slope", /^main\.EdDSAPoseidonVerifier_\d+_\d+\.mulAny\.segments\[0\]\.bits\[0\]\.doubler\.lamda$/, (v) => v + 1n],
      // (IsZero's inverse is free when its input is 0 and then cannot change its output: only the
      // non-zero case is a forgery target.)
      ["the EdDSA weak-key check's inverse", /^main\.EdDSAPoseidonVerifier_\d+_\d+\.isZero\.inv$/, (v) => v + 1n],
      ["the member root output", /^main\.memberRoot$/, (v) => v + 1n],
      ["the nullifier output", /^main\.nullifier$/, (v) => v + 1n],
    ];

    it("the honest witness satisfies every constraint", async () => {
      expect(await constraintsHold(await calculateWitness(prepared.input))).toBe(true);
    });

    it.each(forgeries)("breaks a constraint when %s is edited", async (_label, pattern, edit) => {
      const names = signalsMatching(pattern);
      expect(names.length).toBeGreaterThan(0);
      const witness = await calculateWitness(prepared.input);
      for (const name of names) {
        const forged = editWitness(witness, name, edit(readSignal(witness, name)));
        expect(await constraintsHold(forged), name).toBe(false);
      }
    });
  });
});
