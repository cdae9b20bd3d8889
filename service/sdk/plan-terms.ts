/**
 * A plan's terms document: the claim conditions and rules members read before joining, named on
 * chain by the keccak256 hash of its bytes (`setPlanTerms`), with a category for comparing plans.
 * Whoever serves the text (the desk, a web page, a file handed round) is untrusted: the reader
 * hashes what it got and compares.
 */
import { type Hex, keccak256 } from "viem";
import { ErrorCode, HuzhuError } from "./errors.ts";

/** The pool's PlanCategory enum, in its order. */
export const PLAN_CATEGORIES = ["medical", "education", "disaster-relief", "shared-costs"] as const;
export type PlanCategoryName = (typeof PLAN_CATEGORIES)[number];

/** A plan's terms as the pool holds them (termsHash 0: none set). */
export interface PlanDocument {
  category: PlanCategoryName;
  termsHash: Hex;
  termsUri: string;
}

export const NO_TERMS_HASH: Hex = `0x${"0".repeat(64)}`;

/** The category's index in the pool's enum, or a refusal naming the ones there are. */
export function categoryIndex(name: string): number {
  const index = (PLAN_CATEGORIES as readonly string[]).indexOf(name);
  if (index < 0) {
    throw new HuzhuError(ErrorCode.InvalidTerms, `unknown plan category ${JSON.stringify(name)}: use one of ${PLAN_CATEGORIES.join(", ")}`);
  }
  return index;
}

/** The category's name for the pool's enum value. */
export function categoryName(index: number): PlanCategoryName {
  const name = PLAN_CATEGORIES[index];
  if (name === undefined) throw new HuzhuError(ErrorCode.InvalidTerms, `the pool holds an unknown plan category ${index}`);
  return name;
}

/** The hash the pool records for a terms document: keccak256 of its exact bytes. */
export function termsHash(document: Uint8Array): Hex {
  return keccak256(document);
}

/** Checks a terms document against the hash the pool holds; throws TERMS_MISMATCH if it is not the plan's. */
export function checkTermsDocument(document: Uint8Array, expected: Hex): void {
  if (expected === NO_TERMS_HASH)
    throw new HuzhuError(ErrorCode.InvalidTerms, "this plan has no terms on chain yet: ask its admin to set them");
  const actual = termsHash(document);
  if (actual !== expected.toLowerCase()) {
    throw new HuzhuError(
      ErrorCode.TermsMismatch,
      `this document is not the plan's terms: its hash is ${actual}, the pool records ${expected}; get the text from another source`,
      { actual, expected },
    );
  }
}
