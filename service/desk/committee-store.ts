/**
 * The desk's committee tables: DKG runs and their posts (round-two packages kept sealed, addressed
 * to one member), the plans' finished committees, and each case's votes and signing rounds. The
 * desk checks each post's signature and FROST share before it stores it (routes/committees.ts);
 * here every change that must happen together is one transaction, so two members posting at once
 * never lose a vote or start a round twice.
 */
import type { SqlDatabase, SqlQueries } from "../kit/sql.ts";
import type {
  CommitteeRecord,
  DkgStatus,
  FinishBody,
  Round1Body,
  RoundStatus,
  SealedToMember,
  SigningRound,
  VoteBody,
} from "../sdk/desk/committee-schemas.ts";
import type { PointJson, SignatureJson } from "../sdk/desk/wire-values.ts";
import { DeskError, DeskErrorCode } from "./errors.ts";

export interface RunRecord {
  planId: string;
  dkgId: string;
  threshold: number;
  size: number;
  members: PointJson[];
  createdBy: number;
  signature: SignatureJson;
  status: DkgStatus;
  failure?: { participant?: number; reason: string; reportedBy?: number };
  record?: CommitteeRecord;
  createdAt: number;
}

export interface RunPosts {
  round1: Round1Body[];
  round2: number[];
  finished: Extract<FinishBody, { outcome: "done" }>[];
}

export interface Membership {
  keySetId: string;
  dkgId: string;
  member: number;
  threshold: number;
  size: number;
  groupKey: PointJson;
}

export interface VoteRecord {
  keySetId: string;
  member: number;
  body: VoteBody;
  votedAt: number;
}

export interface RoundRecord extends Omit<SigningRound, "signature"> {
  caseId: string;
  signature?: { R8: PointJson; S: string };
  /** Each approver's nonce commitments, in vote order. */
  commitments: { member: number; hiding: string; binding: string }[];
  /** The signers' shares (public), by member. */
  shareBodies: Record<string, string>;
}

const n = (value: unknown): number => Number(value);
const seconds = (ms: number) => Math.floor(ms / 1000);

interface RunRow extends Record<string, unknown> {
  dkg_id: string;
  plan_id: string;
  threshold: number | string;
  size: number | string;
  members: string;
  created_by: number | string;
  signature: string;
  status: DkgStatus;
  failure: string | null;
  record: string | null;
  created_at: number | string;
}

function runOf(row: RunRow): RunRecord {
  return {
    planId: row.plan_id,
    dkgId: row.dkg_id,
    threshold: n(row.threshold),
    size: n(row.size),
    members: JSON.parse(row.members),
    createdBy: n(row.created_by),
    signature: JSON.parse(row.signature),
    status: row.status,
    ...(row.failure ? { failure: JSON.parse(row.failure) } : {}),
    ...(row.record ? { record: JSON.parse(row.record) } : {}),
    createdAt: seconds(n(row.created_at)),
  };
}

interface RoundRow extends Record<string, unknown> {
  case_id: string;
  key_set_id: string;
  session_id: string;
  message: string;
  status: RoundStatus;
  approvals: string;
  signers: string;
  package: string | null;
  shares: string;
  signature: string | null;
  failure: string | null;
  updated_at: number | string;
}

function roundOf(row: RoundRow): RoundRecord {
  const commitments = JSON.parse(row.approvals) as RoundRecord["commitments"];
  const shareBodies = JSON.parse(row.shares) as Record<string, string>;
  return {
    caseId: row.case_id,
    keySetId: row.key_set_id,
    sessionId: row.session_id,
    message: row.message,
    status: row.status,
    approvals: commitments.map((c) => c.member),
    commitments,
    signers: JSON.parse(row.signers),
    shares: Object.keys(shareBodies).map(Number),
    shareBodies,
    ...(row.package ? { package: JSON.parse(row.package) } : {}),
    ...(row.signature ? { signature: JSON.parse(row.signature) } : {}),
    ...(row.failure ? { failure: JSON.parse(row.failure) } : {}),
    updatedAt: seconds(n(row.updated_at)),
  };
}

const ACTIVE = "('voting', 'signing', 'signed')";

export class CommitteeStore {
  readonly db: SqlDatabase;

