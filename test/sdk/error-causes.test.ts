/**
 * Errors that explain another keep it as their ES2022 `cause`, with their message as it was: a
 * missing deployment record (SDK), a bad field in an approval file (SDK), a tree service on a
 * closed port (SDK), a claim request out of range (relayer), and a missing password or JSON file
 * (CLI).
 */

import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPublicClient, http } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CliError } from "../../service/cli/lib/errors.ts";
import { readJsonFile } from "../../service/cli/lib/files.ts";
import { readPassword } from "../../service/cli/lib/password.ts";
import { parseRequest } from "../../service/relayer/claims.ts";
import { RelayerError } from "../../service/relayer/errors.ts";
import { parseApproval } from "../../service/sdk/assessor.ts";
import { loadAssessorTreeFromServices } from "../../service/sdk/chain/tree-source.ts";
import { ErrorCode, HuzhuError } from "../../service/sdk/errors.ts";
import { loadDeployment } from "../../service/sdk/node.ts";

let dir: string;
/** A port on 127.0.0.1 that was just free: a listener opened there and closed again. */
let closedPort: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "huzhu-causes-"));
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closedPort = (server.address() as { port: number }).port;
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** What `run` throws (or rejects with), for assertions on it. */
async function caught(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error("expected a failure");
}

describe("SDK errors keep their cause", () => {
  it("a missing deployment record keeps the file system's ENOENT error", async () => {
    const path = join(dir, "absent.json");
    const error = await caught(() => loadDeployment(path));
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe(
      `cannot read the deployment record ${path} (ENOENT: no such file or directory, open '${path}'); run \`npm start\` or \`npm run deploy\` first, or pass the pool address`,
    );
    expect((error as Error).cause).toMatchObject({ code: "ENOENT", path });
    expect(error).toMatchObject({ name: "HuzhuError", code: ErrorCode.DeploymentRecordInvalid });
  });

  it("an approval file with a bad field refuses with INVALID_APPROVAL_FILE and keeps the field's own refusal", async () => {
    const error = await caught(() => parseApproval({ kind: "huzhu-approval", version: 1, planId: "abc" }));
    expect(error).toBeInstanceOf(HuzhuError);
    expect(error).toMatchObject({
      code: ErrorCode.InvalidApprovalFile,
      message: 'not a valid approval file: planId must be a decimal or 0x-hex integer, got "abc"',
    });
    const cause = (error as HuzhuError).cause;
    expect(cause).toBeInstanceOf(HuzhuError);
    expect(cause).toMatchObject({ code: ErrorCode.FieldOutOfRange, message: 'planId must be a decimal or 0x-hex integer, got "abc"' });
  });

  it("a tree service on a closed port refuses with TREE_SERVICE_FAILED, whose cause is the failed fetch", async () => {
    const server = `http://127.0.0.1:${closedPort}`;
    const ref = { client: createPublicClient({ transport: http(server) }), pool: "0x0000000000000000000000000000000000000001" } as const;
    const error = await caught(() => loadAssessorTreeFromServices(ref, 1n, { servers: [server], fallbackToEvents: false }));
    expect(error).toBeInstanceOf(HuzhuError);
    expect(error).toMatchObject({
      code: ErrorCode.TreeServiceFailed,
      message: "no tree service gave an assessor set that checks; read the pool's events",
    });
    const refusal = (error as HuzhuError).cause;
    expect(refusal).toBeInstanceOf(HuzhuError);
    expect(refusal).toMatchObject({
      code: ErrorCode.TreeServiceFailed,
      message: `the tree service at ${server}/v1/plans/1/assessors could not be reached (fetch failed); trying another source`,
    });
    const failed = (refusal as HuzhuError).cause;
    expect(failed).toBeInstanceOf(TypeError);
    expect(failed).toMatchObject({ message: "fetch failed", cause: { code: "ECONNREFUSED" } });
  });
});

describe("relayer errors keep their cause", () => {
  it("a claim request with a field missing refuses with FIELD_OUT_OF_RANGE and keeps the SDK's refusal", async () => {
    const error = await caught(() => parseRequest({ planId: "1" } as never));
    expect(error).toBeInstanceOf(RelayerError);
    expect(error).toMatchObject({ code: "FIELD_OUT_OF_RANGE", message: "request.claimEpoch is missing" });
    expect((error as RelayerError).cause).toBeInstanceOf(HuzhuError);
    expect((error as RelayerError).cause).toMatchObject({ message: "request.claimEpoch is missing" });
  });
});

describe("CLI errors keep their cause", () => {
  it("a missing --password-file refuses with PASSWORD_FILE and keeps the ENOENT error", async () => {
    const path = join(dir, "no-password.txt");
    const error = await caught(() => readPassword({ passwordFile: path }, { what: "identity" }));
    expect(error).toBeInstanceOf(CliError);
    expect(error).toMatchObject({ code: "PASSWORD_FILE", message: `cannot read the password file ${path} (ENOENT)` });
    expect((error as CliError).cause).toMatchObject({ code: "ENOENT", path });
  });

  it("a missing JSON file refuses with FILE_NOT_FOUND and keeps the ENOENT error", async () => {
    const path = join(dir, "no-keystore.json");
    const error = await caught(() => readJsonFile(path, "keystore", "run `huzhu identity new`"));
    expect(error).toBeInstanceOf(CliError);
    expect(error).toMatchObject({ code: "FILE_NOT_FOUND", message: `no keystore at ${path}`, hint: "run `huzhu identity new`" });
    expect((error as CliError).cause).toMatchObject({ code: "ENOENT", path });
  });
});
