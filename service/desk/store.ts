/**
 * The desk's durable store: cases (sealed document, wrapped keys, declared files), their sealed
 * files and messages, the plans' rosters, sign-in challenges and sessions, on an SQLite file or a
 * shared PostgreSQL database (service/kit/sql.ts). Every change that must happen together is one
 * transaction: a file is written whole with the case's status, so a desk killed mid-upload keeps
 * the case as it was and the member sends the file again.
 */
import type { SqlDatabase, SqlQueries } from "../kit/sql.ts";
import type { CaseStatus, DecisionKind } from "../sdk/desk/schemas.ts";
import { CommitteeStore } from "./committee-store.ts";
import { DeskError, DeskErrorCode } from "./errors.ts";

export interface DeclaredFileRecord {
  index: number;
  bytes: number;
  sha256: string;
}

export interface CaseRecord {
  id: string;
  planId: string;
  envelopeId: string;
  capabilityHash: string;
  /** The wrapped keys as JSON (the wire's `recipients`). */
  recipients: string;
  document: Uint8Array;
  files: DeclaredFileRecord[];
  received: Set<number>;
  status: CaseStatus;
  messageCount: number;
  decisionKind: DecisionKind | null;
  decision: Uint8Array | null;
  decidedAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface MessageRecord {
  index: number;
  sender: "member" | "assessor";
  sealed: Uint8Array;
  sentAt: number;
}

export type NewCase = Pick<CaseRecord, "id" | "planId" | "envelopeId" | "capabilityHash" | "recipients" | "document" | "files">;

export interface QueueEntry {
  id: string;
  status: CaseStatus;
  createdAt: number;
  updatedAt: number;
  files: number;
  bytes: number;
  messages: number;
}

interface CaseRow extends Record<string, unknown> {
  id: string;
  plan_id: string;
  envelope_id: string;
  capability_hash: string;
  recipients: string;
  document: Uint8Array;
  files: string;
  status: CaseStatus;
  message_count: number | string;
  decision_kind: DecisionKind | null;
  decision: Uint8Array | null;
  decided_at: number | string | null;
  created_at: number | string;
  updated_at: number | string;
}

const n = (value: number | string): number => Number(value);

export class DeskStore {
  readonly db: SqlDatabase;
  readonly committees: CommitteeStore;

  constructor(db: SqlDatabase) {
    this.db = db;
    this.committees = new CommitteeStore(db);
  }

  get location(): string {
    return this.db.location;
  }

  ping(): Promise<void> {
    return this.db.ping();
  }

  close(): Promise<void> {
    return this.db.close();
  }

  async #case(q: SqlQueries, id: string): Promise<CaseRecord | undefined> {
    const row = await q.get<CaseRow>("SELECT * FROM cases WHERE id = ?", [id]);
    if (!row) return undefined;
    const received = await q.all<{ idx: number | string }>("SELECT idx FROM case_files WHERE case_id = ?", [id]);
    return {
      id: row.id,
      planId: row.plan_id,
      envelopeId: row.envelope_id,
      capabilityHash: row.capability_hash,
      recipients: row.recipients,
      document: row.document,
      files: JSON.parse(row.files) as DeclaredFileRecord[],
      received: new Set(received.map((r) => n(r.idx))),
      status: row.status,
      messageCount: n(row.message_count),
      decisionKind: row.decision_kind,
      decision: row.decision,
      decidedAt: row.decided_at === null ? null : n(row.decided_at),
      createdAt: n(row.created_at),
      updatedAt: n(row.updated_at),
    };
  }

  getCase(id: string): Promise<CaseRecord | undefined> {
    return this.#case(this.db, id);
  }

