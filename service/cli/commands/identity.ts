/**
 * `huzhu identity create | show | export | import`: the member's Semaphore v4 identity, kept in an
 * encrypted keystore file that never leaves this machine.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { isCanonicalBase64 } from "../../sdk/bytes.ts";
import { createIdentity, type Identity, importIdentity } from "../../sdk/identity.ts";
import { decryptIdentity, encryptIdentity, parseKeystore } from "../../sdk/keystore.ts";
import { run } from "../lib/action.ts";
import { CliError } from "../lib/errors.ts";
import { writeFileSafely } from "../lib/files.ts";
import { addIdentityOptions, type IdentityOptions, identityPath, readKeystore } from "../lib/identity.ts";
import { keyValues } from "../lib/output.ts";
import { readPassword } from "../lib/password.ts";

interface WriteIdentityOptions extends IdentityOptions {
  force?: boolean;
}

async function saveIdentity(identity: Identity, opts: WriteIdentityOptions): Promise<string> {
  const path = identityPath(opts);
  refuseOverwrite(path, opts);
  const password = await readPassword(opts, { what: "new identity keystore", confirm: true });
  const keystore = await encryptIdentity(identity, password);
  await writeFileSafely(path, keystore, { force: opts.force === true, secret: true });
  return path;
}

/** Fails before asking for a password when the keystore exists and --force is not given. */
function refuseOverwrite(path: string, opts: WriteIdentityOptions): void {
  if (!opts.force && existsSync(path)) {
    throw new CliError(
      "FILE_EXISTS",
      `${path} already exists; nothing was written`,
      "pass --force to replace it, or choose another --identity",
    );
  }
}

/** A Semaphore export string, a keystore file's content, or a path to either. */
async function readImportSource(source: string | undefined): Promise<string> {
  if (source === undefined || source === "-") {
    if (process.stdin.isTTY)
      throw new CliError("NO_SOURCE", "give a keystore file, an export string, or pipe one into `huzhu identity import -`");
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8").trim();
  }
  try {
    return (await readFile(source, "utf8")).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return source.trim();
    throw new CliError("FILE_UNREADABLE", `cannot read ${source} (${(error as NodeJS.ErrnoException).code})`, undefined, { cause: error });
  }
}

export function registerIdentity(program: Command): void {
  const identity = program.command("identity").description("create, show, export and import your member identity (Semaphore v4)");

  addIdentityOptions(
    identity
      .command("create")
      .description("create a new identity in an encrypted keystore")
      .option("--force", "replace an existing keystore (its identity is lost unless exported)"),
  ).action(
    run<WriteIdentityOptions>(async ({ out, opts }) => {
      const created = createIdentity();
      const path = await saveIdentity(created, opts);
      out.result(
        { commitment: created.commitment.toString(), keystore: path },
        `${keyValues([
          ["commitment", created.commitment.toString()],
          ["keystore", path],
        ])}\nKeep the password safe: without it the identity (and every claim it could make) is lost.`,
      );
    }),
  );

  addIdentityOptions(
    identity
      .command("show")
      .description("print the identity's commitment (public: it is what join pays for)")
      .option("--verify", "also unlock the keystore to check the password and the file"),
  ).action(
    run<IdentityOptions & { verify?: boolean }>(async ({ out, opts }) => {
      const path = identityPath(opts);
      const keystore = await readKeystore(path);
      if (opts.verify) await decryptIdentity(keystore, await readPassword(opts, { what: "identity keystore" }));
      out.result(
        { commitment: keystore.commitment, keystore: path, ...(opts.verify ? { verified: true } : {}) },
        keyValues([
          ["commitment", keystore.commitment],
          ["keystore", path],
          ...(opts.verify ? ([["password", "ok"]] as Array<[string, string]>) : []),
        ]),
      );
    }),
  );

  addIdentityOptions(
    identity
      .command("export")
      .description("write the encrypted keystore to --out (or stdout); --plaintext prints the Semaphore export string")
      .option("--out <file>", "write to this file instead of stdout")
      .option("--plaintext", "export the unencrypted private key (Semaphore's Identity.export() string)")
      .option("--force", "replace an existing --out file"),
  ).action(
    run<IdentityOptions & { out?: string; plaintext?: boolean; force?: boolean }>(async ({ out, opts }) => {
      const path = identityPath(opts);
      const keystore = await readKeystore(path);
      let content: string;
      if (opts.plaintext) {
        const unlocked = await decryptIdentity(keystore, await readPassword(opts, { what: "identity keystore" }));
        out.warn("this is your identity's private key in plain text: anyone who sees it can claim as you. Store it offline.");
        content = unlocked.export();
      } else {
        content = JSON.stringify(keystore, null, 2);
      }
      if (opts.out !== undefined) {
        await writeFileSafely(opts.out, `${content}\n`, { force: opts.force === true, secret: true });
        out.result({ commitment: keystore.commitment, file: opts.out, plaintext: opts.plaintext === true }, `wrote ${opts.out}`);
      } else if (out.json) {
        out.result(opts.plaintext ? { commitment: keystore.commitment, export: content } : keystore, "");
      } else {
        process.stdout.write(`${content}\n`);
      }
    }),
  );

  addIdentityOptions(
    identity
      .command("import [source]")
      .description(
        "import an identity from a keystore file or a Semaphore export string (a file, an argument, or - for stdin); " +
          "an export string is encrypted with the password given",
      )
      .option("--force", "replace an existing keystore"),
  ).action(
    run<WriteIdentityOptions, [string | undefined]>(async ({ out, opts }, source) => {
      const text = await readImportSource(source);
      let imported: Identity;
      let path: string;
      if (text.startsWith("{")) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          throw new CliError("NOT_JSON", "the source looks like JSON but does not parse");
        }
        const keystore = parseKeystore(parsed);
        // Unlock it first: never install a keystore whose password we do not know.
        imported = await decryptIdentity(keystore, await readPassword(opts, { what: "imported keystore" }));
        path = identityPath(opts);
        refuseOverwrite(path, opts);
        await writeFileSafely(path, keystore, { force: opts.force === true, secret: true });
      } else {
        // Semaphore's import decodes base64 leniently (stray characters are dropped), so a typo would
        // silently make another identity: accept only canonical base64.
        if (!isCanonicalBase64(text)) {
          throw new CliError(
            "NOT_AN_IDENTITY",
            "not a keystore file nor a Semaphore identity export string (base64, as Identity.export() writes it)",
          );
        }
        imported = importIdentity(text);
        path = await saveIdentity(imported, opts);
      }
      out.result(
        { commitment: imported.commitment.toString(), keystore: path },
        keyValues([
          ["commitment", imported.commitment.toString()],
          ["keystore", path],
        ]),
      );
    }),
  );
}
