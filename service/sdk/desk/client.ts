/**
 * A typed client for the claims desk's HTTP API (docs/DESK.md). Uses `fetch` only, so it runs in
 * Node and in browsers. Every reply is validated against the desk's schemas (a desk is untrusted);
 * error replies become a DeskRequestError carrying the desk's `code`.
 */
import type { Static, TSchema } from "typebox";
import { Value } from "typebox/value";
import { CodedError, type CodedErrorOptions } from "../coded-error.ts";
import type { PublicKey } from "../encoding.ts";
import { checkSealedFile } from "./case.ts";
import {
  CaseCommitteeReply,
  type CommitteeRecord,
  CommitteeRunReply,
  CommitteesReply,
  type CreateCommitteeBody,
  type FinishBody,
  PostReply,
  type Round1Body,
  type Round2Body,
  Round2Inbox,
  type ShareBody,
  SigningRoundSchema,
  type VoteBody,
  VoteReply,
} from "./committee-schemas.ts";
import { DESK_LIMITS, sealedSize } from "./limits.ts";
import type { RosterEntry } from "./roster.ts";
import {
  CaseReply,
  type CaseStatus,
  ChallengeReply,
  type CreateCaseBody,
  CreateCaseReply,
  type DecisionBody,
  DecisionReply,
  InfoReply,
  MessageReply,
  PutFileReply,
  PutRosterReply,
  QueueReply,
  RosterReply,
  type SealedMessage,
  SessionReply,
} from "./schemas.ts";
import type { SignInChallenge } from "./sign-in.ts";
import { pointJson, type SignatureJson } from "./wire-values.ts";

/** A request to a desk that failed: its error reply (the desk's code), or UNREACHABLE / BAD_URL / BAD_REPLY. */
export class DeskRequestError extends CodedError {
  /** HTTP status; 0 when the desk could not be reached. */
  readonly statusCode: number;
  /** The SDK error code the desk named as the reason for a refusal, when it gave one. */
  readonly reason?: string;

  constructor(code: string, message: string, statusCode: number, options: CodedErrorOptions & { reason?: string } = {}) {
    super(code, message, options);
    this.name = "DeskRequestError";
    this.statusCode = statusCode;
    if (options.reason !== undefined) this.reason = options.reason;
  }
}

export interface DeskClientOptions {
  fetch?: typeof fetch;
  /** Per-request timeout in milliseconds (default 60 s: uploads of large files). */
  timeoutMs?: number;
}

/** Who is asking: a member by its capability, an assessor by its session token. */
export type DeskAuth = { capability: string } | { token: string };

function bearer(auth: DeskAuth): string {
  return `Bearer ${"capability" in auth ? auth.capability : auth.token}`;
}

interface Call {
  method: "GET" | "POST" | "PUT";
  path: string;
  json?: unknown;
  bytes?: Uint8Array;
  auth?: DeskAuth;
}

export class DeskClient {
  readonly baseUrl: string;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;

  constructor(baseUrl: string, options: DeskClientOptions = {}) {
    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch {
      throw new DeskRequestError("BAD_URL", `not a desk URL: ${JSON.stringify(baseUrl)} (expected e.g. http://127.0.0.1:8788)`, 0);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new DeskRequestError("BAD_URL", `a desk URL must be http or https, got ${url.protocol}`, 0);
    }
    this.baseUrl = url.href.replace(/\/+$/, "");
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#timeoutMs = options.timeoutMs ?? 60_000;
  }

  info() {
    return this.#json(InfoReply, { method: "GET", path: "/v1/info" });
  }

  async roster(planId: bigint): Promise<RosterEntry[]> {
    const reply = await this.#json(RosterReply, { method: "GET", path: `/v1/plans/${planId}/roster` });
    if (reply.planId !== planId.toString()) throw badReply("the desk sent another plan's roster");
    return reply.entries;
  }