  constructor(db: SqlDatabase) {
    this.db = db;
  }

  async #run(q: SqlQueries, dkgId: string): Promise<RunRecord | undefined> {
    const row = await q.get<RunRow>("SELECT * FROM committee_runs WHERE dkg_id = ?", [dkgId]);
    return row ? runOf(row) : undefined;
  }

  run(dkgId: string): Promise<RunRecord | undefined> {
    return this.#run(this.db, dkgId);
  }

  /** Starts a run; the same start again is a retry. DESK_COMMITTEE_STATE if the id names another run. */
  createRun(run: Omit<RunRecord, "status" | "createdAt">, now = Date.now()): Promise<RunRecord> {
    return this.db.transaction(async (q) => {
      const existing = await this.#run(q, run.dkgId);
      if (existing) {
        const same =
          existing.planId === run.planId &&
          existing.threshold === run.threshold &&
          JSON.stringify(existing.members) === JSON.stringify(run.members);
        if (!same) throw new DeskError(DeskErrorCode.CommitteeState, `DKG run ${run.dkgId} exists with other members; choose a new run id`);
        return existing;
      }
      await q.run(
        `INSERT INTO committee_runs (dkg_id, plan_id, threshold, size, members, created_by, signature, status, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'round1', ?, ?)`,
        [
          run.dkgId,
          run.planId,
          run.threshold,
          run.size,
          JSON.stringify(run.members),
          run.createdBy,
          JSON.stringify(run.signature),
          now,
          now,
        ],
      );
      return { ...run, status: "round1" as const, createdAt: seconds(now) };
    });
  }

  async posts(dkgId: string): Promise<RunPosts> {
    const rows = await this.db.all<{ kind: string; member: number | string; body: string }>(
      "SELECT kind, member, body FROM committee_posts WHERE dkg_id = ? ORDER BY member",
      [dkgId],
    );
    return {
      round1: rows.filter((r) => r.kind === "round1").map((r) => JSON.parse(r.body)),
      round2: rows.filter((r) => r.kind === "round2").map((r) => n(r.member)),
      finished: rows.filter((r) => r.kind === "finish").map((r) => JSON.parse(r.body)),
    };
  }

  /**
   * Stores one member's post of `kind` while the run is in `phase`, then moves the run on with
   * `advance` (given every post of that kind). A repeat of the same post is a retry; another post
   * of the same kind by the same member is DESK_COMMITTEE_STATE.
   */
  post(
    dkgId: string,
    kind: "round1" | "round2" | "finish",
    phase: DkgStatus,
    member: number,
    body: unknown,
    extra: (q: SqlQueries) => Promise<void>,
    advance: (posts: string[], q: SqlQueries) => Promise<Partial<Pick<RunRecord, "status" | "failure" | "record">> | undefined>,
    now = Date.now(),
  ): Promise<DkgStatus> {
    return this.db.transaction(async (q) => {
      const run = await this.#run(q, dkgId);
      if (!run) throw new DeskError(DeskErrorCode.CommitteeNotFound, `no DKG run ${dkgId} at this desk`);
      const text = JSON.stringify(body);
      const existing = await q.get<{ body: string }>("SELECT body FROM committee_posts WHERE dkg_id = ? AND kind = ? AND member = ?", [
        dkgId,
        kind,
        member,
      ]);
      if (existing) {
        if (existing.body === text) return run.status;
        throw new DeskError(DeskErrorCode.CommitteeState, `member ${member} has already sent its ${kind} post in this run`);
      }
      if (run.status === "failed") {
        throw new DeskError(
          DeskErrorCode.CommitteeState,
          `this DKG run failed${run.failure?.participant ? `: member ${run.failure.participant}'s package fails` : ""} (${run.failure?.reason ?? "see its status"}); start a new run`,
        );
      }
      if (run.status !== phase) {
        throw new DeskError(
          DeskErrorCode.CommitteeState,
          `this DKG run is at ${run.status}, not ${phase}: wait for the others, then send it`,
        );
      }
      await q.run("INSERT INTO committee_posts (dkg_id, kind, member, body, posted_at) VALUES (?, ?, ?, ?, ?)", [
        dkgId,
        kind,
        member,
        text,
        now,
      ]);
      await extra(q);
      const all = await q.all<{ body: string }>("SELECT body FROM committee_posts WHERE dkg_id = ? AND kind = ? ORDER BY member", [
        dkgId,
        kind,
      ]);
      const next = await advance(
        all.map((r) => r.body),
        q,
      );
      if (!next) return run.status;
      await q.run("UPDATE committee_runs SET status = ?, failure = ?, record = ?, key_set_id = ?, updated_at = ? WHERE dkg_id = ?", [
        next.status ?? run.status,
        next.failure ? JSON.stringify(next.failure) : null,
        next.record ? JSON.stringify(next.record) : null,
        next.record?.keySet.id ?? null,
        now,
        dkgId,
      ]);
      if (next.record) {
        const record = next.record;
        for (const m of record.members) {
          await q.run(
            `INSERT INTO committee_members (plan_id, public_key, key_set_id, dkg_id, member, threshold, size, group_key)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
            [
              record.planId,
              m.publicKey.join(","),
              record.keySet.id,
              record.dkgId,
              m.member,
              record.keySet.threshold,
              record.keySet.size,
              JSON.stringify(record.keySet.publicKey),
            ],
          );
        }
      }
      return next.status ?? run.status;
    });
  }

  /** Marks a run failed (a member's complaint), whatever its phase, unless it is complete. */
  fail(dkgId: string, failure: NonNullable<RunRecord["failure"]>, now = Date.now()): Promise<DkgStatus> {
    return this.db.transaction(async (q) => {
      const run = await this.#run(q, dkgId);
      if (!run) throw new DeskError(DeskErrorCode.CommitteeNotFound, `no DKG run ${dkgId} at this desk`);
      if (run.status === "complete")
        throw new DeskError(DeskErrorCode.CommitteeState, "this DKG run is complete; a complaint comes too late");
      if (run.status === "failed") return run.status;
      await q.run("UPDATE committee_runs SET status = 'failed', failure = ?, updated_at = ? WHERE dkg_id = ?", [
        JSON.stringify(failure),
        now,
        dkgId,
      ]);
      return "failed";
    });
  }

  async addInbox(q: SqlQueries, dkgId: string, from: number, packages: readonly SealedToMember[]): Promise<void> {
    for (const p of packages) {
      await q.run("INSERT INTO committee_inbox (dkg_id, from_member, to_member, sealed) VALUES (?, ?, ?, ?)", [
        dkgId,
        from,
        p.to,
        JSON.stringify({ enc: p.enc, body: p.body }),
      ]);
    }
  }

  async inbox(dkgId: string, member: number): Promise<{ from: number; enc: string; body: string }[]> {
    const rows = await this.db.all<{ from_member: number | string; sealed: string }>(
      "SELECT from_member, sealed FROM committee_inbox WHERE dkg_id = ? AND to_member = ? ORDER BY from_member",
      [dkgId, member],
    );
    return rows.map((r) => ({ from: n(r.from_member), ...(JSON.parse(r.sealed) as { enc: string; body: string }) }));
  }

  /** The plan's finished committees. */
  async committees(planId: string): Promise<CommitteeRecord[]> {
    const rows = await this.db.all<{ record: string }>(
      "SELECT record FROM committee_runs WHERE plan_id = ? AND status = 'complete' ORDER BY created_at, dkg_id",
      [planId],
    );
    return rows.map((r) => JSON.parse(r.record));
  }

  /** The finished committees of `planId` that `publicKey` is a member of. */
  async memberships(planId: string, publicKey: PointJson): Promise<Membership[]> {
    const rows = await this.db.all<{
      key_set_id: string;
      dkg_id: string;
      member: number | string;
      threshold: number | string;
      size: number | string;
      group_key: string;
    }>("SELECT key_set_id, dkg_id, member, threshold, size, group_key FROM committee_members WHERE plan_id = ? AND public_key = ?", [
      planId,
      publicKey.join(","),
    ]);
    return rows.map((r) => ({
      keySetId: r.key_set_id,
      dkgId: r.dkg_id,
      member: n(r.member),
      threshold: n(r.threshold),
      size: n(r.size),
      groupKey: JSON.parse(r.group_key),
    }));
  }

  /** Every member key of the plan's finished committees, with its committee's group key. */
  async memberKeys(planId: string): Promise<{ publicKey: string; groupKey: PointJson }[]> {
    const rows = await this.db.all<{ public_key: string; group_key: string }>(
      "SELECT public_key, group_key FROM committee_members WHERE plan_id = ?",
      [planId],
    );
    return rows.map((r) => ({ publicKey: r.public_key, groupKey: JSON.parse(r.group_key) }));
  }

  async record(keySetId: string): Promise<CommitteeRecord | undefined> {
    const row = await this.db.get<{ record: string }>("SELECT record FROM committee_runs WHERE key_set_id = ? AND status = 'complete'", [
      keySetId,
    ]);
    return row ? JSON.parse(row.record) : undefined;
  }

  async votes(caseId: string): Promise<VoteRecord[]> {
    const rows = await this.db.all<{ key_set_id: string; member: number | string; body: string; voted_at: number | string }>(
      "SELECT key_set_id, member, body, voted_at FROM committee_votes WHERE case_id = ? ORDER BY voted_at, member",
      [caseId],
    );
    return rows.map((r) => ({ keySetId: r.key_set_id, member: n(r.member), body: JSON.parse(r.body), votedAt: seconds(n(r.voted_at)) }));
  }

  async rounds(caseId: string): Promise<RoundRecord[]> {
    const rows = await this.db.all<RoundRow>("SELECT * FROM committee_rounds WHERE case_id = ? ORDER BY created_at, session_id", [caseId]);
    return rows.map(roundOf);
  }

  async round(sessionId: string): Promise<RoundRecord | undefined> {
    const row = await this.db.get<RoundRow>("SELECT * FROM committee_rounds WHERE session_id = ?", [sessionId]);
    return row ? roundOf(row) : undefined;
  }

  /**
   * Records a member's vote on a case (its latest counts). An approval joins the active round on its
   * message (or starts one with its session id); at k approvals `makePackage` gives the signing
   * package and the round moves to signing. Refusals: a vote while the member's round is signing or
   * signed (DESK_COMMITTEE_STATE), nonce commitments used before (DESK_NONCE_REUSED), a session id
   * that is not the active round's (DESK_COMMITTEE_STATE).
   */
  vote(
    caseId: string,
    vote: VoteBody,
    threshold: number,
    makePackage: (round: { sessionId: string; message: string; commitments: RoundRecord["commitments"] }) => unknown,
    now = Date.now(),
  ): Promise<{ round?: RoundRecord; approvals: number; declines: number }> {
    return this.db.transaction(async (q) => {
      const rows = await q.all<RoundRow>(`SELECT * FROM committee_rounds WHERE case_id = ? AND key_set_id = ? AND status IN ${ACTIVE}`, [
        caseId,
        vote.keySetId,
      ]);
      const active = rows.map(roundOf);
      const mine = active.find((r) => r.approvals.includes(vote.member));
      if (mine && mine.status !== "voting") {
        throw new DeskError(
          DeskErrorCode.CommitteeState,
          `member ${vote.member}'s approval is in a signing round that is ${mine.status}; it cannot be changed now`,
        );
      }
      if (mine) {
        const commitments = mine.commitments.filter((c) => c.member !== vote.member);
        await q.run("UPDATE committee_rounds SET approvals = ?, updated_at = ? WHERE session_id = ?", [
          JSON.stringify(commitments),
          now,
          mine.sessionId,
        ]);
        mine.commitments = commitments;
        mine.approvals = commitments.map((c) => c.member);
      }
      let round: RoundRecord | undefined;
      if (vote.vote === "approve") {
        const nonce = `${vote.hiding}${vote.binding}`;
        if (await q.get("SELECT commitment FROM committee_nonces WHERE commitment = ?", [nonce])) {
          throw new DeskError(DeskErrorCode.NonceReused, "these nonce commitments were used in a vote before; make fresh ones");
        }
        await q.run("INSERT INTO committee_nonces (commitment, used_at) VALUES (?, ?)", [nonce, now]);
        round = active.find((r) => r.message === vote.message);
        const commitment = { member: vote.member, hiding: vote.hiding, binding: vote.binding };
        if (round && round.sessionId !== vote.sessionId) {
          throw new DeskError(
            DeskErrorCode.CommitteeState,
            `these terms are in signing round ${round.sessionId} already; commit your nonces for that round and vote again`,
          );
        }
        if (!round) {
          if (await q.get("SELECT session_id FROM committee_rounds WHERE session_id = ?", [vote.sessionId])) {
            throw new DeskError(DeskErrorCode.CommitteeState, `signing round ${vote.sessionId} exists; choose a fresh session id`);
          }
          await q.run(
            `INSERT INTO committee_rounds (case_id, key_set_id, session_id, message, status, approvals, signers, shares, created_at, updated_at)
             VALUES (?, ?, ?, ?, 'voting', '[]', '[]', '{}', ?, ?)`,
            [caseId, vote.keySetId, vote.sessionId, vote.message, now, now],
          );
          round = {
            caseId,
            keySetId: vote.keySetId,
            sessionId: vote.sessionId,
            message: vote.message,
            status: "voting",
            approvals: [],
            commitments: [],
            signers: [],
            shares: [],
            shareBodies: {},
            updatedAt: seconds(now),
          };
        }
        round.commitments = [...round.commitments, commitment];
        round.approvals = round.commitments.map((c) => c.member);
        if (round.commitments.length >= threshold) {
          const chosen = round.commitments.slice(0, threshold);
          round.status = "signing";
          round.signers = chosen.map((c) => c.member);
          round.package = makePackage({
            sessionId: round.sessionId,
            message: round.message,
            commitments: chosen,
          }) as RoundRecord["package"];
        }
        await q.run(
          "UPDATE committee_rounds SET approvals = ?, status = ?, signers = ?, package = ?, updated_at = ? WHERE session_id = ?",
          [
            JSON.stringify(round.commitments),
            round.status,
            JSON.stringify(round.signers),
            round.package ? JSON.stringify(round.package) : null,
            now,
            round.sessionId,
          ],
        );
      }
      await q.run("DELETE FROM committee_votes WHERE case_id = ? AND key_set_id = ? AND member = ?", [caseId, vote.keySetId, vote.member]);
      await q.run("INSERT INTO committee_votes (case_id, key_set_id, member, body, voted_at) VALUES (?, ?, ?, ?, ?)", [
        caseId,
        vote.keySetId,
        vote.member,
        JSON.stringify(vote),
        now,
      ]);
      const all = await q.all<{ body: string }>("SELECT body FROM committee_votes WHERE case_id = ? AND key_set_id = ?", [
        caseId,
        vote.keySetId,
      ]);
      const kinds = all.map((r) => (JSON.parse(r.body) as VoteBody).vote);
      return {
        ...(round ? { round } : {}),
        approvals: kinds.filter((k) => k === "approve").length,
        declines: kinds.filter((k) => k === "decline").length,
      };
    });
  }

  /**
   * Adds a signer's verified share to a signing round; with every signer's share, `aggregate` gives
   * the signature and the round is signed. `invalid` marks the round failed, naming the signer.
   */
  share(
    sessionId: string,
    member: number,
    share: string,
    verdict:
      | { valid: true; aggregate: (shares: Record<string, string>) => { R8: PointJson; S: string } }
      | { valid: false; reason: string },
    now = Date.now(),
  ): Promise<RoundRecord> {
    return this.db.transaction(async (q) => {
      const row = await q.get<RoundRow>("SELECT * FROM committee_rounds WHERE session_id = ?", [sessionId]);
      if (!row) throw new DeskError(DeskErrorCode.CommitteeNotFound, `no signing round ${sessionId} on this case`);
      const round = roundOf(row);
      if (round.shareBodies[member] === share) return round;
      if (round.status !== "signing") {
        throw new DeskError(DeskErrorCode.CommitteeState, `signing round ${sessionId} is ${round.status}, not taking shares`);
      }
      if (!round.signers.includes(member)) {
        throw new DeskError(
          DeskErrorCode.CommitteeState,
          `member ${member} is not one of this signing round's signers (${round.signers.join(", ")})`,
        );
      }
      if (round.shareBodies[member] !== undefined) {
        throw new DeskError(DeskErrorCode.CommitteeState, `member ${member} has already sent its share in this signing round`);
      }
      if (!verdict.valid) {
        round.status = "failed";
        round.failure = { members: [member], reason: verdict.reason };
        await q.run("UPDATE committee_rounds SET status = 'failed', failure = ?, updated_at = ? WHERE session_id = ?", [
          JSON.stringify(round.failure),
          now,
          sessionId,
        ]);
        return round;
      }
      round.shareBodies = { ...round.shareBodies, [member]: share };
      round.shares = Object.keys(round.shareBodies).map(Number);
      if (round.shares.length === round.signers.length) {
        round.signature = verdict.aggregate(round.shareBodies);
        round.status = "signed";
      }
      await q.run("UPDATE committee_rounds SET shares = ?, status = ?, signature = ?, updated_at = ? WHERE session_id = ?", [
        JSON.stringify(round.shareBodies),
        round.status,
        round.signature ? JSON.stringify(round.signature) : null,
        now,
        sessionId,
      ]);
      return round;
    });
  }

  /** Closes a decided case's rounds that never reached a signature. */
  async closeRounds(q: SqlQueries, caseId: string, now = Date.now()): Promise<void> {
    await q.run(
      `UPDATE committee_rounds SET status = 'closed', failure = ?, updated_at = ? WHERE case_id = ? AND status IN ('voting', 'signing')`,
      [JSON.stringify({ members: [], reason: "the case was decided before this round's signature was made" }), now, caseId],
    );
  }
}

