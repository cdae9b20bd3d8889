import { verifySignature } from "@zk-kit/eddsa-poseidon";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type CommitteeShare,
  committeeApproval,
  committeePublicKey,
  dkgInOneProcess,
  insecureDealerCommittee,
  signInOneProcess,
} from "../../service/sdk/committee/index.ts";
import { type ApprovalTerms, approvalMessage, ErrorCode, MAX_EPOCH, SNARK_SCALAR_FIELD, verifyApproval } from "../../service/sdk/index.ts";

const field = fc.bigInt({ min: 0n, max: SNARK_SCALAR_FIELD - 1n });
const termsArb: fc.Arbitrary<ApprovalTerms> = fc.record({
  commitment: field,
  planId: field,
  eventId: field,
  amount: field,
  expiresAtEpoch: fc.bigInt({ min: 0n, max: MAX_EPOCH }),
});

/** A committee of 2..6 members with a threshold from 2 to its size, and whether it came from a DKG. */
const committeeArb = fc
  .integer({ min: 2, max: 6 })
  .chain((size) => fc.record({ size: fc.constant(size), threshold: fc.integer({ min: 2, max: size }), dkg: fc.boolean() }));

function makeCommittee({ threshold, size, dkg }: { threshold: number; size: number; dkg: boolean }): CommitteeShare[] {
  return dkg ? dkgInOneProcess({ threshold, size }) : insecureDealerCommittee({ threshold, size });
}

describe("committee signatures (property)", () => {
  it("any k or more members of any committee sign any approval, which @zk-kit/eddsa-poseidon accepts; fewer than k cannot", () => {
    fc.assert(
      fc.property(
        committeeArb.chain((c) =>
          fc.record({
            committee: fc.constant(c),
            signers: fc.shuffledSubarray(
              Array.from({ length: c.size }, (_, i) => i),
              { minLength: c.threshold },
            ),
            fewer: fc.shuffledSubarray(
              Array.from({ length: c.size }, (_, i) => i),
              { minLength: 1, maxLength: c.threshold - 1 },
            ),
            terms: termsArb,
          }),
        ),
        ({ committee, signers, fewer, terms }) => {
          const shares = makeCommittee(committee);
          const keySet = (shares[0] as CommitteeShare).keySet;
          const signed = signInOneProcess(
            signers.map((i) => shares[i] as CommitteeShare),
            terms,
          );
          const key = committeePublicKey(keySet);
          const { R8, S } = signed.signature;
          expect(verifySignature(approvalMessage(terms), { R8: [R8[0], R8[1]], S }, [key[0], key[1]])).toBe(true);
          expect(verifyApproval(committeeApproval(terms, signed))).toBe(true);
          expect(() =>
            signInOneProcess(
              fewer.map((i) => shares[i] as CommitteeShare),
              terms,
            ),
          ).toThrow(expect.objectContaining({ code: ErrorCode.CommitteeNotEnoughSigners }));
        },
      ),
      { numRuns: 20 },
    );
  });
});
