/**
 * Assessor key files: `{ kind: "huzhu-assessor-key", version: 1, publicKey, privateKey }`, or with
 * `encrypted` (the SDK's sealed secret: scrypt + AES-256-GCM, as identity keystores) instead of
 * `privateKey`. The demo key `npm start` writes (`{ privateKey, publicKey }`) reads too.
 */
import { type AssessorKey, assessorKeyFromPrivate } from "../../sdk/assessor.ts";
import type { PublicKey } from "../../sdk/encoding.ts";
import { HuzhuError } from "../../sdk/errors.ts";
import { toField } from "../../sdk/field.ts";
import { checkSealedSecret, openSecret, type SealedSecret, sealSecret } from "../../sdk/keystore.ts";
import { CliError } from "./errors.ts";
import { readJsonFile } from "./files.ts";
import { type PasswordOptions, readPassword } from "./password.ts";

export interface AssessorKeyFile {
  kind: "huzhu-assessor-key";
  version: 1;
  publicKey: [string, string];
  privateKey?: string;
  encrypted?: SealedSecret;
}

function header(publicKey: readonly [string, string]): string {
  return `huzhu-assessor-key:1:${publicKey[0]}:${publicKey[1]}`;
}

export async function assessorKeyFile(key: AssessorKey, password?: string): Promise<AssessorKeyFile> {
  const publicKey: [string, string] = [key.publicKey[0].toString(), key.publicKey[1].toString()];
  if (password === undefined) return { kind: "huzhu-assessor-key", version: 1, publicKey, privateKey: key.privateKey };
  return { kind: "huzhu-assessor-key", version: 1, publicKey, encrypted: await sealSecret(key.privateKey, password, header(publicKey)) };
}

function parsePublicKey(value: unknown, source: string): PublicKey {
  if (!Array.isArray(value) || value.length !== 2) throw new CliError("BAD_KEY_FILE", `${source}: publicKey must be two decimal strings`);
  try {
    return [toField(String(value[0]), "publicKey.x"), toField(String(value[1]), "publicKey.y")];
  } catch (error) {
    throw new CliError("BAD_KEY_FILE", `${source}: ${(error as Error).message}`, undefined, { cause: error });
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
    const sealed = checkSealedSecret(file.encrypted, (what) => {
      throw new CliError("BAD_KEY_FILE", `${path}: ${what}`);
    });
    const password = await readPassword(opts, { what: "assessor key" });
    try {
      privateKey = await openSecret(sealed, password, header([publicKey[0].toString(), publicKey[1].toString()]), "assessor key");
    } catch (error) {
      if (error instanceof HuzhuError)
        throw new CliError("WRONG_PASSWORD", `wrong password for the assessor key ${path} (or the file was altered)`, undefined, {
          cause: error,
        });
      throw error;
    }
  } else {
    throw new CliError("BAD_KEY_FILE", `${path} holds no private key`);
  }
  let key: AssessorKey;
  try {
    key = assessorKeyFromPrivate(privateKey);
  } catch (error) {
    throw new CliError("BAD_KEY_FILE", `${path}: ${(error as Error).message}`, undefined, { cause: error });
  }
  if (key.publicKey[0] !== publicKey[0] || key.publicKey[1] !== publicKey[1]) {
    throw new CliError("BAD_KEY_FILE", `${path}: the public key does not belong to the private key`);
  }
  return key;
}

/** A public key written `x,y` (decimal). */
export function parsePublicKeyText(text: string): PublicKey {
  const parts = text.split(",").map((p) => p.trim());
  if (parts.length !== 2) throw new CliError("BAD_PUBLIC_KEY", "--public-key is two numbers separated by a comma: <x>,<y>");
  try {
    return [toField(parts[0] as string, "public key x"), toField(parts[1] as string, "public key y")];
  } catch (error) {
    throw new CliError("BAD_PUBLIC_KEY", (error as Error).message, undefined, { cause: error });
  }
}
