/**
 * Admission vouchers: a plan that vets who joins names an admission officer, whose EIP-712
 * signature over Admission(planId, commitment, expiresAt) every join must carry (the pool's
 * joinWithVoucher checks it). The officer learns which person holds which commitment; the voucher
 * itself names only the commitment. One file format for the CLI and the web app. Runs in Node and
 * in browsers.
 */
import { type Address, getAddress, type Hex, hashTypedData, isAddress, isHex, recoverTypedDataAddress } from "viem";
import { CodedError } from "../coded-error.ts";
import { huzhuPoolAbi } from "./abi.ts";
import type { PoolRef } from "./pool.ts";

/** The EIP-712 domain and type the pool checks (HuzhuPool.admissionDigest). */
export const ADMISSION_DOMAIN = { name: "HuzhuPool", version: "1" } as const;
export const ADMISSION_TYPES = {
  Admission: [
    { name: "planId", type: "uint256" },
    { name: "commitment", type: "uint256" },
    { name: "expiresAt", type: "uint64" },
  ],
} as const;

/** What a voucher admits: one commitment to one plan of one pool, until `expiresAt` (unix seconds). */
export interface AdmissionTerms {
  chainId: bigint;
  pool: Address;
  planId: bigint;
  commitment: bigint;
  expiresAt: bigint;
}

/** A signed voucher, as the officer hands it to the member (and the file holds it). */
export interface AdmissionVoucher extends AdmissionTerms {
  /** The officer's address, as it signed (the pool checks it is the plan's officer). */
  officer: Address;
  signature: Hex;
}

export const VoucherErrorCode = {
  /** Not a voucher file, or one with a malformed field. */
  Malformed: "VOUCHER_MALFORMED",
  /** A voucher for another pool, chain, plan or commitment than this join's. */
  WrongTerms: "VOUCHER_WRONG_TERMS",
  /** A voucher whose signature is not its officer's, or whose officer is not the plan's. */
  WrongSigner: "VOUCHER_WRONG_SIGNER",
  /** A voucher past its expiry. */
  Expired: "VOUCHER_EXPIRED",
} as const;
export type VoucherErrorCode = (typeof VoucherErrorCode)[keyof typeof VoucherErrorCode];

export class VoucherError extends CodedError<VoucherErrorCode> {
  constructor(code: VoucherErrorCode, message: string) {
    super(code, message);
    this.name = "VoucherError";
  }
}

/** The typed data an officer signs for `terms` (viem's signTypedData / hashTypedData arguments). */
export function admissionTypedData(terms: AdmissionTerms) {
  return {
    domain: { ...ADMISSION_DOMAIN, chainId: terms.chainId, verifyingContract: terms.pool },
    types: ADMISSION_TYPES,
    primaryType: "Admission" as const,
    message: { planId: terms.planId, commitment: terms.commitment, expiresAt: terms.expiresAt },
  };
}

/** The digest the pool recovers the officer from (equals HuzhuPool.admissionDigest). */
export function admissionDigest(terms: AdmissionTerms): Hex {
  return hashTypedData(admissionTypedData(terms));
}

/** Anything that signs EIP-712 typed data (a viem local account or wallet client's account). */
export interface TypedDataSigner {
  address: Address;
  signTypedData: (typedData: ReturnType<typeof admissionTypedData>) => Promise<Hex>;
}

/** The officer's voucher for `terms`. */
export async function signAdmissionVoucher(officer: TypedDataSigner, terms: AdmissionTerms): Promise<AdmissionVoucher> {
  const signature = await officer.signTypedData(admissionTypedData(terms));
  return { ...terms, officer: getAddress(officer.address), signature };
}

/**
 * Checks a voucher as the pool will, before any transaction: that it is for this join (pool,
 * chain, plan, commitment), not expired at `now`, and signed by `officer` (the plan's).
 */
