/**
 * Encrypted identity keystore: the exported private key under AES-256-GCM with a key derived from
 * the member's password by scrypt. Uses WebCrypto and @noble/hashes only, so the same file opens in
 * a browser and in Node. The commitment is stored in clear so a client can show which identity a
 * keystore holds without the password; it is public anyway (it is in the member tree).
 */
import { scryptAsync } from "@noble/hashes/scrypt";
import { ErrorCode, HuzhuError } from "./errors.ts";
import { type Identity, importIdentity } from "./identity.ts";

export interface Keystore {
  version: 1;
  kind: "huzhu-identity";
  commitment: string;
  kdf: { name: "scrypt"; N: number; r: number; p: number; salt: string };
  cipher: { name: "aes-256-gcm"; iv: string; ciphertext: string };
}

export interface KdfOptions {
  /** scrypt cost; 2^17 by default (about 0.3 s), lower only for tests. */
  N?: number;
}

const DEFAULT_N = 2 ** 17;
const MIN_N = 2 ** 10;
/** A keystore may not make the reader spend more than about 1 GiB and seconds of work. */
const MAX_N = 2 ** 20;

const toBase64 = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes));
function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const raw = atob(text);
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

async function deriveKey(password: string, kdf: Keystore["kdf"]): Promise<CryptoKey> {
  const raw = await scryptAsync(new TextEncoder().encode(password), fromBase64(kdf.salt), { N: kdf.N, r: kdf.r, p: kdf.p, dkLen: 32 });
  return globalThis.crypto.subtle.importKey("raw", new Uint8Array(raw), "AES-GCM", false, ["encrypt", "decrypt"]);
}

function additionalData(keystore: Pick<Keystore, "version" | "kind" | "commitment">): Uint8Array<ArrayBuffer> {
  // Binding the clear-text header to the ciphertext: a swapped commitment fails to decrypt.
  return new TextEncoder().encode(`${keystore.kind}:${keystore.version}:${keystore.commitment}`);
}

export async function encryptIdentity(identity: Identity, password: string, options: KdfOptions = {}): Promise<Keystore> {
  if (password.length === 0) throw new HuzhuError(ErrorCode.WrongPassword, "choose a non-empty password for the keystore");
  const salt = globalThis.crypto.getRandomValues(new Uint8Array(16));
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(12));
  const kdf = { name: "scrypt" as const, N: options.N ?? DEFAULT_N, r: 8, p: 1, salt: toBase64(salt) };
  const header = { version: 1 as const, kind: "huzhu-identity" as const, commitment: identity.commitment.toString() };
  const key = await deriveKey(password, kdf);
  const plaintext = new TextEncoder().encode(identity.export());
  const ciphertext = new Uint8Array(
    await globalThis.crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: additionalData(header) }, key, plaintext),
  );
  return { ...header, kdf, cipher: { name: "aes-256-gcm", iv: toBase64(iv), ciphertext: toBase64(ciphertext) } };
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
  const kdf = k.kdf;
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
  const cipher = k.cipher;
  if (cipher?.name !== "aes-256-gcm" || typeof cipher.iv !== "string" || typeof cipher.ciphertext !== "string") {
    fail("cipher must be aes-256-gcm with iv and ciphertext");
  }
  return k as Keystore;
}

export async function decryptIdentity(keystoreValue: unknown, password: string): Promise<Identity> {
  const keystore = parseKeystore(keystoreValue);
  const key = await deriveKey(password, keystore.kdf);
  let plaintext: ArrayBuffer;
  try {
    plaintext = await globalThis.crypto.subtle.decrypt(
      { name: "AES-GCM", iv: fromBase64(keystore.cipher.iv), additionalData: additionalData(keystore) },
      key,
      fromBase64(keystore.cipher.ciphertext),
    );
  } catch {
    throw new HuzhuError(ErrorCode.WrongPassword, "wrong password for this keystore (or the file was altered)");
  }
  const identity = importIdentity(new TextDecoder().decode(plaintext));
  if (identity.commitment.toString() !== keystore.commitment) {
    throw new HuzhuError(ErrorCode.InvalidKeystore, "keystore commitment does not match the identity inside it");
  }
  return identity;
}
