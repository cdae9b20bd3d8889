/**
 * The desk under bad input and faults: fuzzed requests to every route never get a 5xx, oversized
 * files and cases get a 413 with their code, and a desk killed in the middle of an upload comes
 * back with the case as it was (the file not half-stored), ready for the member to send it again.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/lib/stack.ts";
import { buildDeskApp, type DeskApp } from "../../service/desk/app.ts";
import { DeskChain } from "../../service/desk/chain.ts";
import { DESK_SCHEMA } from "../../service/desk/schema.ts";
import { DeskStore } from "../../service/desk/store.ts";
import { openSqlite } from "../../service/kit/sql.ts";
import { type SealedCase, sealCase } from "../../service/sdk/desk/case.ts";
import { DESK_LIMITS, sealedSize } from "../../service/sdk/desk/limits.ts";
import { createRosterEntry } from "../../service/sdk/desk/roster.ts";
import type { CaseReply } from "../../service/sdk/desk/schemas.ts";
import { type Stack, startStack, until } from "../../testkit/relayer-stack.ts";

let stack: Stack;
let app: DeskApp;

beforeAll(async () => {
  stack = await startStack(1);
  const db = await openSqlite(join(mkdtempSync(join(tmpdir(), "huzhu-desk-faults-")), "desk.sqlite"), DESK_SCHEMA);
  app = await buildDeskApp({
    log: pino({ level: "silent" }),
    store: new DeskStore(db),
    chain: new DeskChain(stack.client, stack.pool, BigInt(stack.deployment.record.deployBlock)),
    chainId: stack.deployment.record.chainId,
    name: "Fault desk",
    origin: "http://desk.test",
    sessionTtlSeconds: 3600,
    rateLimitPerMinute: 1_000_000,
  });
  app.addHook("onClose", () => db.close());
  await app.ready();
}, 180_000);

afterAll(async () => {
  await app?.close();
  await stack?.chain.stop();
});

async function sealOne(bytes: Uint8Array): Promise<SealedCase> {
  const member = stack.members[0];
  if (!member) throw new Error("no member");
  return sealCase({
    identity: member,
    planId: 1n,
    roster: [await createRosterEntry(stack.deployment.assessor, 1n)],
    details: { category: "medical", dateOfLoss: "2026-11-01", description: "A fall", amount: 1_000_000n },
    files: [{ name: "scan.bin", type: "application/octet-stream", bytes }],
  });
}

describe("desk faults", () => {
  it("never answers 5xx to fuzzed requests on any route", async () => {
    const id = fc.oneof(fc.string({ maxLength: 80 }), fc.constantFrom("1", "0", "99", "AAAAAAAAAAAAAAAAAAAAAAAA", "%zz", "-1"));
    const token = fc.oneof(
      fc.constant(undefined),
      fc.string({ maxLength: 60 }),
      fc.constantFrom("Bearer s.x", `Bearer ${"A".repeat(43)}=`, "Basic x"),
    );
    const route = fc.record({
      method: fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH"),
      path: fc.oneof(
        id.map((v) => `/v1/plans/${encodeURIComponent(v)}/roster`),
        id.map((v) => `/v1/plans/${encodeURIComponent(v)}/cases?status=${encodeURIComponent(v)}`),
        id.map((v) => `/v1/cases/${encodeURIComponent(v)}`),
        fc.tuple(id, id).map(([a, b]) => `/v1/cases/${encodeURIComponent(a)}/files/${encodeURIComponent(b)}`),
        id.map((v) => `/v1/cases/${encodeURIComponent(v)}/messages`),
        id.map((v) => `/v1/cases/${encodeURIComponent(v)}/decision`),
        fc.constantFrom("/v1/cases", "/v1/auth/challenge", "/v1/auth/session", "/v1/info", "/ready"),
      ),
      body: fc.oneof(
        fc.jsonValue({ maxDepth: 5 }).map((v) => JSON.stringify(v)),
        fc.string({ maxLength: 200 }),
        fc
          .record({
            planId: fc.oneof(fc.string(), fc.bigInt().map(String)),
            publicKey: fc.array(fc.oneof(fc.string(), fc.bigInt({ min: 0n, max: 1n << 300n }).map(String)), { maxLength: 3 }),
            challenge: fc.jsonValue({ maxDepth: 2 }),
            signature: fc.jsonValue({ maxDepth: 2 }),
            sealed: fc.jsonValue({ maxDepth: 2 }),
          })
          .map((v) => JSON.stringify(v)),
      ),
      type: fc.constantFrom("application/json", "application/octet-stream", "text/plain", undefined),
      authorization: token,
    });
    await fc.assert(
      fc.asyncProperty(route, async ({ method, path, body, type, authorization }) => {
        const headers: Record<string, string> = {};
        if (type) headers["content-type"] = type;
        if (authorization) headers.authorization = authorization;
        const reply = await app.inject({
          method: method as "GET",
          url: path,
          headers,
          ...(method === "GET" ? {} : { payload: body }),
        });
        // 503 only ever means the chain could not be read, never a crash: the chain is up here.
        expect(reply.statusCode, `${method} ${path} -> ${reply.body}`).toBeLessThan(500);
        if (reply.statusCode >= 400) expect(typeof reply.json().code).toBe("string");
      }),
      { numRuns: 400 },
    );
    expect((await app.inject({ url: "/health" })).statusCode).toBe(200);
  });

  it("refuses a file over the desk's limit with 413 BODY_TOO_LARGE, and a case over it with 413 DESK_TOO_LARGE", async () => {
    const sealed = await sealOne(new Uint8Array(1000));
    const created = await app.inject({
      method: "POST",
      url: "/v1/cases",
      payload: { ...sealed.envelope, capabilityHash: sealed.capabilityHash },
    });
    expect(created.statusCode).toBe(201);
    const { caseId } = created.json();
    const big = await app.inject({
      method: "PUT",
      url: `/v1/cases/${caseId}/files/0`,
      headers: { "content-type": "application/octet-stream", authorization: `Bearer ${sealed.capability}` },
      payload: Buffer.alloc(sealedSize(DESK_LIMITS.maxFileBytes) + 1),
    });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({ code: "BODY_TOO_LARGE" });
    // Three files of 10 MiB declared: over the 25 MiB a case holds, refused before any upload.
    const files = [0, 1, 2].map((index) => ({ index, bytes: sealedSize(DESK_LIMITS.maxFileBytes), sha256: "ab".repeat(32) }));
    const tooMuch = await app.inject({
      method: "POST",
      url: "/v1/cases",
      payload: { ...sealed.envelope, envelopeId: "AAAAAAAAAAAAAAAAAAAAAA==", files, capabilityHash: sealed.capabilityHash },
    });
    expect(tooMuch.statusCode).toBe(413);
    expect(tooMuch.json()).toMatchObject({ code: "DESK_TOO_LARGE" });
    // A declared file numbering with a gap is refused too.
    const gap = await app.inject({
      method: "POST",
      url: "/v1/cases",
      payload: {
        ...sealed.envelope,
        envelopeId: "AAAAAAAAAAAAAAAAAAAAAQ==",
        files: [{ ...files[0], index: 1 }],
        capabilityHash: sealed.capabilityHash,
      },
    });
    expect(gap.json()).toMatchObject({ statusCode: 400, code: "INVALID_BODY" });
  });
});

describe("a desk killed in the middle of an upload", () => {
  let child: ChildProcess | undefined;
  let port: number;
  const dataDir = mkdtempSync(join(tmpdir(), "huzhu-desk-restart-"));

  async function startDesk(): Promise<string> {
    port = port ?? (await freePort());
    child = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", "service/desk/server.ts"], {
      env: {
        ...process.env,
        HUZHU_RPC_URL: stack.chain.rpcUrl,
        HUZHU_POOL: stack.pool,
        HUZHU_FROM_BLOCK: String(stack.deployment.record.deployBlock),
        HUZHU_DESK_PORT: String(port),
        HUZHU_DESK_DATA_DIR: dataDir,
        HUZHU_LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    const url = `http://127.0.0.1:${port}`;
    await until(
      () =>
        fetch(`${url}/ready`).then(
          (r) => r.status,
          () => 0,
        ),
      (status) => status === 200,
      "the desk's readiness",
      60_000,
    );
    return url;
  }

  afterAll(() => {
    child?.kill("SIGKILL");
  });

  it("keeps the case as it was, without the half-sent file, and takes the whole file after the restart", async () => {
    let url = await startDesk();
    const evidence = new Uint8Array(3 * 1024 * 1024).map((_, i) => i % 253);
    const sealed = await sealOne(evidence);
    const created = await fetch(`${url}/v1/cases`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...sealed.envelope, capabilityHash: sealed.capabilityHash }),
    });
    expect(created.status).toBe(201);
    const { caseId } = (await created.json()) as { caseId: string };
    const file = sealed.files[0] as Uint8Array;

    // Half the file on a raw connection, then the desk is killed before the rest arrives.
    const socket = connect(port, "127.0.0.1");
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    socket.write(
      `PUT /v1/cases/${caseId}/files/0 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${sealed.capability}\r\n` +
        `Content-Type: application/octet-stream\r\nContent-Length: ${file.length}\r\n\r\n`,
    );
    await new Promise<void>((resolve) => socket.write(file.subarray(0, file.length / 2), () => resolve()));
    socket.on("error", () => undefined);
    const exited = new Promise((resolve) => child?.once("exit", resolve));
    child?.kill("SIGKILL");
    await exited;
    socket.destroy();

    url = await startDesk();
    const auth = { authorization: `Bearer ${sealed.capability}` };
    const after = (await (await fetch(`${url}/v1/cases/${caseId}`, { headers: auth })).json()) as CaseReply;
    expect(after.status).toBe("uploading");
    expect(after.files).toEqual([{ ...sealed.envelope.files[0], received: false }]);
    expect(after.document).toBe(sealed.envelope.document);
    const missing = await fetch(`${url}/v1/cases/${caseId}/files/0`, { headers: auth });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { code: string }).code).toBe("DESK_FILE_NOT_DECLARED");

    const put = await fetch(`${url}/v1/cases/${caseId}/files/0`, {
      method: "PUT",
      headers: { ...auth, "content-type": "application/octet-stream" },
      body: file as Uint8Array<ArrayBuffer>,
    });
    expect(await put.json()).toEqual({ caseId, index: 0, status: "new", missing: 0 });
    const stored = new Uint8Array(await (await fetch(`${url}/v1/cases/${caseId}/files/0`, { headers: auth })).arrayBuffer());
    expect(stored).toEqual(file);
  }, 180_000);
});
