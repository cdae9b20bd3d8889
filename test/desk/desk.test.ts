/**
 * The claims desk over real HTTP on 127.0.0.1 against a real local chain, with an SQLite store:
 * an assessor signs in and publishes its roster entry, a member files a sealed case with two
 * files, the assessor reads and opens it, asks for more, the member replies, the assessor approves,
 * and the member opens an approval the claim circuit would accept. Every refusal is asserted with
 * its code, and the desk's database holds no plaintext.
 */
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDeskApp, type DeskApp } from "../../service/desk/app.ts";
import { DeskChain } from "../../service/desk/chain.ts";
import { DESK_SCHEMA } from "../../service/desk/schema.ts";
import { DeskStore } from "../../service/desk/store.ts";
import { openSqlite } from "../../service/kit/sql.ts";
import { generateAssessorKey } from "../../service/sdk/assessor.ts";
import { fromBase64 } from "../../service/sdk/bytes.ts";
import { loadAssessorTree } from "../../service/sdk/chain/pool.ts";
import { openCaseEnvelope, openCaseFile, type SealedCase, sealCase } from "../../service/sdk/desk/case.ts";
import { DeskClient } from "../../service/sdk/desk/client.ts";
import { openDecision, sealApproval } from "../../service/sdk/desk/decision.ts";
import { deriveDeskKey, replyKeyFromSecret } from "../../service/sdk/desk/desk-key.ts";
import { signIn } from "../../service/sdk/desk/flows.ts";
import { openAssessorMessage, openMemberMessage, sealAssessorMessage, sealMemberMessage } from "../../service/sdk/desk/messages.ts";
import { checkRoster, createRosterEntry, type RosterEntry } from "../../service/sdk/desk/roster.ts";
import type { CaseReply, SessionReply } from "../../service/sdk/desk/schemas.ts";
import { signSignIn } from "../../service/sdk/desk/sign-in.ts";
import { pointJson } from "../../service/sdk/desk/wire-values.ts";
import { verifyApproval } from "../../service/sdk/index.ts";
import { type Stack, startStack } from "../../testkit/relayer-stack.ts";

const MARKER = "desk-plaintext-marker-7f3a";

let stack: Stack;
let app: DeskApp;
let url: string;
let dataDir: string;
const logLines: string[] = [];

beforeAll(async () => {
  stack = await startStack(1);
  dataDir = mkdtempSync(join(tmpdir(), "huzhu-desk-"));
  const db = await openSqlite(join(dataDir, "desk.sqlite"), DESK_SCHEMA);
  const log = pino({ level: "info" }, { write: (line: string) => void logLines.push(line) });
  app = await buildDeskApp({
    log,
    store: new DeskStore(db),
    chain: new DeskChain(stack.client, stack.pool, BigInt(stack.deployment.record.deployBlock)),
    chainId: stack.deployment.record.chainId,
    name: "Test desk",
    origin: "http://desk.test",
    sessionTtlSeconds: 3600,
    rateLimitPerMinute: 10_000,
  });
  app.addHook("onClose", () => db.close());
  url = await app.listen({ host: "127.0.0.1", port: 0 });
}, 180_000);

afterAll(async () => {
  if (app?.server.listening) await app.close();
  await stack?.chain.stop();
});

async function call(method: string, path: string, options: { token?: string; json?: unknown; body?: Uint8Array; type?: string } = {}) {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: BodyInit | undefined;
  if (options.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.json);
  } else if (options.body) {
    headers["content-type"] = options.type ?? "application/octet-stream";
    body = options.body as Uint8Array<ArrayBuffer>;
  }
  const response = await fetch(`${url}${path}`, { method, headers, body });
  const type = response.headers.get("content-type") ?? "";
  const payload = type.includes("json") ? await response.json() : new Uint8Array(await response.arrayBuffer());
  return { status: response.status, payload: payload as Record<string, unknown> & Uint8Array };
}