/** The committee tables (the desk's migration 2). */
export const COMMITTEE_TABLES = [
  `CREATE TABLE committee_runs (
     dkg_id TEXT PRIMARY KEY,
     plan_id TEXT NOT NULL,
     threshold INTEGER NOT NULL,
     size INTEGER NOT NULL,
     members TEXT NOT NULL,
     created_by INTEGER NOT NULL,
     signature TEXT NOT NULL,
     status TEXT NOT NULL,
     failure TEXT,
     record TEXT,
     key_set_id TEXT,
     created_at BIGINT NOT NULL,
     updated_at BIGINT NOT NULL)`,
  "CREATE INDEX committee_runs_plan ON committee_runs (plan_id, status)",
  `CREATE TABLE committee_posts (
     dkg_id TEXT NOT NULL REFERENCES committee_runs (dkg_id),
     kind TEXT NOT NULL,
     member INTEGER NOT NULL,
     body TEXT NOT NULL,
     posted_at BIGINT NOT NULL,
     PRIMARY KEY (dkg_id, kind, member))`,
  `CREATE TABLE committee_inbox (
     dkg_id TEXT NOT NULL REFERENCES committee_runs (dkg_id),
     from_member INTEGER NOT NULL,
     to_member INTEGER NOT NULL,
     sealed TEXT NOT NULL,
     PRIMARY KEY (dkg_id, from_member, to_member))`,
  `CREATE TABLE committee_members (
     plan_id TEXT NOT NULL,
     public_key TEXT NOT NULL,
     key_set_id TEXT NOT NULL,
     dkg_id TEXT NOT NULL,
     member INTEGER NOT NULL,
     threshold INTEGER NOT NULL,
     size INTEGER NOT NULL,
     group_key TEXT NOT NULL,
     PRIMARY KEY (plan_id, public_key, key_set_id))`,
  `CREATE TABLE committee_votes (
     case_id TEXT NOT NULL REFERENCES cases (id),
     key_set_id TEXT NOT NULL,
     member INTEGER NOT NULL,
     body TEXT NOT NULL,
     voted_at BIGINT NOT NULL,
     PRIMARY KEY (case_id, key_set_id, member))`,
  `CREATE TABLE committee_rounds (
     session_id TEXT PRIMARY KEY,
     case_id TEXT NOT NULL REFERENCES cases (id),
     key_set_id TEXT NOT NULL,
     message TEXT NOT NULL,
     status TEXT NOT NULL,
     approvals TEXT NOT NULL,
     signers TEXT NOT NULL,
     package TEXT,
     shares TEXT NOT NULL,
     signature TEXT,
     failure TEXT,
     created_at BIGINT NOT NULL,
     updated_at BIGINT NOT NULL)`,
  "CREATE INDEX committee_rounds_case ON committee_rounds (case_id, key_set_id, status)",
  `CREATE TABLE committee_nonces (
     commitment TEXT PRIMARY KEY,
     used_at BIGINT NOT NULL)`,
];
