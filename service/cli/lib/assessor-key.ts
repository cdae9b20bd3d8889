/**
 * Assessor key files: `{ kind: "huzhu-assessor-key", version: 1, publicKey, privateKey }`, or with
 * `encrypted` (scrypt + AES-256-GCM) instead of `privateKey`. The demo key `npm start` writes
 * (`{ privateKey, publicKey }`) reads too.
 */
import { createCipheriv, createDecipheriv, randomBytes, scrypt } from "node:crypto";
import { type AssessorKey, assessorKeyFromPrivate } from "../../sdk/assessor.ts";
import type { PublicKey } from "../../sdk/encoding.ts";
import { toField } from "../../sdk/field.ts";
import { CliError } from "./errors.ts";
import { readJsonFile } from "./files.ts";
import { type PasswordOptions, readPassword } from "./password.ts";

interface EncryptedKey {
  kdf: { name: "scrypt"; N: number; r: number; p: number; salt: string };
  cipher: { name: "aes-256-gcm"; iv: string; ciphertext: string; tag: string };
}

export interface AssessorKeyFile {
  kind: "huzhu-assessor-key";
  version: 1;
  publicKey: [string, string];
  privateKey?: string;
  encrypted?: EncryptedKey;
}

const N = 2 ** 17;

function deriveKey(password: string, salt: Buffer, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, 32, { N: n, r: 8, p: 1, maxmem: 256 * n * 8 }, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

function additionalData(publicKey: readonly [string, string]): Buffer {
  return Buffer.from(`huzhu-assessor-key:1:${publicKey[0]}:${publicKey[1]}`);
}

export async function assessorKeyFile(key: AssessorKey, password?: string): Promise<AssessorKeyFile> {
  const publicKey: [string, string] = [key.publicKey[0].toString(), key.publicKey[1].toString()];
  if (password === undefined) return { kind: "huzhu-assessor-key", version: 1, publicKey, privateKey: key.privateKey };
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", await deriveKey(password, salt, N), iv);
  cipher.setAAD(additionalData(publicKey));
  const ciphertext = Buffer.concat([cipher.update(key.privateKey, "utf8"), cipher.final()]);
  return {
    kind: "huzhu-assessor-key",
    version: 1,
    publicKey,
    encrypted: {
      kdf: { name: "scrypt", N, r: 8, p: 1, salt: salt.toString("base64") },
      cipher: {
        name: "aes-256-gcm",
        iv: iv.toString("base64"),
        ciphertext: ciphertext.toString("base64"),
        tag: cipher.getAuthTag().toString("base64"),
      },
    },
  };
}

function parsePublicKey(value: unknown, source: string): PublicKey {
  if (!Array.isArray(value) || value.length !== 2) throw new CliError("BAD_KEY_FILE", `${source}: publicKey must be two decimal strings`);
  try {
    return [toField(String(value[0]), "publicKey.x"), toField(String(value[1]), "publicKey.y")];
  } catch (error) {
    throw new CliError("BAD_KEY_FILE", `${source}: ${(error as Error).message}`);
  }
}

/** The public key in a key file (no password needed). */
export async function readAssessorPublicKey(path: string): Promise<PublicKey> {
  const file = (await readJsonFile(path, "assessor key file")) as Partial<AssessorKeyFile>;
  return parsePublicKey(file?.publicKey, path);
}

/** The full key (asks for the password when the file is encrypted); checks the public key matches. */
export async function readAssessorKey(path: string, opts: PasswordOptions): Promise<AssessorKey> {
  const file = (await readJsonFile(path, "assessor key file", "create one with `huzhu assessor keygen`")) as Partial<AssessorKeyFile>;
  if (typeof file !== "object" || file === null) throw new CliError("BAD_KEY_FILE", `${path} is not an assessor key file`);
  const publicKey = parsePublicKey(file.publicKey, path);
  let privateKey: string;
  if (typeof file.privateKey === "string") {
    privateKey = file.privateKey;
  } else if (file.encrypted !== undefined) {
    const { kdf, cipher } = file.encrypted;
    if (kdf?.name !== "scrypt" || !Number.isInteger(kdf.N) || kdf.N < 1024 || kdf.N > 2 ** 20 || kdf.r !== 8 || kdf.p !== 1) {
      throw new CliError("BAD_KEY_FILE", `${path}: unsupported key derivation`);
    }
    const password = await readPassword(opts, { what: "assessor key" });
    const decipher = createDecipheriv(
      "aes-256-gcm",
      await deriveKey(password, Buffer.from(kdf.salt, "base64"), kdf.N),
      Buffer.from(cipher.iv, "base64"),
    );
    decipher.setAAD(additionalData([publicKey[0].toString(), publicKey[1].toString()]));
    decipher.setAuthTag(Buffer.from(cipher.tag, "base64"));
    try {
      privateKey = Buffer.concat([decipher.update(Buffer.from(cipher.ciphertext, "base64")), decipher.final()]).toString("utf8");
    } catch {
      throw new CliError("WRONG_PASSWORD", `wrong password for the assessor key ${path} (or the file was altered)`);
    }
  } else {
    throw new CliError("BAD_KEY_FILE", `${path} holds no private key`);
  }
  let key: AssessorKey;
  try {
    key = assessorKeyFromPrivate(privateKey);
  } catch (error) {
    throw new CliError("BAD_KEY_FILE", `${path}: ${(error as Error).message}`);
  }
  if (key.publicKey[0] !== publicKey[0] || key.publicKey[1] !== publicKey[1]) {
    throw new CliError("BAD_KEY_FILE", `${path}: the public key does not belong to the private key`);
  }
  return key;
}
