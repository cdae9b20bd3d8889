/**
 * Measurement-only variants of the claim circuit, each the real source with one part cut out, so
 * that the circuit bench can show what that part costs in proving time and what ratio to
 * Semaphore the claim could reach at best if the part were free. They prove less than the claim
 * statement (they accept forged approvals) and exist only under circuits/build/bench/ablation: no
 * product code, test or deployment ever loads them.
 *
 * Each variant is derived by exact text edits of circuits/Claim.circom and circomlib's
 * eddsaposeidon.circom; an edit whose text is not found stops the bench, so a variant can never
 * silently drift from the source it is measured against.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import { BUILD_DIR, ROOT } from "../scripts/lib/paths.ts";
import { type BenchCircuit, buildBenchCircuit } from "./dev-circuit.ts";

export interface AblatedCircuit extends BenchCircuit {
  /** Stable name, used in benchmark figures. */
  name: string;
  /** What was cut out, for the report. */
  label: string;
}

const DIR = join(BUILD_DIR, "bench", "ablation");
const SOURCES = {
  claim: join(ROOT, "circuits/Claim.circom"),
  main: join(ROOT, "circuits/main/claim.circom"),
  eddsa: join(ROOT, "node_modules/circomlib/circuits/eddsaposeidon.circom"),
};
const VERIFIER_CALL = "EdDSAPoseidonVerifier()(1, ";

/** The texts the variants are derived from: the claim, its main component, circomlib's verifier. */
export type AblationSources = Record<keyof typeof SOURCES, string>;

/** One variant's files, by name: its Claim.circom, main.circom and any helper template. */
export interface VariantSource {
  name: string;
  label: string;
  files: Record<string, string>;
}

/** Replaces exactly one occurrence of `find`; anything else is an error naming the file. */
function replaceOnce(text: string, find: string, replacement: string, file: string): string {
  const at = text.indexOf(find);
  if (at < 0 || text.indexOf(find, at + 1) >= 0)
    throw new Error(`ablation: expected exactly one "${find.trim()}" in ${file}; update bench/ablation.ts to the new source`);
  return text.slice(0, at) + replacement + text.slice(at + find.length);
}

/** Cuts the text from `from` (inclusive) up to `to` (exclusive). */
function cut(text: string, from: string, to: string, file: string): string {
  const start = text.indexOf(from);
  const end = start < 0 ? -1 : text.indexOf(to, start + 1);
  if (start < 0 || end < 0)
    throw new Error(`ablation: cannot find "${from.trim()}" .. "${to.trim()}" in ${file}; update bench/ablation.ts to the new source`);
  return text.slice(0, start) + text.slice(end);
}

/**
 * circomlib's EdDSA-Poseidon verifier without its variable-base scalar multiplication h * 8A
 * (EscalarMulAny(254)) and without the final comparison, which can no longer hold. Everything
 * else (S range check, hash, h to bits, the three doublings, R8 + point, S * B8) stays.
 */
function eddsaWithoutVariableBaseMul(eddsa: string): string {
  const file = "circomlib/circuits/eddsaposeidon.circom";
  let src = replaceOnce(eddsa, "template EdDSAPoseidonVerifier()", "template EdDSAPoseidonVerifierWithoutVarMul()", file);
  src = cut(src, "    component mulAny = EscalarMulAny(254);", "// Compute the right side", file);
  src = replaceOnce(src, "addRight.x2 <== mulAny.out[0];", "addRight.x2 <== dbl3.xout;", file);
  src = replaceOnce(src, "addRight.y2 <== mulAny.out[1];", "addRight.y2 <== dbl3.yout;", file);
  return cut(src, "// Do the comparation", "\n}", file);
}

/**
 * Scalar bits given to circomlib's ladder in the "ladder-sized" variant: chosen so that the
 * multiplication costs no more than the cheapest published R1CS variable-base method would for a
 * 254-bit scalar (6 constraints per bit, zcash/zcash#3924): 6 x 254 = 1,524 constraints. With 166
 * bits circomlib's ladder compiles to 1,518.
 */
export const LADDER_SIZED_BITS = 166;

