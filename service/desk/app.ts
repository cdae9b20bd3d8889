/**
 * The claims desk as a Fastify app: the service kit's app (schemas, one error handler, CORS,
 * OpenAPI, rate limit, timeouts, request logs without addresses), the desk's services as
 * decorations, then routes. `server.ts` wires it to config, chain and store and listens; tests
 * build it directly.
 *
 * The desk keeps ciphertext and metadata: it cannot read a case, a file, a message or a decision,
 * and it never learns a member's commitment (that travels inside the sealed document).
 */
import type { FastifyRequest } from "fastify";
import type { Logger } from "pino";
import { createServiceApp } from "../kit/http-app.ts";
import { operationsPlugin } from "../kit/operations.ts";
import { capabilityHash } from "../sdk/desk/capability.ts";
import { decodePoint } from "../sdk/desk/wire-values.ts";
import type { PublicKey } from "../sdk/encoding.ts";
import { ErrorCode, HuzhuError } from "../sdk/errors.ts";
import type { AssessorKeys } from "../sdk/trees.ts";
import { type Caller, keyId, SESSION_PREFIX, sha256Hex } from "./auth.ts";
import type { DeskChain } from "./chain.ts";
import { DeskError, DeskErrorCode } from "./errors.ts";
import { createDeskMetrics, type DeskMetrics } from "./metrics.ts";
import { accessRoutes } from "./routes/access.ts";
import { caseRoutes } from "./routes/cases.ts";
import { committeeRoutes } from "./routes/committees.ts";
import type { DeskStore } from "./store.ts";

export interface DeskDeps {
  log: Logger;
  store: DeskStore;
  chain: DeskChain;
  chainId: number;
  /** The desk's name in /v1/info. */
  name: string;
  /** The origin assessors' sign-in challenges name (the desk's public URL). */
  origin: string;
  sessionTtlSeconds: number;
  rateLimitPerMinute: number;
  requestTimeoutMs?: number;
  corsOrigins?: string[];
}

export async function buildDeskApp(deps: DeskDeps) {
  const metrics = createDeskMetrics();
  const app = await createServiceApp({
    name: "desk",
    log: deps.log,
    fault: (code, message) => new DeskError(code, message),
    own: (error): error is DeskError => error instanceof DeskError,
    // Input the schemas let through but the SDK's decoders refuse (a point or field out of range).
    adopt: (error) =>
      error instanceof HuzhuError && error.code === ErrorCode.DeskMalformed
        ? new DeskError(DeskErrorCode.InvalidBody, error.message, { cause: error })
        : undefined,
    // JSON bodies: a case's sealed document and wrapped keys; routes that take more say so.
    bodyLimitBytes: 256 * 1024,
    rateLimitPerMinute: deps.rateLimitPerMinute,
    requestTimeoutMs: deps.requestTimeoutMs ?? 120_000,
    corsOrigins: deps.corsOrigins,
    corsMethods: ["GET", "POST", "PUT"],
    corsHeaders: ["content-type", "accept", "authorization"],
    openapi: {
      title: "Huzhu claims desk",
      description:
        "Members file end-to-end encrypted claims with evidence; the plan's assessors review and decide. The desk stores ciphertext and metadata only.",
    },
  });
  app.addContentTypeParser("application/octet-stream", { parseAs: "buffer" }, (_request, body, done) => done(null, body));

  /** The caller from `Authorization: Bearer …`: DESK_UNAUTHORIZED without one, DESK_SESSION_INVALID for an unknown or expired session. */
  async function caller(request: FastifyRequest): Promise<Caller> {
    const header = request.headers.authorization;
    const match = typeof header === "string" ? /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(header) : null;
    const token = match?.[1];
    if (!token) {
      throw new DeskError(
        DeskErrorCode.Unauthorized,
        "send Authorization: Bearer <token>: the case's capability (members) or a session token from /v1/auth/session (assessors)",
      );
    }
    if (!token.startsWith(SESSION_PREFIX)) return { kind: "member", capabilityHash: capabilityDigest(token) };
    const session = await deps.store.session(sha256Hex(token));
    if (!session || session.expiresAt < Math.floor(Date.now() / 1000)) {
      throw new DeskError(DeskErrorCode.SessionInvalid, "the session is unknown or has expired; sign in again");
    }
    const publicKey = decodePoint(JSON.parse(session.publicKey), "publicKey");
    // A key revoked on chain (or a committee whose group key was) loses access at once, whatever its session says.
    const planId = BigInt(session.planId);
    await requireDeskAssessor(planId, publicKey);
    const tree = await deps.chain.assessors(planId);
    const memberships = (
      await deps.store.committees.memberships(session.planId, [publicKey[0].toString(), publicKey[1].toString()])
    ).filter((m) => tree.has(decodePoint(m.groupKey, "groupKey")));
    return { kind: "assessor", planId: session.planId, publicKey, key: keyId(publicKey), single: tree.has(publicKey), memberships };
  }

  /**
   * The keys that act for a plan at this desk: the keys of its assessor tree on chain, and the
   * member keys of its finished committees whose group key is in that tree now.
   */
  async function assessorKeys(planId: bigint): Promise<AssessorKeys> {
    const tree = await deps.chain.assessors(planId);
    const members = new Set(
      (await deps.store.committees.memberKeys(planId.toString()))
        .filter((m) => tree.has(decodePoint(m.groupKey, "groupKey")))
        .map((m) => m.publicKey),
    );
    return { has: (key) => tree.has(key) || members.has(keyId(key)) };
  }

  /** DESK_NOT_AN_ASSESSOR unless `publicKey` acts for the plan (`assessorKeys`). */
  async function requireDeskAssessor(planId: bigint, publicKey: PublicKey): Promise<void> {
    if (!(await assessorKeys(planId)).has(publicKey)) {
      throw new DeskError(
        DeskErrorCode.NotAnAssessor,
        `this key is not one of plan ${planId}'s assessors on chain, nor a member of a committee whose key is (never added, or revoked); ask the plan's admin to add it`,
      );
    }
  }

  app.decorate("desk", { deps, metrics, caller, assessorKeys, requireDeskAssessor });
  await app.register(operationsPlugin, {
    checks: [
      () =>
        deps.store.ping().then(
          () => undefined,
          (error: Error) => `the desk's store cannot be reached (${error.message})`,
        ),
    ],
    ready: async () => {
      const block = await deps.chain.client.getBlockNumber().catch(() => undefined);
      if (block === undefined) return { reason: "the chain cannot be reached; the desk checks plans and assessors there" };
      return { body: { ready: true, block: block.toString() } };
    },
    registry: metrics.registry,
  });
  await app.register(accessRoutes, { prefix: "/v1" });
  await app.register(caseRoutes, { prefix: "/v1" });
  await app.register(committeeRoutes, { prefix: "/v1" });
  return app;
}

/**
 * SHA-256 of a capability's bytes (what the desk stores): a token that is not base64 of 32 bytes
 * is hashed as text, and so matches no case.
 */
function capabilityDigest(token: string): string {
  try {
    return capabilityHash(token);
  } catch {
    return sha256Hex(token);
  }
}

export type DeskApp = Awaited<ReturnType<typeof buildDeskApp>>;

declare module "fastify" {
  interface FastifyInstance {
    desk: {
      deps: DeskDeps;
      metrics: DeskMetrics;
      caller: (request: FastifyRequest) => Promise<Caller>;
      assessorKeys: (planId: bigint) => Promise<AssessorKeys>;
      requireDeskAssessor: (planId: bigint, publicKey: PublicKey) => Promise<void>;
    };
  }
}