describe("claims desk", () => {
  let session: string;
  let roster: RosterEntry[];
  let sealed: SealedCase;
  let caseId: string;
  const pdf = new TextEncoder().encode(`%PDF-1.4 hospital bill ${MARKER} ${"x".repeat(50_000)}`);
  const photo = new Uint8Array(200_000).map((_, i) => (i * 31) % 251);

  it("signs an assessor in with a signature over a fresh challenge, once", async () => {
    const key = stack.deployment.assessor;
    const challenge = await call("POST", "/v1/auth/challenge", { json: { planId: "1", publicKey: pointJson(key.publicKey) } });
    const body = {
      challenge: challenge.payload,
      publicKey: pointJson(key.publicKey),
      signature: signSignIn(key, challenge.payload as never),
    };
    const first = await call("POST", "/v1/auth/session", { json: body });
    expect(first.status).toBe(200);
    session = (first.payload as unknown as SessionReply).token;
    expect(session).toMatch(/^s\./);
    // The same signed challenge again: used already.
    const replay = await call("POST", "/v1/auth/session", { json: body });
    expect(replay).toMatchObject({ status: 401, payload: { code: "DESK_CHALLENGE_INVALID" } });
  });

  it("refuses a sign-in signed by another key, and a key that is not the plan's assessor", async () => {
    const key = stack.deployment.assessor;
    const stranger = generateAssessorKey();
    const challenge = await call("POST", "/v1/auth/challenge", { json: { planId: "1", publicKey: pointJson(key.publicKey) } });
    const forged = await call("POST", "/v1/auth/session", {
      json: {
        challenge: challenge.payload,
        publicKey: pointJson(key.publicKey),
        signature: signSignIn(stranger, challenge.payload as never),
      },
    });
    expect(forged).toMatchObject({ status: 401, payload: { code: "DESK_SIGN_IN_INVALID" } });
    const outsider = await call("POST", "/v1/auth/challenge", { json: { planId: "1", publicKey: pointJson(stranger.publicKey) } });
    expect(outsider).toMatchObject({ status: 403, payload: { code: "DESK_NOT_AN_ASSESSOR" } });
    const noPlan = await call("POST", "/v1/auth/challenge", { json: { planId: "99", publicKey: pointJson(key.publicKey) } });
    expect(noPlan).toMatchObject({ status: 404, payload: { code: "DESK_PLAN_UNKNOWN" } });
  });

  it("has an assessor's client refuse a challenge that names another desk than the one it asked", async () => {
    // This desk names http://desk.test in its challenges but is reached at 127.0.0.1: to the client,
    // a desk relaying another desk's challenge.
    await expect(signIn(new DeskClient(url), stack.deployment.assessor, 1n)).rejects.toMatchObject({
      code: "DESK_SIGN_IN_INVALID",
      message: expect.stringContaining(`sent a challenge for http://desk.test: it is not this desk's own`),
    });
  });

  it("publishes the assessor's roster entry, which a member checks against the chain", async () => {
    const entry = await createRosterEntry(stack.deployment.assessor, 1n);
    expect((await call("PUT", "/v1/plans/1/roster", { json: entry })).status).toBe(401);
    const put = await call("PUT", "/v1/plans/1/roster", { token: session, json: entry });
    expect(put.status).toBe(200);
    // An entry for a key the desk operator made up is refused, even by a signed-in assessor.
    const planted = await createRosterEntry(generateAssessorKey(), 1n);
    expect(await call("PUT", "/v1/plans/1/roster", { token: session, json: planted })).toMatchObject({
      status: 422,
      payload: { code: "DESK_ROSTER_ENTRY_INVALID" },
    });
    const listed = await call("GET", "/v1/plans/1/roster");
    const tree = await loadAssessorTree({ client: stack.client, pool: stack.pool }, 1n);
    roster = checkRoster(listed.payload.entries as unknown as RosterEntry[], tree, 1n).accepted;
    expect(roster).toEqual([entry]);
  });

  it("files a sealed case with two files; assessors see it once both arrived", async () => {
    const member = stack.members[0];
    if (!member) throw new Error("no member");
    sealed = await sealCase({
      identity: member,
      planId: 1n,
      roster,
      details: { category: "medical", dateOfLoss: "2026-11-20", description: `Broken arm, ${MARKER}`, amount: 20_000_000n },
      files: [
        { name: "bill.pdf", type: "application/pdf", bytes: pdf },
        { name: "x-ray.png", type: "image/png", bytes: photo },
      ],
    });
    const body = { ...sealed.envelope, capabilityHash: sealed.capabilityHash };
    const created = await call("POST", "/v1/cases", { json: body });
    expect(created.status).toBe(201);
    caseId = created.payload.caseId as unknown as string;
    // A retry after a lost answer finds the same case; the same envelope under another capability does not.
    expect(await call("POST", "/v1/cases", { json: body })).toMatchObject({ status: 200, payload: { caseId } });
    expect(await call("POST", "/v1/cases", { json: { ...body, capabilityHash: "0".repeat(64) } })).toMatchObject({
      status: 409,
      payload: { code: "DESK_CASE_EXISTS" },
    });
    const first = await call("PUT", `/v1/cases/${caseId}/files/0`, { token: sealed.capability, body: sealed.files[0] });
    expect(first.payload).toMatchObject({ status: "uploading", missing: 1 });
    expect((await call("GET", "/v1/plans/1/cases", { token: session })).payload.cases).toEqual([]);
    const second = await call("PUT", `/v1/cases/${caseId}/files/1`, { token: sealed.capability, body: sealed.files[1] });
    expect(second.payload).toMatchObject({ status: "new", missing: 0 });
    const queue = await call("GET", "/v1/plans/1/cases?status=new", { token: session });
    expect(queue.payload.cases).toEqual([expect.objectContaining({ caseId, status: "new", files: 2, messages: 0 })]);
  });

  it("refuses a file that is not the declared one, an undeclared index, and a stranger's token", async () => {
    const tampered = (sealed.files[0] as Uint8Array).slice();
    tampered[10] = ((tampered[10] ?? 0) + 1) % 256;
    expect(await call("PUT", `/v1/cases/${caseId}/files/0`, { token: sealed.capability, body: tampered })).toMatchObject({
      status: 422,
      payload: { code: "DESK_FILE_MISMATCH" },
    });
    expect(await call("PUT", `/v1/cases/${caseId}/files/5`, { token: sealed.capability, body: tampered })).toMatchObject({
      status: 404,
      payload: { code: "DESK_FILE_NOT_DECLARED" },
    });
    const stranger = Buffer.alloc(32, 7).toString("base64");
    expect(await call("GET", `/v1/cases/${caseId}`, { token: stranger })).toMatchObject({
      status: 404,
      payload: { code: "DESK_CASE_NOT_FOUND" },
    });
    expect(await call("GET", `/v1/cases/${caseId}`)).toMatchObject({ status: 401, payload: { code: "DESK_UNAUTHORIZED" } });
    expect(await call("GET", `/v1/cases/${caseId}`, { token: "s.made-up-session-token" })).toMatchObject({
      status: 401,
      payload: { code: "DESK_SESSION_INVALID" },
    });
    expect(
      await call("POST", `/v1/cases/${caseId}/decision`, {
        token: sealed.capability,
        json: { kind: "decline", sealed: { from: "assessor", enc: sealed.envelope.recipients[0]?.enc, body: "AAAA" } },
      }),
    ).toMatchObject({
      status: 403,
      payload: { code: "DESK_FORBIDDEN" },
    });
  });

  it("lets the assessor open the case and its files; asks for more; the member replies; the assessor approves", async () => {
    const assessor = stack.deployment.assessor;
    const deskKey = await deriveDeskKey(assessor);
    const got = await call("GET", `/v1/cases/${caseId}`, { token: session });
    expect(got.status).toBe(200);
    const reply = got.payload as unknown as CaseReply;
    const opened = await openCaseEnvelope(reply, deskKey);
    expect(opened.document.description).toBe(`Broken arm, ${MARKER}`);
    expect(opened.document.commitment).toBe(stack.members[0]?.commitment);
    const file = await call("GET", `/v1/cases/${caseId}/files/1`, { token: session });
    expect(await openCaseFile(opened, 1, file.payload)).toEqual(photo);

    const ref = { planId: 1n, caseId };
    const ask = await sealAssessorMessage({
      ...ref,
      assessorKey: assessor,
      replyPublicKey: opened.document.replyPublicKey,
      text: "Please send the discharge letter.",
    });
    // A member cannot post as the assessor, nor an assessor as the member.
    expect(await call("POST", `/v1/cases/${caseId}/messages`, { token: sealed.capability, json: { sealed: ask } })).toMatchObject({
      status: 422,
      payload: { code: "DESK_WRONG_SENDER" },
    });
    expect(await call("POST", `/v1/cases/${caseId}/messages`, { token: session, json: { sealed: ask } })).toMatchObject({
      status: 200,
      payload: { index: 0, status: "more-asked" },
    });

    const member = stack.members[0];
    if (!member) throw new Error("no member");
    const replyKey = await replyKeyFromSecret(sealed.replySecret);
    const mine = await call("GET", `/v1/cases/${caseId}`, { token: sealed.capability });
    const asked = (mine.payload as unknown as CaseReply).messages[0]?.sealed;
    if (asked?.from !== "assessor") throw new Error("expected the assessor's message");
    expect((await openAssessorMessage(asked, replyKey, ref)).text).toBe("Please send the discharge letter.");
    const letter = new TextEncoder().encode(`discharge letter ${MARKER}`);
    const answer = await sealMemberMessage({
      ...ref,
      identity: member,
      roster,
      text: `Attached. ${MARKER}`,
      attachments: [{ name: "letter.txt", type: "text/plain", bytes: letter }],
    });
    expect(await call("POST", `/v1/cases/${caseId}/messages`, { token: sealed.capability, json: { sealed: answer } })).toMatchObject({
      status: 200,
      payload: { index: 1, status: "replied" },
    });
    const again = (await call("GET", `/v1/cases/${caseId}`, { token: session })).payload as unknown as CaseReply;
    const fromMember = again.messages[1]?.sealed;
    if (fromMember?.from !== "member") throw new Error("expected the member's message");
    const read = await openMemberMessage(fromMember, deskKey, { ...ref, commitment: member.commitment });
    expect(read.attachments[0]?.bytes).toEqual(letter);

    const decision = await sealApproval({
      ...ref,
      assessorKey: assessor,
      replyPublicKey: opened.document.replyPublicKey,
      commitment: opened.document.commitment,
      eventId: opened.document.eventId,
      amount: 15_000_000n,
      expiresAtEpoch: 5n,
    });
    expect(await call("POST", `/v1/cases/${caseId}/decision`, { token: session, json: decision })).toMatchObject({
      status: 200,
      payload: { status: "approved" },
    });
    expect(await call("POST", `/v1/cases/${caseId}/decision`, { token: session, json: decision })).toMatchObject({
      status: 409,
      payload: { code: "DESK_CASE_DECIDED" },
    });
    const final = (await call("GET", `/v1/cases/${caseId}`, { token: sealed.capability })).payload as unknown as CaseReply;
    expect(final.status).toBe("approved");
    if (!final.decision) throw new Error("expected the decision");
    const opened2 = await openDecision({ kind: final.decision.kind, sealed: final.decision.sealed }, replyKey, {
      ...ref,
      commitment: member.commitment,
      eventId: sealed.document.eventId,
    });
    if (opened2.kind !== "approve") throw new Error("expected an approval");
    expect(opened2.approval.amount).toBe(15_000_000n);
    expect(verifyApproval(opened2.approval)).toBe(true);
  });

  it("answers malformed JSON, an unknown field and an unknown route with their codes, never a 5xx", async () => {
    const bad = await fetch(`${url}/v1/cases`, { method: "POST", headers: { "content-type": "application/json" }, body: "{" });
    expect(bad.status).toBe(400);
    expect((await bad.json()).code).toBe("INVALID_JSON");
    expect(await call("POST", "/v1/cases", { json: { planId: "1", extra: true } })).toMatchObject({
      status: 400,
      payload: { code: "INVALID_BODY" },
    });
    expect(await call("GET", "/v1/nothing")).toMatchObject({ status: 404, payload: { code: "NOT_FOUND" } });
    const outOfField = await call("POST", "/v1/auth/challenge", { json: { planId: "1", publicKey: [`${2n ** 255n}`, "1"] } });
    expect(outOfField).toMatchObject({ status: 400, payload: { code: "INVALID_BODY" } });
  });

  it("keeps no plaintext at rest or in its logs, and logs no client address", async () => {
    await app.close();
    const files = readdirSync(dataDir).map((name) => readFileSync(join(dataDir, name)));
    expect(files.length).toBeGreaterThan(0);
    for (const bytes of files) expect(bytes.includes(Buffer.from(MARKER))).toBe(false);
    const log = logLines.join("");
    expect(log).not.toContain(MARKER);
    // Request lines name the route pattern: no client address or port, no case id.
    expect(log).toContain('"route":"/v1/cases/:caseId"');
    expect(log).not.toMatch(/remoteAddress|remotePort/);
    expect(log).not.toContain(caseId);
    expect(fromBase64(sealed.capability).length).toBe(32);
    expect(log).not.toContain(sealed.capability);
  });
});
