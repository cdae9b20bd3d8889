import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type AblationSources, deriveVariants, LADDER_SIZED_BITS, type VariantSource } from "../../bench/ablation.ts";
import { ROOT } from "../../scripts/lib/paths.ts";

const sources: AblationSources = {
  claim: readFileSync(join(ROOT, "circuits/Claim.circom"), "utf8"),
  main: readFileSync(join(ROOT, "circuits/main/claim.circom"), "utf8"),
  eddsa: readFileSync(join(ROOT, "node_modules/circomlib/circuits/eddsaposeidon.circom"), "utf8"),
};

/** circomlib's final comparison S * B8 == R8 + h * 8A, which the cut verifiers drop (it cannot hold). */
const FINAL_COMPARISON = [
  "// Do the comparation left == right if enabled;",
  "    component eqCheckX = ForceEqualIfEnabled();",
  "    eqCheckX.enabled <== enabled;",
  "    eqCheckX.in[0] <== mulFix.out[0];",
  "    eqCheckX.in[1] <== addRight.xout;",
  "    component eqCheckY = ForceEqualIfEnabled();",
  "    eqCheckY.enabled <== enabled;",
  "    eqCheckY.in[0] <== mulFix.out[1];",
  "    eqCheckY.in[1] <== addRight.yout;",
];

function variant(name: string, from: AblationSources = sources): VariantSource {
  const found = deriveVariants(from).find((v) => v.name === name);
  if (!found) throw new Error(`no variant ${name}`);
  return found;
}

function file(v: VariantSource, name: string): string {
  const text = v.files[name];
  if (text === undefined) throw new Error(`${v.name} has no ${name}`);
  return text;
}

/** Lines of `a` that `b` lacks, and lines of `b` that `a` lacks (as multisets, order ignored). */
function lineDiff(a: string, b: string): { removed: string[]; added: string[] } {
  const count = (text: string) => {
    const m = new Map<string, number>();
    for (const line of text.split("\n")) m.set(line, (m.get(line) ?? 0) + 1);
    return m;
  };
  const ca = count(a);
  const cb = count(b);
  const only = (x: Map<string, number>, y: Map<string, number>) =>
    [...x].flatMap(([line, n]) => Array<string>(Math.max(0, n - (y.get(line) ?? 0))).fill(line));
  return { removed: only(ca, cb), added: only(cb, ca) };
}