  putRosterEntry(entry: RosterEntry, token: string) {
    return this.#json(PutRosterReply, { method: "PUT", path: `/v1/plans/${entry.planId}/roster`, json: entry, auth: { token } });
  }

  challenge(planId: bigint, publicKey: PublicKey): Promise<SignInChallenge> {
    return this.#json(ChallengeReply, {
      method: "POST",
      path: "/v1/auth/challenge",
      json: { planId: planId.toString(), publicKey: pointJson(publicKey) },
    });
  }

  session(challenge: SignInChallenge, publicKey: PublicKey, signature: SignatureJson) {
    return this.#json(SessionReply, {
      method: "POST",
      path: "/v1/auth/session",
      json: { challenge, publicKey: pointJson(publicKey), signature },
    });
  }

  createCase(body: CreateCaseBody) {
    return this.#json(CreateCaseReply, { method: "POST", path: "/v1/cases", json: body });
  }

  putFile(caseId: string, index: number, sealed: Uint8Array, capability: string) {
    return this.#json(PutFileReply, { method: "PUT", path: `${casePath(caseId)}/files/${index}`, bytes: sealed, auth: { capability } });
  }

  getCase(caseId: string, auth: DeskAuth) {
    return this.#json(CaseReply, { method: "GET", path: casePath(caseId), auth });
  }

  /** A sealed file, checked against the size and SHA-256 the case declares (DESK_FILE_MISMATCH). */
  async getFile(
    caseId: string,
    index: number,
    declared: { index: number; bytes: number; sha256: string },
    auth: DeskAuth,
  ): Promise<Uint8Array> {
    const response = await this.#send({ method: "GET", path: `${casePath(caseId)}/files/${index}`, auth }, "application/octet-stream");
    if (!response.ok) throw await errorOf(response, "GET", `files/${index}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.length > sealedSize(DESK_LIMITS.maxFileBytes)) throw badReply(`file ${index} is larger than any file the desk accepts`);
    checkSealedFile(declared, bytes);
    return bytes;
  }

  queue(planId: bigint, token: string, status?: CaseStatus) {
    const query = status === undefined ? "" : `?status=${encodeURIComponent(status)}`;
    return this.#json(QueueReply, { method: "GET", path: `/v1/plans/${planId}/cases${query}`, auth: { token } });
  }

  postMessage(caseId: string, sealed: SealedMessage, auth: DeskAuth) {
    return this.#json(MessageReply, { method: "POST", path: `${casePath(caseId)}/messages`, json: { sealed }, auth });
  }

  postDecision(caseId: string, body: DecisionBody, token: string) {
    return this.#json(DecisionReply, { method: "POST", path: `${casePath(caseId)}/decision`, json: body, auth: { token } });
  }

  createCommittee(body: CreateCommitteeBody) {
    return this.#json(CommitteeRunReply, { method: "POST", path: "/v1/committees", json: body });
  }

  async committeeRun(dkgId: string) {
    const reply = await this.#json(CommitteeRunReply, { method: "GET", path: dkgPath(dkgId) });
    if (reply.dkgId !== dkgId) throw badReply("the desk sent another DKG run than the one asked for");
    return reply;
  }

  postRound1(dkgId: string, body: Round1Body) {
    return this.#json(PostReply, { method: "POST", path: `${dkgPath(dkgId)}/round1`, json: body });
  }

  postRound2(dkgId: string, body: Round2Body) {
    return this.#json(PostReply, { method: "POST", path: `${dkgPath(dkgId)}/round2`, json: body });
  }

  round2Inbox(dkgId: string, member: number) {
    return this.#json(Round2Inbox, { method: "GET", path: `${dkgPath(dkgId)}/round2/${member}` });
  }

  postFinish(dkgId: string, body: FinishBody) {
    return this.#json(PostReply, { method: "POST", path: `${dkgPath(dkgId)}/finish`, json: body });
  }

  /** The plan's finished committees as the desk lists them (check each: `checkCommitteeRecords`). */
  async committees(planId: bigint): Promise<CommitteeRecord[]> {
    const reply = await this.#json(CommitteesReply, { method: "GET", path: `/v1/plans/${planId}/committees` });
    if (reply.planId !== planId.toString()) throw badReply("the desk sent another plan's committees");
    return reply.committees;
  }

  caseCommittee(caseId: string, token: string) {
    return this.#json(CaseCommitteeReply, { method: "GET", path: `${casePath(caseId)}/committee`, auth: { token } });
  }

  postVote(caseId: string, body: VoteBody, token: string) {
    return this.#json(VoteReply, { method: "POST", path: `${casePath(caseId)}/committee/votes`, json: body, auth: { token } });
  }

  postShare(caseId: string, body: ShareBody, token: string) {
    return this.#json(SigningRoundSchema, { method: "POST", path: `${casePath(caseId)}/committee/shares`, json: body, auth: { token } });
  }

  async #send(call: Call, accept: string): Promise<Response> {
    const headers: Record<string, string> = { accept };
    if (call.auth) headers.authorization = bearer(call.auth);
    let body: BodyInit | undefined;
    if (call.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(call.json);
    } else if (call.bytes !== undefined) {
      headers["content-type"] = "application/octet-stream";
      body = new Blob([Uint8Array.from(call.bytes)]);
    }
    try {
      return await this.#fetch(`${this.baseUrl}${call.path}`, {
        method: call.method,
        headers,
        body,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      throw new DeskRequestError("UNREACHABLE", `cannot reach the desk at ${this.baseUrl} (${(error as Error).message})`, 0, {
        cause: error,
      });
    }
  }

  /** One JSON call; a success reply that does not match `schema` is BAD_REPLY. */
  async #json<S extends TSchema>(schema: S, call: Call): Promise<Static<S>> {
    const response = await this.#send(call, "application/json");
    if (!response.ok) throw await errorOf(response, call.method, call.path);
    const parsed = await readJson(response, call.method, call.path);
    if (!Value.Check(schema, parsed)) {
      const first = [...Value.Errors(schema, parsed)][0];
      throw badReply(
        `the desk's reply to ${call.method} ${call.path} is not what its API promises (${first ? `${first.instancePath || "reply"} ${first.message}` : "wrong shape"})`,
        response.status,
      );
    }
    return parsed as Static<S>;
  }
}

