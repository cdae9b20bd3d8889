/** `huzhu identity`: encrypted keystore round trips, password errors, and Semaphore's own identities. */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Identity } from "@semaphore-protocol/identity";
import { describe, expect, it } from "vitest";
import { runCli } from "../../testkit/cli.ts";

function home() {
  const dir = mkdtempSync(join(tmpdir(), "huzhu-cli-id-"));
  return { dir, env: { HUZHU_HOME: dir, HUZHU_PASSWORD: "correct horse" } };
}

describe("identity", () => {
  it("creates an encrypted keystore, shows its commitment, exports and re-imports it", async () => {
    const { dir, env } = home();
    const created = await runCli(["--json", "identity", "create"], { env });
    expect(created.code).toBe(0);
    const { commitment, keystore } = created.json<{ commitment: string; keystore: string }>();
    expect(keystore).toBe(join(dir, "identity.json"));
    expect(statSync(keystore).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(keystore, "utf8"))).toMatchObject({ kind: "huzhu-identity", commitment });

    const shown = await runCli(["identity", "show", "--verify"], { env });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`commitment: ${commitment}`);
    expect(shown.stdout).toMatch(/password:\s+ok/);

    // The encrypted keystore moves to another machine (here: another path) and opens there.
    const exported = join(dir, "backup.json");
    expect((await runCli(["identity", "export", "--out", exported], { env })).code).toBe(0);
    const other = join(dir, "other.json");
    const imported = await runCli(["--json", "identity", "import", exported, "--identity", other], { env });
    expect(imported.code).toBe(0);
    expect(imported.json()).toEqual({ commitment, keystore: other });

    // The plaintext export is Semaphore's own export string, with a warning.
    const plain = await runCli(["identity", "export", "--plaintext"], { env });
    expect(plain.code).toBe(0);
    expect(plain.stderr).toContain("warning: this is your identity's private key in plain text");
    expect(Identity.import(plain.stdout.trim()).commitment.toString()).toBe(commitment);
  });

  it("refuses a wrong password with the keystore's error and exit code 1", async () => {
    const { env } = home();
    expect((await runCli(["identity", "create"], { env })).code).toBe(0);
    const wrong = await runCli(["identity", "show", "--verify"], { env: { ...env, HUZHU_PASSWORD: "wrong" } });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe("error: wrong password for this keystore (or the file was altered)\n");
    expect(wrong.stdout).toBe("");

    const json = await runCli(["--json", "identity", "export", "--plaintext"], { env: { ...env, HUZHU_PASSWORD: "wrong" } });
    expect(json.code).toBe(1);
    expect(json.json()).toEqual({
      error: { code: "WRONG_PASSWORD", message: "wrong password for this keystore (or the file was altered)" },
    });
  });

  it("reads the password from --password-file, and says where to put one when there is none", async () => {
    const { dir, env } = home();
    const passwordFile = join(dir, "password.txt");
    writeFileSync(passwordFile, "from a file\n");
    expect((await runCli(["identity", "create", "--password-file", passwordFile], { env: { HUZHU_HOME: dir } })).code).toBe(0);
    expect((await runCli(["identity", "show", "--verify", "--password-file", passwordFile], { env: { HUZHU_HOME: dir } })).code).toBe(0);
    // The file's password, not the environment's, was used.
    expect((await runCli(["identity", "show", "--verify"], { env })).code).toBe(1);

    const none = await runCli(["identity", "show", "--verify"], { env: { HUZHU_HOME: dir, HUZHU_PASSWORD: undefined } });
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(
      "error: a password is needed for the identity keystore\n" +
        "hint: set HUZHU_PASSWORD, pass --password-file <file>, or run in a terminal to be asked\n",
    );
  });

  it("imports an identity made by @semaphore-protocol/identity, from an argument or stdin", async () => {
    const { dir, env } = home();
    const semaphore = new Identity();
    const fromArg = await runCli(["--json", "identity", "import", semaphore.export()], { env });
    expect(fromArg.code).toBe(0);
    expect(fromArg.json<{ commitment: string }>().commitment).toBe(semaphore.commitment.toString());

    const deterministic = new Identity("a secret the member chose");
    const fromStdin = await runCli(["--json", "identity", "import", "-", "--identity", join(dir, "second.json")], {
      env,
      input: `${deterministic.export()}\n`,
    });
    expect(fromStdin.code).toBe(0);
    expect(fromStdin.json<{ commitment: string }>().commitment).toBe(deterministic.commitment.toString());
    const shown = await runCli(["--json", "identity", "show", "--verify", "--identity", join(dir, "second.json")], { env });
    expect(shown.json()).toMatchObject({ commitment: deterministic.commitment.toString(), verified: true });
  });

  it("never overwrites a keystore without --force, and rejects what is not an identity", async () => {
    const { dir, env } = home();
    expect((await runCli(["identity", "create"], { env })).code).toBe(0);
    const again = await runCli(["identity", "create"], { env });
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(
      `error: ${join(dir, "identity.json")} already exists; nothing was written\nhint: pass --force to replace it, or choose another --identity\n`,
    );
    const garbage = await runCli(["identity", "import", "not-an-identity!", "--identity", join(dir, "x.json")], { env });
    expect(garbage.code).toBe(1);
    expect(garbage.stderr).toBe(
      "error: not a keystore file nor a Semaphore identity export string (base64, as Identity.export() writes it)\n",
    );

    const missing = await runCli(["identity", "show", "--identity", join(dir, "nope.json")], { env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      `error: no identity keystore at ${join(dir, "nope.json")}\nhint: create one with \`huzhu identity create\`, or pass --identity <file>\n`,
    );
  });
});