describe("measurement-only claim variants (bench/ablation.ts)", () => {
  it("cuts only the variable-base multiplication and the final comparison out of circomlib's verifier", () => {
    const v = variant("withoutVariableBaseMul");
    const eddsa = file(v, "eddsa-without-varmul.circom");
    const { removed, added } = lineDiff(sources.eddsa, eddsa);
    expect(added.filter((l) => l.trim() !== "")).toEqual([
      "template EdDSAPoseidonVerifierWithoutVarMul() {",
      "    addRight.x2 <== dbl3.xout;",
      "    addRight.y2 <== dbl3.yout;",
    ]);
    // What is gone: the multiplication and its wiring, the final comparison, the template name.
    expect(removed.filter((l) => l.trim() !== "").sort()).toEqual(
      [
        "template EdDSAPoseidonVerifier() {",
        "    component mulAny = EscalarMulAny(254);",
        "    for (i=0; i<254; i++) {",
        "        mulAny.e[i] <== h2bits.out[i];",
        "    }",
        "    mulAny.p[0] <== dbl3.xout;",
        "    mulAny.p[1] <== dbl3.yout;",
        "    addRight.x2 <== mulAny.out[0];",
        "    addRight.y2 <== mulAny.out[1];",
        ...FINAL_COMPARISON,
      ].sort(),
    );
    for (const part of ["CompConstant(", "Poseidon(5)", "Num2Bits_strict()", "BabyDbl()", "EscalarMulFix(253, BASE8)", "BabyAdd()"])
      expect(eddsa).toContain(part);
  });

  it("points the variant's claim at the cut verifier and changes nothing else", () => {
    const v = variant("withoutVariableBaseMul");
    const { removed, added } = lineDiff(sources.claim, file(v, "Claim.circom"));
    expect(removed).toEqual([
      'include "eddsaposeidon.circom";',
      "    EdDSAPoseidonVerifier()(1, assessorPubKey[0], assessorPubKey[1], approvalS, approvalR8[0], approvalR8[1], approvalMessage);",
    ]);
    expect(added).toEqual([
      'include "eddsa-without-varmul.circom";',
      "    EdDSAPoseidonVerifierWithoutVarMul()(1, assessorPubKey[0], assessorPubKey[1], approvalS, approvalR8[0], approvalR8[1], approvalMessage);",
    ]);
  });

  it("runs circomlib's multiplication over fewer scalar bits for the ladder-sized variant, and cuts only the comparison", () => {
    const v = variant("ladderSizedVariableBaseMul");
    const eddsa = file(v, "eddsa-ladder-sized.circom");
    const { removed, added } = lineDiff(sources.eddsa, eddsa);
    expect(added.filter((l) => l.trim() !== "").sort()).toEqual(
      [
        "template EdDSAPoseidonVerifierLadderSized() {",
        `    component mulAny = EscalarMulAny(${LADDER_SIZED_BITS});`,
        `    for (i=0; i<${LADDER_SIZED_BITS}; i++) {`,
      ].sort(),
    );
    expect(removed.filter((l) => l.trim() !== "").sort()).toEqual(
      [
        "template EdDSAPoseidonVerifier() {",
        "    component mulAny = EscalarMulAny(254);",
        "    for (i=0; i<254; i++) {",
        ...FINAL_COMPARISON,
      ].sort(),
    );
    const claim = lineDiff(sources.claim, file(v, "Claim.circom"));
    expect(claim.added).toEqual([
      'include "eddsa-ladder-sized.circom";',
      "    EdDSAPoseidonVerifierLadderSized()(1, assessorPubKey[0], assessorPubKey[1], approvalS, approvalR8[0], approvalR8[1], approvalMessage);",
    ]);
  });

  it("removes only the signature check for the variant without a signature", () => {
    const v = variant("withoutSignature");
    const { removed, added } = lineDiff(sources.claim, file(v, "Claim.circom"));
    expect(removed).toEqual([
      "    EdDSAPoseidonVerifier()(1, assessorPubKey[0], assessorPubKey[1], approvalS, approvalR8[0], approvalR8[1], approvalMessage);",
    ]);
    expect(added).toEqual([]);
  });

  it("keeps the production main component: same parameters and public inputs", () => {
    for (const v of deriveVariants(sources)) {
      const { removed, added } = lineDiff(sources.main, file(v, "main.circom"));
      expect(removed).toEqual(['include "../Claim.circom";']);
      expect(added).toEqual(['include "Claim.circom";']);
    }
  });

  it("stops with the file to update when the claim no longer calls the verifier as expected", () => {
    const renamed = { ...sources, claim: sources.claim.replace("EdDSAPoseidonVerifier()(1, ", "EdDSAPoseidonVerifier()(enabled, ") };
    expect(() => deriveVariants(renamed)).toThrow(
      'ablation: expected exactly one "EdDSAPoseidonVerifier()(1," in circuits/Claim.circom; update bench/ablation.ts to the new source',
    );
  });

  it("stops with the file to update when circomlib's verifier changes shape", () => {
    const changed = {
      ...sources,
      eddsa: sources.eddsa.replace("component mulAny = EscalarMulAny(254);", "component mulAny = EscalarMulAnyV2(254);"),
    };
    expect(() => deriveVariants(changed)).toThrow(
      'ablation: cannot find "component mulAny = EscalarMulAny(254);" .. "// Compute the right side" in circomlib/circuits/eddsaposeidon.circom; update bench/ablation.ts to the new source',
    );
  });
});
