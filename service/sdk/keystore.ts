/**
 * Encrypted identity keystore: the exported private key under AES-256-GCM with a key derived from
 * the member's password by scrypt. Uses WebCrypto and @noble/hashes only, so the same file opens in
 * a browser and in Node. The commitment is stored in clear so a client can show which identity a
 * keystore holds without the password; it is public anyway (it is in the member tree).
 */
import { scryptAsync } from "@noble/hashes/scrypt";
import { fromBase64, toBase64 } from "./bytes.ts";
import { ErrorCode, HuzhuError } from "./errors.ts";
import { type Identity, importIdentity } from "./identity.ts";

export interface Keystore extends SealedSecret {
  version: 1;
  kind: "huzhu-identity";
  commitment: string;
}

export interface KdfOptions {
  /** scrypt cost; 2^17 by default (about 0.3 s), lower only for tests. */
  N?: number;
}

const DEFAULT_N = 2 ** 17;
const MIN_N = 2 ** 10;
/** A keystore may not make the reader spend more than about 1 GiB and seconds of work. */
const MAX_N = 2 ** 20;

async function deriveKey(password: string, kdf: Keystore["kdf"]): Promise<CryptoKey> {
  const raw = await scryptAsync(new TextEncoder().encode(password), fromBase64(kdf.salt), { N: kdf.N, r: kdf.r, p: kdf.p, dkLen: 32 });
  return globalThis.crypto.subtle.importKey("raw", new Uint8Array(raw), "AES-GCM", false, ["encrypt", "decrypt"]);
}

/** A secret sealed under a password: scrypt for the key, AES-256-GCM (tag appended) for the text. */
export interface SealedSecret {
  kdf: { name: "scrypt"; N: number; r: number; p: number; salt: string };
  cipher: { name: "aes-256-gcm"; iv: string; ciphertext: string };
}

/**
 * Seals `plaintext` under `password`; `header` is authenticated with it (a changed header fails to
 * open). Used for identity keystores and assessor key files alike.
 */
export async function sealSecret(plaintext: string, password: string, header: string, options: KdfOptions = {}): Promise<SealedSecret> {
  if (password.length === 0) throw new HuzhuError(ErrorCode.WrongPassword, "choose a non-empty password");
  const salt = globalThis.crypto.getRandomValues(new Uint8Array(16));
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(12));
  const kdf = { name: "scrypt" as const, N: options.N ?? DEFAULT_N, r: 8, p: 1, salt: toBase64(salt) };
  const key = await deriveKey(password, kdf);
  const ciphertext = new Uint8Array(
    await globalThis.crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(header) },
      key,
      new TextEncoder().encode(plaintext),
    ),
  );
  return { kdf, cipher: { name: "aes-256-gcm", iv: toBase64(iv), ciphertext: toBase64(ciphertext) } };
}

/** Checks a sealed secret's parameters (a file must not make the reader spend unbounded work). */
export function checkSealedSecret(value: Partial<SealedSecret>, fail: (what: string) => never): SealedSecret {
  const { kdf, cipher } = value;
  if (
    kdf?.name !== "scrypt" ||
    !Number.isInteger(kdf.N) ||
    kdf.N < MIN_N ||
    kdf.N > MAX_N ||
    kdf.r !== 8 ||
    kdf.p !== 1 ||
    typeof kdf.salt !== "string"
  ) {
    fail("kdf must be scrypt with 1024 <= N <= 2^20, r = 8, p = 1 and a salt");
  }
  if (cipher?.name !== "aes-256-gcm" || typeof cipher.iv !== "string" || typeof cipher.ciphertext !== "string") {
    fail("cipher must be aes-256-gcm with iv and ciphertext");
  }
  return value as SealedSecret;
}

/** Opens a sealed secret; a wrong password or a changed header or ciphertext gives WRONG_PASSWORD. */
export async function openSecret(sealed: SealedSecret, password: string, header: string, what = "keystore"): Promise<string> {
  const key = await deriveKey(password, sealed.kdf);
  try {
    const plaintext = await globalThis.crypto.subtle.decrypt(
      { name: "AES-GCM", iv: fromBase64(sealed.cipher.iv), additionalData: new TextEncoder().encode(header) },
      key,
      fromBase64(sealed.cipher.ciphertext),
    );
    return new TextDecoder().decode(plaintext);
  } catch {
    throw new HuzhuError(ErrorCode.WrongPassword, `wrong password for this ${what} (or the file was altered)`);
  }
}

function additionalData(keystore: Pick<Keystore, "version" | "kind" | "commitment">): string {
  // Binding the clear-text header to the ciphertext: a swapped commitment fails to decrypt.
  return `${keystore.kind}:${keystore.version}:${keystore.commitment}`;
}

export async function encryptIdentity(identity: Identity, password: string, options: KdfOptions = {}): Promise<Keystore> {
  if (password.length === 0) throw new HuzhuError(ErrorCode.WrongPassword, "choose a non-empty password for the keystore");
  const header = { version: 1 as const, kind: "huzhu-identity" as const, commitment: identity.commitment.toString() };
  return { ...header, ...(await sealSecret(identity.export(), password, additionalData(header), options)) };
}

/** Checks the shape of a parsed keystore; throws INVALID_KEYSTORE naming what is wrong. */
export function parseKeystore(value: unknown): Keystore {
  const fail = (what: string): never => {
    throw new HuzhuError(ErrorCode.InvalidKeystore, `not a Huzhu identity keystore: ${what}`);
  };
  if (typeof value !== "object" || value === null) return fail("expected a JSON object");
  const k = value as Partial<Keystore>;
  if (k.kind !== "huzhu-identity") fail('kind must be "huzhu-identity"');
  if (k.version !== 1) fail(`unsupported version ${String(k.version)}`);
  if (typeof k.commitment !== "string" || !/^[0-9]+$/.test(k.commitment)) fail("commitment must be a decimal string");
  checkSealedSecret(k, fail);
  return k as Keystore;
}

export async function decryptIdentity(keystoreValue: unknown, password: string): Promise<Identity> {
  const keystore = parseKeystore(keystoreValue);
  const identity = importIdentity(await openSecret(keystore, password, additionalData(keystore)));
  if (identity.commitment.toString() !== keystore.commitment) {
    throw new HuzhuError(ErrorCode.InvalidKeystore, "keystore commitment does not match the identity inside it");
  }
  return identity;
}