/**
 * circomlib's verifier with its multiplication run over only the first LADDER_SIZED_BITS bits of h,
 * and without the final comparison: a multiplication of a cheaper ladder's size, to measure what
 * such a ladder would leave of the proving time.
 */
function eddsaWithLadderSizedMul(eddsa: string): string {
  const file = "circomlib/circuits/eddsaposeidon.circom";
  let src = replaceOnce(eddsa, "template EdDSAPoseidonVerifier()", "template EdDSAPoseidonVerifierLadderSized()", file);
  src = replaceOnce(src, "component mulAny = EscalarMulAny(254);", `component mulAny = EscalarMulAny(${LADDER_SIZED_BITS});`, file);
  src = replaceOnce(
    src,
    "    for (i=0; i<254; i++) {\n        mulAny.e[i] <== h2bits.out[i];",
    `    for (i=0; i<${LADDER_SIZED_BITS}; i++) {\n        mulAny.e[i] <== h2bits.out[i];`,
    file,
  );
  return cut(src, "// Do the comparation", "\n}", file);
}

/** Derives every variant's files from the given sources; throws if a source no longer matches. */
export function deriveVariants(sources: AblationSources): VariantSource[] {
  const claimFile = "circuits/Claim.circom";
  const main = replaceOnce(sources.main, 'include "../Claim.circom";', 'include "Claim.circom";', "circuits/main/claim.circom");
  const withVerifier = (file: string, template: string) =>
    replaceOnce(
      replaceOnce(sources.claim, 'include "eddsaposeidon.circom";', `include "${file}";`, claimFile),
      VERIFIER_CALL,
      `${template}()(1, `,
      claimFile,
    );
  const callStart = sources.claim.indexOf(`    ${VERIFIER_CALL}`);
  if (callStart < 0)
    throw new Error(`ablation: expected exactly one "${VERIFIER_CALL.trim()}" in ${claimFile}; update bench/ablation.ts to the new source`);
  const callEnd = sources.claim.indexOf("\n", callStart);
  const withoutSignature = sources.claim.slice(0, callStart) + sources.claim.slice(callEnd + 1);
  return [
    {
      name: "withoutVariableBaseMul",
      label: "claim without the signature's variable-base scalar multiplication (EscalarMulAny(254))",
      files: {
        "main.circom": main,
        "Claim.circom": withVerifier("eddsa-without-varmul.circom", "EdDSAPoseidonVerifierWithoutVarMul"),
        "eddsa-without-varmul.circom": eddsaWithoutVariableBaseMul(sources.eddsa),
      },
    },
    {
      name: "ladderSizedVariableBaseMul",
      label: `claim with the multiplication cut to a ${LADDER_SIZED_BITS}-bit scalar: no larger than a 6-constraint-per-bit method`,
      files: {
        "main.circom": main,
        "Claim.circom": withVerifier("eddsa-ladder-sized.circom", "EdDSAPoseidonVerifierLadderSized"),
        "eddsa-ladder-sized.circom": eddsaWithLadderSizedMul(sources.eddsa),
      },
    },
    {
      name: "withoutSignature",
      label: "claim without the whole signature check (EdDSAPoseidonVerifier)",
      files: { "main.circom": main, "Claim.circom": withoutSignature },
    },
  ];
}

/** Builds each variant like the claim (bench/dev-circuit.ts); cached by the variant's own text. */
export async function buildAblations(log: Logger): Promise<AblatedCircuit[]> {
  const variants = deriveVariants({
    claim: readFileSync(SOURCES.claim, "utf8"),
    main: readFileSync(SOURCES.main, "utf8"),
    eddsa: readFileSync(SOURCES.eddsa, "utf8"),
  });
  const out: AblatedCircuit[] = [];
  for (const variant of variants) {
    const dir = join(DIR, variant.name);
    const built = await buildBenchCircuit(log, {
      what: `ablation ${variant.name}, measurement only`,
      dir,
      name: "main",
      files: variant.files,
      sources: [],
      includes: [dir],
    });
    out.push({ name: variant.name, label: variant.label, ...built });
  }
  return out;
}
