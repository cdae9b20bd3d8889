/**
 * The desk's client steps end to end against a real HTTP server on 127.0.0.1 that keeps cases in
 * memory and validates every request with the SDK's desk schemas (the API the desk implements):
 * a member files a case with two files, the assessor signs in, opens it, asks for more, the member
 * replies, the assessor approves, the member reads the approval.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { TSchema } from "typebox";
import { Value } from "typebox/value";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateAssessorKey } from "../../service/sdk/assessor.ts";
import {
  approveCase,
  askForMore,
  type CaseProgress,
  type CaseReply,
  CreateCaseBody,
  capabilityHash,
  createChallenge,
  DecisionBody,
  DeskClient,
  DeskRequestError,
  decodePoint,
  fileCase,
  MessageBody,
  openCaseAsAssessor,
  openCaseAsMember,
  PutRosterBody,
  publishRosterEntry,
  readDecision,
  replyAsMember,
  SessionBody,
  signIn,
  verifyRosterEntry,
  verifySignIn,
} from "../../service/sdk/desk/index.ts";
import { createIdentity } from "../../service/sdk/identity.ts";
import { AssessorTree } from "../../service/sdk/trees.ts";

const PLAN = 1n;
const assessor = generateAssessorKey();
const tree = AssessorTree.from([assessor.publicKey]);
const roster: unknown[] = [];
const sessions = new Set<string>();
const cases = new Map<
  string,
  { body: CreateCaseBody; files: (Uint8Array | undefined)[]; status: string; messages: unknown[]; decision?: unknown }
>();
let server: Server;
let client: DeskClient;

function caseView(caseId: string): CaseReply {
  const c = cases.get(caseId);
  if (!c) throw new Error("no case");
  const now = new Date().toISOString();
  return {
    caseId,
    planId: c.body.planId,
    envelopeId: c.body.envelopeId,
    status: c.status as CaseReply["status"],
    createdAt: now,
    updatedAt: now,
    recipients: c.body.recipients,
    document: c.body.document,
    files: c.body.files.map((f) => ({ ...f, received: c.files[f.index] !== undefined })),
    messages: c.messages as CaseReply["messages"],
    ...(c.decision ? { decision: c.decision as CaseReply["decision"] } : {}),
  };
}

function handle(req: IncomingMessage, res: ServerResponse, raw: Buffer) {
  const reply = (status: number, value: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(value));
  };
  const refuse = (status: number, code: string) => reply(status, { statusCode: status, code, error: "refused", message: code });
  const json = <S extends TSchema>(schema: S): unknown => {
    const body = JSON.parse(raw.toString("utf8"));
    if (!Value.Check(schema, body)) throw Object.assign(new Error("bad body"), { status: 400 });
    return body;
  };
  const token = req.headers.authorization?.replace(/^Bearer /, "") ?? "";
  const url = req.url ?? "";
  if (url === `/v1/plans/${PLAN}/roster` && req.method === "GET") return reply(200, { planId: PLAN.toString(), entries: roster });
  if (url === `/v1/plans/${PLAN}/committees` && req.method === "GET") return reply(200, { planId: PLAN.toString(), committees: [] });
  if (url === `/v1/plans/${PLAN}/roster` && req.method === "PUT") {
    if (!sessions.has(token)) return refuse(401, "SESSION_REQUIRED");
    const entry = json(PutRosterBody) as Parameters<typeof verifyRosterEntry>[0];
    verifyRosterEntry(entry, tree);
    roster.push(entry);
    return reply(200, entry);
  }
  // The challenge names the desk by the address the client reached it at, as a real desk does.
  if (url === "/v1/auth/challenge") return reply(200, createChallenge(`http://${req.headers.host}`, PLAN));
  if (url === "/v1/auth/session") {
    const body = json(SessionBody) as SessionBody;
    verifySignIn(body.challenge, body.signature, decodePoint(body.publicKey, "publicKey"));
    const t = randomBytes(24).toString("base64url");
    sessions.add(t);
    return reply(200, { token: t, expiresAt: Math.floor(Date.now() / 1000) + 3600 });
  }
  if (url === "/v1/cases" && req.method === "POST") {
    const body = json(CreateCaseBody) as CreateCaseBody;
    const caseId = randomBytes(16).toString("base64url");
    cases.set(caseId, { body, files: [], status: body.files.length ? "uploading" : "new", messages: [] });
    return reply(200, { caseId });
  }
  const canRead = (caseId: string) => sessions.has(token) || cases.get(caseId)?.body.capabilityHash === safeHash(token);
  const fileMatch = /^\/v1\/cases\/([^/]+)\/files\/(\d+)$/.exec(url);
  if (fileMatch) {
    const [, caseId = "", index = "0"] = fileMatch;
    const c = cases.get(caseId);
    if (!c || !canRead(caseId)) return refuse(404, "CASE_NOT_FOUND");
    if (req.method === "PUT") {
      c.files[Number(index)] = new Uint8Array(raw);
      const missing = c.body.files.filter((f) => !c.files[f.index]).length;
      if (missing === 0) c.status = "new";
      return reply(200, { caseId, index: Number(index), status: c.status, missing });
    }
    res.writeHead(200, { "content-type": "application/octet-stream" });
    return res.end(c.files[Number(index)]);
  }
  const caseMatch = /^\/v1\/cases\/([^/]+)(\/messages|\/decision)?$/.exec(url);
  if (caseMatch) {
    const [, caseId = "", sub] = caseMatch;
    const c = cases.get(caseId);
    if (!c || !canRead(caseId)) return refuse(404, "CASE_NOT_FOUND");
    if (sub === "/messages") {
      const body = json(MessageBody) as MessageBody;
      c.messages.push({ index: c.messages.length, sentAt: new Date().toISOString(), sealed: body.sealed });
      c.status = body.sealed.from === "assessor" ? "more-asked" : "replied";
      return reply(200, { index: c.messages.length - 1, status: c.status });
    }
    if (sub === "/decision") {
      const body = json(DecisionBody) as DecisionBody;
      c.decision = { ...body, decidedAt: new Date().toISOString() };
      c.status = body.kind === "approve" ? "approved" : "declined";
      return reply(200, { status: c.status });
    }
    return reply(200, caseView(caseId));
  }
  return refuse(404, "NOT_FOUND");
}

function safeHash(token: string): string | undefined {
  try {
    return capabilityHash(token);
  } catch {
    return undefined;
  }
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      try {
        handle(req, res, Buffer.concat(chunks));
      } catch (error) {
        res.writeHead((error as { status?: number }).status ?? 422, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            statusCode: 422,
            code: (error as { code?: string }).code ?? "BAD_REQUEST",
            error: "refused",
            message: String(error),
          }),
        );
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  client = new DeskClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("desk client steps", () => {
  it("take a case from filing to an approval the member can claim with", async () => {
    const session = { client, assessorKey: assessor, token: (await signIn(client, assessor, PLAN)).token };
    await publishRosterEntry(client, session.token, assessor, PLAN);

    const member = createIdentity();
    const pdf = { name: "invoice.pdf", type: "application/pdf", bytes: new TextEncoder().encode("%PDF school invoice") };
    const photo = { name: "damage.jpg", type: "image/jpeg", bytes: Uint8Array.from({ length: 200_000 }, (_, i) => (i * 7) & 0xff) };
    const progress: CaseProgress[] = [];
    const filed = await fileCase({
      client,
      identity: member,
      planId: PLAN,
      assessorTree: tree,
      details: { category: "education", dateOfLoss: "2026-10-20", description: "term fees", amount: 5_000n },
      files: [pdf, photo],
      onProgress: (p) => progress.push(p),
    });
    expect(progress.at(-1)).toMatchObject({ stage: "upload", file: 1 });
    expect(progress.filter((p) => p.stage === "encrypt")).toHaveLength(2);

    const view = await openCaseAsAssessor(session, filed.caseId);
    expect(view.status).toBe("new");
    expect(view.files.map((f) => f.bytes)).toEqual([pdf.bytes, photo.bytes]);
    expect(view.opened.document.commitment).toBe(member.commitment);

    await askForMore(session, view, "please add the school's letter");
    const ctx = { client, identity: member, record: filed.record, assessorTree: tree };
    const followed = await openCaseAsMember(ctx);
    expect(followed.status).toBe("more-asked");
    expect(followed.thread[0]).toMatchObject({ from: "assessor", message: { text: "please add the school's letter" } });

    const letter = { name: "letter.pdf", type: "application/pdf", bytes: new TextEncoder().encode("%PDF letter") };
    await replyAsMember(ctx, "here it is", [letter]);
    const again = await openCaseAsAssessor(session, filed.caseId, { files: false });
    expect(again.thread[1]).toMatchObject({ from: "member", message: { text: "here it is", attachments: [letter] } });

    expect(await readDecision(ctx)).toBeUndefined();
    await approveCase(session, again, { amount: 4_000n, expiresAtEpoch: 100n });
    const decision = await readDecision(ctx);
    expect(decision).toMatchObject({
      kind: "approve",
      approval: { amount: 4_000n, commitment: member.commitment, eventId: filed.eventId, planId: PLAN },
    });
  });

  it("refuses a reply that is not what the API promises with BAD_REPLY, and passes on the desk's codes", async () => {
    await expect(new DeskClient(client.baseUrl).getCase("no_such_case_00001", { capability: "x" })).rejects.toMatchObject({
      code: "CASE_NOT_FOUND",
      statusCode: 404,
    });
    const lying = new DeskClient("http://127.0.0.1:1", {
      fetch: async () => new Response(JSON.stringify({ planId: "1", entries: [{ planId: 1 }] }), { status: 200 }),
    });
    await expect(lying.roster(PLAN)).rejects.toBeInstanceOf(DeskRequestError);
    await expect(lying.roster(PLAN)).rejects.toMatchObject({ code: "BAD_REPLY" });
  });
});
