/**
 * Is the deployed verifier the published verification key? The generated Groth16 verifier
 * inlines every key constant (alpha, beta, gamma, delta and the IC points) as a PUSH immediate in
 * its runtime bytecode, whatever the compiler settings; the auditor walks the bytecode, collects
 * every pushed value and requires each key constant among them. A contract can embed constants it
 * never uses, so the verifier is also asked, by eth_call, to verify a proof that is not valid
 * (the group generators, zero signals): a real verifier says no.
 */
import type { Address, Hex, PublicClient } from "viem";
import { claimVerifierAbi } from "../sdk/chain/abi.ts";
import type { VerificationKey } from "../sdk/prover.ts";

export interface KeyConstant {
  name: string;
  value: bigint;
}

/** Every constant a verifier for `vkey` must hold (coordinates of alpha, beta, gamma, delta, IC). */
export function verificationKeyConstants(vkey: VerificationKey): KeyConstant[] {
  const out: KeyConstant[] = [];
  const g1 = (name: string, p: unknown) => {
    const [x, y] = p as string[];
    out.push({ name: `${name}.x`, value: BigInt(x as string) }, { name: `${name}.y`, value: BigInt(y as string) });
  };
  const g2 = (name: string, p: unknown) => {
    const [x, y] = p as string[][];
    out.push(
      { name: `${name}.x.c0`, value: BigInt(x?.[0] as string) },
      { name: `${name}.x.c1`, value: BigInt(x?.[1] as string) },
      { name: `${name}.y.c0`, value: BigInt(y?.[0] as string) },
      { name: `${name}.y.c1`, value: BigInt(y?.[1] as string) },
    );
  };
  g1("alpha", vkey.vk_alpha_1);
  g2("beta", vkey.vk_beta_2);
  g2("gamma", vkey.vk_gamma_2);
  g2("delta", vkey.vk_delta_2);
  (vkey.IC as unknown[]).forEach((p, i) => {
    g1(`IC${i}`, p);
  });
  return out;
}

/** Every value pushed by a PUSH1..PUSH32 instruction of `code` (push data is skipped as code). */
export function pushedValues(code: Hex): Set<bigint> {
  const bytes = code.startsWith("0x") ? code.slice(2) : code;
  const values = new Set<bigint>();
  for (let i = 0; i < bytes.length; i += 2) {
    const op = Number.parseInt(bytes.slice(i, i + 2), 16);
    if (op >= 0x60 && op <= 0x7f) {
      const size = op - 0x5f;
      const data = bytes.slice(i + 2, i + 2 + size * 2);
      if (data.length > 0) values.add(BigInt(`0x${data}`));
      i += size * 2;
    }
  }
  return values;
}

/** Names of the key constants `code` does not push (empty: the bytecode embeds the key). */
export function missingKeyConstants(vkey: VerificationKey, code: Hex): string[] {
  const pushed = pushedValues(code);
  return verificationKeyConstants(vkey)
    .filter((c) => !pushed.has(c.value))
    .map((c) => c.name);
}

// G1 generator (1, 2) and the G2 generator in the verifier's layout (imaginary part first).
const G1_GENERATOR = [1n, 2n] as const;
const G2_GENERATOR = [
  [
    11559732032986387107991004021392285783925812861821192530917403151452391805634n,
    10857046999023057135944570762232829481370756359578518086990519993285655852781n,
  ],
  [
    4082367875863433681332203403145435568316851327593401208105741076214120093531n,
    8495653923123431417604973247489272438418190587263600148770280649306958101930n,
  ],
] as const;

export interface VerifierCheck {
  verifier: Address;
  codeSize: number;
  /** Key constants the verifier's bytecode lacks. */
  missing: string[];
  /** Whether the verifier refused a proof that is not valid (eth_call returned false or reverted). */
  rejectsInvalidProof: boolean;
}

export async function checkVerifier(
  client: PublicClient,
  verifier: Address,
  vkey: VerificationKey,
  blockNumber: bigint,
): Promise<VerifierCheck> {
  const code = (await client.getCode({ address: verifier, blockNumber })) ?? "0x";
  const missing = code === "0x" ? ["(no code at the verifier address)"] : missingKeyConstants(vkey, code);
  let rejectsInvalidProof: boolean;
  try {
    const accepted = await client.readContract({
      address: verifier,
      abi: claimVerifierAbi,
      functionName: "verifyProof",
      args: [G1_GENERATOR, G2_GENERATOR, G1_GENERATOR, [0n, 0n, 0n, 0n, 0n, 0n, 0n]],
      blockNumber,
    });
    rejectsInvalidProof = accepted === false;
  } catch {
    rejectsInvalidProof = true;
  }
  return { verifier, codeSize: (code.length - 2) / 2, missing, rejectsInvalidProof };
}
