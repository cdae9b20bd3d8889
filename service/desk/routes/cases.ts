/**
 * Cases: filed by members (sealed on their devices), reviewed and decided by the plan's assessors.
 * A member reaches its case with the capability only its device holds; an assessor with a session
 * for the case's plan. The desk checks sizes, hashes and who may write, and stores ciphertext.
 *
 *   POST /cases                          file a case (its sealed document, wrapped keys, declared files)
 *   PUT  /cases/:caseId/files/:index     one declared file's sealed body (application/octet-stream)
 *   GET  /cases/:caseId                  the case (member or assessor)
 *   GET  /cases/:caseId/files/:index     a file's sealed body
 *   POST /cases/:caseId/messages         a message (member to assessors, or assessor to member)
 *   POST /cases/:caseId/decision         approve or decline (assessor)
 *   GET  /plans/:planId/cases            the plan's queue (assessor)
 */
import { randomBytes } from "node:crypto";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyRequest } from "fastify";
import { fromBase64, toBase64 } from "../../sdk/bytes.ts";
import { DESK_LIMITS, sealedSize } from "../../sdk/desk/limits.ts";
import {
  CaseParams,
  CaseReply,
  CreateCaseBody,
  CreateCaseReply,
  DecisionBody,
  DecisionReply,
  ErrorReply,
  FileParams,
  MessageBody,
  MessageReply,
  PlanParams,
  PutFileReply,
  QueueQuery,
  QueueReply,
  type SealedMessage,
} from "../../sdk/desk/schemas.ts";
import { type Caller, sameDigest, sha256Hex } from "../auth.ts";
import { DeskError, DeskErrorCode } from "../errors.ts";
import type { CaseRecord } from "../store.ts";
import { requireCommitteeDecision } from "./committees.ts";

const errors = {
  400: ErrorReply,
  401: ErrorReply,
  403: ErrorReply,
  404: ErrorReply,
  409: ErrorReply,
  413: ErrorReply,
  422: ErrorReply,
  503: ErrorReply,
};

/** The largest JSON body of a message: a member's message may carry attachments (base64 of sealed bytes). */
const MESSAGE_BODY_LIMIT = Math.ceil((sealedSize(DESK_LIMITS.maxMemberMessageBytes + DESK_LIMITS.maxDocumentBytes) * 4) / 3) + 64 * 1024;
const FILE_BODY_LIMIT = sealedSize(DESK_LIMITS.maxFileBytes);
/** A whole case as sealed: its document and every file. */
const CASE_SEALED_LIMIT = sealedSize(DESK_LIMITS.maxCaseBytes) + DESK_LIMITS.maxFiles * sealedSize(0);

const iso = (ms: number) => new Date(ms).toISOString();

function notFound(caseId: string): DeskError {
  return new DeskError(
    DeskErrorCode.CaseNotFound,
    `no case ${caseId} at this desk that this token opens; check the case id and its capability`,
  );
}

