/** The member's identity keystore on disk: where it lives, reading it, and unlocking it. */
import { homedir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import type { Identity } from "../../sdk/identity.ts";
import { decryptIdentity, type Keystore, parseKeystore } from "../../sdk/keystore.ts";
import { readJsonFile } from "./files.ts";
import { type PasswordOptions, readPassword } from "./password.ts";

export interface IdentityOptions extends PasswordOptions {
  identity?: string;
}

/** HUZHU_HOME, or ~/.huzhu. */
export function huzhuHome(): string {
  return process.env.HUZHU_HOME ?? join(homedir(), ".huzhu");
}

export function identityPath(opts: IdentityOptions): string {
  return opts.identity ?? join(huzhuHome(), "identity.json");
}

export function addIdentityOptions(command: Command): Command {
  return command
    .option("--identity <file>", "identity keystore (default $HUZHU_HOME/identity.json, HUZHU_HOME defaults to ~/.huzhu)")
    .option("--password-file <file>", "read the keystore password from this file (else HUZHU_PASSWORD, else a prompt)");
}

export async function readKeystore(path: string): Promise<Keystore> {
  return parseKeystore(await readJsonFile(path, "identity keystore", "create one with `huzhu identity create`, or pass --identity <file>"));
}

/** The commitment the keystore names (public; no password needed). */
export async function keystoreCommitment(opts: IdentityOptions): Promise<bigint> {
  return BigInt((await readKeystore(identityPath(opts))).commitment);
}

export async function unlockIdentity(opts: IdentityOptions): Promise<{ identity: Identity; path: string }> {
  const path = identityPath(opts);
  const keystore = await readKeystore(path);
  const password = await readPassword(opts, { what: "identity keystore" });
  return { identity: await decryptIdentity(keystore, password), path };
}