export async function checkAdmissionVoucher(
  voucher: AdmissionVoucher,
  join: { chainId: bigint; pool: Address; planId: bigint; commitment: bigint; officer: Address; now: bigint },
): Promise<void> {
  const wrong: string[] = [];
  if (voucher.chainId !== join.chainId) wrong.push(`chain ${voucher.chainId}, not ${join.chainId}`);
  if (voucher.pool.toLowerCase() !== join.pool.toLowerCase()) wrong.push(`pool ${voucher.pool}, not ${join.pool}`);
  if (voucher.planId !== join.planId) wrong.push(`plan ${voucher.planId}, not ${join.planId}`);
  if (voucher.commitment !== join.commitment) wrong.push(`commitment ${voucher.commitment}, not this identity's ${join.commitment}`);
  if (wrong.length > 0) throw new VoucherError(VoucherErrorCode.WrongTerms, `this voucher is for ${wrong.join(", ")}`);
  if (join.now > voucher.expiresAt) {
    throw new VoucherError(
      VoucherErrorCode.Expired,
      `this voucher expired at ${new Date(Number(voucher.expiresAt) * 1000).toISOString()}: ask the plan's admission officer for a new one`,
    );
  }
  const signer = await recoverTypedDataAddress({ ...admissionTypedData(voucher), signature: voucher.signature });
  if (signer.toLowerCase() !== join.officer.toLowerCase()) {
    throw new VoucherError(
      VoucherErrorCode.WrongSigner,
      `this voucher is signed by ${signer}, not by the plan's admission officer ${join.officer}`,
    );
  }
}

/**
 * Checks a voucher against the pool as it is now (its chain, the plan's admission officer, the
 * latest block's time) for `commitment` joining `planId`: checkAdmissionVoucher with what the chain says.
 */
export async function checkVoucherOnChain(ref: PoolRef, voucher: AdmissionVoucher, planId: bigint, commitment: bigint): Promise<void> {
  const [officer, block, chainId] = await Promise.all([
    ref.client.readContract({ address: ref.pool, abi: huzhuPoolAbi, functionName: "admissionOfficer", args: [planId] }),
    ref.client.getBlock({ blockTag: "latest" }),
    ref.client.getChainId(),
  ]);
  await checkAdmissionVoucher(voucher, { chainId: BigInt(chainId), pool: ref.pool, planId, commitment, officer, now: block.timestamp });
}

/** A voucher file's text (its JSON), checked on chain for `commitment` joining `planId`: text that is not JSON is VOUCHER_MALFORMED. */
export async function checkVoucherText(ref: PoolRef, text: string, planId: bigint, commitment: bigint): Promise<AdmissionVoucher> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const voucher = voucherFromJson(json);
  await checkVoucherOnChain(ref, voucher, planId, commitment);
  return voucher;
}

/** The pool's joinWithVoucher voucher argument. */
export function voucherArgument(voucher: AdmissionVoucher): { expiresAt: bigint; signature: Hex } {
  return { expiresAt: voucher.expiresAt, signature: voucher.signature };
}

/** The voucher file's JSON: numbers as decimal strings. */
export function voucherToJson(voucher: AdmissionVoucher): Record<string, string> {
  return {
    kind: "huzhu-admission-voucher",
    chainId: voucher.chainId.toString(),
    pool: voucher.pool,
    planId: voucher.planId.toString(),
    commitment: voucher.commitment.toString(),
    expiresAt: voucher.expiresAt.toString(),
    officer: voucher.officer,
    signature: voucher.signature,
  };
}

/** Reads a voucher file's JSON; throws VOUCHER_MALFORMED naming the first bad field. */
export function voucherFromJson(value: unknown): AdmissionVoucher {
  const v = value as Record<string, unknown> | null;
  if (v === null || typeof v !== "object" || v.kind !== "huzhu-admission-voucher") {
    throw new VoucherError(VoucherErrorCode.Malformed, 'not an admission voucher (its "kind" is not "huzhu-admission-voucher")');
  }
  const whole = (name: string): bigint => {
    const text = v[name];
    if (typeof text !== "string" || !/^(0|[1-9][0-9]*)$/.test(text)) {
      throw new VoucherError(VoucherErrorCode.Malformed, `the voucher's ${name} must be a whole number as a decimal string`);
    }
    return BigInt(text);
  };
  const address = (name: string): Address => {
    const text = v[name];
    if (typeof text !== "string" || !isAddress(text, { strict: false })) {
      throw new VoucherError(VoucherErrorCode.Malformed, `the voucher's ${name} must be an address`);
    }
    return getAddress(text);
  };
  const signature = v.signature;
  if (typeof signature !== "string" || !isHex(signature) || signature.length !== 132) {
    throw new VoucherError(VoucherErrorCode.Malformed, "the voucher's signature must be 65 bytes of hex (0x + 130 hex digits)");
  }
  return {
    chainId: whole("chainId"),
    pool: address("pool"),
    planId: whole("planId"),
    commitment: whole("commitment"),
    expiresAt: whole("expiresAt"),
    officer: address("officer"),
    signature,
  };
}