export const caseRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { deps, metrics, caller } = app.desk;
  const { store, chain } = deps;

  /** The case if the caller may see it: its member (capability), or an assessor of its plan. Otherwise 404, saying nothing of whether it exists. */
  async function reach(request: FastifyRequest, caseId: string): Promise<{ record: CaseRecord; who: Caller }> {
    const who = await caller(request);
    const record = await store.getCase(caseId);
    if (!record) throw notFound(caseId);
    if (who.kind === "member" ? !sameDigest(who.capabilityHash, record.capabilityHash) : who.planId !== record.planId)
      throw notFound(caseId);
    return { record, who };
  }

  function requireAssessor(who: Caller, what: string): asserts who is Extract<Caller, { kind: "assessor" }> {
    if (who.kind !== "assessor")
      throw new DeskError(DeskErrorCode.Forbidden, `only the plan's assessors ${what}; sign in at /v1/auth/session`);
  }

  app.post(
    "/cases",
    { schema: { tags: ["cases"], body: CreateCaseBody, response: { 200: CreateCaseReply, 201: CreateCaseReply, ...errors } } },
    async (request, reply) => {
      const body = request.body;
      await chain.requirePlan(BigInt(body.planId));
      const indices = body.files.map((file) => file.index).sort((a, b) => a - b);
      if (indices.some((index, i) => index !== i)) {
        throw new DeskError(DeskErrorCode.InvalidBody, "files must be numbered 0, 1, 2, … once each, in any order");
      }
      const document = fromBase64(body.document);
      const total = document.length + body.files.reduce((sum, file) => sum + file.bytes, 0);
      if (total > CASE_SEALED_LIMIT) {
        throw new DeskError(
          DeskErrorCode.TooLarge,
          `the case is ${total} bytes sealed, over the desk's ${DESK_LIMITS.maxCaseBytes} bytes of evidence a case; leave out or shrink some files`,
        );
      }
      const caseId = randomBytes(18).toString("base64url");
      const result = await store.createCase({
        id: caseId,
        planId: body.planId,
        envelopeId: body.envelopeId,
        capabilityHash: body.capabilityHash,
        recipients: JSON.stringify(body.recipients),
        document,
        files: body.files.map((file) => ({ index: file.index, bytes: file.bytes, sha256: file.sha256 })),
      });
      if (result.created) {
        metrics.casesFiled.inc();
        request.log.info({ plan: body.planId, files: body.files.length, bytes: total }, "case filed");
      }
      return reply.code(result.created ? 201 : 200).send({ caseId: result.caseId });
    },
  );

  app.put(
    "/cases/:caseId/files/:index",
    {
      bodyLimit: FILE_BODY_LIMIT,
      schema: { tags: ["cases"], params: FileParams, response: { 200: PutFileReply, ...errors } },
    },
    async (request) => {
      const { caseId } = request.params;
      const index = Number(request.params.index);
      if (request.headers["content-type"] !== "application/octet-stream") {
        throw new DeskError(DeskErrorCode.UnsupportedMediaType, "send the sealed file as application/octet-stream");
      }
      const { record, who } = await reach(request, caseId);
      if (who.kind !== "member") throw new DeskError(DeskErrorCode.Forbidden, "only the case's member uploads its files");
      const declared = record.files.find((file) => file.index === index);
      if (!declared) {
        throw new DeskError(
          DeskErrorCode.FileNotDeclared,
          `the case declared ${record.files.length} files (0 to ${record.files.length - 1}); there is no file ${index}`,
        );
      }
      const body = request.body as Buffer;
      const bytes = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
      if (bytes.length !== declared.bytes || sha256Hex(bytes) !== declared.sha256) {
        throw new DeskError(
          DeskErrorCode.FileMismatch,
          `file ${index} arrived as ${bytes.length} bytes with another hash than the ${declared.bytes} bytes declared; send the sealed file again, whole`,
        );
      }
      const result = await store.putFile(caseId, index, bytes);
      metrics.fileBytes.inc(bytes.length);
      return { caseId, index, status: result.status, missing: result.missing };
    },
  );

  app.get(
    "/cases/:caseId",
    { schema: { tags: ["cases"], params: CaseParams, response: { 200: CaseReply, ...errors } } },
    async (request) => {
      const { record } = await reach(request, request.params.caseId);
      const messages = await store.messages(record.id);
      return {
        caseId: record.id,
        planId: record.planId,
        envelopeId: record.envelopeId,
        status: record.status,
        createdAt: iso(record.createdAt),
        updatedAt: iso(record.updatedAt),
        recipients: JSON.parse(record.recipients),
        document: toBase64(record.document),
        files: record.files.map((file) => ({ ...file, received: record.received.has(file.index) })),
        messages: messages.map((message) => ({
          index: message.index,
          sentAt: iso(message.sentAt),
          sealed: JSON.parse(new TextDecoder().decode(message.sealed)) as SealedMessage,
        })),
        ...(record.decisionKind && record.decision && record.decidedAt !== null
          ? {
              decision: {
                kind: record.decisionKind,
                decidedAt: iso(record.decidedAt),
                sealed: JSON.parse(new TextDecoder().decode(record.decision)),
              },
            }
          : {}),
      };
    },
  );

  app.get("/cases/:caseId/files/:index", { schema: { tags: ["cases"], params: FileParams } }, async (request, reply) => {
    const { record } = await reach(request, request.params.caseId);
    const index = Number(request.params.index);
    const body = await store.getFile(record.id, index);
    if (!body) {
      throw new DeskError(
        DeskErrorCode.FileNotDeclared,
        record.files.some((file) => file.index === index)
          ? `file ${index} has not arrived yet; the member's client sends it`
          : `the case has no file ${index}`,
      );
    }
    return reply
      .type("application/octet-stream")
      .header("cache-control", "no-store")
      .send(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  });

  app.post(
    "/cases/:caseId/messages",
    {
      bodyLimit: MESSAGE_BODY_LIMIT,
      schema: { tags: ["cases"], params: CaseParams, body: MessageBody, response: { 200: MessageReply, ...errors } },
    },
    async (request) => {
      const { record, who } = await reach(request, request.params.caseId);
      const { sealed } = request.body;
      if (sealed.from !== who.kind) {
        throw new DeskError(
          DeskErrorCode.WrongSender,
          who.kind === "member"
            ? "a member's message is sealed to the plan's assessors (from: member)"
            : "an assessor's message is sealed to the member's reply key (from: assessor)",
        );
      }
      const result = await store.addMessage(record.id, who.kind, new TextEncoder().encode(JSON.stringify(sealed)), DESK_LIMITS.maxMessages);
      metrics.messages.inc({ sender: who.kind });
      return result;
    },
  );

  app.post(
    "/cases/:caseId/decision",
    { schema: { tags: ["cases"], params: CaseParams, body: DecisionBody, response: { 200: DecisionReply, ...errors } } },
    async (request) => {
      const { record, who } = await reach(request, request.params.caseId);
      requireAssessor(who, "decide a case");
      if (!who.single) await requireCommitteeDecision(store, record.id, who, request.body.kind);
      const result = await store.decide(record.id, request.body.kind, new TextEncoder().encode(JSON.stringify(request.body.sealed)));
      metrics.decisions.inc({ kind: request.body.kind });
      request.log.info({ plan: record.planId, kind: request.body.kind }, "case decided");
      return result;
    },
  );

  app.get(
    "/plans/:planId/cases",
    { schema: { tags: ["cases"], params: PlanParams, querystring: QueueQuery, response: { 200: QueueReply, ...errors } } },
    async (request) => {
      const who = await caller(request);
      requireAssessor(who, "see a plan's queue");
      if (who.planId !== request.params.planId) {
        throw new DeskError(DeskErrorCode.Forbidden, `you are signed in for plan ${who.planId}; sign in for plan ${request.params.planId}`);
      }
      const cases = await store.queue(request.params.planId, request.query.status);
      return {
        planId: request.params.planId,
        cases: cases.map((entry) => ({
          caseId: entry.id,
          status: entry.status,
          createdAt: iso(entry.createdAt),
          updatedAt: iso(entry.updatedAt),
          files: entry.files,
          bytes: entry.bytes,
          messages: entry.messages,
        })),
      };
    },
  );
};