function dkgPath(dkgId: string): string {
  return `/v1/committees/${encodeURIComponent(dkgId)}`;
}

function casePath(caseId: string): string {
  return `/v1/cases/${encodeURIComponent(caseId)}`;
}

function badReply(message: string, statusCode = 200): DeskRequestError {
  return new DeskRequestError("BAD_REPLY", message, statusCode);
}

async function readJson(response: Response, method: string, path: string): Promise<unknown> {
  const text = await response.text();
  try {
    return text.length === 0 ? undefined : JSON.parse(text);
  } catch (error) {
    throw new DeskRequestError(
      "BAD_REPLY",
      `the desk replied to ${method} ${path} with HTTP ${response.status} and a body that is not JSON`,
      response.status,
      {
        cause: error,
      },
    );
  }
}

async function errorOf(response: Response, method: string, path: string): Promise<DeskRequestError> {
  let reply: { code?: unknown; message?: unknown; reason?: unknown } = {};
  try {
    reply = ((await readJson(response, method, path)) ?? {}) as typeof reply;
  } catch {
    // An error reply that is not JSON keeps the HTTP status as its code.
  }
  const code = typeof reply.code === "string" ? reply.code : `HTTP_${response.status}`;
  const message = typeof reply.message === "string" ? reply.message : `the desk refused ${method} ${path} with HTTP ${response.status}`;
  return new DeskRequestError(code, message, response.status, typeof reply.reason === "string" ? { reason: reply.reason } : {});
}
