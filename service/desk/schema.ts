/**
 * The desk's database schema as numbered, append-only migrations (service/kit/sql.ts applies
 * them). Ciphertext only: documents, files and messages are stored as the member's and
 * assessors' clients sealed them; the desk holds no key that opens them. A member's capability is
 * stored as its SHA-256, a session token likewise.
 */
import type { SqlSchema } from "../kit/sql.ts";
import { COMMITTEE_TABLES } from "./committee-store.ts";

export const DESK_SCHEMA: SqlSchema = {
  service: "desk",
  urlVariable: "HUZHU_DESK_DATABASE_URL",
  lockId: 0x6875_7a68_7544n,
  migrations: [
    {
      version: 1,
      description: "cases, their files and messages, the plans' rosters, sign-in challenges and sessions",
      statements: [
        `CREATE TABLE cases (
           id TEXT PRIMARY KEY,
           plan_id TEXT NOT NULL,
           envelope_id TEXT NOT NULL UNIQUE,
           capability_hash TEXT NOT NULL,
           recipients TEXT NOT NULL,
           document {blob} NOT NULL,
           files TEXT NOT NULL,
           status TEXT NOT NULL,
           message_count INTEGER NOT NULL DEFAULT 0,
           decision_kind TEXT,
           decision {blob},
           decided_at BIGINT,
           created_at BIGINT NOT NULL,
           updated_at BIGINT NOT NULL)`,
        "CREATE INDEX cases_queue ON cases (plan_id, status, created_at)",
        `CREATE TABLE case_files (
           case_id TEXT NOT NULL REFERENCES cases (id),
           idx INTEGER NOT NULL,
           body {blob} NOT NULL,
           received_at BIGINT NOT NULL,
           PRIMARY KEY (case_id, idx))`,
        `CREATE TABLE case_messages (
           case_id TEXT NOT NULL REFERENCES cases (id),
           idx INTEGER NOT NULL,
           sender TEXT NOT NULL,
           sealed {blob} NOT NULL,
           sent_at BIGINT NOT NULL,
           PRIMARY KEY (case_id, idx))`,
        `CREATE TABLE roster (
           plan_id TEXT NOT NULL,
           assessor_key TEXT NOT NULL,
           entry TEXT NOT NULL,
           issued_at BIGINT NOT NULL,
           PRIMARY KEY (plan_id, assessor_key))`,
        `CREATE TABLE challenges (
           nonce TEXT PRIMARY KEY,
           plan_id TEXT NOT NULL,
           public_key TEXT NOT NULL,
           expires_at BIGINT NOT NULL)`,
        `CREATE TABLE sessions (
           token_hash TEXT PRIMARY KEY,
           plan_id TEXT NOT NULL,
           public_key TEXT NOT NULL,
           expires_at BIGINT NOT NULL)`,
      ],
    },
    {
      version: 2,
      description: "committees: DKG runs and their posts, finished committees, votes and signing rounds on cases",
      statements: COMMITTEE_TABLES,
    },
  ],
};