  /**
   * Files a case, or, for an envelope already filed with the same capability (a member's retry after
   * a lost answer), returns that case's id. DESK_CASE_EXISTS if another capability filed it.
   */
  createCase(input: NewCase, now = Date.now()): Promise<{ caseId: string; created: boolean }> {
    return this.db.transaction(async (q) => {
      const existing = await q.get<{ id: string; capability_hash: string }>("SELECT id, capability_hash FROM cases WHERE envelope_id = ?", [
        input.envelopeId,
      ]);
      if (existing) {
        if (existing.capability_hash !== input.capabilityHash) {
          throw new DeskError(
            DeskErrorCode.CaseExists,
            "a case with this envelope id was filed already; seal the case again (a new envelope id) and file it",
          );
        }
        return { caseId: existing.id, created: false };
      }
      const status: CaseStatus = input.files.length === 0 ? "new" : "uploading";
      await q.run(
        `INSERT INTO cases (id, plan_id, envelope_id, capability_hash, recipients, document, files, status, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          input.id,
          input.planId,
          input.envelopeId,
          input.capabilityHash,
          input.recipients,
          input.document,
          JSON.stringify(input.files),
          status,
          now,
          now,
        ],
      );
      return { caseId: input.id, created: true };
    });
  }

  /**
   * Stores a declared file's sealed body (its size checked here, its hash by the caller)
   * and, when it is the last one, makes the case `new` for the assessors. The same body again is
   * accepted as a retry; another body for a received file is DESK_FILE_EXISTS.
   */
  putFile(caseId: string, index: number, body: Uint8Array, now = Date.now()): Promise<{ status: CaseStatus; missing: number }> {
    return this.db.transaction(async (q) => {
      const record = await this.#case(q, caseId);
      if (!record) throw new DeskError(DeskErrorCode.CaseNotFound, `no case ${caseId} at this desk`);
      const declared = record.files.find((file) => file.index === index);
      if (!declared || declared.bytes !== body.length) {
        throw new DeskError(
          DeskErrorCode.FileMismatch,
          `file ${index} is not one the case declared at ${body.length} bytes; send the declared file, whole`,
        );
      }
      if (!record.received.has(index)) {
        await q.run("INSERT INTO case_files (case_id, idx, body, received_at) VALUES (?, ?, ?, ?)", [caseId, index, body, now]);
        record.received.add(index);
      }
      const missing = record.files.filter((file) => !record.received.has(file.index)).length;
      let status = record.status;
      if (missing === 0 && status === "uploading") {
        status = "new";
        await q.run("UPDATE cases SET status = ?, updated_at = ? WHERE id = ?", [status, now, caseId]);
      }
      return { status, missing };
    });
  }

  async getFile(caseId: string, index: number): Promise<Uint8Array | undefined> {
    const row = await this.db.get<{ body: Uint8Array }>("SELECT body FROM case_files WHERE case_id = ? AND idx = ?", [caseId, index]);
    return row?.body;
  }

  async messages(caseId: string): Promise<MessageRecord[]> {
    const rows = await this.db.all<{ idx: number | string; sender: "member" | "assessor"; sealed: Uint8Array; sent_at: number | string }>(
      "SELECT idx, sender, sealed, sent_at FROM case_messages WHERE case_id = ? ORDER BY idx",
      [caseId],
    );
    return rows.map((row) => ({ index: n(row.idx), sender: row.sender, sealed: row.sealed, sentAt: n(row.sent_at) }));
  }

  /** Appends a message and sets the case's status (`more-asked` after an assessor's, `replied` after a member's). */
  addMessage(
    caseId: string,
    sender: "member" | "assessor",
    sealed: Uint8Array,
    maxMessages: number,
    now = Date.now(),
  ): Promise<{ index: number; status: CaseStatus }> {
    return this.db.transaction(async (q) => {
      const record = await this.#case(q, caseId);
      if (!record) throw new DeskError(DeskErrorCode.CaseNotFound, `no case ${caseId} at this desk`);
      if (record.status === "uploading")
        throw new DeskError(DeskErrorCode.CaseIncomplete, "the case's files have not all arrived; upload them first");
      if (record.decisionKind !== null)
        throw new DeskError(DeskErrorCode.CaseDecided, `the case was ${record.status} already; no more messages are taken on it`);
      if (record.messageCount >= maxMessages)
        throw new DeskError(DeskErrorCode.TooLarge, `the case holds ${maxMessages} messages, the most a case takes; file a new case`);
      const index = record.messageCount;
      const status: CaseStatus = sender === "assessor" ? "more-asked" : "replied";
      await q.run("INSERT INTO case_messages (case_id, idx, sender, sealed, sent_at) VALUES (?, ?, ?, ?, ?)", [
        caseId,
        index,
        sender,
        sealed,
        now,
      ]);
      await q.run("UPDATE cases SET message_count = ?, status = ?, updated_at = ? WHERE id = ?", [index + 1, status, now, caseId]);
      return { index, status };
    });
  }

  /** Records the decision, once: DESK_CASE_DECIDED for a second one. */
  decide(caseId: string, kind: DecisionKind, sealed: Uint8Array, now = Date.now()): Promise<{ status: CaseStatus }> {
    return this.db.transaction(async (q) => {
      const record = await this.#case(q, caseId);
      if (!record) throw new DeskError(DeskErrorCode.CaseNotFound, `no case ${caseId} at this desk`);
      if (record.status === "uploading")
        throw new DeskError(DeskErrorCode.CaseIncomplete, "the case's files have not all arrived; it cannot be decided yet");
      if (record.decisionKind !== null) throw new DeskError(DeskErrorCode.CaseDecided, `the case was ${record.status} already`);
      const status: CaseStatus = kind === "approve" ? "approved" : "declined";
      await q.run("UPDATE cases SET decision_kind = ?, decision = ?, decided_at = ?, status = ?, updated_at = ? WHERE id = ?", [
        kind,
        sealed,
        now,
        status,
        now,
        caseId,
      ]);
      await this.committees.closeRounds(q, caseId, now);
      return { status };
    });
  }

  /**
   * A plan's cases for its assessors (never those still uploading: every declared file has arrived,
   * at its declared size, so the sizes come from the declarations and no file body is read), oldest first.
   */
  async queue(planId: string, status?: CaseStatus): Promise<QueueEntry[]> {
    const rows = await this.db.all<{
      id: string;
      status: CaseStatus;
      created_at: number | string;
      updated_at: number | string;
      files: string;
      message_count: number | string;
      document_bytes: number | string;
    }>(
      `SELECT id, status, created_at, updated_at, files, message_count, LENGTH(document) AS document_bytes
       FROM cases WHERE plan_id = ? AND status <> 'uploading' ${status ? "AND status = ?" : ""}
       ORDER BY created_at, id LIMIT 10000`,
      status ? [planId, status] : [planId],
    );
    return rows.map((row) => {
      const files = JSON.parse(row.files) as DeclaredFileRecord[];
      return {
        id: row.id,
        status: row.status,
        createdAt: n(row.created_at),
        updatedAt: n(row.updated_at),
        files: files.length,
        bytes: n(row.document_bytes) + files.reduce((sum, file) => sum + file.bytes, 0),
        messages: n(row.message_count),
      };
    });
  }

  /** Keeps an assessor's entry unless the stored one is newer. */
  async putRosterEntry(planId: string, assessorKey: string, entry: string, issuedAt: number): Promise<void> {
    await this.db.transaction(async (q) => {
      const existing = await q.get<{ issued_at: number | string }>("SELECT issued_at FROM roster WHERE plan_id = ? AND assessor_key = ?", [
        planId,
        assessorKey,
      ]);
      if (!existing) {
        await q.run("INSERT INTO roster (plan_id, assessor_key, entry, issued_at) VALUES (?, ?, ?, ?)", [
          planId,
          assessorKey,
          entry,
          issuedAt,
        ]);
      } else if (n(existing.issued_at) <= issuedAt) {
        await q.run("UPDATE roster SET entry = ?, issued_at = ? WHERE plan_id = ? AND assessor_key = ?", [
          entry,
          issuedAt,
          planId,
          assessorKey,
        ]);
      }
    });
  }

  async roster(planId: string): Promise<string[]> {
    const rows = await this.db.all<{ entry: string }>("SELECT entry FROM roster WHERE plan_id = ? ORDER BY assessor_key", [planId]);
    return rows.map((row) => row.entry);
  }

  async addChallenge(nonce: string, planId: string, publicKey: string, expiresAt: number): Promise<void> {
    await this.db.run("DELETE FROM challenges WHERE expires_at < ?", [Math.floor(Date.now() / 1000)]);
    await this.db.run("INSERT INTO challenges (nonce, plan_id, public_key, expires_at) VALUES (?, ?, ?, ?)", [
      nonce,
      planId,
      publicKey,
      expiresAt,
    ]);
  }

  /** Removes and returns an issued challenge: each is used once. */
  takeChallenge(nonce: string): Promise<{ planId: string; publicKey: string; expiresAt: number } | undefined> {
    return this.db.transaction(async (q) => {
      const row = await q.get<{ plan_id: string; public_key: string; expires_at: number | string }>(
        "SELECT plan_id, public_key, expires_at FROM challenges WHERE nonce = ?",
        [nonce],
      );
      if (!row) return undefined;
      await q.run("DELETE FROM challenges WHERE nonce = ?", [nonce]);
      return { planId: row.plan_id, publicKey: row.public_key, expiresAt: n(row.expires_at) };
    });
  }

  async addSession(tokenHash: string, planId: string, publicKey: string, expiresAt: number): Promise<void> {
    await this.db.run("DELETE FROM sessions WHERE expires_at < ?", [Math.floor(Date.now() / 1000)]);
    await this.db.run("INSERT INTO sessions (token_hash, plan_id, public_key, expires_at) VALUES (?, ?, ?, ?)", [
      tokenHash,
      planId,
      publicKey,
      expiresAt,
    ]);
  }

  async session(tokenHash: string): Promise<{ planId: string; publicKey: string; expiresAt: number } | undefined> {
    const row = await this.db.get<{ plan_id: string; public_key: string; expires_at: number | string }>(
      "SELECT plan_id, public_key, expires_at FROM sessions WHERE token_hash = ?",
      [tokenHash],
    );
    return row ? { planId: row.plan_id, publicKey: row.public_key, expiresAt: n(row.expires_at) } : undefined;
  }

  async countByStatus(): Promise<Record<string, number>> {
    const rows = await this.db.all<{ status: string; count: number | string }>(
      "SELECT status, COUNT(*) AS count FROM cases GROUP BY status",
    );
    return Object.fromEntries(rows.map((row) => [row.status, n(row.count)]));
  }
}
