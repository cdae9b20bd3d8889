/**
 * Who may do what: the plans' rosters (each assessor's HPKE key, signed by its key in the plan's
 * assessor tree) and assessor sign-in (a signature over a fresh challenge; no passwords).
 *
 *   GET  /info                     the desk's name, chain, pool and size limits
 *   GET  /plans/:planId/roster     the signed entries members encrypt to (each checked by the member's client)
 *   PUT  /plans/:planId/roster     an assessor's own entry (assessor session)
 *   POST /auth/challenge           a challenge for a plan's assessor key, used once, valid 5 minutes
 *   POST /auth/session             a session token for a signed challenge
 */
import { randomBytes } from "node:crypto";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { DESK_LIMITS } from "../../sdk/desk/limits.ts";
import { type RosterEntry, verifyRosterEntry } from "../../sdk/desk/roster.ts";
import {
  ChallengeBody,
  ChallengeReply,
  ErrorReply,
  InfoReply,
  PlanParams,
  PutRosterBody,
  PutRosterReply,
  RosterReply,
  SessionBody,
  SessionReply,
} from "../../sdk/desk/schemas.ts";
import { createChallenge, verifySignIn } from "../../sdk/desk/sign-in.ts";
import { decodePoint, type SignatureJson, samePoint } from "../../sdk/desk/wire-values.ts";
import { HuzhuError } from "../../sdk/errors.ts";
import { keyId, SESSION_PREFIX, sha256Hex } from "../auth.ts";
import { DeskError, DeskErrorCode } from "../errors.ts";

const errors = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply, 422: ErrorReply, 503: ErrorReply };

export const accessRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { deps, metrics, caller, assessorKeys, requireDeskAssessor } = app.desk;
  const { store, chain } = deps;

  app.get("/info", { schema: { tags: ["desk"], response: { 200: InfoReply } } }, async () => ({
    name: deps.name,
    chainId: deps.chainId,
    pool: chain.pool,
    limits: {
      maxFileBytes: DESK_LIMITS.maxFileBytes,
      maxCaseBytes: DESK_LIMITS.maxCaseBytes,
      maxFiles: DESK_LIMITS.maxFiles,
      maxMemberMessageBytes: DESK_LIMITS.maxMemberMessageBytes,
    },
  }));

  app.get(
    "/plans/:planId/roster",
    { schema: { tags: ["roster"], params: PlanParams, response: { 200: RosterReply, ...errors } } },
    async (request) => {
      await chain.requirePlan(BigInt(request.params.planId));
      const entries = (await store.roster(request.params.planId)).map((entry) => JSON.parse(entry) as RosterEntry);
      return { planId: request.params.planId, entries };
    },
  );

  app.put(
    "/plans/:planId/roster",
    { schema: { tags: ["roster"], params: PlanParams, body: PutRosterBody, response: { 200: PutRosterReply, ...errors } } },
    async (request) => {
      const who = await caller(request);
      const entry = request.body as RosterEntry;
      if (who.kind !== "assessor" || who.planId !== request.params.planId) {
        throw new DeskError(
          DeskErrorCode.Forbidden,
          `sign in as one of plan ${request.params.planId}'s assessors to publish its roster entry`,
        );
      }
      if (entry.planId !== request.params.planId || !samePoint(decodePoint(entry.assessorPublicKey, "assessorPublicKey"), who.publicKey)) {
        throw new DeskError(DeskErrorCode.RosterEntryInvalid, "a roster entry must be for this plan and signed-in assessor's own key");
      }
      try {
        verifyRosterEntry(entry, await assessorKeys(BigInt(entry.planId)));
      } catch (error) {
        if (error instanceof HuzhuError) throw new DeskError(DeskErrorCode.RosterEntryInvalid, error.message, { cause: error });
        throw error;
      }
      await store.putRosterEntry(entry.planId, who.key, JSON.stringify(entry), entry.issuedAt);
      return entry;
    },
  );

  app.post(
    "/auth/challenge",
    { schema: { tags: ["sign-in"], body: ChallengeBody, response: { 200: ChallengeReply, ...errors } } },
    async (request) => {
      const planId = BigInt(request.body.planId);
      const publicKey = decodePoint(request.body.publicKey, "publicKey");
      await requireDeskAssessor(planId, publicKey);
      const challenge = createChallenge(deps.origin, planId);
      await store.addChallenge(challenge.nonce, challenge.planId, JSON.stringify(request.body.publicKey), challenge.expiresAt);
      return challenge;
    },
  );

  app.post(
    "/auth/session",
    { schema: { tags: ["sign-in"], body: SessionBody, response: { 200: SessionReply, ...errors } } },
    async (request) => {
      const { challenge, signature } = request.body;
      const publicKey = decodePoint(request.body.publicKey, "publicKey");
      try {
        // Used once: taken from the store whatever follows, so a replayed signature finds nothing.
        const issued = await store.takeChallenge(challenge.nonce);
        if (
          !issued ||
          issued.planId !== challenge.planId ||
          issued.expiresAt !== challenge.expiresAt ||
          !samePoint(decodePoint(JSON.parse(issued.publicKey), "publicKey"), publicKey)
        ) {
          throw new DeskError(
            DeskErrorCode.ChallengeInvalid,
            "this desk did not issue this challenge to this key, or it was used already; ask for a new one",
          );
        }
        try {
          verifySignIn(challenge, signature as SignatureJson, publicKey, { origin: deps.origin });
        } catch (error) {
          if (!(error instanceof HuzhuError)) throw error;
          const code = error.code === "DESK_CHALLENGE_EXPIRED" ? DeskErrorCode.ChallengeInvalid : DeskErrorCode.SignInInvalid;
          throw new DeskError(code, error.message, { cause: error });
        }
        await requireDeskAssessor(BigInt(challenge.planId), publicKey);
        const token = `${SESSION_PREFIX}${randomBytes(32).toString("base64url")}`;
        const expiresAt = Math.floor(Date.now() / 1000) + deps.sessionTtlSeconds;
        await store.addSession(sha256Hex(token), challenge.planId, JSON.stringify(request.body.publicKey), expiresAt);
        metrics.signIns.inc({ outcome: "ok" });
        request.log.info({ plan: challenge.planId, assessor: keyId(publicKey).slice(0, 12) }, "assessor signed in");
        return { token, expiresAt };
      } catch (error) {
        if (error instanceof DeskError) metrics.signIns.inc({ outcome: error.code });
        throw error;
      }
    },
  );
};
